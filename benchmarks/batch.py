"""Batch scoring at scale: `movie-sentiment score` over 1,000,000 reviews.

The inputs are built at run time by resampling the test split (with replacement, a fixed
seed) into ``runs/batch-inputs/`` (ignored by git, never committed): Parquet and CSV, with
an ``id`` column. Per model (nbsvm and tutorial by default), each job a fresh process of
the real command:

- the local engine on ``--compare-rows`` reviews (100,000) against in-process
  ``SentimentModel.score`` on the same rows in partitions of the same size, in turns,
  best of three each -> the ratio (goal >= 0.9);
- the local engine on all ``--rows`` (1,000,000), Parquet and CSV -> rows/s and peak
  memory, and peak memory at 1,000,000 against 100,000 (goal within 1.2x);
- the Dask engine, a LocalCluster of 1 and then 2 worker processes with one thread each,
  on the ``--compare-rows`` Parquet input in 2 MiB partitions (50 to share out) -> rows/s
  and their ratio (goal >= 1.7x);
- ``--cores``: only the local engine kept to one core (``taskset``, one scoring thread),
  with ``--jobs 1`` (one process: its two scoring threads) and with ``--jobs N`` (worker
  processes) side by side on the same ``--rows`` Parquet input -> rows/s, peak memory of
  the whole process tree, and the ratios to one core (goal >= 1.8x on 2 cores), added to
  the last full run's results under ``cores``.

Rows/s are over the job's own time as the command reports it (not Python's start-up or
loading the model, which in-process ``score`` does not pay either); for Dask also after
the cluster started (its workers import JAX and load the model, a few seconds). Peak
memory is the largest total resident memory of the job's process tree, Dask's workers
included, sampled every 50 ms. In-process ``score`` runs on a warmed model; the command
pays its first compiles (about a second) inside its job time.

    python benchmarks/batch.py [--data PATH] [--runs DIR] [--families nbsvm,tutorial]
                               [--rows 1000000] [--compare-rows 100000] [--cores]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    REPO,
    RESULTS,
    RUNS,
    default_data,
    trained_bundle,
    write_results,
)

from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.data.inputs import PARTITION_BYTES  # noqa: E402

INPUTS = REPO / "runs" / "batch-inputs"
ROUNDS = 3
DASK_PARTITION_KB = 2048  # 2 MiB: 50 partitions of the 100,000 reviews, to share out


def build_inputs(texts: list[str], rows: int, folder: Path) -> dict[str, Path]:
    """``rows`` reviews resampled from ``texts`` as Parquet and CSV (kept between runs)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"parquet": folder / f"reviews-{rows}.parquet", "csv": folder / f"reviews-{rows}.csv"}
    if all(p.exists() for p in paths.values()):
        return paths
    picks = np.random.default_rng(0).integers(0, len(texts), size=rows)
    table = pa.table(
        {
            "id": [f"r{n:07d}" for n in range(rows)],
            "text": [texts[i] for i in picks.tolist()],
        }
    )
    pq.write_table(table, paths["parquet"], row_group_size=2000)  # 2.6 MB groups
    pacsv.write_csv(table, paths["csv"])
    return paths


def _tree_rss(process) -> int:
    """Resident bytes of ``process`` and all its descendants (Dask's workers), now."""
    import psutil

    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # it ended meanwhile
            pass
    return total


def run_job(
    bundle: Path, source: Path, output: Path, *options: str, one_core: bool = False
) -> dict:
    """One `movie-sentiment score` process: its seconds, rows/s and peak memory (the
    largest sum of resident memory over its process tree, sampled every 50 ms; the
    kernel's own peak, ``ru_maxrss``, counts the parent's memory at fork). ``one_core``:
    the process kept to the first core (``taskset``) with one scoring thread."""
    import os

    import psutil

    output.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "movie_sentiment.cli", "score", str(bundle), str(source),
        "-o", str(output), "--force", *options,
    ]  # fmt: skip
    environment = dict(os.environ)
    if one_core:
        command = ["taskset", "-c", "0", *command]
        environment.update(MOVIE_SENTIMENT_THREADS="1", OMP_NUM_THREADS="1")
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
    )
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(watched))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    stdout, stderr = process.stdout.read().decode(), process.stderr.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr}")
    rows = int(stdout.split()[1].replace(",", ""))
    job = float(re.search(r" in ([\d.]+) s ", stdout).group(1))
    startup = re.search(r"engine started in ([\d.]+) s", stdout)
    startup = float(startup.group(1)) if startup else 0.0
    return {
        "rows": rows,
        "process_seconds": round(seconds, 1),  # with Python start-up and loading the model
        "job_seconds": job,  # the job itself, as the command reports it
        "rows_per_second": round(rows / job, 1),
        "cluster_start_seconds": startup,
        "rows_per_second_after_start": round(rows / (job - startup), 1),
        "peak_memory_mib": round(peak / 2**20, 1),
        "summary": stdout.strip(),
    }


def in_process_seconds(model, texts: list[str]) -> float:
    """Seconds of ``model.score`` over ``texts`` in partitions of the batch job's size."""
    per_part = max(1, int(PARTITION_BYTES / (sum(map(len, texts[:1000])) / 1000)))
    started = time.perf_counter()
    for start in range(0, len(texts), per_part):
        model.score(texts[start : start + per_part], on_error="mark")
    return time.perf_counter() - started


def bench_family(family: str, args, big: dict, small: dict, small_texts: list[str]) -> dict:
    model = trained_bundle(family, args.data, args.runs)
    model.warm_up()
    bundle = Path(args.runs) / family
    scratch = INPUTS / "out"
    scratch.mkdir(parents=True, exist_ok=True)
    result = {}
    # In-process and the local engine in turns, best of three each (this machine's speed
    # drifts by 10% within minutes).
    rounds = {"in_process": [], "parquet": [], "csv": []}
    for _ in range(ROUNDS):
        rounds["in_process"].append(in_process_seconds(model, small_texts))
        for kind in ("parquet", "csv"):
            rounds[kind].append(
                run_job(bundle, small[kind], scratch / f"small-{kind}.parquet", "--jobs", "1")
            )
    in_process = len(small_texts) / min(rounds["in_process"])
    result["in_process_rows_per_second"] = round(in_process, 1)
    result["local_ratio_to_in_process"] = {}
    for kind in ("parquet", "csv"):
        best = max(rounds[kind], key=lambda r: r["rows_per_second"])
        result[f"local_{kind}_{args.compare_rows}"] = best
        result["local_ratio_to_in_process"][kind] = round(best["rows_per_second"] / in_process, 3)
    print(f"{family}: in-process {in_process:,.0f} rows/s; {result}", flush=True)
    for kind in ("parquet", "csv"):
        figures = run_job(bundle, big[kind], scratch / f"big-{kind}.parquet", "--jobs", "1")
        result[f"local_{kind}_{args.rows}"] = figures
        print(f"{family}: local, {args.rows:,} rows of {kind}: {figures}", flush=True)
    result["memory_ratio_big_to_small"] = {
        kind: round(
            result[f"local_{kind}_{args.rows}"]["peak_memory_mib"]
            / result[f"local_{kind}_{args.compare_rows}"]["peak_memory_mib"],
            3,
        )
        for kind in ("parquet", "csv")
    }
    for workers in (1, 2):
        figures = run_job(
            bundle, small["parquet"], scratch / f"dask-{workers}.parquet",
            "--engine", "dask", "--workers", str(workers), "--partition-kb", str(DASK_PARTITION_KB),
        )  # fmt: skip
        result[f"dask_{workers}_workers"] = figures
        print(f"{family}: dask, {workers} worker(s): {figures}", flush=True)
    result["dask_2_over_1"] = {
        key: round(result["dask_2_workers"][key] / result["dask_1_workers"][key], 3)
        for key in ("rows_per_second", "rows_per_second_after_start")
    }
    return result


def one_core_against_all(family: str, args, big: dict) -> dict:
    """The local engine on ``--rows`` Parquet reviews kept to one core (``taskset``, one
    scoring thread), with ``--jobs 1`` (one process, its two scoring threads) and
    ``--jobs N`` (N: this machine's cores), each job a fresh process: rows/s, peak memory
    of the process tree (workers included), and the ratios to one core."""
    import os

    trained_bundle(family, args.data, args.runs)
    bundle = Path(args.runs) / family
    scratch = INPUTS / "out"
    scratch.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    result = {"cores": cores}
    runs = {"one_core": ("1", True), "jobs_1": ("1", False), f"jobs_{cores}": (str(cores), False)}
    for name, (jobs, one_core) in runs.items():
        output = scratch / f"{name}.parquet"
        figures = run_job(bundle, big["parquet"], output, "--jobs", jobs, one_core=one_core)
        result[name] = figures
        print(f"{family}: local, {name}: {figures}", flush=True)
    one = result["one_core"]
    for name in ("jobs_1", f"jobs_{cores}"):
        result[f"{name}_over_one_core"] = {
            key: round(result[name][key] / one[key], 3)
            for key in ("rows_per_second", "peak_memory_mib")
        }
    return result


def serial_steps(big: dict, scored: Path) -> dict:
    """The two steps one process does for the whole job, whatever the cluster: planning
    (for CSV, a scan of every byte for quotes) and the commit (every part streamed into
    the output), timed here on the ``--rows`` inputs and that job's own output cut into
    parts of the default size."""
    import pyarrow.parquet as pq

    from movie_sentiment.batch import output as out
    from movie_sentiment.data.inputs import plan

    result = {}
    for kind, path in big.items():
        started = time.perf_counter()
        partitions = plan([path])
        result[f"plan_{kind}_seconds"] = round(time.perf_counter() - started, 2)
        result[f"plan_{kind}_partitions"] = len(partitions)
    table = pq.read_table(scored)
    target = INPUTS / "out" / "commit.parquet"
    parts = out.start_job(target, {"benchmark": "commit"}, [])
    per_part = 6450
    pieces = []
    for index, start in enumerate(range(0, table.num_rows, per_part)):
        piece = table.slice(start, per_part)
        out.write_part(parts, index, piece)
        pieces.append(SimpleNamespace(index=index, file=0))  # what commit reads of a part
    started = time.perf_counter()
    out.commit(parts, pieces, target)
    result["commit_seconds"] = round(time.perf_counter() - started, 2)
    result["commit_parts"] = len(pieces)
    target.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--families", default="nbsvm,tutorial")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--compare-rows", type=int, default=100_000)
    parser.add_argument(
        "--serial-only", action="store_true", help="only time planning and the commit"
    )
    parser.add_argument(
        "--cores", action="store_true", help="only the local engine, one core against all"
    )
    args = parser.parse_args()
    texts = load_reviews("test", args.data).texts
    big = build_inputs(texts, args.rows, INPUTS)
    if args.cores:  # added to the last full run's results
        payload = json.loads((RESULTS / "batch.json").read_text())
        payload.pop("machine"), payload.pop("when"), payload.pop("benchmark")
        payload["cores"] = {
            "rows": args.rows,
            "load_average_before": [round(v, 2) for v in os.getloadavg()],
            **{f: one_core_against_all(f, args, big) for f in args.families.split(",")},
        }
        write_results("batch", payload)
        return
    small = build_inputs(texts, args.compare_rows, INPUTS)
    import pyarrow.parquet as pq

    families = args.families.split(",")
    scored = INPUTS / "out" / "big-parquet.parquet"  # the first family's 1M output
    if args.serial_only:  # added to the last full run's results
        payload = json.loads((RESULTS / "batch.json").read_text())
        payload.pop("machine"), payload.pop("when"), payload.pop("benchmark")
        payload["serial_steps"] = serial_steps(big, scored)
        write_results("batch", payload)
        return
    small_texts = pq.read_table(small["parquet"], columns=["text"]).column(0).to_pylist()
    results = {family: bench_family(family, args, big, small, small_texts) for family in families}
    write_results(
        "batch",
        {
            "settings": {
                "rows": args.rows,
                "compare_rows": args.compare_rows,
                "partition_bytes": PARTITION_BYTES,
                "inputs": "test reviews resampled with replacement (seed 0), id + text",
            },
            "families": results,
            "serial_steps": serial_steps(big, scored),
        },
    )


if __name__ == "__main__":
    main()
