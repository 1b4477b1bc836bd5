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

``--repeats N`` loads each server N times per rate and reports the median of each figure
(every round kept under ``rounds``, with the machine's load average as it began: others'
work on two shared cores moves single runs). ``--before DIR`` measures an earlier source
tree side by side in the same run (its server runs with ``PYTHONPATH=DIR/src``, e.g.
``git archive COMMIT src | tar -x -C DIR``), written under ``before`` beside ``after``
(this checkout) with the ratios of after to before. ``--options "FLAGS"`` measures this
checkout's server with those ``serve`` flags too (e.g. ``--options="--max-wait-ms 0"``), written
under ``options`` beside ``after`` (the defaults), with the ratios of options to defaults.

    python benchmarks/service_workers.py [--data PATH] [--runs DIR] [--families nbsvm]
                                         [--seconds 30] [--rates 200,400] [--workers 1,2]
                                         [--repeats 1] [--before DIR] [--options FLAGS]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shlex
import signal
import socket
import statistics
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


def server_env(source: Path | None) -> dict:
    """This process' environment; with ``source``, that tree's package imported first."""
    env = os.environ.copy()
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(source / "src"), env.get("PYTHONPATH")])
        )
    return env


class Server:
    """``movie-sentiment serve RUN --workers N`` on a free port, ready when every worker
    is (for one worker: when it answers ready)."""

    def __init__(self, run: Path, workers: int, source: Path | None = None, options=()):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "movie_sentiment.cli", "serve", str(run),
             "--port", str(self.port), "--workers", str(workers), *options],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=server_env(source),
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


MEDIAN_OF = ("p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_request", "requests_per_second")


def load_round(server: Server, singles: list[str], rate: float, seconds: float) -> dict:
    """One open-loop load, with the server's CPU per request and the load average."""
    load_average = os.getloadavg()[0]
    before = cpu_seconds(server.process.pid)
    load = asyncio.run(open_loop(server.port, singles, rate, seconds))
    used = cpu_seconds(server.process.pid) - before
    load["server_cpu_ms_per_request"] = round(1000 * used / load["requests"], 3)
    load["load_average_1m"] = round(load_average, 2)
    return load


def median_of(rounds: list[dict]) -> dict:
    """Each figure's median over the rounds, their errors summed, and every round."""
    figures = {key: round(statistics.median(r[key] for r in rounds), 3) for key in MEDIAN_OF}
    figures["errors"] = sum(r["errors"] for r in rounds)
    figures["requests"] = sum(r["requests"] for r in rounds)
    figures["load_average_1m"] = [r["load_average_1m"] for r in rounds]
    figures["rounds"] = rounds
    return figures


def bench_server(run: Path, workers: int, version: tuple, singles, args, label) -> dict:
    server = Server(run, workers, *version)
    figures = {}
    for rate in args.rates:
        rounds = []
        for _ in range(args.repeats):
            rounds.append(load_round(server, singles, rate, args.seconds))
            print(f"{label}, {workers} worker(s), {rate:g} requests/s: {rounds[-1]}", flush=True)
        figures[f"open_loop_{rate:g}"] = median_of(rounds)
    figures["exit_code_on_sigterm"] = server.stop()
    return figures


def ratios(result: dict, args) -> dict:
    """Two workers over one (p99), and after over before and options over the defaults
    (p99, CPU per request)."""
    out = {}
    for version, figures in result.items():
        if len(args.workers) == 2:
            one, two = (figures[f"workers_{w}"] for w in args.workers)
            for rate in args.rates:
                key = f"open_loop_{rate:g}"
                out[f"{version}_p99_{rate:g}_workers_{args.workers[1]}_over_{args.workers[0]}"] = (
                    round(two[key]["p99_ms"] / one[key]["p99_ms"], 3)
                )
    for top, bottom in (("after", "before"), ("options", "after")):
        if top not in result or bottom not in result:
            continue
        for workers in args.workers:
            for rate in args.rates:
                key, w = f"open_loop_{rate:g}", f"workers_{workers}"
                for figure in ("server_cpu_ms_per_request", "p99_ms"):
                    new, old = result[top][w][key][figure], result[bottom][w][key][figure]
                    out[f"{top}_over_{bottom}_{figure}_{w}_{rate:g}"] = round(new / old, 3)
    return out


def bench(family: str, args, texts: list[str]) -> dict:
    trained_bundle(family, args.data, args.runs)
    run = Path(args.runs) / family
    singles = random.Random(0).sample(texts, 5000)
    versions = {"after": (None, ())}  # this checkout, the defaults
    if args.before is not None:
        versions = {"before": (args.before, ()), **versions}
    if args.options:
        versions["options"] = (None, shlex.split(args.options))
    result: dict = {version: {} for version in versions}
    for workers in args.workers:
        for version, how in versions.items():
            label = f"{family} ({version})" if len(versions) > 1 else family
            result[version][f"workers_{workers}"] = bench_server(
                run, workers, how, singles, args, label
            )
    result["ratios"] = ratios(result, args)
    print(f"{family}: {result['ratios']}", flush=True)
    if len(versions) == 1:
        result.update(result.pop("after"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--families", default="nbsvm")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rates", default="200,400")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--before", type=Path, help="an earlier source tree to compare with")
    parser.add_argument("--options", help='serve flags to compare: --options="--max-wait-ms 0"')
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
                "repeats": args.repeats,
                "before": str(args.before) if args.before else None,
                "server": "defaults: --max-batch-size 64, --max-wait-ms 2 (0 with workers > 1)",
                "options": args.options,
                "xla_flags": os.environ.get("XLA_FLAGS"),
            },
            "families": results,
        },
    )


if __name__ == "__main__":
    main()
