"""The run folder: where it goes, the marker that proves a folder is a run of ours, and
its atomic staging.

The run folder is written atomically: it appears complete at the end, or not at all.
It holds a marker, ``.movie-sentiment-run``, with the run's id, which its bundle's card
records too: only a folder holding both is a run of ours that ``force`` may replace.
"""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import datetime
from pathlib import Path

from movie_sentiment.bundle.model import is_bundle
from movie_sentiment.errors import StorageError
from movie_sentiment.storage import atomic_directory, check_replaceable, staging_folder
from movie_sentiment.training.config import TrainConfig

RUNS_DIR = Path("runs")
RUN_MARKER = ".movie-sentiment-run"  # holds the run id; only train writes it
_RUN_ID = re.compile(r"[0-9a-f]{32}")
CARD_READ_LIMIT = 64 * 2**20  # a card is kilobytes; more is not one of ours


def default_run_dir(family: str) -> Path:
    """``runs/FAMILY-YYYYmmdd-HHMMSS``, with ``-2``, ``-3``... when that one exists."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = RUNS_DIR / f"{family}-{stamp}"
    number = 1
    while run_dir.exists():
        number += 1
        run_dir = RUNS_DIR / f"{family}-{stamp}-{number}"
    return run_dir


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` looks like a run folder (a config and one of our bundles in it):
    enough to write its report; replacing it takes proof (``is_our_run``)."""
    path = Path(path)
    return (path / "config.json").is_file() and is_bundle(path / "bundle")


def is_our_run(path: Path) -> bool:
    """Whether ``train`` wrote the folder ``path``: its ``RUN_MARKER`` and its bundle's card
    hold the same run id. File names prove nothing (a user's app folder may hold a
    ``config.json`` and a ``bundle/``); runs written before the marker existed are not
    replaced either."""
    run_id = _small_file(Path(path) / RUN_MARKER, 100)
    card = _small_file(Path(path) / "bundle" / "card.json", CARD_READ_LIMIT)
    if run_id is None or card is None or not _RUN_ID.fullmatch(run_id.strip()):
        return False
    try:
        card = json.loads(card)
    except (ValueError, RecursionError):
        return False
    return isinstance(card, dict) and card.get("run_id") == run_id.strip()


def _small_file(path: Path, limit: int) -> str | None:
    """The text of a regular file (not a link, FIFO or device) of at most ``limit``
    bytes; None otherwise."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        with open(path, "rb") as file:
            data = file.read(limit + 1)
        return None if len(data) > limit else data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def run_folder(run_dir: Path, config: TrainConfig):
    """The atomic staging of a run folder: replaces only a run of ours, with ``force``."""
    return atomic_directory(run_dir, config.force, is_our_run, "run")


def prepare_run_dir(config: TrainConfig) -> Path:
    """The run folder to write, checked before any work: an existing one is an error
    unless ``force``, and ``force`` replaces only a run of ours; its parent must be
    writable."""
    # normpath: "run/bundle/.." is the run folder itself, not a path through it
    run_dir = Path(os.path.normpath(config.out)) if config.out else default_run_dir(config.family)
    check_replaceable(run_dir, config.force, is_our_run, "run")
    # Can we write there at all? Probed in the nearest folder that exists, so a mistake
    # found later (missing data) leaves no empty folder behind.
    existing = run_dir.parent.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise StorageError(f"cannot write to {run_dir.parent}: {existing} is not a folder")
    staging_folder(existing, run_dir.name).rmdir()
    return run_dir
