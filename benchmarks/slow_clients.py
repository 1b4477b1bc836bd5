"""Slow clients against `movie-sentiment serve`: do other clients stay answered?

A real server process on 127.0.0.1. For each count N of slow clients (0 first, as the
baseline), N connections each send a request line and then one header line every
``--interval`` seconds, never ending their headers (the attack in issue 21: 20,000 of
them made every other request fail for a minute). Meanwhile one well-behaved client
sends single-review ``POST /v1/score`` requests, each on a new connection, one after
another for ``--seconds``, and we record its latency and failures, and what became of the
slow connections (answered with a 408 and closed after ``--header-timeout``, or refused
with a 503 beyond ``--max-connections``). Every phase is bounded in connections and time.

    python benchmarks/slow_clients.py --bundle runs/nbsvm [--slow 0,500,3000]
        [--seconds 15] [--interval 5] [--header-timeout 10] [--max-connections 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_main, write_results  # noqa: E402

HOST = "127.0.0.1"
REVIEW = json.dumps({"reviews": ["A moving film with a wonderful cast."]}).encode()


def start_server(bundle: Path, port: int, header_timeout: float, max_connections: int):
    process = subprocess.Popen(
        [sys.executable, "-m", "movie_sentiment.cli", "serve", str(bundle), "--port", str(port),
         "--header-timeout", str(header_timeout), "--max-connections", str(max_connections)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"error: the server for {bundle} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=2) as probe:
                probe.sendall(b"GET /v2/health/ready HTTP/1.1\r\nhost: x\r\n\r\n")
                if probe.recv(64).startswith(b"HTTP/1.1 200"):
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("error: the server did not become ready in 300 s")


async def slow_client(port: int, interval: float, until: float) -> dict:
    """One connection that dribbles header lines until the server ends it or ``until``."""
    opened = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return {"outcome": "not connected", "held": 0.0}
    writer.write(b"GET /v1/models HTTP/1.1\r\n")
    outcome = "held to the end"
    try:
        while time.monotonic() < until:
            try:
                answer = await asyncio.wait_for(
                    reader.read(64), min(interval, until - time.monotonic())
                )
            except TimeoutError:
                writer.write(b"x-slow: 1\r\n")
                continue
            status = answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/1.1 ") else None
            outcome = f"answered {status}, closed" if status else "closed"
            break
    except OSError:
        outcome = "reset"
    writer.close()
    return {"outcome": outcome, "held": time.monotonic() - opened}


async def well_behaved(port: int, until: float) -> tuple[list[float], list[int]]:
    """Single-review requests on new connections, one after another, until ``until``."""
    latencies, statuses = [], []
    head = (
        f"POST /v1/score HTTP/1.1\r\nhost: {HOST}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(REVIEW)}\r\nconnection: close\r\n\r\n"
    ).encode()
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
            writer.write(head + REVIEW)
            status_line = await asyncio.wait_for(reader.readline(), 5)
            statuses.append(int(status_line.split()[1]))
            writer.close()
        except (OSError, TimeoutError, IndexError, ValueError):
            statuses.append(0)
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(0.02)
    return latencies, statuses


async def phase(port: int, slow: int, seconds: float, interval: float) -> dict:
    until = time.monotonic() + seconds
    clients = []
    for number in range(slow):  # a burst: 500 every 50 ms
        clients.append(asyncio.create_task(slow_client(port, interval, until)))
        if number % 500 == 499:
            await asyncio.sleep(0.05)
    latencies, statuses = await well_behaved(port, until)
    fates = await asyncio.gather(*clients)
    ms = np.array(latencies) * 1000
    outcomes: dict[str, int] = {}
    for fate in fates:
        outcomes[fate["outcome"]] = outcomes.get(fate["outcome"], 0) + 1
    held = [fate["held"] for fate in fates if fate["outcome"].startswith("answered 408")]
    return {
        "slow_clients": slow,
        "requests": len(statuses),
        "ok": sum(status == 200 for status in statuses),
        "refused_503": sum(status == 503 for status in statuses),
        "failed": sum(status == 0 for status in statuses),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "slow_outcomes": outcomes,
        "slow_held_seconds_max": round(max(held), 2) if held else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True, help="a run or bundle folder")
    parser.add_argument("--slow", default="0,500,3000", help="slow-client counts, one phase each")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between header lines")
    parser.add_argument("--header-timeout", type=float, default=10.0)
    parser.add_argument("--max-connections", type=int, default=1000)
    args = parser.parse_args()
    counts = [int(count) for count in args.slow.split(",")]
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    server = start_server(args.bundle, port, args.header_timeout, args.max_connections)
    try:
        phases = []
        for count in counts:
            result = asyncio.run(phase(port, count, args.seconds, args.interval))
            print(
                f"{count:>6} slow: {result['ok']}/{result['requests']} ok, "
                f"{result['refused_503']} refused, {result['failed']} failed; "
                f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms;"
                f" slow: {result['slow_outcomes']}",
                flush=True,
            )
            phases.append(result)
            time.sleep(args.header_timeout + 1)  # the last phase's connections are gone
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    settings = {
        k: getattr(args, k) for k in ("seconds", "interval", "header_timeout", "max_connections")
    }
    write_results("slow_clients", {"settings": settings, "phases": phases})


if __name__ == "__main__":
    run_main(main)
