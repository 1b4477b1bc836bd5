"""The local engine on several cores: partitions scored on a pool of worker processes.

Processes, not threads: tokenizing is pure Python and holds the GIL, and JAX is not
fork-safe, so each worker is *spawned* and loads the bundle once. Each worker reads,
scores and writes one partition's part at a time (the same ``scored_table`` and
``write_part`` as the one-core path, so the parts, and the committed output, are byte for
byte the same). At most ``2 * jobs`` partitions are in flight, so memory stays flat,
and ``done`` is told in partition order, so the progress bar advances as before.
Each worker keeps its numerical libraries to one thread (``worker_environment``, and
``threadpoolctl`` for those loaded before it), so N workers use N cores without
oversubscribing them. A worker that dies (killed, out of memory) stops the job with one
error naming its partition; finished parts are kept to resume.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

from movie_sentiment.batch.job import Options
from movie_sentiment.data.inputs import Partition
from movie_sentiment.errors import WorkerDiedError

_WORKER: dict = {}  # in each worker process: the model it loaded


def _start_worker(bundle: str, environment: dict[str, str]) -> None:
    """In a new worker, before anything imports JAX: one thread per library, then the
    bundle, loaded once for every partition this worker scores. A worker whose job was
    killed (SIGKILL leaves no time to stop the pool) stops too, instead of scoring on into
    a parts folder that a run of the same command may be resuming."""
    os.environ.update(environment)
    _limit_loaded_threads(int(environment["MOVIE_SENTIMENT_THREADS"]))
    threading.Thread(target=_stop_with_parent, args=(os.getppid(),), daemon=True).start()
    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.errors import MovieSentimentError

    try:
        _WORKER["model"] = SentimentModel.load(bundle)
    except MovieSentimentError as error:  # the job says so, once, as one line (not a
        _WORKER["error"] = error  # traceback from each worker's initializer)


def _limit_loaded_threads(threads: int) -> None:
    """The environment reaches only libraries not yet loaded: NumPy (and its OpenBLAS) is
    imported before the initializer runs, with the modules that name it, and has started a
    thread pool for every core. Kept to ``threads`` too: with two workers on two cores,
    OpenBLAS's threads spun waiting for work after each matrix product, on the core the
    other worker needed (17% more CPU a row; 1M nbsvm rows in 36.2 s, 31.5 s with the
    limit, one run each side by side; ``benchmarks/batch.py --cores``)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


def _stop_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)  # the job is gone: no part half-written is ever renamed into place


def _ready() -> None:
    """A task that only makes the pool start a worker (see ``PoolEngine.start``)."""


def _score_part(part: dict, parts: str, options: dict) -> tuple[int, int]:
    """In a worker: read, score and write one partition's part; (rows, error rows)."""
    from movie_sentiment.batch import output as out
    from movie_sentiment.batch.job import scored_table
    from movie_sentiment.data.inputs import read_partition

    if "error" in _WORKER:
        raise _WORKER["error"]
    partition = Partition.from_dict(part)
    table = scored_table(_WORKER["model"], partition, read_partition(partition), Options(**options))
    out.write_part(Path(parts), partition.index, table)
    return table.num_rows, out.error_rows(table)


class PoolEngine:
    """``jobs`` spawned worker processes, open while in a ``with``."""

    def __init__(self, bundle: Path, jobs: int):
        from movie_sentiment.batch.dask_engine import worker_environment

        self.bundle = str(Path(bundle).resolve())
        self.jobs = jobs
        self.environment = worker_environment(1)
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> PoolEngine:
        """Start every worker now (each imports JAX and loads the bundle, a few seconds),
        so a caller with other work before the job (the CLI loads the model to check it)
        does it meanwhile; entered again (by ``score_files``), it is already started."""
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.bundle, self.environment),
            )
            for _ in range(self.jobs):  # a spawned pool starts one worker per task waiting
                self.pool.submit(_ready)
        return self

    def __exit__(self, kind, *exc) -> None:
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if kind is None:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        # A job that failed (a mistake in its inputs) or was interrupted: nothing its
        # workers do is wanted now (a part is renamed into place only when whole), and one
        # still loading the bundle would keep the user waiting seconds for the error.
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join()

    def run(self, partitions: list[Partition], parts: Path, options: Options, done) -> None:
        """Score ``partitions`` on the workers; ``done(partition, rows, errors)`` in order."""
        folder, settings = str(Path(parts).resolve()), asdict(options)
        waiting = deque(partitions)
        running: deque = deque()
        while waiting or running:
            while waiting and len(running) < 2 * self.jobs:
                part = waiting.popleft()
                running.append((part, self._submit(part, folder, settings)))
            part, future = running.popleft()
            try:
                rows, errors = future.result()
            except BrokenProcessPool:
                raise WorkerDiedError(
                    f"a scoring worker process died while scoring partition {part.index} "
                    f"({part.path}); run the same command again to resume"
                ) from None
            done(part, rows, errors)

    def _submit(self, part: Partition, folder: str, settings: dict):
        try:
            return self.pool.submit(_score_part, part.to_dict(), folder, settings)
        except BrokenProcessPool:
            raise WorkerDiedError(
                f"a scoring worker process died before partition {part.index} ({part.path}) "
                "started; run the same command again to resume"
            ) from None
