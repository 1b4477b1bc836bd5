"""Where things live on disk: the user cache, atomic writes, their staging folders and
the locks that keep two processes from writing one output.

Everything is written beside its destination under a hidden staging name that carries
the writing process (``.NAME.HOST-PID.XXXX.tmp``) and renamed into place when complete.
A process killed half-way (SIGKILL, power loss) leaves its staging behind; the next
write into the same folder removes staging whose process on this host is gone.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from movie_sentiment.errors import OutputBusyError, OutputExistsError, StorageError

CACHE_ENV = "MOVIE_SENTIMENT_CACHE"
# Staging of versions before the process was named in it: removed once a day old.
LEGACY_STAGING_SECONDS = 24 * 3600

_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:20] or "host"
_STAGING = re.compile(r"^\.(.+)\.([A-Za-z0-9]+)-(\d+)\.[^.]+\.(tmp|old)$")
_LEGACY_STAGING = re.compile(r"^\.(?:.+\.[a-z0-9_]{8}\.(?:tmp|old)|parse-[a-z0-9_]{8})$")
# Failures of the disk or of permissions, the user's to fix, not bugs.
_STORAGE_ERRNOS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.ENAMETOOLONG,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.EBUSY,
}


def cache_dir() -> Path:
    """The user cache: ``$MOVIE_SENTIMENT_CACHE``, else ``$XDG_CACHE_HOME/movie-sentiment``,
    else ``~/.cache/movie-sentiment``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "movie-sentiment"


@contextlib.contextmanager
def storage_errors(where: Path, what: str = "write to") -> Iterator[None]:
    """Turn a permission or disk-full ``OSError`` into a one-line ``StorageError``."""
    try:
        yield
    except OSError as error:
        if isinstance(error, StorageError) or error.errno not in _STORAGE_ERRNOS:
            raise
        named = where
        if error.filename is not None and not any(
            _STAGING.match(part) for part in Path(error.filename).parts
        ):
            named = error.filename  # a file of the user's; our staging names mean nothing
        raise StorageError(f"cannot {what} {named}: {error.strerror}") from None


def make_folder(path: Path) -> Path:
    """``mkdir -p`` with a one-line error when it cannot be made."""
    path = Path(path)
    with storage_errors(path, "create the folder"), _nothing_can_be_created(path):
        path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _nothing_can_be_created(where: Path) -> Iterator[None]:
    """Creating in a folder that exists yet takes nothing new (``/proc``) fails with "no
    such file": a ``StorageError``, as a read-only folder's would be."""
    try:
        yield
    except FileNotFoundError as error:
        raise StorageError(
            f"cannot write to {where}: nothing can be created there ({error.strerror})"
        ) from None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_staging(folder: Path, legacy: bool = False) -> list[Path]:
    """Remove staging left in ``folder`` by processes of this host that are gone; with
    ``legacy`` (only in folders that are all ours, as the cache), also the unnamed staging
    of earlier versions once a day old. Returns what was removed."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = _STAGING.match(entry.name)
        if match:
            name, host, pid, kind = match.group(1), match.group(2), int(match.group(3)), match[4]
            stale = host == _HOST and pid != os.getpid() and not _process_alive(pid)
            if stale and kind == "old":
                _restore_retired(entry, Path(folder) / name)
        elif legacy and _LEGACY_STAGING.match(entry.name):
            stale = False
            with contextlib.suppress(OSError):
                stale = now - entry.stat().st_mtime > LEGACY_STAGING_SECONDS
        else:
            continue
        if stale:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    entry.unlink()
            removed.append(entry)
    return removed


def _staging_prefix(name: str) -> str:
    return f".{name}.{_HOST}-{os.getpid()}."


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    make_folder(path.parent)
    with storage_errors(path), _nothing_can_be_created(path.parent):
        fd, tmp = tempfile.mkstemp(
            prefix=_staging_prefix(path.name), suffix=".tmp", dir=path.parent
        )
    try:
        with storage_errors(path), os.fdopen(fd, mode) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a new file gets the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) through a temporary file and a rename."""
    with atomic_file(path, "w") as handle:
        handle.write(text)


def _restore_retired(retired: Path, target: Path) -> None:
    """A process killed between moving the old folder aside and the new one in: put the
    old one back, rather than remove the only copy with the rest of its staging."""
    kept = retired / target.name
    if kept.exists() and not target.exists():
        with contextlib.suppress(OSError):
            os.replace(kept, target)


def staging_folder(parent: Path, name: str, suffix: str = ".tmp") -> Path:
    """A new hidden staging folder in ``parent`` named for ``name`` and this process."""
    with storage_errors(parent), _nothing_can_be_created(parent):
        return Path(tempfile.mkdtemp(prefix=_staging_prefix(name), suffix=suffix, dir=parent))


@contextlib.contextmanager
def atomic_directory(
    path: Path,
    force: bool = False,
    replaceable: Callable[[Path], bool] | None = None,
    what: str = "run or bundle",
) -> Iterator[Path]:
    """Yield a staging folder beside ``path``; move it to ``path`` when the block succeeds.

    An existing ``path`` is an error unless ``force``; even with ``force`` only a folder
    that ``replaceable(path)`` accepts (one of ours, a ``what``) or an empty one is
    replaced, and only after the new one is complete, so a failure leaves it untouched.
    Whatever appears at ``path`` while the block runs is never replaced: the new folder
    is then kept beside it (``NAME.new``) and an ``OutputExistsError`` says where.
    """
    path = Path(path)
    check_replaceable(path, force, replaceable, what)
    may_replace = force and (path.exists() or path.is_symlink())
    make_folder(path.parent)
    remove_stale_staging(path.parent)
    staging = staging_folder(path.parent, path.name)
    try:
        with storage_errors(path):
            yield staging
            _commit(staging, path, may_replace, replaceable, what)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _commit(
    staging: Path, path: Path, may_replace: bool, replaceable: Callable | None, what: str
) -> None:
    """Move the complete ``staging`` to ``path`` (see ``atomic_directory``)."""
    if path.exists() or path.is_symlink():
        try:
            if not may_replace:
                raise OutputExistsError(f"{path} appeared while this was being written")
            check_replaceable(path, True, replaceable, what)  # it may have changed meanwhile
        except OutputExistsError as error:
            kept = _keep_aside(staging, path)
            raise OutputExistsError(f"{error}; it was left alone and {kept}") from None
        retired = staging_folder(path.parent, path.name, ".old")
        os.replace(path, retired / path.name)
        os.replace(staging, path)
        shutil.rmtree(retired, ignore_errors=True)
        return
    try:
        os.rename(staging, path)  # fails if a non-empty folder appeared just now
    except OSError as error:
        if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
        raise OutputExistsError(
            f"{path} appeared while this was being written; it was left alone and "
            f"{_keep_aside(staging, path)}"
        ) from None


def _keep_aside(staging: Path, path: Path) -> str:
    """Move the complete new folder to the first free ``NAME.new``, ``NAME.new-2``, ..."""
    for number in range(1, 1000):
        kept = path.with_name(path.name + (".new" if number == 1 else f".new-{number}"))
        if not kept.exists():
            try:
                os.rename(staging, kept)
            except OSError:
                continue
            return f"the new one was saved as {kept}"
    return "the new one could not be saved"


def check_replaceable(
    path: Path,
    force: bool,
    replaceable: Callable[[Path], bool] | None = None,
    what: str = "run or bundle",
) -> None:
    """Refuse to write over ``path`` unless ``force`` and it is ours (a ``what``, as
    ``replaceable`` tells) or an empty folder: ``--force`` never deletes a user's folder."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not force and _replaceable_folder(path, replaceable):  # --force is offered only here
        raise OutputExistsError(f"{path} already exists; pass --force to overwrite it")
    if path.is_symlink():
        raise OutputExistsError(
            f"{path} is a link; --force replaces only a real folder (give the folder itself)"
        )
    if not path.is_dir():
        raise OutputExistsError(f"{path} exists and is not a folder; --force replaces only folders")
    if not _replaceable_folder(path, replaceable):
        raise OutputExistsError(
            f"{path} is not a movie-sentiment {what}; --force replaces only those "
            "(choose another output folder)"
        )


def _replaceable_folder(path: Path, replaceable: Callable[[Path], bool] | None) -> bool:
    """Whether ``--force`` would replace ``path``: a real folder, empty or one of ours."""
    if path.is_symlink() or not path.is_dir():
        return False
    return not any(path.iterdir()) or (replaceable is not None and replaceable(path))


# Locks this process holds, by path: taking one again (the CLI, then the library) nests.
_HELD_LOCKS: dict[str, int] = {}


@contextlib.contextmanager
def exclusive_lock(path: Path, busy: str) -> Iterator[None]:
    """Hold the lock file ``path`` for the block, or raise ``OutputBusyError(busy)`` at once
    when another process holds it. The file is removed when released.

    fcntl rather than the filelock library: filelock leaves its lock files behind by design
    (removing one safely needs the check below), and every output would keep a stray
    ``.lock`` beside it. The kernel drops the lock when its process dies, so a killed job
    never leaves the output locked.
    """
    key = os.path.abspath(path)
    if key in _HELD_LOCKS:
        _HELD_LOCKS[key] += 1
        try:
            yield
        finally:
            _HELD_LOCKS[key] -= 1
        return
    descriptor = _take_lock(Path(path), busy)
    _HELD_LOCKS[key] = 1
    try:
        yield
    finally:
        del _HELD_LOCKS[key]
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still held, so no other process holds this file
        os.close(descriptor)


def _take_lock(path: Path, busy: str) -> int:
    """An open descriptor of ``path`` holding its exclusive lock (see ``exclusive_lock``)."""
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as error:  # read-only, /proc, a link planted as the lock file
            raise StorageError(f"cannot write to {path.parent}: {error.strerror}") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise OutputBusyError(busy) from None
        try:  # the holder before may have removed the file after we opened it: try again
            if os.path.samestat(os.fstat(descriptor), os.stat(path, follow_symlinks=False)):
                _claim_lock_file(descriptor, path)
                return descriptor
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)


LOCK_HEADER = b"movie-sentiment lock\n"


def _claim_lock_file(descriptor: int, path: Path) -> None:
    """Mark the locked file as ours (it is removed when released), unless it is a file of
    the user's that happens to have the lock's name: that is left alone, and refused."""
    held = os.pread(descriptor, len(LOCK_HEADER), 0)
    if held and held != LOCK_HEADER:
        raise OutputExistsError(f"{path} is in the way and is not a lock of ours; move it")
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, LOCK_HEADER + f"pid {os.getpid()}\n".encode(), 0)
