"""Atomic writes: staging beside the target, never a half-written result, and staging
left by a killed process cleaned up by the next write into the same folder."""

import os
import signal
import subprocess
import sys

import pytest

from movie_sentiment.errors import OutputExistsError, StorageError
from movie_sentiment.storage import atomic_directory, check_replaceable, remove_stale_staging

WRITER = """
import sys, time
from pathlib import Path
from movie_sentiment.storage import atomic_directory
with atomic_directory(Path(sys.argv[1])) as staging:
    (staging / "big.bin").write_bytes(b"x" * 1000)
    print("staging", flush=True)
    time.sleep(60)
"""


def start_writer(target):
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "staging"
    return process


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_staging_of_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    killed = start_writer(tmp_path / "run-a")
    alive = start_writer(tmp_path / "run-b")
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        assert len(hidden(tmp_path)) == 2  # SIGKILL left its staging behind
        with atomic_directory(tmp_path / "run-c") as staging:
            (staging / "done").write_text("ok")
        left = hidden(tmp_path)
        assert len(left) == 1 and f"-{alive.pid}." in left[0]  # a live writer's stays
        assert not (tmp_path / "run-a").exists() and (tmp_path / "run-c" / "done").exists()
    finally:
        alive.kill()
        alive.wait(timeout=30)
    assert remove_stale_staging(tmp_path) and hidden(tmp_path) == []


def test_a_failed_block_leaves_nothing_and_keeps_the_old_folder(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    ours = atomic_directory(target, force=True, replaceable=lambda p: True)
    with pytest.raises(RuntimeError), ours as staging:
        (staging / "new").write_text("new")
        raise RuntimeError("failed half-way")
    assert (target / "old").read_text() == "old" and os.listdir(tmp_path) == ["out"]


def test_force_replaces_only_what_is_ours(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(OutputExistsError, match="pass --force"):  # it would then be accepted
        check_replaceable(tmp_path / "empty", force=False)
    check_replaceable(tmp_path / "empty", force=True)  # nothing to lose
    check_replaceable(tmp_path / "missing", force=False)
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "thesis.tex").write_text("years")
    with pytest.raises(OutputExistsError, match="not a movie-sentiment run or bundle") as refused:
        check_replaceable(tmp_path / "user", force=False)  # --force would not help: not offered
    assert "pass --force" not in str(refused.value)
    with pytest.raises(OutputExistsError, match="not a movie-sentiment run or bundle"):
        check_replaceable(tmp_path / "user", force=True, replaceable=lambda p: False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputExistsError, match="not a folder"):
        check_replaceable(tmp_path / "file", force=True, replaceable=lambda p: True)


def test_an_unwritable_parent_is_a_storage_error(tmp_path):
    from conftest import unwritable_folder

    with pytest.raises(StorageError, match="cannot create the folder"):
        with atomic_directory(unwritable_folder(tmp_path) / "a" / "run"):
            pass


def test_a_folder_that_appears_while_writing_is_never_replaced(tmp_path):
    target = tmp_path / "results"
    with pytest.raises(OutputExistsError, match="appeared while this was being written"):
        with atomic_directory(target) as staging:
            (staging / "model").write_text("new")
            target.mkdir()  # the user makes it meanwhile
            (target / "thesis.tex").write_text("years")
    assert (target / "thesis.tex").read_text() == "years"
    assert (tmp_path / "results.new" / "model").read_text() == "new"  # nothing lost either


def test_force_rechecks_what_is_there_when_the_new_folder_is_complete(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "ours.marker").write_text("")
    ours = lambda path: (path / "ours.marker").exists()  # noqa: E731
    with pytest.raises(OutputExistsError, match="is not a movie-sentiment run"):
        with atomic_directory(target, force=True, replaceable=ours, what="run") as staging:
            (staging / "ours.marker").write_text("")
            (target / "ours.marker").unlink()  # swapped for the user's files meanwhile
            (target / "notes.txt").write_text("mine")
    assert (target / "notes.txt").read_text() == "mine"
    assert (tmp_path / "run.new" / "ours.marker").exists()


def test_an_old_folder_moved_aside_by_a_killed_writer_is_put_back(tmp_path):
    """Killed between moving the old run aside and the new one in: the old run returns."""
    killed = start_writer(tmp_path / "elsewhere")  # a real pid, then a dead one
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    (stale_tmp,) = hidden(tmp_path)
    retired = tmp_path / stale_tmp.replace(".elsewhere.", ".run.").replace(".tmp", ".old")
    (retired / "run").mkdir(parents=True)
    (retired / "run" / "model").write_text("old")
    remove_stale_staging(tmp_path)
    assert (tmp_path / "run" / "model").read_text() == "old"
    assert hidden(tmp_path) == []


def test_a_lock_is_held_by_one_process_at_a_time_and_removed_after(tmp_path):
    """A second process cannot take a held lock (it is told at once); the lock file goes
    with its holder; taking it again in the same process nests."""
    import subprocess
    import sys

    from movie_sentiment.storage import exclusive_lock

    lock = tmp_path / "out.csv.lock"
    take = "import os, sys\nfrom movie_sentiment.storage import exclusive_lock\n"
    take += "with exclusive_lock(sys.argv[1], 'another job is writing out.csv'): pass\n"
    with exclusive_lock(lock, "busy"):
        with exclusive_lock(lock, "busy"):  # the CLI, then the library: nested, not refused
            assert lock.exists()
        other = subprocess.run(
            [sys.executable, "-c", take, str(lock)], capture_output=True, text=True, timeout=60
        )
        assert other.returncode != 0 and "OutputBusyError: another job is writing" in other.stderr
        assert lock.exists()
    assert not lock.exists()
    subprocess.run([sys.executable, "-c", take, str(lock)], check=True, timeout=60)  # free now
    assert not lock.exists()
    killed = subprocess.run(  # a holder killed leaves its file, unlocked: taken over
        [sys.executable, "-c", take.replace(": pass", ": os.kill(os.getpid(), 9)"), str(lock)],
        timeout=60,
    )
    assert killed.returncode == -9 and lock.read_bytes().startswith(b"movie-sentiment lock")
    with exclusive_lock(lock, "busy"):
        pass
    assert not lock.exists()
    (tmp_path / "elsewhere").write_text("mine")
    lock.symlink_to(tmp_path / "elsewhere")  # planted: never followed, never truncated
    with pytest.raises(StorageError, match="cannot write to"):
        with exclusive_lock(lock, "busy"):
            pass
    assert (tmp_path / "elsewhere").read_text() == "mine"
