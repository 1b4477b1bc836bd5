"""Micro-batching: concurrent requests for one model gathered into one scoring call.

A request waits at most ``max_wait`` seconds (from its arrival) for others to join it, and
not at all once a full batch is waiting; a batch holds at most
``max_batch`` reviews (a request larger than that is scored alone, never split). Batches
run on the service's one scoring thread, off the event loop, and each caller gets back
its own rows. Requests that ask for explanations are scored in their own call, since
explaining costs more than scoring.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field


@dataclass
class _Waiting:
    texts: list[str]
    explain: bool
    reply: asyncio.Future = field(repr=False)
    since: float = 0.0  # when it arrived (the loop's clock)


class Batcher:
    """Gathers ``score`` calls for one model. ``score_rows(texts, explain) -> rows`` runs
    on ``executor``; ``observe(reviews, requests)`` is told each batch's size and
    ``waited(seconds)`` how long each request waited for its batch."""

    def __init__(
        self,
        score_rows: Callable[[list[str], bool], list[dict]],
        executor: Executor,
        max_batch: int = 64,
        max_wait: float = 0.002,
        observe: Callable[[int, int], None] | None = None,
        waited: Callable[[float], None] | None = None,
    ):
        if max_batch < 1 or max_wait < 0:
            raise ValueError("max_batch must be at least 1 and max_wait at least 0")
        self.score_rows = score_rows
        self.executor = executor
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.observe = observe
        self.waited = waited
        self._waiting: deque[_Waiting] = deque()
        self._arrived = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def score(self, texts: list[str], explain: bool = False) -> list[dict]:
        """Score ``texts`` in the next batch; the rows come back in order."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        loop = asyncio.get_running_loop()
        reply = loop.create_future()
        self._waiting.append(_Waiting(list(texts), explain, reply, loop.time()))
        self._arrived.set()
        return await reply

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _queued_reviews(self) -> int:
        return sum(len(w.texts) for w in self._waiting)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._waiting:
                self._arrived.clear()
                await self._arrived.wait()
            # Waiting counts from the first request's arrival: one that arrived while the
            # last batch was scored has waited already.
            deadline = self._waiting[0].since + self.max_wait
            while self._queued_reviews() < self.max_batch and loop.time() < deadline:
                self._arrived.clear()
                try:
                    async with asyncio.timeout_at(deadline):  # no task per wait, as wait_for
                        await self._arrived.wait()
                except TimeoutError:
                    break
            batch = [self._waiting.popleft()]
            size = len(batch[0].texts)
            while self._waiting and size + len(self._waiting[0].texts) <= self.max_batch:
                size += len(self._waiting[0].texts)
                batch.append(self._waiting.popleft())
            await self._score(batch)

    async def _score(self, batch: list[_Waiting]) -> None:
        loop = asyncio.get_running_loop()
        for explain in (False, True):
            group = [w for w in batch if w.explain == explain and not w.reply.done()]
            if not group:
                continue
            texts = [text for waiting in group for text in waiting.texts]
            if self.observe:
                self.observe(len(texts), len(group))
            if self.waited:
                for waiting in group:
                    self.waited(loop.time() - waiting.since)
            try:
                rows = await loop.run_in_executor(self.executor, self.score_rows, texts, explain)
            except Exception as error:  # ours: every caller in the batch is told
                for waiting in group:
                    if not waiting.reply.done():
                        waiting.reply.set_exception(error)
                continue
            start = 0
            for waiting in group:
                end = start + len(waiting.texts)
                if not waiting.reply.done():  # its caller may have gone
                    waiting.reply.set_result(rows[start:end])
                start = end
