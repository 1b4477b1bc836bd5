"""Tests of the resumable, verified download against a real local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import io
import random
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from movie_sentiment.data.download import download, sha256_of
from movie_sentiment.errors import DownloadError


@dataclass
class ServerState:
    """What the test server serves and how it misbehaves; also what it was asked."""

    payload: bytes = b""
    cut_after: int | None = None  # write only this many body bytes, then close the socket
    cut_first_only: bool = True  # cut only the first request (else every request)
    ignore_range: bool = False  # always answer 200 with the whole payload
    corrupt: bool = False  # flip bytes in what is sent
    status: int | None = None  # answer every request with this error status
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class PayloadHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.state.payload`` at any path, with ``Range`` support and faults."""

    server: StatefulServer

    def do_GET(self) -> None:
        state = self.server.state
        range_header = self.headers.get("Range")
        with state.lock:
            state.requests.append((self.path, range_header))
            first = len(state.requests) == 1
        if state.status is not None:
            self.send_error(state.status)
            return

        body = state.payload
        if state.corrupt:
            body = bytes(b ^ 0xFF for b in body[:64]) + body[64:]
        start = 0
        if range_header and not state.ignore_range:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        chunk = body[start:]
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        if state.cut_after is not None and (first or not state.cut_first_only):
            # Promise the whole body, deliver part of it, then drop the connection.
            self.wfile.write(chunk[: state.cut_after])
            self.close_connection = True
            return
        self.wfile.write(chunk)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class StatefulServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ServerState) -> None:
        super().__init__(("127.0.0.1", 0), PayloadHandler)
        self.state = state


@dataclass
class Served:
    url: str
    state: ServerState

    @property
    def payload(self) -> bytes:
        return self.state.payload

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.state.payload).hexdigest()


def make_archive(folder: Path) -> bytes:
    """A small IMDB-shaped .tar.gz, padded with incompressible bytes to ~200 KB."""
    rng = random.Random(1234)
    members = {
        "aclImdb/train/pos/0_9.txt": b"A wonderful film, I loved every minute.",
        "aclImdb/train/neg/0_2.txt": b"Dull and far too long.",
        "aclImdb/test/pos/0_10.txt": b"Brilliant.",
        "aclImdb/padding.bin": rng.randbytes(200_000),
    }
    archive = folder / "aclImdb_v1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive.read_bytes()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A real HTTP server on a free local port, serving a freshly built archive."""
    state = ServerState(payload=make_archive(tmp_path))
    server = StatefulServer(state)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Served(url=f"http://{host}:{port}/aclImdb_v1.tar.gz", state=state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "nested" / "aclImdb_v1.tar.gz"


def part_of(destination: Path) -> Path:
    return destination.with_name(destination.name + ".part")


def test_plain_download(served: Served, destination: Path) -> None:
    result = download(served.url, destination, served.sha256, progress=False)

    assert result == destination
    assert destination.read_bytes() == served.payload
    assert not part_of(destination).exists()
    assert served.state.requests == [("/aclImdb_v1.tar.gz", None)]
    with tarfile.open(destination) as tar:
        assert "aclImdb/train/pos/0_9.txt" in tar.getnames()


def test_interrupted_transfer_resumes_with_range(served: Served, destination: Path) -> None:
    served.state.cut_after = 50_000

    download(served.url, destination, served.sha256, progress=False)

    assert destination.read_bytes() == served.payload
    assert [r for _, r in served.state.requests] == [None, "bytes=50000-"]
    assert not part_of(destination).exists()


def test_resumes_part_file_of_earlier_run(served: Served, destination: Path) -> None:
    half = len(served.payload) // 2
    destination.parent.mkdir(parents=True)
    part_of(destination).write_bytes(served.payload[:half])

    download(served.url, destination, served.sha256, progress=False)

    assert served.state.requests == [("/aclImdb_v1.tar.gz", f"bytes={half}-")]
    assert destination.read_bytes() == served.payload
    assert not part_of(destination).exists()


def test_server_ignoring_range_restarts_from_zero(served: Served, destination: Path) -> None:
    half = len(served.payload) // 2
    destination.parent.mkdir(parents=True)
    part_of(destination).write_bytes(served.payload[:half])
    served.state.ignore_range = True

    download(served.url, destination, served.sha256, progress=False)

    assert served.state.requests == [("/aclImdb_v1.tar.gz", f"bytes={half}-")]
    assert destination.read_bytes() == served.payload  # not half + whole


def test_complete_part_file_416_is_verified_and_used(served: Served, destination: Path) -> None:
    destination.parent.mkdir(parents=True)
    part_of(destination).write_bytes(served.payload)

    download(served.url, destination, served.sha256, progress=False)

    assert served.state.requests == [("/aclImdb_v1.tar.gz", f"bytes={len(served.payload)}-")]
    assert destination.read_bytes() == served.payload
    assert not part_of(destination).exists()


def test_corrupted_payload_is_rejected_and_deleted(served: Served, destination: Path) -> None:
    served.state.corrupt = True

    with pytest.raises(DownloadError, match="checksum") as caught:
        download(served.url, destination, served.sha256, progress=False)

    message = str(caught.value)
    assert served.sha256 in message
    assert "\n" not in message
    assert not destination.exists()
    assert not part_of(destination).exists()


def test_existing_valid_destination_makes_no_request(served: Served, destination: Path) -> None:
    destination.parent.mkdir(parents=True)
    destination.write_bytes(served.payload)

    result = download(served.url, destination, served.sha256, progress=False)

    assert result == destination
    assert served.state.requests == []
    assert destination.read_bytes() == served.payload


def test_existing_invalid_destination_is_replaced(served: Served, destination: Path) -> None:
    destination.parent.mkdir(parents=True)
    destination.write_bytes(b"not the archive")

    download(served.url, destination, served.sha256, progress=False)

    assert len(served.state.requests) == 1
    assert destination.read_bytes() == served.payload


def test_404_raises_without_retry(served: Served, destination: Path) -> None:
    served.state.status = 404

    with pytest.raises(DownloadError, match="404") as caught:
        download(served.url, destination, served.sha256, progress=False)

    assert served.url in str(caught.value)
    assert len(served.state.requests) == 1
    assert not destination.exists()
    assert not part_of(destination).exists()


def test_connection_always_cut_gives_up_and_keeps_part(served: Served, destination: Path) -> None:
    served.state.cut_after = 1_000
    served.state.cut_first_only = False

    with pytest.raises(DownloadError, match="after 3 attempts") as caught:
        download(served.url, destination, served.sha256, progress=False, attempts=3)

    part = part_of(destination)
    assert str(part) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert [r for _, r in served.state.requests] == [None, "bytes=1000-", "bytes=2000-"]
    assert part.read_bytes() == served.payload[:3_000]
    assert not destination.exists()

    # A later run with a healthy server resumes the kept part.
    served.state.cut_after = None
    download(served.url, destination, served.sha256, progress=False)
    assert served.state.requests[-1][1] == "bytes=3000-"
    assert destination.read_bytes() == served.payload


def test_size_mismatch_is_rejected(served: Served, destination: Path) -> None:
    size = len(served.payload) + 1

    with pytest.raises(DownloadError, match=f"expected {size} bytes") as caught:
        download(served.url, destination, served.sha256, size=size, progress=False)

    assert f"got {len(served.payload)}" in str(caught.value)
    assert not destination.exists()
    assert not part_of(destination).exists()


def test_progress_bar_on_non_terminal_stderr(
    served: Served, destination: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served.state.cut_after = 10_000

    download(served.url, destination, served.sha256, size=len(served.payload), progress=True)

    assert destination.read_bytes() == served.payload
    assert sha256_of(destination) == served.sha256
    captured = capsys.readouterr()
    assert captured.out == ""
    assert destination.name in captured.err  # the bar goes to stderr
