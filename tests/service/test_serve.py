"""``movie-sentiment serve`` as a user runs it: a real process on 127.0.0.1."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from test_app import free_port


def start_serving(*arguments) -> tuple[subprocess.Popen, str]:
    """``movie-sentiment serve ARGUMENTS`` on a free port of 127.0.0.1 (unless the
    arguments give --host), ready; the process and its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "movie_sentiment.cli", "serve", *map(str, arguments),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, base


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


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
    # one process gathers every request: each may wait 2 ms for others to join its batch
    said = process.stderr.read()
    assert said.count("batches of up to 64 reviews, a request waits up to 2 ms") == 2


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


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_drains_requests_in_flight_then_exits_zero(nbsvm_run, stop_signal):
    """A request waits 3 s for its batch (--max-wait-ms 3000), so it is surely in flight
    when SIGTERM (or SIGHUP: a closed terminal) comes: it still gets its 200; meanwhile the
    service says it is not ready and refuses new work with 503s; then the process exits 0."""
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
        process.send_signal(stop_signal)
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


def test_drain_seconds_is_a_hard_cap(nbsvm_run):
    """A request that would take 20 s (it waits for its batch) does not hold the process
    past --drain-seconds 1: it is cut off and the process ends within the cap."""
    process, base = start_serving(nbsvm_run.run_dir, "--max-wait-ms", 20_000, "--drain-seconds", 1)
    try:
        caller = threading.Thread(
            target=lambda: httpx.post(f"{base}/v1/score", json={"reviews": ["fine"]}, timeout=30),
            daemon=True,
        )
        caller.start()
        deadline = time.monotonic() + 10
        while "movie_sentiment_requests_in_flight 2.0" not in httpx.get(f"{base}/metrics").text:
            assert time.monotonic() < deadline, "the request never arrived"
            time.sleep(0.05)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        assert time.monotonic() - signalled < 2.5
        assert code == 0, process.stderr.read()  # stopped as asked, not killed
    finally:
        stop(process)


def test_open_to_the_network_without_a_key_warns_and_origins_are_normalised(nbsvm_run):
    """--host 0.0.0.0 with no key: one warning line, and it serves; a CORS origin written
    with a trailing slash matches the browser's Origin (which has none)."""
    process, base = start_serving(
        nbsvm_run.run_dir, "--host", "0.0.0.0", "--cors-origin", "https://Reviews.example/"
    )
    try:
        preflight = httpx.options(
            f"{base}/v1/score",
            headers={"origin": "https://reviews.example", "access-control-request-method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://reviews.example"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        stop(process)
    first = process.stderr.read().splitlines()[0]
    assert first == (
        "warning: listening on 0.0.0.0 with no API key: anyone who can reach it can use the "
        "service (give --api-key or $MOVIE_SENTIMENT_API_KEY)"
    )


def test_an_empty_key_in_the_environment_is_refused(nbsvm_run):
    result = subprocess.run(
        [sys.executable, "-m", "movie_sentiment.cli", "serve", str(nbsvm_run.run_dir)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "MOVIE_SENTIMENT_API_KEY": ""},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        "error: $MOVIE_SENTIMENT_API_KEY is set but empty; set a key in it or unset it\n"
    )


def slow_client(port: int, stop_at: float) -> dict:
    """A client that sends its request headers a line every 0.2 s and never ends them;
    what the server did to it: its answer (if any) and when it was cut off."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /v1/models HTTP/1.1\r\n")
        connection.settimeout(0.2)
        answer = b""
        while time.monotonic() < stop_at:
            try:
                connection.sendall(b"x-slow: 1\r\n")
                chunk = connection.recv(4096)
            except TimeoutError:
                continue
            except OSError:  # reset: the server closed it
                break
            if not chunk:
                break
            answer += chunk
    return {"answer": answer, "held": time.monotonic() - started}


def test_slow_clients_are_dropped_and_others_still_answered(nbsvm_run):
    """60 clients dribble headers that never end (bounded: 60 connections, 6 s): each is
    cut off with a 408 after --header-timeout 1, and meanwhile other clients' requests
    are answered at once. Headers over 64 KiB are a 431."""
    process, base = start_serving(nbsvm_run.run_dir, "--header-timeout", 1)
    port = int(base.rsplit(":", 1)[1])
    try:
        stop_at = time.monotonic() + 6
        results: list[dict] = []
        slow = [
            threading.Thread(target=lambda: results.append(slow_client(port, stop_at)))
            for _ in range(60)
        ]
        for thread in slow:
            thread.start()
        latencies = []
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(20):
                started = time.monotonic()
                reply = client.post("/v1/score", json={"reviews": ["a fine film"]})
                latencies.append(time.monotonic() - started)
                assert reply.status_code == 200
                time.sleep(0.05)
        for thread in slow:
            thread.join(timeout=15)
        assert len(results) == 60
        assert all(r["answer"].startswith(b"HTTP/1.1 408 ") for r in results), results[0]
        assert all(0.9 < r["held"] < 3 for r in results), sorted(r["held"] for r in results)
        assert max(latencies) < 1.0, latencies
        with socket.create_connection(("127.0.0.1", port), timeout=10) as huge:
            huge.sendall(b"GET /v1/models HTTP/1.1\r\n" + b"x-padding: " + b"a" * 66_000)
            answer = huge.recv(4096)
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert answer.endswith(b'{"error":"the request headers are larger than 65,536 bytes"}')
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        stop(process)


def test_at_the_connection_cap_the_slowest_make_room(nbsvm_run):
    """--max-connections 3: three connections that send nothing fill it, yet a new client
    is served: the one that has waited longest for its headers gets a 503 and is closed.
    When every connection is busy with a request, the new one gets the 503."""
    process, base = start_serving(nbsvm_run.run_dir, "--max-connections", 3, "--max-wait-ms", 3000)
    port = int(base.rsplit(":", 1)[1])
    too_many = {"error": "the service has too many connections open; try again soon"}
    try:
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
        time.sleep(0.3)
        assert httpx.get(f"{base}/v2/health/live", timeout=5).status_code == 200
        evicted = idle[0].recv(4096)
        assert evicted.startswith(b"HTTP/1.1 503 ") and evicted.endswith(
            json.dumps(too_many, separators=(",", ":")).encode()
        )
        for connection in idle:
            connection.close()
        time.sleep(0.3)
        replies = []
        busy = [
            threading.Thread(
                target=lambda: replies.append(
                    httpx.post(f"{base}/v1/score", json={"reviews": ["fine"]}, timeout=30)
                )
            )
            for _ in range(3)
        ]
        for thread in busy:
            thread.start()
        time.sleep(1.0)  # all three wait for their batch (3 s)
        refused = httpx.get(f"{base}/v2/health/live", timeout=5)
        assert refused.status_code == 503 and refused.json() == too_many
        for thread in busy:
            thread.join(timeout=30)
        assert [reply.status_code for reply in replies] == [200, 200, 200]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        stop(process)
