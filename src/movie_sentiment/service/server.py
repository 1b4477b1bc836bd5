"""Running the service on uvicorn, and stopping it well.

On SIGTERM, SIGHUP or Ctrl-C the service turns unready (503) and refuses new requests with
a 503 while the ones in flight finish; once none is left it stops and the process exits 0.
``drain_seconds`` is a hard cap: requests still running then are cancelled and the
process ends that long after the signal (exit code 1 if it had to be forced). A second
signal stops it at once. Uvicorn alone would stop listening at the first signal (a probe
then sees a refused connection, not "unready"), wait for connections without a limit,
and re-raise the signal afterwards, so the process would die of it instead of exiting 0.

Slow and stalled clients: uvicorn times out only idle keep-alive connections, so a client
that sends its headers a line at a time, or never, holds its connection for good, and
its ``--limit-concurrency`` counts connections only once their headers are complete.
``GuardedHttp`` adds what it lacks: a deadline for each request's headers, a cap on their
size, and a cap on open connections. At the cap, the connection that has waited longest
for its headers is answered 503 and closed to make room (slow clients go first, while a
well-behaved client's headers arrive in a millisecond); when no connection is waiting for
headers, the new one gets the 503. The body's deadline is ``middleware.BodyDeadline``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from movie_sentiment.errors import InvalidInputError
from movie_sentiment.service.middleware import Drain

# Under uvicorn's general logger, so its handlers print ours too ("INFO:     ...").
LOG = logging.getLogger("uvicorn.error.movie_sentiment")
HEADER_SECONDS = 10.0
MAX_CONNECTIONS = 1000
MAX_HEADER_BYTES = 64 * 1024
TOO_MANY = "the service has too many connections open; try again soon"
SPARE_FILES = 64  # open files beside the connections: models, logs, the listening socket


def _plain_response(status: str, message: str) -> bytes:
    body = json.dumps({"error": message}, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedHttp(HttpToolsProtocol):
    """Uvicorn's httptools protocol with a deadline for each request's headers (from the
    connection's start, or from a kept-alive request's first byte), a cap on their size
    and a cap on open connections. Subclassed per server by ``guarded_http``, whose
    ``awaiting_headers`` holds that server's connections waiting for headers, oldest first."""

    header_seconds = HEADER_SECONDS
    max_connections = MAX_CONNECTIONS
    max_header_bytes = MAX_HEADER_BYTES
    awaiting_headers: dict = {}

    def connection_made(self, transport) -> None:
        self._header_timer = None
        self._header_bytes = 0
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            if not self.awaiting_headers:  # every connection is busy with a request
                self._refuse("503 Service Unavailable", TOO_MANY)
                return
            oldest = next(iter(self.awaiting_headers))
            oldest._refuse("503 Service Unavailable", TOO_MANY)
        self._expect_headers()

    def _expect_headers(self) -> None:
        self._stop_header_timer()
        self._header_bytes = 0
        self._header_timer = self.loop.call_later(self.header_seconds, self._headers_late)
        self.awaiting_headers[self] = None

    def _stop_header_timer(self) -> None:
        self.awaiting_headers.pop(self, None)
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _refuse(self, status: str, message: str) -> None:
        """Answer (unless a response is under way) and close the connection."""
        self._stop_header_timer()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_plain_response(status, message))
        self.transport.close()

    def _headers_late(self) -> None:
        self._header_timer = None
        message = f"the request headers did not arrive within {self.header_seconds:g} s"
        self._refuse("408 Request Timeout", message)

    def data_received(self, data: bytes) -> None:
        waiting_for_headers = self._header_timer is not None
        super().data_received(data)
        if waiting_for_headers and self._header_timer is not None:
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                message = f"the request headers are larger than {self.max_header_bytes:,} bytes"
                self._refuse("431 Request Header Fields Too Large", message)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # a kept-alive connection's next request
            self._expect_headers()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)


def guarded_http(header_seconds: float, max_connections: int) -> type[GuardedHttp]:
    """``GuardedHttp`` with these limits, for ``uvicorn.Config(http=...)``."""
    limits = {
        "header_seconds": header_seconds,
        "max_connections": max_connections,
        "awaiting_headers": {},  # this server's own
    }
    return type("GuardedHttp", (GuardedHttp,), limits)


def allow_open_files(max_connections: int) -> None:
    """Raise this process's open-file limit to hold ``max_connections``, as far as the hard
    limit allows; an ``InvalidInputError`` if it cannot."""
    needed = max_connections + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise InvalidInputError(
                f"--max-connections {max_connections} needs {needed} open files; this "
                f"process may open at most {hard} (ulimit -Hn): give a smaller number"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class DrainingServer(uvicorn.Server):
    def __init__(
        self,
        config: uvicorn.Config,
        drain: Drain,
        drain_seconds: float = 30.0,
        on_ready: Callable[[], None] | None = None,
    ):
        super().__init__(config)
        self.drain = drain
        self.drain_seconds = drain_seconds
        self.on_ready = on_ready  # called once the app has started and the socket listens
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()

    async def serve(self, sockets=None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    @contextlib.contextmanager
    def capture_signals(self):
        """Uvicorn's (SIGINT, SIGTERM), and SIGHUP too: a closed terminal or a supervisor's
        hang-up drains like SIGTERM."""
        if threading.current_thread() is not threading.main_thread():
            with super().capture_signals():
                yield
            return
        previous = signal.signal(signal.SIGHUP, self.handle_exit)
        try:
            with super().capture_signals():
                yield
        finally:
            signal.signal(signal.SIGHUP, previous)

    def handle_exit(self, sig, frame) -> None:
        if self._draining or self._loop is None:  # a second signal: stop now
            self.should_exit = True
            self.force_exit = self._draining
            return
        self._draining = True
        deadline = time.monotonic() + self.drain_seconds
        # However the shutdown goes (a scoring call cannot be interrupted), the process
        # ends by the deadline.
        watchdog = threading.Timer(self.drain_seconds + 1.0, self._force_out)
        watchdog.daemon = True
        watchdog.start()
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._drain(deadline)))

    def _force_out(self) -> None:
        LOG.error("still running %.0f s after the signal: stopping now", self.drain_seconds)
        logging.shutdown()
        os._exit(1)

    async def _drain(self, deadline: float) -> None:
        drain = self.drain
        drain.begin()
        LOG.info("draining: unready, finishing %d request(s) in flight", drain.in_flight)
        try:
            await asyncio.wait_for(drain.drained(), max(deadline - time.monotonic(), 0))
        except TimeoutError:
            LOG.warning("stopping with requests still in flight after %.0f s", self.drain_seconds)
        # Uvicorn's own wait for connections to close, within what is left.
        self.config.timeout_graceful_shutdown = max(deadline - time.monotonic(), 0.1)
        self.should_exit = True


def run_server(app, sock: socket.socket, server, on_ready: Callable[[], None] | None = None) -> int:
    """Serve ``app`` (from ``create_app``) on the listening ``sock`` until SIGTERM, SIGHUP
    or Ctrl-C, then drain; 0 once drained (a forced stop exits 1 from the watchdog).
    ``server`` (``launch.ServerSpec``): a request's headers must arrive within
    ``header_seconds``; at most ``max_connections`` connections are open at once;
    ``drain_seconds`` caps the drain."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        http=guarded_http(server.header_seconds, server.max_connections),
        backlog=max(2048, server.max_connections),
    )
    draining = DrainingServer(config, app.state.drain, server.drain_seconds, on_ready)
    draining.run(sockets=[sock])
    return 0
