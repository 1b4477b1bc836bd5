"""What the running service holds, on ``app.state.service``: the models by name, their
micro-batchers on the one scoring thread, their statistics, the metrics, and whether it
is ready (every model warmed up, not draining).

Routes reach it through ``dependencies.service_state``, never through a closure, so each
router is a module of its own.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import HTTPException

from movie_sentiment.bundle.scorer import ScoringModel
from movie_sentiment.bundle.scoring import review_problems
from movie_sentiment.service.batching import Batcher
from movie_sentiment.service.metrics import Metrics
from movie_sentiment.service.schemas import Limits
from movie_sentiment.service.statistics import ModelStatistics

if TYPE_CHECKING:  # middleware imports the V2 protocol, whose routes import this module
    from movie_sentiment.service.middleware import Drain

# Under uvicorn's general logger, so its handlers print ours too ("INFO:     ...").
LOG = logging.getLogger("uvicorn.error.movie_sentiment")


@dataclass
class ServiceState:
    """The service's models and everything that counts or schedules their scoring."""

    models: dict[str, ScoringModel]  # by name, first the default
    limits: Limits
    metrics: Metrics
    drain: Drain
    max_batch: int
    max_wait_ms: float
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="score")
    )
    statistics: dict[str, ModelStatistics] = field(default_factory=dict)
    batchers: dict[str, Batcher] = field(default_factory=dict)
    warmed: set[str] = field(default_factory=set)
    waiting: str = "not ready: warming up the models"

    def __post_init__(self) -> None:
        self.statistics = {name: ModelStatistics(name) for name in self.models}

    @property
    def default_model(self) -> str:
        return next(iter(self.models))

    def known_model(self, name: str) -> str:
        """``name``, or a 404 naming the models this service has."""
        if name not in self.models:
            known = ", ".join(self.models)
            raise HTTPException(404, f"unknown model {name!r}; this service has: {known}")
        return name

    def is_ready(self, name: str | None = None) -> bool:
        """Every model (or model ``name``) warmed up, and not draining."""
        warmed = name in self.warmed if name else len(self.warmed) == len(self.models)
        return warmed and not self.drain.draining

    def not_ready(self) -> HTTPException:
        """The 503 a readiness check gets, saying why."""
        if self.drain.draining:
            return HTTPException(503, "not ready: the service is shutting down")
        return HTTPException(503, self.waiting)

    def start(self) -> None:
        """One micro-batcher per model, all on the one scoring thread."""
        for name, model in self.models.items():
            self.batchers[name] = Batcher(
                self._score_rows_of(model, self.statistics[name]),
                self.executor,
                max_batch=self.max_batch,
                max_wait=self.max_wait_ms / 1000,
                observe=lambda reviews, requests, name=name: self.metrics.batch(
                    name, reviews, requests
                ),
                waited=self.statistics[name].queued,
            )

    def _batching(self) -> str:
        if self.max_batch == 1:
            return "no batching"
        return (
            f"batches of up to {self.max_batch} reviews, a request waits up to "
            f"{self.max_wait_ms:g} ms for others"
        )

    @staticmethod
    def _score_rows_of(model: ScoringModel, counts: ModelStatistics):
        """The batcher's call: score a batch (on the scoring thread), counted."""

        def score_rows(texts: list[str], explain: bool) -> list[dict]:
            started = time.perf_counter()
            rows = model.score(texts, explain=explain, on_error="mark").rows()
            counts.executed(len(texts), time.perf_counter() - started)
            if not explain:
                for row in rows:
                    row["explanation"] = None
            return rows

        return score_rows

    def stop(self) -> None:
        for batcher in self.batchers.values():
            batcher.close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def warm_up(self) -> None:
        """Compile every shape each model is called with, off the event loop, so no
        request pays for JAX compiling; then the service is ready."""
        loop = asyncio.get_running_loop()
        for name, model in self.models.items():
            try:
                seconds = await loop.run_in_executor(self.executor, model.warm_up)
            except Exception as error:  # stays unready, and says why
                LOG.exception("warming up %s failed", name)
                self.waiting = f"not ready: warming up {name} failed: {error}"
                return
            self.metrics.warm_up_seconds.labels(name).set(seconds)
            self.warmed.add(name)
            LOG.info("%s is ready (warmed up in %.1f s; %s)", name, seconds, self._batching())
        # The models' objects (an n-gram vocabulary is ~300,000 of them) stay for good:
        # out of the cyclic collector's reach, a full collection no longer stalls a
        # request (200 ms with nbsvm's; the load benchmark's worst latencies before).
        gc.collect()
        gc.freeze()

    async def score(self, name: str, texts: list[str], explain: bool) -> list[dict]:
        """The rows of ``texts``; a 500 (ours, never the client's) when the model failed,
        or gave no number for a review the client sent rightly (NaN)."""
        started = time.perf_counter()
        try:
            rows = await self.batchers[name].score(texts, explain)
            _model_failure(name, texts, rows)
        except Exception as error:  # ours, not the client's: logged, answered, serving on
            self.statistics[name].request(len(texts), time.perf_counter() - started, ok=False)
            LOG.exception("scoring failed")
            raise HTTPException(500, f"internal error: {' '.join(str(error).split())}") from None
        self.statistics[name].request(len(texts), time.perf_counter() - started, ok=True)
        return rows


def _model_failure(model_name: str, texts: list, rows: list[dict]) -> None:
    """A ``RuntimeError`` (ours: a 500) for the first row with an error the client's text
    does not explain (the model gave NaN)."""
    _, client_problems = review_problems(texts)
    for number, row in enumerate(rows):
        if row["error"] is not None and number not in client_problems:
            failure = f"model {model_name!r} failed on review {number + 1}: {row['error']}"
            raise RuntimeError(failure)
