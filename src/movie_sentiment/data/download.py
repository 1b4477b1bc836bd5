"""Download the IMDB archive: resumable, retried, checksum-verified and atomic.

Bytes go to ``<destination>.part`` beside the destination. An interrupted transfer (in this
run or an earlier one) resumes from the part file's size with an HTTP ``Range`` request; the
part is moved onto the destination only once its size and SHA-256 match.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from movie_sentiment.errors import DownloadError

OFFICIAL_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
OFFICIAL_SIZE = 84_125_825
OFFICIAL_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"

_CHUNK_SIZE = 1 << 16
_BACKOFF_SECONDS = 0.2
_USER_AGENT = "movie-sentiment (python urllib)"
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")

# Failures worth another try: the connection broke, timed out or could not be made.
_TRANSIENT = (
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
    urllib.error.URLError,
)


class _RetryableError(Exception):
    """A failure of one attempt that a later attempt may get past."""


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 digest of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    destination: Path,
    sha256: str,
    size: int | None = None,
    progress: bool = True,
    attempts: int = 5,
    timeout: float = 60.0,
) -> Path:
    """Download url to destination, resumable, verified, atomic.

    An existing ``destination`` with the right checksum is returned without network
    traffic. Raises :class:`DownloadError` on HTTP errors, when every one of ``attempts``
    tries breaks off (the part file is kept for the next run), and on a size or checksum
    mismatch (the part file is deleted).
    """
    destination = Path(destination)
    expected = sha256.strip().lower()
    if destination.is_file() and sha256_of(destination) == expected:
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    attempts = max(1, attempts)

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    with Progress(*columns, console=console, disable=not progress) as bar:
        task = bar.add_task(f"Downloading {destination.name}", total=size, completed=_size_of(part))
        reason = ""
        for attempt in range(1, attempts + 1):
            try:
                _fetch(url, part, timeout, bar, task)
                break
            except _RetryableError as exc:
                reason = _one_line(str(exc))
            except _TRANSIENT as exc:
                reason = _one_line(f"{type(exc).__name__}: {exc}")
            if attempt < attempts:
                time.sleep(_BACKOFF_SECONDS * attempt)
        else:
            kept = (
                f"the partial file is kept at {part} and the next run resumes it"
                if part.exists()
                else "no partial file was written"
            )
            raise DownloadError(
                f"download of {url} failed after {attempts} attempts: {reason}; {kept}"
            )

    _verify(part, url, expected, size)
    os.replace(part, destination)
    return destination


def _fetch(url: str, part: Path, timeout: float, bar: Progress, task: TaskID) -> None:
    """One attempt: request the bytes ``part`` lacks and append them to it."""
    offset = _size_of(part)
    headers = {"User-Agent": _USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            return  # nothing left to send: the part may be complete; verification decides
        message = f"HTTP {exc.code} {exc.reason} from {url}"
        if exc.code >= 500:
            raise _RetryableError(message) from None
        raise DownloadError(f"download failed: {message}") from None

    with response:
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        if response.status == 206 and offset:
            start, total = _parse_content_range(response.headers.get("Content-Range", ""))
            if total is None and length is not None:
                total = offset + length
            if start is not None and start != offset:
                part.unlink(missing_ok=True)
                bar.reset(task, completed=0)
                raise _RetryableError(
                    f"server resumed at byte {start} instead of {offset}; starting over"
                )
            mode = "ab"
        else:
            # A 200 answer is the whole file (the server ignored or was not sent a Range).
            offset, total, mode = 0, length, "wb"
            bar.reset(task, completed=0)
        if total is not None:
            bar.update(task, total=total)

        received = 0
        with open(part, mode) as handle:
            while chunk := response.read(_CHUNK_SIZE):
                handle.write(chunk)
                received += len(chunk)
                bar.advance(task, len(chunk))
    if length is not None and received < length:
        raise _RetryableError(
            f"connection closed after {received} of {length} bytes (at byte {offset + received})"
        )


def _verify(part: Path, url: str, expected: str, size: int | None) -> None:
    """Check the finished part's size and checksum; delete it and raise if either is wrong."""
    actual_size = _size_of(part)
    if size is not None and actual_size != size:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"download of {url} has the wrong size: expected {size} bytes, got {actual_size}; "
            f"the partial file {part} was deleted"
        )
    actual = sha256_of(part) if part.exists() else hashlib.sha256(b"").hexdigest()
    if actual != expected:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"checksum mismatch for {url}: expected sha256 {expected}, got {actual}; "
            f"the partial file {part} was deleted"
        )


def _parse_content_range(value: str) -> tuple[int | None, int | None]:
    """Return (first byte, total size) from a ``Content-Range: bytes a-b/n`` header."""
    match = _CONTENT_RANGE.search(value)
    if not match:
        return None, None
    total = match.group(3)
    return int(match.group(1)), (int(total) if total != "*" else None)


def _size_of(path: Path) -> int:
    """Size of ``path`` in bytes, 0 if it does not exist."""
    with contextlib.suppress(FileNotFoundError):
        return path.stat().st_size
    return 0


def _one_line(text: str) -> str:
    """Collapse whitespace so an error message stays on one line."""
    return " ".join(text.split()) or "unknown error"
