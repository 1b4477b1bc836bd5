"""``movie-sentiment serve`` as a user runs it: a real process on 127.0.0.1."""

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
from test_app import free_port


def wait_until_ready(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.stderr.read()
        try:
            if httpx.get(f"{base}/v2/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the service did not become ready"
        time.sleep(0.2)


def test_serve_command_answers_over_http(nbsvm_run, tutorial_run):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "movie_sentiment.cli", "serve",
            str(nbsvm_run.run_dir), f"toy={tutorial_run.bundle_dir}", "--port", str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(process, base)
        names = [m["name"] for m in httpx.get(f"{base}/v1/models").json()["models"]]
        assert names == ["nbsvm", "toy"]  # a run folder is named by its folder
        reply = httpx.post(f"{base}/v1/score", json={"reviews": ["superb"], "model": "toy"})
        assert reply.status_code == 200 and reply.json()["model"] == "toy"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_a_taken_port_is_one_error_line(nbsvm_run):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "movie_sentiment.cli", "serve", str(nbsvm_run.run_dir),
             "--port", str(port)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert len(result.stderr.splitlines()) == 1


def test_sigterm_drains_requests_in_flight_then_exits_zero(nbsvm_run):
    """A request waits 3 s for its batch (--max-wait-ms 3000), so it is surely in flight
    when SIGTERM comes: it still gets its 200; meanwhile the service says it is not ready
    and refuses new work with 503s; then the process exits 0."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "movie_sentiment.cli", "serve", str(nbsvm_run.run_dir),
         "--port", str(port), "--max-wait-ms", "3000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base)
        in_flight = {}
        caller = threading.Thread(
            target=lambda: in_flight.update(
                reply=httpx.post(f"{base}/v1/score", json={"reviews": ["superb"]}, timeout=30)
            )
        )
        caller.start()
        deadline = time.monotonic() + 10
        while "movie_sentiment_requests_in_flight 2.0" not in httpx.get(f"{base}/metrics").text:
            assert time.monotonic() < deadline, "the request never arrived"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        ready = httpx.get(f"{base}/v2/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"error": "not ready: the service is shutting down"}
        refused = httpx.post(f"{base}/v1/score", json={"reviews": ["fine"]})
        assert refused.status_code == 503
        assert refused.json() == {"error": "the service is shutting down"}
        assert httpx.get(f"{base}/v2/health/live").status_code == 200
        caller.join(timeout=30)
        assert in_flight["reply"].status_code == 200
        assert in_flight["reply"].json()["scores"][0]["label"] == "positive"
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
