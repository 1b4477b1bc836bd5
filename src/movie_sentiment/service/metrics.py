"""What the service counts, in Prometheus' format (``GET /metrics``).

Each app has its own registry, so two services in one process (tests) never mix counts.
Under ``serve --workers N`` each worker counts into files of Prometheus' multiprocess
mode (``$PROMETHEUS_MULTIPROC_DIR``, set by ``launch``) and ``/metrics`` adds up every
worker's: requests in flight summed over the live workers, load and warm-up seconds the
slowest worker's.
Requests are labelled by their route's template (``/v2/models/{name}/infer``), not the
raw path, so a client cannot grow the label set without bound.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.routing import Match

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "movie_sentiment_requests",
            "HTTP requests answered, by route, method and status code.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "movie_sentiment_request_seconds",
            "Seconds from a request's arrival to its answer, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "movie_sentiment_requests_in_flight",
            "Requests being answered now.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.batch_reviews = Histogram(
            "movie_sentiment_batch_reviews",
            "Reviews per model call (the micro-batch size).",
            ["model"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.batch_requests = Histogram(
            "movie_sentiment_batch_requests",
            "Requests gathered into one model call.",
            ["model"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.reviews = Counter(
            "movie_sentiment_reviews_scored", "Reviews scored, by model.", ["model"], registry=r
        )
        self.load_seconds = Gauge(
            "movie_sentiment_model_load_seconds",
            "Seconds it took to load the model's bundle.",
            ["model"],
            registry=r,
            multiprocess_mode="max",
        )
        self.warm_up_seconds = Gauge(
            "movie_sentiment_model_warm_up_seconds",
            "Seconds it took to compile every shape the model is called with.",
            ["model"],
            registry=r,
            multiprocess_mode="max",
        )

    content_type = CONTENT_TYPE_LATEST

    def exposition(self) -> bytes:
        """The figures in Prometheus' text format: every worker's when there are several."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

    def batch(self, model: str, reviews: int, requests: int) -> None:
        self.batch_reviews.labels(model).observe(reviews)
        self.batch_requests.labels(model).observe(requests)
        self.reviews.labels(model).inc(reviews)


class Observe:
    """ASGI middleware: every HTTP request counted and timed by route and status. A request
    answered before routing (401, 413, 503 while draining) is labelled by the route its
    path matches (``routes``: the app's), one matching none ``unmatched``."""

    def __init__(self, app, metrics: Metrics, routes: list):
        self.app = app
        self.metrics = metrics
        self.routes = routes

    def _template(self, scope) -> str:
        route = scope.get("route")
        if route is None:
            route = next((r for r in self.routes if r.matches(scope)[0] == Match.FULL), None)
        return getattr(route, "path", None) or "unmatched"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def noted(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, noted)
        finally:
            self.metrics.in_flight.dec()
            template = self._template(scope)
            self.metrics.requests.labels(template, scope["method"], str(status)).inc()
            self.metrics.latency.labels(template).observe(time.perf_counter() - started)
