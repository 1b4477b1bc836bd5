"""How ``movie-sentiment serve`` starts: the models loaded and checked, then one process,
or ``workers`` processes sharing one listening socket.

One process scores on one core. With ``workers`` N the parent binds the port, starts N
worker processes (spawned, so none inherits a half-started JAX), each loading and warming
its models before it accepts a connection (the kernel hands connections only to a worker
that is accepting, so a cold worker never answers). The parent serves nothing: it forwards
SIGTERM, SIGHUP and Ctrl-C to every worker once (each drains as one process does, see
``server``), restarts a worker that dies while serving, and exits 0 when all drained.
Workers run in their own process group, so a terminal's Ctrl-C reaches them only through
the parent (twice would mean "stop now"), and each stops if the parent disappears.

``/metrics`` adds up every worker (Prometheus' multiprocess mode, in a folder the parent
makes and removes); the V2 statistics extension and ``/v1/models`` are per worker.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from movie_sentiment.errors import InvalidInputError, MovieSentimentError
from movie_sentiment.service.server import LOG, allow_open_files, run_server

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own switch
RESTARTS_PER_MINUTE = 5  # more, and a worker is failing, not unlucky: stop
START_SECONDS = 600.0  # a worker not ready by then (loading, warming) is taken as failed


@dataclass(frozen=True)
class ServiceSpec:
    """Everything a process needs to build the service (plain values: it crosses to
    spawned workers)."""

    paths: dict[str, str]  # model name -> bundle or run folder, the default first
    limits: tuple[int, int, int]  # body bytes, reviews per request, characters per review
    api_key: str | None = None
    max_batch: int = 64
    max_wait_ms: float = 2.0
    cors_origins: tuple[str, ...] = ()
    body_seconds: float = 30.0
    options: dict = field(default_factory=dict)  # further create_app keywords


@dataclass(frozen=True)
class ServerSpec:
    """Where and how to listen (see ``server.run_server``)."""

    host: str = "127.0.0.1"
    port: int = 8000
    drain_seconds: float = 30.0
    header_seconds: float = 10.0
    max_connections: int = 1000


def build_app(spec: ServiceSpec, warm: bool = False):
    """The FastAPI app over the spec's models, loaded and checked to give numbers;
    ``warm``: each model compiled for every shape before this returns."""
    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.service import startup
    from movie_sentiment.service.app import create_app
    from movie_sentiment.service.schemas import Limits

    _synchronous_jax()
    load_seconds, models = {}, {}
    for name, path in spec.paths.items():
        started = time.perf_counter()
        models[name] = SentimentModel.load(Path(path))
        load_seconds[name] = time.perf_counter() - started
    startup.check_scores(models)
    if warm:
        for model in models.values():
            model.warm_up()
    return create_app(
        models,
        Limits(*spec.limits),
        spec.api_key,
        max_batch=spec.max_batch,
        max_wait_ms=spec.max_wait_ms,
        cors_origins=spec.cors_origins,
        load_seconds=load_seconds,
        body_seconds=spec.body_seconds,
        **spec.options,
    )


def batch_wait_ms(workers: int) -> float:
    """How long ``serve`` holds a request for others to join its batch when not told: 2 ms
    for one process, which gathers every request the machine gets; none for several,
    each of which gets a share, so the wait gathers less than it costs. Two workers at
    400 requests/s: a p99 of 3.3-3.4 ms without it, 6.0-6.2 with, and the same CPU a
    request (1.48-1.53 ms); one worker: 1.16 ms of CPU a request with it, 1.47 without
    (benchmarks/service_workers.py --options, docs/serving.md "Workers")."""
    return ServiceSpec.max_wait_ms if workers == 1 else 0.0


def _synchronous_jax() -> None:
    """JAX on the CPU runs each computation on the calling thread (set before the first
    model loads, when JAX makes its CPU client): the service's calls are small, and handing
    each to JAX's dispatch threads and waiting for them cost ~40 us of CPU a call in a loop,
    and more in a server waking for each request (benchmarks/service_workers.py)."""
    import jax

    jax.config.update("jax_cpu_enable_async_dispatch", False)


def bound_socket(server: ServerSpec) -> socket.socket:
    """The socket bound to the address, not yet listening: the first server to start on
    it listens (asyncio does), so a connection before any model is ready is refused, not
    left waiting. A taken port is one error line, before any model is loaded."""
    family = socket.AF_INET6 if ":" in server.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((server.host, server.port))
    except OSError as error:
        sock.close()
        reason = error.strerror or str(error)
        raise InvalidInputError(f"cannot listen on {server.host}:{server.port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def serve(spec: ServiceSpec, server: ServerSpec, workers: int = 1) -> int:
    """Serve until a stop signal, then drain; the exit code (0: drained as asked)."""
    allow_open_files(server.max_connections)
    if workers == 1:
        with bound_socket(server) as sock:
            app = build_app(spec)
            return run_server(app, sock, server)
    metrics_dir = tempfile.mkdtemp(prefix="movie-sentiment-metrics-")
    os.environ[METRICS_DIR_VARIABLE] = metrics_dir  # before any worker imports prometheus
    try:
        with bound_socket(server) as sock:
            return Supervisor(spec, server, sock, workers).run()
    finally:
        os.environ.pop(METRICS_DIR_VARIABLE, None)
        shutil.rmtree(metrics_dir, ignore_errors=True)


# -- the workers --------------------------------------------------------------------------
def _worker(spec: ServiceSpec, server: ServerSpec, sock: socket.socket, number: int, events):
    """One worker process: its own process group, models loaded and warm, then serving on
    the shared socket until told to drain (or the parent is gone)."""
    os.setpgid(0, 0)
    # Until the server's own handlers: a stop while loading ends the worker cleanly
    # (nothing is in flight yet).
    for stop in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(stop, lambda signum, frame: os._exit(0))
    parent = os.getppid()
    try:
        app = build_app(spec, warm=True)
    except MovieSentimentError as error:
        events.put(("failed", number, str(error)))
        events.close()
        events.join_thread()  # the message is sent before the process ends
        os._exit(2)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    code = run_server(app, sock, server, on_ready=lambda: events.put(("ready", number, "")))
    os._exit(code)


def _watch_parent(parent: int) -> None:
    """Drain as on SIGTERM when the parent is gone (killed: nobody would stop us)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


class Supervisor:
    """The parent of ``workers`` worker processes (see the module docstring)."""

    def __init__(self, spec: ServiceSpec, server: ServerSpec, sock: socket.socket, workers: int):
        self.spec, self.server, self.sock, self.count = spec, server, sock, workers
        self.context = multiprocessing.get_context("spawn")
        self.events = self.context.Queue()
        self.workers: dict[int, multiprocessing.Process] = {}
        self.stopping: int | None = None  # the signal that asked us to stop
        self.restarts: list[float] = []

    def _start(self, number: int) -> None:
        process = self.context.Process(
            target=_worker,
            args=(self.spec, self.server, self.sock, number, self.events),
            name=f"movie-sentiment-worker-{number}",
            daemon=False,
        )
        process.start()
        self.workers[number] = process

    def _on_signal(self, signum, frame) -> None:
        if self.stopping is not None:  # a second signal: every worker stops now
            signum = signal.SIGTERM
        self.stopping = signum
        for process in self.workers.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)

    def run(self) -> int:
        _log_like_uvicorn()
        handled = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
        previous = {s: signal.signal(s, self._on_signal) for s in handled}
        try:
            for number in range(self.count):
                self._start(number)
            self._wait_ready()
            return self._supervise()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            self._stop_all()

    def _wait_ready(self) -> None:
        ready: set[int] = set()
        deadline = time.monotonic() + START_SECONDS
        while len(ready) < self.count and self.stopping is None:
            try:
                kind, number, message = self.events.get(timeout=0.5)
            except queue.Empty:  # look at the workers, then wait on
                dead = [n for n, p in self.workers.items() if p.exitcode not in (None, 0)]
                if dead:
                    code = self.workers[dead[0]].exitcode
                    raise InvalidInputError(
                        f"worker {dead[0]} did not start (exit code {code}); see its log above"
                    ) from None
                if time.monotonic() > deadline:
                    raise InvalidInputError(
                        f"the workers were not ready within {START_SECONDS:.0f} s"
                    ) from None
                continue
            if kind == "failed":
                raise InvalidInputError(message)
            ready.add(number)
        if self.stopping is not None:
            return
        pids = ", ".join(str(self.workers[n].pid) for n in sorted(self.workers))
        LOG.info("%d workers ready (pids %s)", self.count, pids)

    def _supervise(self) -> int:
        """Wait for the workers; restart one that dies while serving. After a stop
        signal, wait for all to drain (bounded by the drain cap)."""
        while self.stopping is None:
            sentinels = {p.sentinel: n for n, p in self.workers.items()}
            for sentinel in wait(list(sentinels), timeout=1.0):
                number = sentinels[sentinel]
                if self.stopping is None:
                    self._restart(number)
            self._report_events()
        deadline = time.monotonic() + self.server.drain_seconds + 5.0
        codes = []
        for process in self.workers.values():
            process.join(max(deadline - time.monotonic(), 0.1))
            codes.append(process.exitcode)
        # A serving worker handles the stop signal (drains, exits 0); only one still
        # starting (a replacement, before its handlers) can die of it, with nothing in
        # flight: that is a clean stop too.
        clean = (0, -self.stopping)
        return 0 if all(code in clean for code in codes) else 1

    def _report_events(self) -> None:
        """What restarted workers said: ready, or why they could not start."""
        while True:
            try:
                kind, number, message = self.events.get_nowait()
            except queue.Empty:
                return
            if kind == "failed":
                LOG.error("worker %d could not start: %s", number, message)
            else:
                LOG.info("worker %d ready again (pid %d)", number, self.workers[number].pid)

    def _restart(self, number: int) -> None:
        self.workers[number].join(5)  # its pipe closes a moment before it can be reaped
        code = self.workers[number].exitcode
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < 60] + [now]
        _mark_dead(self.workers[number].pid)
        if len(self.restarts) > RESTARTS_PER_MINUTE:
            LOG.error("workers keep dying (last: worker %d, exit %s): stopping", number, code)
            self._on_signal(signal.SIGTERM, None)
            return
        LOG.warning("worker %d exited (code %s) while serving: starting it again", number, code)
        self._start(number)

    def _stop_all(self) -> None:
        for process in self.workers.values():
            if process.is_alive():
                process.kill()
            process.join(5)


def _log_like_uvicorn() -> None:
    """The parent's lines look like the workers' (uvicorn configures logging only in
    the processes that serve)."""
    if not LOG.handlers:
        from uvicorn.logging import DefaultFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
        LOG.propagate = False


def _mark_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (requests in flight) from /metrics."""
    if os.environ.get(METRICS_DIR_VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
