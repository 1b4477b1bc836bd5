"""Shared fixtures: an isolated cache per test, small IMDB-layout archives built on the
spot, and the real archive when it is present."""

from __future__ import annotations

import io
import os
import random
import tarfile
from pathlib import Path

import pytest

import movie_sentiment  # noqa: F401  (sets the default Keras backend before tests import keras)

REPO = Path(__file__).resolve().parents[1]
REAL_ARCHIVE_CANDIDATES = [REPO.parent / "shared" / "datasets" / "aclImdb_v1.tar.gz"]
# Read before any fixture clears it from the environment.
DATA_FROM_ENV = os.environ.get("MOVIE_SENTIMENT_DATA")

POSITIVE = "great wonderful superb loved brilliant moving best excellent fun".split()
NEGATIVE = "awful boring worst terrible waste dull poor bad stupid".split()
NEUTRAL = "the a film movie plot actor scene it was and of to story director".split()


def make_review(rng: random.Random, label: int) -> str:
    """A review whose words lean to its label, with the markup real reviews have."""
    lean = POSITIVE if label == 1 else NEGATIVE
    words = [
        rng.choice(lean) if rng.random() < 0.4 else rng.choice(NEUTRAL)
        for _ in range(rng.randint(5, 60))
    ]
    words[0] = words[0].capitalize()
    cut = rng.randint(1, len(words) - 1)
    return " ".join(words[:cut]) + ".<br /><br />" + " ".join(words[cut:]) + " &amp; more!"


def build_archive(path: Path, per_label: int = 40, unsup: int = 10, seed: int = 0) -> Path:
    """A ``.tar.gz`` with the aclImdb layout: train/test pos/neg (ID_RATING.txt) and unsup."""
    rng = random.Random(seed)
    with tarfile.open(path, "w:gz") as archive:

        def add(name: str, text: str) -> None:
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))

        add("aclImdb/README", "test archive\n")
        for split in ("train", "test"):
            for folder, label in (("pos", 1), ("neg", 0)):
                for review_id in range(per_label):
                    rating = rng.randint(7, 10) if label else rng.randint(1, 4)
                    add(
                        f"aclImdb/{split}/{folder}/{review_id}_{rating}.txt",
                        make_review(rng, label),
                    )
        for review_id in range(unsup):
            add(f"aclImdb/train/unsup/{review_id}_0.txt", make_review(rng, rng.randint(0, 1)))
    return path


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own cache and no data path from the environment."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MOVIE_SENTIMENT_CACHE", str(cache))
    monkeypatch.delenv("MOVIE_SENTIMENT_DATA", raising=False)
    return cache


@pytest.fixture(scope="session")
def small_archive(tmp_path_factory) -> Path:
    """An 80 + 80 labeled-review archive (plus 10 unlabeled), built once per session."""
    return build_archive(tmp_path_factory.mktemp("archive") / "aclImdb_v1.tar.gz")


@pytest.fixture(scope="session")
def real_archive_path() -> Path:
    """The real IMDB archive: $MOVIE_SENTIMENT_DATA, else ../shared/datasets beside the repo."""
    candidates = [Path(DATA_FROM_ENV)] if DATA_FROM_ENV else []
    for candidate in candidates + REAL_ARCHIVE_CANDIDATES:
        if candidate.exists():
            return candidate
    pytest.skip(
        "real IMDB archive absent: set MOVIE_SENTIMENT_DATA or put it in ../shared/datasets"
    )


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory) -> Path:
    """One parse of the real archive shared by all real-data tests of a session."""
    return tmp_path_factory.mktemp("real-cache")


@pytest.fixture
def real_archive(real_archive_path, real_cache, monkeypatch) -> Path:
    """The real archive, with the session's shared cache in use."""
    monkeypatch.setenv("MOVIE_SENTIMENT_CACHE", str(real_cache))
    return real_archive_path
