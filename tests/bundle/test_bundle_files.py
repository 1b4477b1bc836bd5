"""A bundle's files (``bundle.files``): each must be a regular file inside the bundle, of a
bounded size, and the very file its card records. ``FILE_ROWS`` is the table of planted
or changed files: each is one ``BundleError`` naming the file, read without blocking and
without reading what lies outside the bundle."""

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.card import CARD_VERSION
from movie_sentiment.bundle.files import BINARY_LIMIT, JSON_LIMIT
from movie_sentiment.errors import BundleError


def replace(bundle: Path, name: str, make) -> None:
    (bundle / name).unlink()
    make(bundle / name)


def link_outside(bundle: Path) -> None:
    secret = bundle.parent / "secret.json"
    secret.write_text('{"kind": "words", "password": "hunter2"}')
    replace(bundle, "encoder.json", lambda path: path.symlink_to(secret))


def swap_two_words(bundle: Path) -> None:
    encoder = json.loads((bundle / "encoder.json").read_text())
    words = encoder["vocabulary_"]
    words[3], words[4] = words[4], words[3]
    (bundle / "encoder.json").write_text(json.dumps(encoder))


def flip_a_byte(bundle: Path) -> None:
    data = bytearray((bundle / "model.keras").read_bytes())
    data[len(data) // 2] ^= 1
    (bundle / "model.keras").write_bytes(bytes(data))


def sparse(size: int):
    """A file that says it holds ``size`` bytes without taking the disk space."""

    def make(path: Path) -> None:
        with open(path, "wb") as file:
            file.truncate(size)

    return make


def plant_arrays(bundle: Path) -> None:
    np.savez(bundle / "encoder.npz", extra=np.arange(3))


# (id, what to do to a copy of the tutorial bundle, fragment of the one-line error)
FILE_ROWS = [
    ("link-outside", link_outside, "encoder.json links outside the bundle (to "),
    ("card-fifo", lambda b: replace(b, "card.json", os.mkfifo), "card.json is a FIFO, not a regular file"),
    ("model-dev-zero", lambda b: replace(b, "model.keras", lambda p: p.symlink_to("/dev/zero")), "model.keras links outside the bundle (to /dev/zero)"),
    ("encoder-folder", lambda b: replace(b, "encoder.json", Path.mkdir), "encoder.json is a folder, not a regular file"),
    ("encoder-dangling-link", lambda b: replace(b, "encoder.json", lambda p: p.symlink_to(b / "gone.json")), "encoder.json is missing"),
    ("encoder-json-huge", lambda b: replace(b, "encoder.json", sparse(JSON_LIMIT + 1)), "encoder.json is too large for a bundle file"),
    ("model-huge", lambda b: replace(b, "model.keras", sparse(BINARY_LIMIT + 1)), "model.keras is too large for a bundle file"),
    ("vocabulary-two-words-swapped", swap_two_words, "encoder.json was edited or damaged after the bundle was saved"),
    ("model-one-byte", flip_a_byte, "model.keras was edited or damaged after the bundle was saved"),
    ("arrays-planted", plant_arrays, "encoder.npz is not one of the files its card records"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"), [row[1:] for row in FILE_ROWS], ids=[row[0] for row in FILE_ROWS]
)
def test_a_planted_or_changed_file_is_one_line(tutorial_run, tmp_path, change, message):
    bundle = Path(shutil.copytree(tutorial_run.bundle_dir, tmp_path / "bundle"))
    change(bundle)
    started = time.monotonic()
    with pytest.raises(BundleError) as caught:
        SentimentModel.load(bundle)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert time.monotonic() - started < 30  # nothing blocked or read gigabytes


def test_every_file_row_has_a_unique_name():
    assert len({row[0] for row in FILE_ROWS}) == len(FILE_ROWS)


def test_the_card_records_every_file_and_a_link_inside_is_fine(tutorial_run, tmp_path):
    card = json.loads((tutorial_run.bundle_dir / "card.json").read_text())
    files = sorted(p.name for p in tutorial_run.bundle_dir.iterdir() if p.name != "card.json")
    assert sorted(card["files"]) == files
    bundle = Path(shutil.copytree(tutorial_run.bundle_dir, tmp_path / "bundle"))
    (bundle / "model.keras").rename(bundle / "kept.keras")
    (bundle / "model.keras").symlink_to("kept.keras")  # inside the bundle: its own file
    assert SentimentModel.load(bundle).predict(["a fine film"])[0].label is not None


def test_a_card_without_checksums_still_loads(tutorial_run, tmp_path):
    """Bundles saved before cards recorded checksums load, checked for place, kind and
    size only (and by the content checks); saving one again records them."""
    bundle = Path(shutil.copytree(tutorial_run.bundle_dir, tmp_path / "old"))
    card = json.loads((bundle / "card.json").read_text())
    del card["files"]
    card["format_version"] = 3
    (bundle / "card.json").write_text(json.dumps(card))
    swap_two_words(bundle)  # undetectable without checksums, as before
    model = SentimentModel.load(bundle)
    assert not model.card.files
    model.save(tmp_path / "again")
    again = json.loads((tmp_path / "again" / "card.json").read_text())
    assert (
        set(again["files"]) == {"model.keras", "encoder.json"}
        and again["format_version"] == CARD_VERSION
    )
