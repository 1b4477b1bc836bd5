"""The local engine on a pool of worker processes (``batch/pool_engine.py``): the output is
byte for byte the one-core path's, and a worker that dies is one error naming its
partition, with the finished parts kept to resume."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import threadpoolctl
from test_job import REVIEWS, write_csv

from movie_sentiment.batch.job import Options, score_files
from movie_sentiment.batch.pool_engine import PoolEngine
from movie_sentiment.bundle import SentimentModel
from movie_sentiment.errors import WorkerDiedError


@pytest.fixture(scope="module")
def model(nbsvm_run):
    return SentimentModel.load(nbsvm_run.bundle_dir)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("explain", [False, True])
def test_two_workers_write_the_one_core_output_byte_for_byte(
    model, nbsvm_run, tmp_path, suffix, explain
):
    source = write_csv(tmp_path / "in.csv", REVIEWS * 300)  # 1,500 rows, about 12 partitions
    outputs = {}
    for jobs in (1, 2):
        output = tmp_path / f"out{jobs}{suffix}"
        summary = score_files(
            model, nbsvm_run.bundle_dir, [str(source)], output,
            options=Options(explain=explain), partition_bytes=4096, jobs=jobs,
        )  # fmt: skip
        assert (summary.rows, summary.errors, summary.partitions > 8) == (1500, 300, True)
        outputs[jobs] = output.read_bytes()
    assert outputs[1] == outputs[2]


def test_each_worker_keeps_the_thread_pools_it_loaded_before_its_environment_to_one(nbsvm_run):
    """NumPy's OpenBLAS is loaded in a worker before its environment is set; left with a
    thread per core, its threads spin on the core another worker is scoring on."""
    with PoolEngine(nbsvm_run.bundle_dir, 2) as engine:
        pools = [engine.pool.submit(threadpoolctl.threadpool_info).result() for _ in range(4)]
    assert all(any(p["internal_api"] == "openblas" for p in info) for info in pools)
    assert {p["num_threads"] for info in pools for p in info} == {1}


def test_a_dead_worker_is_one_error_naming_its_partition_and_the_job_resumes(
    model, nbsvm_run, tmp_path
):
    source = write_csv(tmp_path / "in.csv", REVIEWS * 300)
    output = tmp_path / "out.parquet"
    told = []

    def kill_a_worker(done, total, rows):
        told.append(rows)
        if rows and len(told) == 2:  # after the first part: the workers are running
            workers = [
                child
                for child in psutil.Process().children()
                if "spawn_main" in " ".join(child.cmdline())  # not the resource tracker
            ]
            assert workers
            os.kill(workers[0].pid, signal.SIGKILL)

    with pytest.raises(WorkerDiedError, match=r"died while scoring partition \d+ \(.*in\.csv\)"):
        score_files(
            model, nbsvm_run.bundle_dir, [str(source)], output,
            partition_bytes=4096, jobs=2, progress=kill_a_worker,
        )  # fmt: skip
    assert not output.exists()
    assert list((tmp_path / "out.parquet.parts").glob("*.parquet"))  # kept to resume
    summary = score_files(
        model, nbsvm_run.bundle_dir, [str(source)], output, partition_bytes=4096, jobs=2
    )
    assert summary.resumed >= 1
    assert summary.rows == 1500
    expected = tmp_path / "one-core.parquet"
    score_files(model, nbsvm_run.bundle_dir, [str(source)], expected, partition_bytes=4096)
    assert output.read_bytes() == expected.read_bytes()


def test_the_workers_of_a_killed_job_stop_with_it(nbsvm_run, tmp_path):
    """SIGKILL to the command leaves its pool no time to stop the workers: they stop
    themselves, rather than score on into a parts folder a new run may be resuming."""
    source = write_csv(tmp_path / "in.csv", REVIEWS * 20_000)
    command = [
        sys.executable, "-m", "movie_sentiment.cli", "score", str(nbsvm_run.run_dir),
        str(source), "-o", str(tmp_path / "out.parquet"), "--partition-kb", "4", "--jobs", "2",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts, deadline = tmp_path / "out.parquet.parts", time.monotonic() + 120
    while not list(parts.glob("part-*.parquet")):  # the workers are scoring
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no parts were written"
        time.sleep(0.05)
    workers = [
        child
        for child in psutil.Process(process.pid).children()
        if "spawn_main" in " ".join(child.cmdline())
    ]
    assert len(workers) == 2
    process.kill()
    process.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    alive = [w for w in alive if w.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"workers still running after their job was killed: {alive}"
