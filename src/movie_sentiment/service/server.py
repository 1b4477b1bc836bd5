"""Running the service on uvicorn, and stopping it well.

On SIGTERM (or Ctrl-C) the service turns unready (503) and refuses new requests with a
503 while the ones in flight finish; once none is left (or ``drain_seconds`` passed) it
stops and the process exits 0. A second signal stops it at once. Uvicorn alone would stop
listening at the first signal (a probe then sees a refused connection, not "unready") and
re-raise the signal afterwards, so the process would die of it instead of exiting 0.
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from movie_sentiment.service.middleware import Drain

# Under uvicorn's general logger, so its handlers print ours too ("INFO:     ...").
LOG = logging.getLogger("uvicorn.error.movie_sentiment")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain: Drain, drain_seconds: float = 30.0):
        super().__init__(config)
        self.drain = drain
        self.drain_seconds = drain_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False

    async def serve(self, sockets=None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig, frame) -> None:
        if self._draining or self._loop is None:  # a second signal: stop now
            self.should_exit = True
            self.force_exit = self._draining
            return
        self._draining = True
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._drain()))

    async def _drain(self) -> None:
        drain = self.drain
        drain.begin()
        LOG.info("draining: unready, finishing %d request(s) in flight", drain.in_flight)
        try:
            await asyncio.wait_for(drain.drained(), self.drain_seconds)
        except TimeoutError:
            LOG.warning("stopping with requests still in flight after %.0f s", self.drain_seconds)
        self.should_exit = True


def serve(app, host: str = "127.0.0.1", port: int = 8000, drain_seconds: float = 30.0) -> None:
    """Serve ``app`` (from ``create_app``) until SIGTERM or Ctrl-C, then drain and return."""
    config = uvicorn.Config(app, host=host, port=port, log_level="info")
    DrainingServer(config, app.state.drain, drain_seconds).run()
