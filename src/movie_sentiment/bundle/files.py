"""A bundle's files, read as a bundle we did not write would have to be: each must be a
regular file inside the bundle folder, no larger than its kind may be, and (when the card
records checksums) the very file the card describes.

Why: a bundle is often downloaded or shared. A file that is a link out of the folder
(``encoder.json -> /etc/shadow``) would be read on the model's behalf; a FIFO would block
the reader forever; ``/dev/zero`` would be read until memory runs out. Files are opened
with ``O_NONBLOCK | O_NOFOLLOW`` and checked with ``fstat`` on the open descriptor, so
neither a FIFO nor a device is ever read, and reads stop at the size limit.

Size limits, far above what IMDB can produce and far below what would exhaust a machine:
a card is ~7 KB (the nbsvm test bundle's: 6,761 bytes) and an encoder.json holds at most
IMDB's whole vocabulary (by estimate ~100,000 words, a few MB), so ``JSON_LIMIT`` (64 MiB)
is over ten times the largest; a Keras model or n-gram table of the largest family is by
estimate some hundreds of MB, so ``BINARY_LIMIT`` is 4 GiB. Hashing costs ~0.85 ms per
MB (sha256 at 1.18 GB/s on this machine's CPU).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from movie_sentiment.errors import BundleError

JSON_LIMIT = 64 * 2**20
BINARY_LIMIT = 4 * 2**30
CHUNK = 2**20
_KINDS = {
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a FIFO",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def _kind(mode: int) -> str:
    return next((words for test, words in _KINDS.items() if test(mode)), "not a file")


def limit_for(name: str) -> int:
    return JSON_LIMIT if name.endswith(".json") else BINARY_LIMIT


class BundleFiles:
    """The files of the bundle folder ``root``, checked as the module docstring says.
    ``checksums``: the card's ``files`` (name -> sha256), or None for cards written before
    bundles recorded them (their files are then checked for place, kind and size only)."""

    def __init__(self, root: Path, checksums: dict | None = None):
        self.root = Path(root)
        self.checksums = checksums or None

    def exists(self, name: str) -> bool:
        return os.path.lexists(self.root / name)

    def read(self, name: str) -> bytes:
        """The bytes of the bundle file ``name``, verified against the card's checksum."""
        path = self.root / name
        with self._open(name) as (descriptor, size):
            data = _read_at_most(descriptor, size, limit_for(name), path)
        self._verify(name, hashlib.sha256(data).hexdigest())
        return data

    def verified_path(self, name: str) -> Path:
        """The resolved path of the bundle file ``name`` for a library that opens it itself
        (Keras), after the same checks and the checksum (hashed while streaming)."""
        path = self.root / name
        with self._open(name) as (descriptor, size):
            digest = hashlib.sha256()
            total = 0
            while chunk := os.read(descriptor, CHUNK):
                total += len(chunk)
                if total > limit_for(name):
                    raise _too_large(path, total, limit_for(name))
                digest.update(chunk)
        self._verify(name, digest.hexdigest())
        return self._resolved(name)

    def _resolved(self, name: str) -> Path:
        path = self.root / name
        try:
            resolved = path.resolve(strict=True)
        except FileNotFoundError:
            raise BundleError(
                f"the bundle at {self.root} is incomplete: {name} is missing"
            ) from None
        except (OSError, RuntimeError) as error:
            raise BundleError(f"{path} cannot be read: {error}") from None
        if not resolved.is_relative_to(self.root.resolve()):
            raise BundleError(
                f"{path} links outside the bundle (to {resolved}); every file of a bundle "
                "must be inside its folder"
            )
        return resolved

    def _open(self, name: str):
        return _OpenFile(self._resolved(name), self.root / name, limit_for(name))

    def _verify(self, name: str, digest: str) -> None:
        if self.checksums is None:
            return
        recorded = self.checksums.get(name)
        if recorded is None:
            raise BundleError(
                f"{self.root / name} is not one of the files its card records; "
                "the bundle was changed after it was saved"
            )
        if recorded != digest:
            raise BundleError(
                f"{self.root / name} was edited or damaged after the bundle was saved: its "
                "sha256 is not the one its card records"
            )


class _OpenFile:
    """A context manager: (descriptor, size) of a regular file opened without following a
    link or blocking, or a one-line ``BundleError`` naming ``shown``."""

    def __init__(self, resolved: Path, shown: Path, limit: int):
        self.resolved, self.shown, self.limit = resolved, shown, limit
        self.descriptor = None

    def __enter__(self) -> tuple[int, int]:
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            self.descriptor = os.open(self.resolved, flags)
            info = os.fstat(self.descriptor)
        except OSError as error:
            self.__exit__()
            raise BundleError(f"{self.shown} cannot be read: {error.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            self.__exit__()
            raise BundleError(
                f"{self.shown} is {_kind(info.st_mode)}, not a regular file; every file of "
                "a bundle must be one"
            )
        if info.st_size > self.limit:
            self.__exit__()
            raise _too_large(self.shown, info.st_size, self.limit)
        return self.descriptor, info.st_size

    def __exit__(self, *exc) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None


def _read_at_most(descriptor: int, size: int, limit: int, shown: Path) -> bytes:
    """The file's bytes, refusing it if it grows past ``limit`` while being read."""
    parts, total = [], 0
    while chunk := os.read(descriptor, max(CHUNK, size + 1 - total)):
        total += len(chunk)
        if total > limit:
            raise _too_large(shown, total, limit)
        parts.append(chunk)
    return b"".join(parts)


def _too_large(path: Path, size: int, limit: int) -> BundleError:
    return BundleError(
        f"{path} is too large for a bundle file: {size:,} bytes or more, over the limit of "
        f"{limit:,} for its kind"
    )


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file we just wrote (the checksums a card records)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
