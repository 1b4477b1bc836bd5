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
from movie_sentiment.bundle.record import NAMES

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
    assert list(table.columns) == ["file", "row", "id", *NAMES]  # the record, bundle/record.py
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
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    parts = tmp_path / "out.parquet.parts"
    deadline = time.monotonic() + 120
    while len(list(parts.glob("part-*.parquet"))) < 5:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no parts were written"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the job: the command and its workers
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


def score_command(run_dir, source, output, *extra):
    return [
        sys.executable, "-m", "movie_sentiment.cli", "score", str(run_dir), str(source),
        "-o", str(output), *map(str, extra),
    ]  # fmt: skip


def test_two_jobs_writing_one_output_the_second_stops_and_the_first_is_whole(nbsvm_run, tmp_path):
    """Two real processes, one output: the second says another job is writing it and
    exits 2 without touching anything; the first finishes with every row once. The first
    is paused (SIGSTOP) once it has written a part, so the two overlap however fast the
    machine: a paused process keeps its lock."""
    texts = [f"superb film number {n}" for n in range(20_000)]
    ids = [f"id-{n:05d}" for n in range(len(texts))]
    source = write_csv(tmp_path / "in.csv", texts, ids)
    output = tmp_path / "out.parquet"
    first = subprocess.Popen(
        score_command(nbsvm_run.run_dir, source, output, "--partition-kb", "4"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parts = tmp_path / "out.parquet.parts"
    deadline = time.monotonic() + 120
    while not list(parts.glob("part-*.parquet")):  # the first is scoring
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline, "the first job wrote no part"
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGSTOP)
    try:
        assert first.poll() is None, "the first job ended before it could be paused"
        for force in ([], ["--force"]):  # --force does not take another job's output either
            second = subprocess.run(
                score_command(nbsvm_run.run_dir, source, output, *force),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert (second.returncode, second.stdout) == (2, "")
            assert second.stderr == (
                f"error: another job is writing {output}; wait for it to finish (or stop "
                "it), then run this again\n"
            )
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    table = pd.read_parquet(output)
    assert list(table["id"]) == ids and table["label"].notna().all()
    assert not (tmp_path / "out.parquet.lock").exists() and not parts.exists()


def test_a_wrong_parquet_column_leaves_nothing_and_the_corrected_run_works(
    cli, nbsvm_run, tmp_path
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [1, 2], "body": ["great fun", "awful"]}), source)
    output = tmp_path / "out.csv"
    wrong = cli("score", nbsvm_run.run_dir, source, "-o", output)
    assert wrong.returncode == 2 and "column 'text' holds int64, not text" in wrong.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]  # no parts, no lock
    fixed = cli("score", nbsvm_run.run_dir, source, "-o", output, "--text-column", "body")
    assert fixed.returncode == 0, fixed.stderr
    assert list(pd.read_csv(output)["label"].notna()) == [True, True]


def test_a_partition_of_error_rows_only_is_error_rows(model, nbsvm_run, tmp_path):
    """Nothing to score in a partition (every line blank or not a review) is not an error
    of the job: its rows carry their errors and the other partitions are scored."""
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(['{"text": 5}'] * 50 + ['"great fun"'] * 50) + "\n")
    output = tmp_path / "out.parquet"
    summary = score_files(model, nbsvm_run.bundle_dir, [str(source)], output, partition_bytes=64)
    table = pd.read_parquet(output)
    assert (summary.rows, summary.errors) == (100, 50)
    assert set(table["error"][:50]) == {"the review is not text but int"}
    assert table["label"][50:].notna().all()


def test_an_input_error_mid_job_removes_its_parts(model, nbsvm_run, tmp_path):
    """The parts of a job stopped by an input error (found in its eighth partition) would
    only block the corrected rerun, another job by the input's new time: removed. A killed
    job keeps them to resume (``test_a_killed_job_resumes_with_every_row_once``)."""
    from movie_sentiment.errors import InvalidInputError

    source = tmp_path / "in.csv"
    source.write_text("text\ngreat\n" + "x\n" * 4000 + '"closed"then more\n')
    output = tmp_path / "out.csv"
    with pytest.raises(InvalidInputError, match="not valid CSV"):
        score_files(model, nbsvm_run.bundle_dir, [str(source)], output, partition_bytes=1024)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_an_output_inside_the_scored_folder_resumes_without_scoring_its_own_parts(
    model, nbsvm_run, tmp_path
):
    """``score folder/ -o folder/out.parquet`` stopped mid-job: its parts sit in the
    scored folder, yet the same command resumes the same job (they are not inputs)."""
    folder = tmp_path / "reviews"
    folder.mkdir()
    texts = [f"superb film number {n}" for n in range(400)]
    write_csv(folder / "in.csv", texts)
    output = folder / "out.parquet"

    def stop_after_two_parts(done, total, rows):
        if rows >= 2 * 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_files(
            model, nbsvm_run.bundle_dir, [str(folder)], output, partition_bytes=1024,
            progress=stop_after_two_parts,
        )  # fmt: skip
    assert list((folder / "out.parquet.parts").glob("part-*.parquet"))
    summary = score_files(model, nbsvm_run.bundle_dir, [str(folder)], output, partition_bytes=1024)
    assert summary.resumed >= 2 and summary.rows == 400
    assert list(pd.read_parquet(output)["id"]) == [f"r{n}" for n in range(400)]
