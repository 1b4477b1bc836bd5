"""The benchmark scripts' shared argument checks (``benchmarks/_common.py``): a careless
``--epochs 0`` or a data path that is not there ends in one error line, not a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _common import positive_int, run_main  # noqa: E402

from movie_sentiment.data.imdb import load_reviews  # noqa: E402


@pytest.mark.parametrize("text", ["0", "-1", "x", "1.5", ""])
def test_positive_int_refuses_what_is_not_a_count(text):
    with pytest.raises(argparse.ArgumentTypeError, match="at least 1"):
        positive_int(text)


def test_positive_int_reads_a_count():
    assert positive_int("3") == 3


def test_run_main_turns_a_named_mistake_into_one_line(tmp_path):
    missing = tmp_path / "no-such-archive.tar.gz"
    with pytest.raises(SystemExit) as stopped:
        run_main(lambda: load_reviews("train", str(missing)))
    message = str(stopped.value.code)
    assert message.startswith("error: ") and "\n" not in message
    assert str(missing) in message


def test_run_main_lets_a_bug_through():
    def broken():
        raise ZeroDivisionError("a bug, not a user's mistake")

    with pytest.raises(ZeroDivisionError):
        run_main(broken)


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
STUDY_RESULTS = Path(__file__).resolve().parents[1] / "docs" / "studies"


@pytest.mark.parametrize(
    ("results", "scripts"),
    [
        (BENCHMARKS / "results", [BENCHMARKS]),
        # a closed study's results sit beside docs/studies.md; one came from accuracy.py
        (STUDY_RESULTS, [BENCHMARKS / "studies", BENCHMARKS]),
    ],
    ids=["benchmarks", "studies"],
)
def test_every_result_file_is_named_after_the_script_that_writes_it(results, scripts):
    """``NAME.json`` or ``NAME_SUFFIX.json`` for a script ``NAME.py``, so a figure quoted
    in the docs leads to the script that measured it."""
    names = {path.stem for folder in scripts for path in folder.glob("*.py")}
    files = sorted(results.glob("*.json"))
    assert files
    orphans = [
        path.name
        for path in files
        if not any(path.stem == name or path.stem.startswith(f"{name}_") for name in names)
    ]
    assert orphans == []
