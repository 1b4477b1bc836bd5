"""``movie-sentiment serve`` as a user runs it: a real process on 127.0.0.1."""

import os
import signal
import subprocess
import sys
import time

import httpx
from test_app import free_port


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
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if httpx.get(f"{base}/v2/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.2)
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
