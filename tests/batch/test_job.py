"""Batch scoring with the local engine: the output matches the scoring call row for row,
in every format; an interrupted job resumes without losing or doubling a row."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from movie_sentiment.batch.job import Options, score_files
from movie_sentiment.bundle import SentimentModel

REVIEWS = [
    "wonderful superb film",
    "awful boring waste",
    "a film, with a comma\nand a second line, great fun",
    "",
    'the "best" of the year',
]


@pytest.fixture(scope="module")
def model(nbsvm_run):
    return SentimentModel.load(nbsvm_run.bundle_dir)


def write_csv(path, texts, ids=None):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "text"])
        for number, text in enumerate(texts):
            writer.writerow([ids[number] if ids else f"r{number}", text])
    return path


def test_output_rows_match_the_scoring_call(model, nbsvm_run, tmp_path):
    texts = REVIEWS * 40
    source = write_csv(tmp_path / "in.csv", texts)
    summary = score_files(model, nbsvm_run.bundle_dir, [str(source)], tmp_path / "out.parquet")
    assert (summary.rows, summary.errors) == (200, 40)
    table = pd.read_parquet(tmp_path / "out.parquet")
    assert list(table["id"]) == [f"r{n}" for n in range(200)]
    assert list(table["row"]) == list(range(1, 201))
    expected = model.score(texts, on_error="mark")
    assert list(table["label"].fillna("-")) == [label or "-" for label in expected.label]
    scored = table["error"].isna()
    assert (table["probability"][scored] == expected.probability[scored.to_numpy()]).all()
    assert list(table["stars"][scored]) == [s for s in expected.stars if s is not None]
    assert set(table["error"].dropna()) == {"the review is empty or whitespace only"}
    assert list(table.columns) == [
        "file", "row", "id", "label", "probability", "logit", "stars", "uncertain",
        "no_known_words", "chunks", "error",
    ]  # fmt: skip
    assert not (tmp_path / "out.parquet.parts").exists()


def test_every_output_format_holds_the_same_rows(model, nbsvm_run, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"text": t}) for t in REVIEWS) + "\n")
    for name in ("out.parquet", "out.csv", "out.jsonl"):
        score_files(
            model, nbsvm_run.bundle_dir, [str(source)], tmp_path / name, options=Options(True)
        )
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    as_csv = pd.read_csv(tmp_path / "out.csv", keep_default_na=False, na_values=[""])
    as_jsonl = pd.read_json(tmp_path / "out.jsonl", lines=True)
    for other in (as_csv, as_jsonl):
        assert list(other["label"].fillna("-")) == list(parquet["label"].fillna("-"))
        assert list(other["probability"].round(9).fillna(-1)) == list(
            parquet["probability"].round(9).fillna(-1)
        )
    assert "id" not in parquet.columns and list(parquet["row"]) == [1, 2, 3, 4, 5]
    top = json.loads(parquet["explanation"][0])
    assert set(top) == {"positive", "negative"} and top["positive"][0][0] in REVIEWS[0]


def test_a_job_keeps_what_it_would_overwrite(model, nbsvm_run, tmp_path):
    source = write_csv(tmp_path / "in.csv", REVIEWS)
    output = tmp_path / "out.csv"
    output.write_text("mine")
    with pytest.raises(Exception, match="out.csv exists; pass --force to replace it"):
        score_files(model, nbsvm_run.bundle_dir, [str(source)], output)
    assert output.read_text() == "mine"
    score_files(model, nbsvm_run.bundle_dir, [str(source)], output, force=True)
    assert output.read_text().startswith("file,row,id,label")


def test_a_killed_job_resumes_with_every_row_once(nbsvm_run, tmp_path):
    """A real process killed (SIGKILL) mid-job; the same command again finishes it, with
    the parts already written kept and every input row in the output exactly once."""
    texts = [f"superb film number {n}" for n in range(60_000)]
    ids = [f"id-{n:05d}" for n in range(len(texts))]
    source = write_csv(tmp_path / "in.csv", texts, ids)
    output = tmp_path / "out.parquet"
    command = [
        sys.executable, "-m", "movie_sentiment.cli", "score", str(nbsvm_run.run_dir),
        str(source), "-o", str(output), "--partition-kb", "4",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    parts = tmp_path / "out.parquet.parts"
    deadline = time.monotonic() + 120
    while len(list(parts.glob("part-*.parquet"))) < 5:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no parts were written"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    kept = len(list(parts.glob("part-*.parquet")))
    assert not output.exists() and kept >= 5
    planned = len(json.loads((parts / "job.json").read_text())["partitions"])
    assert kept < planned  # killed mid-job
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{kept} of {planned} parts from an earlier run" in again.stdout
    table = pd.read_parquet(output)
    assert list(table["id"]) == ids  # none lost, none twice, in order
    assert list(table["row"]) == list(range(1, len(ids) + 1))
    assert table["label"].notna().all()
