"""A batch scoring job: inputs planned into partitions, each scored by
``SentimentModel.score`` into a part, then the parts committed to the output.

The local engine reads the next partition and writes the last part on two helper threads
while the model scores (reading and writing then cost little of the scoring time); the
Dask engine (``dask_engine.py``) scores the same partitions on a cluster's workers. Both
write the same parts, so their outputs are equal row for row, and either resumes a job
the other left.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from movie_sentiment.batch import output as out
from movie_sentiment.bundle.files import BundleFiles
from movie_sentiment.bundle.record import FIELDS, NAMES
from movie_sentiment.bundle.scorer import ScoringModel
from movie_sentiment.data.inputs import (
    PARTITION_BYTES,
    Partition,
    Rows,
    find_inputs,
    plan,
    read_partition,
)
from movie_sentiment.errors import InvalidInputError

TOP_WORDS = 5  # words each way in the explanation column


@dataclass
class Summary:
    rows: int
    errors: int
    partitions: int
    resumed: int  # partitions found finished from an earlier run
    seconds: float
    output: Path
    startup_seconds: float = 0.0  # of those, starting the engine (a Dask cluster)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Options:
    explain: bool = False
    target_accuracy: float | None = None


def job_identity(bundle: Path, inputs: list[Path], text_column, id_column, options) -> dict:
    """What makes two runs the same job: the model (its card's hash), each input (path,
    size, modification time) and the options. A resumed run must match it."""
    folder = Path(bundle)
    if not os.path.lexists(folder / "card.json"):
        folder = folder / "bundle"
    model = str(bundle)
    if os.path.lexists(folder / "card.json"):  # read as the loader does: never a FIFO
        model = hashlib.sha256(BundleFiles(folder).read("card.json")).hexdigest()
    files = []
    for path in inputs:
        stat = path.stat()
        files.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    return {
        "model": model,
        "inputs": files,
        "text_column": text_column,
        "id_column": id_column,
        "explain": options.explain,
        "target_accuracy": options.target_accuracy,
        "columns": list(NAMES),  # parts written with other columns are another job's
    }


def scored_table(model: ScoringModel, part: Partition, rows: Rows, options: Options):
    """One partition's output rows as a pyarrow table (see ``docs/batch.md``): where each
    row came from (file, row, and id when the input has one), then the score record's
    fields (``bundle/record.py``) as typed columns, then the explanation if asked."""
    import pyarrow as pa

    count = len(rows)
    readable = [i for i, error in enumerate(rows.errors) if error is None]
    # Each field a column: the unreadable rows' records, then the scored rows' values.
    values = {f.name: [f.missing] * count for f in FIELDS}
    values["error"] = list(rows.errors)
    explanation = [None] * count
    if readable:  # a partition of error rows only has nothing to score
        scores = model.score(
            [rows.texts[i] for i in readable],
            explain=options.explain,
            on_error="mark",
            target_accuracy=options.target_accuracy,
        )
        scored = scores.columns()
        for name, column in scored.items():
            if len(readable) == count:
                values[name] = column
            else:
                for k, i in enumerate(readable):
                    values[name][i] = column[k]
        if options.explain:
            for k, i in enumerate(readable):
                if scores.error[k] is None:
                    explanation[i] = _top_words(scores.explanation[k])
    columns = {
        "file": pa.array([part.path] * count, pa.string()),
        "row": pa.array(range(1, count + 1), pa.int64()),
        "id": pa.array(rows.ids, pa.string()),
    }
    if part.columns.id is None:
        del columns["id"]
    for record_field in FIELDS:
        column = values[record_field.name]
        columns[record_field.name] = pa.array(column, pa.type_for_alias(record_field.arrow))
    if options.explain:
        columns["explanation"] = pa.array(explanation, pa.string())
    return pa.table(columns)


def _top_words(explanation) -> str:
    """The words that moved the score most, each way, as compact JSON:
    ``{"positive": [["superb", 1.2], ...], "negative": [...]}``."""
    positive, negative = explanation.top(TOP_WORDS)
    return json.dumps(
        {
            side: [[t["text"], round(t["contribution"], 4)] for t in tokens]
            for side, tokens in (("positive", positive), ("negative", negative))
        },
        ensure_ascii=False,
    )


class LocalEngine:
    """Scores partitions in order in this process, reading the next and writing the last
    on threads meanwhile."""

    def __init__(self, model: ScoringModel):
        self.model = model

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def run(self, partitions: list[Partition], parts: Path, options: Options, done) -> None:
        """``done(partition, rows, errors)`` after each part is written."""
        with (
            ThreadPoolExecutor(1, "batch-read") as reader,
            ThreadPoolExecutor(1, "batch-write") as writer,
        ):
            upcoming = reader.submit(read_partition, partitions[0])
            writing = None
            for number, part in enumerate(partitions):
                rows = upcoming.result()
                if number + 1 < len(partitions):
                    upcoming = reader.submit(read_partition, partitions[number + 1])
                table = scored_table(self.model, part, rows, options)
                if writing is not None:
                    writing.result()
                writing = writer.submit(_write, parts, part, table, done)
            writing.result()


def _write(parts: Path, part: Partition, table, done: Callable) -> None:
    out.write_part(parts, part.index, table)
    done(part, table.num_rows, out.error_rows(table))


def score_files(
    model: ScoringModel,
    bundle: Path,
    inputs: list[str],
    output: Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    options: Options = Options(),
    engine: str = "local",
    force: bool = False,
    partition_bytes: int = PARTITION_BYTES,
    progress: Callable[[int, int, int], None] | None = None,
    dask_options: dict | None = None,
    jobs: int = 1,
    pool=None,
) -> Summary:
    """Score every review of ``inputs`` into ``output``; resumes an interrupted run of the
    same job. ``progress(done_bytes, total_bytes, rows_scored)`` is told as parts finish.
    ``jobs`` > 1 scores the local engine's partitions on that many worker processes
    (``pool``: a ``PoolEngine`` of them the caller started early, else one is made).
    Holds the output's lock throughout (``output.output_lock``)."""
    with out.output_lock(Path(output)):
        return _score_files(
            model, bundle, inputs, Path(output), text_column, id_column, options, engine,
            force, partition_bytes, progress, dask_options, jobs, pool,
        )  # fmt: skip


def _score_files(
    model, bundle, inputs, output, text_column, id_column, options, engine, force,
    partition_bytes, progress, dask_options, jobs=1, pool=None,
) -> Summary:  # fmt: skip
    """``score_files`` once it holds the output."""
    started = time.perf_counter()
    paths = out.without_own_parts(output, find_inputs(inputs))
    out.check_not_an_input(output, paths)
    job = job_identity(bundle, paths, text_column, id_column, options)
    job["partition_bytes"] = partition_bytes
    planned = out.earlier_plan(output, job, force)
    if planned is None:  # planning checks every input before anything is written
        partitions = plan(paths, text_column, id_column, partition_bytes)
        if not partitions:
            raise InvalidInputError("the inputs hold no reviews")
    else:
        partitions = [Partition.from_dict(p) for p in planned]
    if jobs < 1:
        raise InvalidInputError(f"--jobs must be 1 or more, not {jobs}")
    if engine == "local" and jobs > 1:
        from movie_sentiment.batch.pool_engine import PoolEngine

        runner = pool or PoolEngine(bundle, jobs)
    elif engine == "local":
        runner = LocalEngine(model)
    elif engine == "dask":
        from movie_sentiment.batch.dask_engine import DaskEngine

        runner = DaskEngine(bundle, **(dask_options or {}))
    else:
        raise InvalidInputError(f"unknown engine {engine!r}: use local or dask")
    entering = time.perf_counter()
    with runner:  # a cluster that cannot be reached fails here, before anything is written
        startup = time.perf_counter() - entering
        if planned is None:
            parts = out.start_job(output, job, [p.to_dict() for p in partitions])
        else:
            parts = out.parts_folder(output)
        finished = out.finished(parts, len(partitions))
        todo = [p for p in partitions if p.index not in finished]
        total = sum(p.size for p in partitions)
        counted = {"bytes": sum(p.size for p in partitions if p.index in finished), "rows": 0}

        def done(part: Partition, rows: int, errors: int) -> None:
            counted["bytes"] += part.size
            counted["rows"] += rows
            if progress:
                progress(counted["bytes"], total, counted["rows"])

        if progress:
            progress(counted["bytes"], total, 0)
        if todo:
            try:
                runner.run(todo, parts, options, done)
            except InvalidInputError:
                # An input to correct: corrected, it is another job, which these parts
                # would only block; an interruption (Ctrl-C, a crash) keeps them to resume.
                shutil.rmtree(parts, ignore_errors=True)
                raise
    rows, errors = out.commit(parts, partitions, output)
    return Summary(
        rows=rows,
        errors=errors,
        partitions=len(partitions),
        resumed=len(finished),
        seconds=time.perf_counter() - started,
        output=output,
        startup_seconds=startup,
    )
