"""``movie-sentiment score``: score files of reviews into one output file (local or Dask)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from movie_sentiment.cli.interrupts import load_model
from movie_sentiment.cli.options import BundleArgument, TargetOption
from movie_sentiment.cli.rendering import echo, progress_bar, warn
from movie_sentiment.errors import InvalidInputError

InputsArgument = Annotated[
    list[str],
    typer.Argument(help="Files, folders or globs of .csv .tsv .jsonl .parquet .txt."),
]
OutputOption = Annotated[
    Path, typer.Option("--output", "-o", help="Output .parquet, .csv or .jsonl file.")
]
TextColumnOption = Annotated[
    str | None, typer.Option(help="The reviews' column (default: text or review).")
]
IdColumnOption = Annotated[
    str | None, typer.Option(help="A column of row ids to carry over (default: id).")
]
ExplainOption = Annotated[
    bool, typer.Option("--explain", help="Add each review's top words each way.")
]
EngineOption = Annotated[str, typer.Option(help="local (this process) or dask (a Dask cluster).")]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="With --engine dask: a scheduler address, tcp://HOST:PORT (default: a local cluster)."
    ),
]
WorkersOption = Annotated[
    int, typer.Option(min=1, help="With --engine dask and no scheduler: worker processes.")
]
PartitionOption = Annotated[
    int,
    typer.Option(
        min=1,
        help="Partition size in KiB (8 MiB: about 6,000 IMDB reviews); smaller gives "
        "a cluster more pieces and an interrupted job less to redo.",
    ),
]
JobsOption = Annotated[
    int | None,
    typer.Option(
        help="With --engine local: worker processes scoring partitions side by side "
        "(default: the machine's cores; 1 scores in this process).",
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the output, or a different job's parts.")
]


def score_command(
    bundle: BundleArgument,
    inputs: InputsArgument,
    output: OutputOption,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    explain: ExplainOption = False,
    target: TargetOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = 2,
    partition_kb: PartitionOption = 8192,
    jobs: JobsOption = None,
    force: ForceOption = False,
) -> None:
    """Score files of reviews in a stream of partitions into one output file: one row
    per input row (its id, or file and row), with label, probability, stars, the
    uncertain and no-known-words flags, and an error for rows that cannot be scored.
    Interrupted, the same command again resumes: finished parts are kept."""
    from movie_sentiment.batch.job import Options, score_files
    from movie_sentiment.batch.output import output_lock

    if engine not in ("local", "dask"):
        raise InvalidInputError(f"unknown engine {engine!r}: use local or dask")
    if scheduler and engine != "dask":
        raise InvalidInputError("--scheduler needs --engine dask")
    if jobs is not None and jobs < 1:
        raise InvalidInputError(f"--jobs must be 1 or more, not {jobs}")
    if jobs is not None and engine != "local":
        raise InvalidInputError("--jobs is for --engine local; the dask engine has --workers")
    jobs = jobs or os.cpu_count() or 1
    # The output is taken before the model loads, so a second job says so at once.
    with output_lock(output), _worker_pool(bundle, engine, jobs) as pool:
        model = load_model(bundle)  # Dask and pool workers load their own; it loads, at least
        with progress_bar("scoring") as progress:
            summary = score_files(
                model,
                bundle,
                inputs,
                output,
                text_column=text_column,
                id_column=id_column,
                options=Options(explain=explain, target_accuracy=target),
                engine=engine,
                force=force,
                partition_bytes=partition_kb * 1024,
                progress=progress,
                dask_options={"scheduler": scheduler, "workers": workers},
                jobs=jobs if engine == "local" else 1,
                pool=pool,
            )
    print_summary(summary)


@contextmanager
def _worker_pool(bundle: Path, engine: str, jobs: int):
    """The local engine's worker processes, started before this process loads the model,
    so they load theirs meanwhile (a few seconds); None for one process or Dask."""
    if engine != "local" or jobs < 2 or not Path(bundle).is_dir():
        yield None  # a missing bundle: load_model says so, with no workers to stop
        return
    from movie_sentiment.batch.pool_engine import PoolEngine

    with PoolEngine(bundle, jobs) as pool:
        yield pool


def print_summary(summary) -> None:
    """The job's one line: rows, errors, time, rate, and where the output is."""
    notes = []
    if summary.startup_seconds >= 0.5:
        notes.append(f"engine started in {summary.startup_seconds:.1f} s")
    if summary.resumed:
        notes.append(f"{summary.resumed} of {summary.partitions} parts from an earlier run")
    echo(
        f"Scored {summary.rows:,} rows ({summary.errors:,} errors) in {summary.seconds:.1f} s "
        f"({'; '.join([f'{summary.rows_per_second:,.0f} rows/s', *notes])}) -> {summary.output}"
    )
    if summary.errors:
        warn(f"{summary.errors:,} rows could not be scored; see their error column")
