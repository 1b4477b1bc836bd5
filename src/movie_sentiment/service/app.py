"""The HTTP service: FastAPI over ``SentimentModel.score`` and nothing else.

- Ours, versioned: ``POST /v1/score``, ``GET /v1/models``; the web page at ``/``.
- The Open Inference Protocol (V2): ``GET /v2/health/live``, ``/v2/health/ready``, ``/v2``,
  ``/v2/models/{name}``, ``/v2/models/{name}/ready``, ``POST /v2/models/{name}/infer``, and
  the statistics extension ``GET /v2/models/stats``, ``/v2/models/{name}/stats``.
- ``GET /metrics`` in Prometheus' format; ``/docs`` and ``/redoc`` (their scripts served
  from here, so they work offline) over ``/openapi.json``.

The app is assembled here in FastAPI's "bigger applications" shape: routers for /v1
(``v1.py``), the V2 protocol (``v2.py``) and operations (``operations.py``, ``docs.py``);
the service's state on ``app.state.service`` (``state.py``), reached through dependencies
(``dependencies.py``, which also declare the API key); the middleware; and the error
handlers (``errors.py``). Every error, ours or a client's, is a JSON body
``{"error": "..."}`` (as the V2 protocol specifies); a client's mistake is a 4xx and never
stops the service. Concurrent requests are gathered into micro-batches per model
(``batching.py``) and scored on one thread off the event loop (Keras models are not
re-entrant). The service is ready once every model has compiled every shape it will be
called with; on SIGTERM it turns unready and drains (``server.py``).
"""

import asyncio
import contextlib
import re

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from movie_sentiment import __version__
from movie_sentiment.bundle.scorer import ScoringModel
from movie_sentiment.errors import InvalidInputError
from movie_sentiment.service import docs, operations, v1, v2
from movie_sentiment.service.dependencies import require_api_key
from movie_sentiment.service.errors import add_error_handlers
from movie_sentiment.service.metrics import Metrics, Observe
from movie_sentiment.service.middleware import (
    ApiKey,
    BinaryTensors,
    BodyDeadline,
    BodyLimit,
    Drain,
    Draining,
)
from movie_sentiment.service.schemas import Limits
from movie_sentiment.service.state import ServiceState

__all__ = ["Limits", "check_model_name", "create_app"]

MAX_BATCH = 64  # reviews gathered into one model call
MAX_WAIT_MS = 2.0  # how long a request waits for others to join its batch
BODY_SECONDS = 30.0  # how long a request's body may take to arrive (408 beyond)
# A model's name is one URL path segment (/v2/models/NAME/infer); "stats" is the
# statistics extension's own segment (/v2/models/stats).
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
RESERVED_NAMES = ("stats",)


def check_model_name(name: str) -> None:
    """An ``InvalidInputError`` unless ``name`` can be a model's name in our URLs."""
    if name in RESERVED_NAMES:
        raise InvalidInputError(
            f"a model may not be named {name!r} (/v2/models/{name} is the statistics route); "
            "name it: NAME=PATH"
        )
    if not MODEL_NAME.fullmatch(name):
        raise InvalidInputError(
            f"model name {name!r} cannot be part of a URL; use letters, digits, '.', '_' and "
            "'-' (starting with a letter or digit): NAME=PATH"
        )


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    """Batchers on the scoring thread from start-up; live at once, ready once warmed."""
    service: ServiceState = app.state.service
    service.start()
    task = asyncio.create_task(service.warm_up())
    yield
    task.cancel()
    service.stop()


def create_app(
    models: dict[str, ScoringModel],
    limits: Limits | None = None,
    api_key: str | None = None,
    *,
    max_batch: int = MAX_BATCH,
    max_wait_ms: float = MAX_WAIT_MS,
    cors_origins: tuple[str, ...] = (),
    load_seconds: dict[str, float] | None = None,
    body_seconds: float = BODY_SECONDS,
) -> FastAPI:
    """The service over ``models`` (name -> a loaded model, as ``bundle.ScoringModel``
    says: a ``SentimentModel``), first the default.

    ``max_batch`` reviews at most go into one model call, after waiting at most
    ``max_wait_ms`` for requests to gather (``max_batch=1``: no batching). With
    ``api_key``, every route but the health checks, the page and the API's description
    (``/docs``, ``/redoc``, ``/openapi.json``) wants it in ``X-API-Key`` or as
    ``Authorization: Bearer KEY`` (401 otherwise); the spec declares it. ``cors_origins``:
    the web origins allowed to call the API from a browser (none unless given).
    ``load_seconds``: how long each model took to load, for ``/metrics``. ``body_seconds``:
    how long a request's body may take to arrive in full (408 beyond)."""
    if not models:
        raise ValueError("the service needs at least one model")
    for name in models:
        check_model_name(name)
    limits = limits or Limits()
    metrics = Metrics()
    for name, seconds in (load_seconds or {}).items():
        metrics.load_seconds.labels(name).set(seconds)
    app = FastAPI(
        docs_url=None,  # docs.add_docs serves both pages with their scripts, offline
        redoc_url=None,
        title="movie-sentiment",
        version=__version__,
        description="Sentiment of movie reviews: label, probability, stars and why. "
        "Our API under /v1, the Open Inference Protocol (V2) under /v2.",
        lifespan=lifespan,
    )
    app.state.drain = Drain()  # server.py drains through it
    app.state.api_key = api_key
    app.state.service = ServiceState(
        models, limits, metrics, app.state.drain, max_batch=max_batch, max_wait_ms=max_wait_ms
    )
    docs.add_docs(app)
    keyed = [Depends(require_api_key)] if api_key else []
    routers = [operations.router, v1.make_router(limits), v2.router]  # stats before {name}
    app.include_router(operations.open_router)
    for router in routers:
        app.include_router(router, dependencies=keyed)
    add_error_handlers(app)
    # Every route by its path, for the metrics of requests answered before routing (an
    # included router matches as a whole, without its route's path).
    routes = [route for route in app.router.routes if getattr(route, "path", None)]
    for router in (operations.open_router, *routers):
        routes += router.routes
    _add_middleware(app, metrics, limits, api_key, cors_origins, body_seconds, routes)
    return app


def _add_middleware(app, metrics, limits, api_key, cors_origins, body_seconds, routes) -> None:
    """Outermost last: metrics see everything; CORS answers preflights before the key
    check; the key is checked before any body is read; the binary tensors are read within
    the body's limit and deadline."""
    app.add_middleware(BinaryTensors)
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    app.add_middleware(BodyDeadline, seconds=body_seconds)
    if api_key:
        app.add_middleware(ApiKey, key=api_key, open_paths=docs.PAGES, open_prefix=docs.ASSETS)
    app.add_middleware(Draining, drain=app.state.drain)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "x-api-key", "authorization"],
        )
    app.add_middleware(Observe, metrics=metrics, routes=routes)
