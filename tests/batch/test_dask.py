"""The Dask engine on a real LocalCluster of worker processes on 127.0.0.1: the same
output as the local engine, row for row, even when a worker is killed mid-job."""

import os
import signal
import threading
import time

import pandas as pd
import pytest
from test_job import REVIEWS, write_csv

from movie_sentiment.batch.dask_engine import worker_environment
from movie_sentiment.batch.job import score_files
from movie_sentiment.bundle import SentimentModel

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def model(nbsvm_run):
    return SentimentModel.load(nbsvm_run.bundle_dir)


def test_dask_output_equals_the_local_engines(model, nbsvm_run, tmp_path):
    texts = REVIEWS * 400
    source = write_csv(tmp_path / "in.csv", texts)
    options = dict(partition_bytes=4096)
    score_files(model, nbsvm_run.bundle_dir, [str(source)], tmp_path / "local.parquet", **options)
    summary = score_files(
        model, nbsvm_run.bundle_dir, [str(source)], tmp_path / "dask.parquet",
        engine="dask", dask_options={"workers": 2}, **options,
    )  # fmt: skip
    assert summary.partitions > 10 and summary.rows == len(texts)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "local.parquet"), pd.read_parquet(tmp_path / "dask.parquet")
    )


def test_a_killed_worker_loses_and_doubles_nothing(model, nbsvm_run, tmp_path):
    texts = [f"superb film number {n}" for n in range(60_000)]
    ids = [f"id-{n:05d}" for n in range(len(texts))]
    source = write_csv(tmp_path / "in.csv", texts, ids)
    output = tmp_path / "dask.parquet"
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, env=worker_environment(1),
    )  # fmt: skip
    try:
        with distributed.Client(cluster) as client:
            victim = next(iter(client.run(os.getpid).values()))
        result = {}
        job = threading.Thread(
            target=lambda: result.update(
                summary=score_files(
                    model, nbsvm_run.bundle_dir, [str(source)], output,
                    engine="dask", dask_options={"scheduler": cluster.scheduler_address},
                    partition_bytes=4096,
                )
            )
        )  # fmt: skip
        job.start()
        parts = tmp_path / "dask.parquet.parts"
        deadline = time.monotonic() + 120
        while len(list(parts.glob("part-*.parquet"))) < 20:
            assert job.is_alive() and time.monotonic() < deadline, "no parts were written"
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)  # mid-job: most partitions are still to come
        before = len(list(parts.glob("part-*.parquet")))
        job.join(timeout=300)
        assert "summary" in result, "the job did not finish"
        table = pd.read_parquet(output)
        assert list(table["id"]) == ids  # none lost, none twice, in order
        assert table["label"].notna().all() and before < result["summary"].partitions
    finally:
        cluster.close()
