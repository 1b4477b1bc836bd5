"""``movie-sentiment serve --workers N``: real worker processes sharing one port, warm
before they accept, metrics added up across them, a dead worker replaced, and a stop
signal drained by every worker."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from test_app import free_port
from test_serve import stop

pytestmark = pytest.mark.slow  # each test starts two model-loading processes


class Served:
    """A ``serve --workers N`` process, ready once every worker is (the parent says so
    on stderr, read by a thread so the pipe never fills)."""

    def __init__(self, *arguments, workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "movie_sentiment.cli", "serve", *map(str, arguments),
             "--workers", str(workers), "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(f"{workers} workers ready")

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                stop(self.process)
                pytest.fail(f"never said {text!r}: {''.join(self.lines)[-3000:]}")
            time.sleep(0.1)

    @property
    def log(self) -> str:
        return "".join(self.lines)


def workers_of(pid: int) -> list[int]:
    """The worker processes of the server ``pid`` (not multiprocessing's helper)."""
    found = []
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in map(int, children):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            found.append(child)
    return sorted(found)


def metric(base: str, name: str) -> float:
    """The sum of a metric's samples over its labels."""
    total = 0.0
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_two_workers_answer_and_metrics_add_up(nbsvm_run):
    served = Served(nbsvm_run.run_dir)
    process, base = served.process, served.base
    try:
        assert len(workers_of(process.pid)) == 2
        # several workers each get a share of the requests: none is held for others
        assert served.log.count("a request waits up to 0 ms for others") == 2
        with httpx.Client(base_url=base, timeout=30) as client:
            replies = [client.post("/v1/score", json={"reviews": ["superb", "awful"]})]
        threads = [
            threading.Thread(
                target=lambda: replies.append(
                    httpx.post(f"{base}/v1/score", json={"reviews": ["fine film"]}, timeout=30)
                )
            )
            for _ in range(30)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [r.status_code for r in replies] == [200] * 31
        # every worker's counts, added up: 2 + 30 reviews, 31 scoring requests
        assert metric(base, "movie_sentiment_reviews_scored_total") == 32
        requests = httpx.get(f"{base}/metrics").text
        assert (
            'movie_sentiment_requests_total{method="POST",route="/v1/score",status="200"} 31.0'
            in requests
        )
        assert metric(base, "movie_sentiment_requests_in_flight") == 1  # the /metrics call
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    assert not Path(f"/proc/{process.pid}").exists()  # reaped: no worker left behind


def test_a_dead_worker_is_replaced(nbsvm_run):
    served = Served(nbsvm_run.run_dir)
    process, base = served.process, served.base
    try:
        killed = workers_of(process.pid)[0]
        os.kill(killed, signal.SIGKILL)
        served.wait_for("while serving: starting it again")
        deadline = time.monotonic() + 120
        while len(now := workers_of(process.pid)) != 2 or killed in now:
            assert time.monotonic() < deadline, served.log
            time.sleep(0.2)
        for _ in range(10):
            reply = httpx.post(f"{base}/v1/score", json={"reviews": ["superb"]}, timeout=30)
            assert reply.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, served.log


def test_a_stop_signal_drains_every_worker(nbsvm_run):
    """Requests held 3 s for their batch are in flight in the workers when SIGTERM comes:
    each gets its 200, new work is refused while draining, then the server exits 0."""
    served = Served(nbsvm_run.run_dir, "--max-wait-ms", 3000)
    process, base = served.process, served.base
    try:
        replies = []
        callers = [
            threading.Thread(
                target=lambda: replies.append(
                    httpx.post(f"{base}/v1/score", json={"reviews": ["superb"]}, timeout=30)
                )
            )
            for _ in range(4)
        ]
        for caller in callers:
            caller.start()
        deadline = time.monotonic() + 10
        while metric(base, "movie_sentiment_requests_in_flight") < 5:  # 4 and /metrics
            assert time.monotonic() < deadline, "the requests never arrived"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        refused = httpx.post(f"{base}/v1/score", json={"reviews": ["fine"]})
        assert refused.status_code == 503
        for caller in callers:
            caller.join(timeout=30)
        assert [r.status_code for r in replies] == [200] * 4
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)


def test_a_worker_that_cannot_load_is_one_error_line(nbsvm_run, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(nbsvm_run.bundle_dir, broken)
    (broken / "model.keras").write_bytes(b"not a model")
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "movie_sentiment.cli", "serve", str(broken), "--workers", "2",
         "--port", str(port)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "model.keras" in errors[0], result.stderr
    assert "Traceback" not in result.stderr
