"""The Dask engine: the job's partitions scored on a dask.distributed cluster.

With no scheduler address a ``LocalCluster`` of worker processes starts on this machine
(127.0.0.1); with one, the cluster there is used (its workers must see the inputs, the
bundle and the output's folder at the same paths: a shared filesystem). Each worker loads
the bundle once (a worker plugin, run again on a worker that replaces a lost one), reads
its partitions itself, scores them and writes their parts; the driver only plans and
commits. A worker killed mid-job loses only its running partitions, which the scheduler
runs again elsewhere; a part is written whole or not at all and a rerun rewrites it with
the same rows, so nothing is lost or doubled.

Threads: one thread per worker process, and each worker's numerical libraries kept to
one thread, so N workers use N cores and never oversubscribe them. XLA ignores
``OMP_NUM_THREADS``; its CPU thread pool follows ``XLA_FLAGS``
(``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``), and our n-gram
encoder's pool ``MOVIE_SENTIMENT_THREADS``.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from dataclasses import asdict
from pathlib import Path

from movie_sentiment.batch import output as out
from movie_sentiment.batch.job import Options, scored_table
from movie_sentiment.data.inputs import Partition, read_partition
from movie_sentiment.errors import InvalidInputError

PLUGIN = "movie-sentiment-bundle"


def plugin_name(bundle: str) -> str:
    """One plugin per bundle (by its path), so jobs of two bundles can share a cluster."""
    return f"{PLUGIN}-{hashlib.sha256(bundle.encode()).hexdigest()[:12]}"


def worker_environment(threads: int = 1) -> dict[str, str]:
    """What each worker process starts with: ``threads`` for every numerical library."""
    count = str(threads)
    return {
        "OMP_NUM_THREADS": count,
        "OPENBLAS_NUM_THREADS": count,
        "MKL_NUM_THREADS": count,
        "XLA_FLAGS": ("--xla_cpu_multi_thread_eigen=false" if threads == 1 else "")
        + f" intra_op_parallelism_threads={count}",
        "MOVIE_SENTIMENT_THREADS": count,
        "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
    }


def _plugin(bundle: str):
    from distributed.diagnostics.plugin import WorkerPlugin

    class LoadBundle(WorkerPlugin):
        """Loads the bundle once on each worker (and on any worker that joins later)."""

        def __init__(self, path: str):
            self.name = plugin_name(path)
            self.path = path
            self.model = None

        def setup(self, worker) -> None:
            from movie_sentiment.bundle import SentimentModel

            self.model = SentimentModel.load(self.path)

    return LoadBundle(bundle)


def score_part(part: dict, parts: str, options: dict, bundle: str) -> tuple[int, int, int]:
    """On a worker: read, score and write one partition; (index, rows, errors)."""
    from distributed import get_worker

    model = get_worker().plugins[plugin_name(bundle)].model
    partition = Partition.from_dict(part)
    table = scored_table(model, partition, read_partition(partition), Options(**options))
    out.write_part(Path(parts), partition.index, table)
    return partition.index, table.num_rows, out.error_rows(table)


class DaskEngine:
    """A connection to a cluster (the one at ``scheduler``, or a new local one of
    ``workers`` processes with ``threads`` threads each), open while in a ``with``."""

    def __init__(self, bundle: Path, scheduler: str | None = None, workers: int = 2,
                 threads: int = 1):  # fmt: skip
        self.bundle = str(Path(bundle).resolve())
        self.scheduler = scheduler
        self.workers = workers
        self.threads = threads
        self.cluster = None
        self.client = None

    def __enter__(self) -> DaskEngine:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InvalidInputError(
                "the dask engine needs dask.distributed: pip install 'movie-sentiment[dask]'"
            ) from None
        if self.scheduler:
            _reachable(self.scheduler)
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except OSError as error:
                raise InvalidInputError(
                    f"cannot reach the Dask scheduler at {self.scheduler}: {error}"
                ) from None
        else:
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=self.threads,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                env=worker_environment(self.threads),
            )
            self.client = Client(self.cluster)
        self.client.register_plugin(_plugin(self.bundle))
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def run(self, partitions: list[Partition], parts: Path, options: Options, done) -> None:
        """Score ``partitions`` on the workers; ``done`` as their parts are written."""
        from distributed import as_completed

        job = uuid.uuid4().hex[:8]
        by_index = {p.index: p for p in partitions}
        futures = [
            self.client.submit(
                score_part,
                p.to_dict(),
                str(parts.resolve()),
                asdict(options),
                self.bundle,
                key=f"score-part-{job}-{p.index}",
                retries=3,
            )
            for p in partitions
        ]
        for future in as_completed(futures):
            index, rows, errors = future.result()
            done(by_index[index], rows, errors)


def _reachable(address: str) -> None:
    """Fail at once, in one line, when nothing listens at a ``tcp://HOST:PORT`` address
    (Dask's client would retry until its timeout)."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise InvalidInputError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
