"""One service process against ``serve --workers 2``, side by side in one run.

For each model family and worker count, `movie-sentiment serve` runs as a real process on
127.0.0.1 and gets open-loop load: single-review requests sent on schedule whatever the
replies (the rates given, default 200 and 400 a second, for ``--seconds`` each; latency
counts from when a request was due). Printed and written to
``benchmarks/results/service_workers.json``: p50 / p99 / max latency, errors, and the
server's CPU per request (user + system time of the server and its workers, from
/proc, over the load), with the ratios of two workers to one.

The load generator runs on the same two cores (its CPU is not counted as the server's).
Every load is bounded in requests and time.

    python benchmarks/service_workers.py [--data PATH] [--runs DIR] [--families nbsvm]
                                         [--seconds 30] [--rates 200,400] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import RUNS, default_data, trained_bundle, write_results  # noqa: E402
from service_load import open_loop  # noqa: E402

from movie_sentiment.data.imdb import load_reviews  # noqa: E402

HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children now alive."""
    total = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for process in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


class Server:
    """``movie-sentiment serve RUN --workers N`` on a free port, ready when every worker
    is (for one worker: when it answers ready)."""

    def __init__(self, run: Path, workers: int):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "movie_sentiment.cli", "serve", str(run),
             "--port", str(self.port), "--workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        wanted = f"{workers} workers ready" if workers > 1 else "is ready (warmed up"
        started = time.monotonic()
        while not any(wanted in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() - started > 300:
                raise RuntimeError(f"the server did not become ready: {''.join(self.lines)}")
            time.sleep(0.1)

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def bench(family: str, args, texts: list[str]) -> dict:
    trained_bundle(family, args.data, args.runs)
    run = Path(args.runs) / family
    singles = random.Random(0).sample(texts, 5000)
    result: dict = {}
    for workers in args.workers:
        server = Server(run, workers)
        figures = {}
        for rate in args.rates:
            before = cpu_seconds(server.process.pid)
            load = asyncio.run(open_loop(server.port, singles, rate, args.seconds))
            used = cpu_seconds(server.process.pid) - before
            load["server_cpu_ms_per_request"] = round(1000 * used / load["requests"], 3)
            figures[f"open_loop_{rate:g}"] = load
            print(f"{family}, {workers} worker(s), {rate:g} requests/s: {load}", flush=True)
        figures["exit_code_on_sigterm"] = server.stop()
        result[f"workers_{workers}"] = figures
    if len(args.workers) == 2:
        one, two = (result[f"workers_{w}"] for w in args.workers)
        result["ratios"] = {
            f"p99_{rate:g}": round(
                two[f"open_loop_{rate:g}"]["p99_ms"] / one[f"open_loop_{rate:g}"]["p99_ms"], 3
            )
            for rate in args.rates
        }
        print(f"{family}: p99 of {args.workers[1]} workers over {args.workers[0]}: "
              f"{result['ratios']}", flush=True)  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--families", default="nbsvm")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rates", default="200,400")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    args.workers = [int(w) for w in args.workers.split(",")]
    texts = load_reviews("test", args.data).texts
    gc.collect()
    gc.freeze()  # the generator's own collections would count as the server's latency
    results = {family: bench(family, args, texts) for family in args.families.split(",")}
    write_results(
        "service_workers",
        {
            "settings": {
                "seconds": args.seconds,
                "rates": args.rates,
                "workers": args.workers,
                "server": "defaults: --max-batch-size 64 --max-wait-ms 2",
                "xla_flags": os.environ.get("XLA_FLAGS"),
            },
            "families": results,
        },
    )


if __name__ == "__main__":
    main()
