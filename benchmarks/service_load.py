"""The HTTP service under load: `movie-sentiment serve` as a real process on 127.0.0.1.

Per model (nbsvm and tutorial by default):

1. open-loop load: single-review requests sent at a fixed rate whatever the replies (50
   and 200 requests/s for 60 s each) -> p50 / p99 / max latency, errors. Latency counts
   from the moment a request was due, so a client falling behind is counted too;
2. batch throughput: 100-review requests from 8 concurrent clients -> reviews/s, as a
   ratio to in-process ``score`` on the same reviews in calls of 100, measured in the same
   run while the server idles (each the best of three rounds of the 8,000 reviews);
3. micro-batching: 64 concurrent clients sending single-review requests as fast as
   replies come, against a server batching (up to 64 reviews, 2 ms wait) and one that
   does not (``--max-batch-size 1``) -> requests/s and latency, and their ratio.

Reviews are test reviews (the text is only sent to the local server, never stored). The
load generator is a small HTTP/1.1 client on asyncio streams with keep-alive connections
(a general client such as httpx costs ~1 ms of CPU a request, which on two cores would
be taken from the server). Every load is bounded in requests and time.

    python benchmarks/service_load.py [--data PATH] [--runs DIR] [--families nbsvm,tutorial]
                                      [--seconds 60] [--rates 50,200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RUNS, default_data, trained_bundle, write_results  # noqa: E402

from movie_sentiment.data.imdb import load_reviews  # noqa: E402

HOST = "127.0.0.1"
BATCH_REVIEWS = 100  # reviews per request in the throughput test
BATCH_CLIENTS = 8
BATCH_REQUESTS = 80  # 8,000 reviews
CONCURRENT_CLIENTS = 64
CONCURRENT_SECONDS = 15


# -- a small HTTP/1.1 client -----------------------------------------------------------------
class Pool:
    """Keep-alive connections to one server; a request takes an idle one or opens one."""

    def __init__(self, port: int):
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.retries = 0

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST ``body``; as HTTP clients do, a kept-alive connection the server has
        closed meanwhile (uvicorn closes idle ones after 5 s) is dropped and the request
        sent again on a new one (counted in ``retries``)."""
        while self.idle:
            reader, writer = self.idle.pop()
            if reader.at_eof() or writer.is_closing():
                writer.close()
                continue
            try:
                return await self._exchange(reader, writer, path, body)
            except (ConnectionError, asyncio.IncompleteReadError, EOFError):
                writer.close()
                self.retries += 1
        reader, writer = await asyncio.open_connection(HOST, self.port)
        return await self._exchange(reader, writer, path, body)

    async def _exchange(self, reader, writer, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise EOFError("the server closed the connection")
        status = int(status_line.split()[1])
        length, keep = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                keep = False
        data = await reader.readexactly(length)
        if keep:
            self.idle.append((reader, writer))
        else:
            writer.close()
        return status, data

    async def status_of(self, path: str, body: bytes, timeout: float) -> int:
        """The reply's status code; 0 when the request failed or took over ``timeout``."""
        try:
            status, _ = await asyncio.wait_for(self.post(path, body), timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, EOFError, ValueError):
            return 0
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def summary(latencies: list[float], statuses: list[int], seconds: float, retries: int) -> dict:
    ms = np.array(latencies) * 1000
    errors = sum(status != 200 for status in statuses)
    return {
        "requests": len(statuses),
        "errors": int(errors),
        "seconds": round(seconds, 2),
        "requests_per_second": round(len(statuses) / seconds, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "resent_on_closed_keep_alive": retries,
    }


def score_body(texts: list[str]) -> bytes:
    return json.dumps({"reviews": texts}).encode()


async def open_loop(port: int, texts: list[str], rate: float, seconds: float) -> dict:
    """``rate`` single-review requests a second for ``seconds``, sent on schedule."""
    pool = Pool(port)
    total = int(rate * seconds)
    latencies, statuses, tasks = [], [], []
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1

    async def one(due: float, body: bytes) -> None:
        statuses.append(await pool.status_of("/v1/score", body, timeout=30))
        latencies.append(loop.time() - due)

    for i in range(total):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(one(due, score_body([texts[i % len(texts)]]))))
    await asyncio.gather(*tasks)
    pool.close()
    return summary(latencies, statuses, loop.time() - start, pool.retries)


async def closed_loop(
    port: int, bodies: list[bytes], clients: int, seconds: float, limit: int
) -> dict:
    """``clients`` each sending the next body as soon as its last reply came, until
    ``limit`` requests or ``seconds`` passed."""
    pool = Pool(port)
    latencies, statuses = [], []
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0

    async def client() -> None:
        nonlocal sent
        while sent < limit and loop.time() - start < seconds:
            body = bodies[sent % len(bodies)]
            sent += 1
            began = loop.time()
            statuses.append(await pool.status_of("/v1/score", body, timeout=60))
            latencies.append(loop.time() - began)

    await asyncio.gather(*(client() for _ in range(clients)))
    pool.close()
    return summary(latencies, statuses, loop.time() - start, pool.retries)


# -- the server -------------------------------------------------------------------------------
class Server:
    """``movie-sentiment serve RUN`` on a free port of 127.0.0.1, until stopped."""

    def __init__(self, run: Path, *options: str):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "movie_sentiment.cli", "serve", str(run),
             "--port", str(self.port), *options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
        )  # fmt: skip
        started = time.perf_counter()
        while not self._ready():
            if self.process.poll() is not None or time.perf_counter() - started > 300:
                raise RuntimeError(f"the server for {run} did not become ready")
            time.sleep(0.2)
        self.ready_seconds = time.perf_counter() - started

    def _ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as connection:
                connection.sendall(
                    f"GET /v2/health/ready HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
                )
                return connection.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def in_process_rate(model, batches: list[list[str]]) -> float:
    """Reviews/s of ``model.score`` over ``batches`` (calls of 100), best of three."""
    model.warm_up()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for texts in batches:
            model.score(texts)
        best = min(best, time.perf_counter() - started)
    return sum(len(b) for b in batches) / best


def bench_family(family: str, args, texts: list[str]) -> dict:
    model = trained_bundle(family, args.data, args.runs)
    run = Path(args.runs) / family
    rng = random.Random(0)
    singles = rng.sample(texts, 5000)
    batch_texts = rng.sample(texts, BATCH_REVIEWS * BATCH_REQUESTS)
    batches = [
        batch_texts[i : i + BATCH_REVIEWS] for i in range(0, len(batch_texts), BATCH_REVIEWS)
    ]
    in_process = in_process_rate(model, batches)
    result = {"in_process_reviews_per_second": round(in_process, 1)}
    print(f"{family}: in-process score {in_process:,.0f} reviews/s (calls of 100)", flush=True)

    server = Server(run)
    result["ready_seconds"] = round(server.ready_seconds, 1)
    for rate in args.rates:
        figures = asyncio.run(open_loop(server.port, singles, rate, args.seconds))
        result[f"open_loop_{rate:g}"] = figures
        print(f"{family}: {rate:g} requests/s open loop: {figures}", flush=True)
    bodies = [score_body(b) for b in batches]
    rounds = [  # the best of three, as for in-process
        asyncio.run(closed_loop(server.port, bodies, BATCH_CLIENTS, 600, limit=len(bodies)))
        for _ in range(3)
    ]
    figures = max(rounds, key=lambda r: r["requests_per_second"])
    over_http = figures["requests_per_second"] * BATCH_REVIEWS
    result["batch_http"] = {
        **figures,
        "reviews_per_second": round(over_http, 1),
        "ratio_to_in_process": round(over_http / in_process, 3),
    }
    print(f"{family}: 8 clients x 100 reviews: {result['batch_http']}", flush=True)
    result["exit_code_on_sigterm"] = server.stop()

    single_bodies = [score_body([t]) for t in singles]
    for name, options in (("batched", ()), ("unbatched", ("--max-batch-size", "1"))):
        server = Server(run, *options)
        figures = asyncio.run(
            closed_loop(server.port, single_bodies, CONCURRENT_CLIENTS, CONCURRENT_SECONDS, 20_000)
        )
        server.stop()
        result[f"clients_64_{name}"] = figures
        print(f"{family}: 64 clients, {name}: {figures}", flush=True)
    result["batching_gain_64_clients"] = round(
        result["clients_64_batched"]["requests_per_second"]
        / result["clients_64_unbatched"]["requests_per_second"],
        2,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--families", default="nbsvm,tutorial")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rates", default="50,200")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    texts = load_reviews("test", args.data).texts
    # The load generator's own garbage collections (a full one walks the 25,000 reviews
    # loaded here) would stall its clock and be counted as the server's latency.
    gc.collect()
    gc.freeze()
    results = {family: bench_family(family, args, texts) for family in args.families.split(",")}
    write_results(
        "service_load",
        {
            "settings": {
                "seconds": args.seconds,
                "rates": args.rates,
                "batch": f"{BATCH_CLIENTS} clients x {BATCH_REVIEWS} reviews",
                "server": "defaults: --max-batch-size 64 --max-wait-ms 2",
            },
            "families": results,
        },
    )


if __name__ == "__main__":
    main()
