"""The HTTP service: FastAPI over ``SentimentModel.score`` and nothing else.

- Ours, versioned: ``POST /v1/score``, ``GET /v1/models``; the web page at ``/``.
- The Open Inference Protocol (V2): ``GET /v2/health/live``, ``/v2/health/ready``, ``/v2``,
  ``/v2/models/{name}``, ``/v2/models/{name}/ready``, ``POST /v2/models/{name}/infer``, and
  the statistics extension ``GET /v2/models/stats``, ``/v2/models/{name}/stats``.
- ``GET /metrics`` in Prometheus' format; ``/docs`` and ``/redoc`` (their scripts served
  from here, so they work offline) over ``/openapi.json``.

Every error, ours or a client's, is a JSON body ``{"error": "..."}`` (as the V2 protocol
specifies), never FastAPI's ``{"detail": [...]}``; a client's mistake is a 4xx and never
stops the service. Concurrent requests are gathered into micro-batches per model
(``batching.py``) and scored on one thread off the event loop (Keras models are not
re-entrant). The service is ready once every model has compiled every shape it will be
called with; on SIGTERM it turns unready and drains (``server.py``).
"""

import asyncio
import contextlib
import gc
import logging
import math
import re
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException

from movie_sentiment import __version__
from movie_sentiment.errors import InvalidInputError
from movie_sentiment.service import docs, v2
from movie_sentiment.service.batching import Batcher
from movie_sentiment.service.metrics import Metrics, Observe
from movie_sentiment.service.middleware import (
    HEALTH,
    ApiKey,
    BinaryTensors,
    BodyDeadline,
    BodyLimit,
    Drain,
    Draining,
    error_response,
)
from movie_sentiment.service.page import page_response
from movie_sentiment.service.schemas import (
    ErrorResponse,
    InferenceRequest,
    InferenceResponse,
    Limits,
    Live,
    ModelInfo,
    ModelMetadata,
    ModelReady,
    ModelsResponse,
    Ready,
    ScoreRequestBase,
    ScoreResponse,
    ServerMetadata,
    StatsResponse,
    review_too_long,
    score_request,
    too_many_reviews,
)
from movie_sentiment.service.statistics import ModelStatistics

# Under uvicorn's general logger, so its handlers print ours too ("INFO:     ...").
LOG = logging.getLogger("uvicorn.error.movie_sentiment")
ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 404, 408, 413, 415, 422, 500, 503)}
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


def _number(value) -> float | None:
    """A card's metric as a finite number, or None: a card with a wrongly typed metric
    must not break the listing."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _accuracy(metrics, split: str) -> float | None:
    scores = metrics.get(split) if isinstance(metrics, dict) else None
    return _number(scores.get("accuracy")) if isinstance(scores, dict) else None


def _model_info(name: str, model) -> ModelInfo:
    metrics = model.card.metrics if model.card else {}
    band, short = model.uncertain_band(), model.short_text_band()
    return ModelInfo(
        name=name,
        family=str(model.card.family) if model.card else "unknown",
        test_accuracy=_accuracy(metrics, "test"),
        validation_accuracy=_accuracy(metrics, "validation"),
        uncertain_band=list(band) if band else None,
        short_text_band=list(short) if short else None,
        created=str(model.card.created) if model.card and model.card.created else None,
    )


def _is_json(content_type: str) -> bool:
    """Whether a Content-Type is JSON by its media type (``application/json`` or
    ``application/...+json``), not by a mention of "json" in a parameter."""
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _declare_api_key(app: FastAPI) -> None:
    """The API key in the OpenAPI spec (``components.securitySchemes``, and ``security`` on
    every operation that wants it), so /docs offers "Authorize" and clients know."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = generate()
            spec.setdefault("components", {})["securitySchemes"] = {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            }
            for path, operations in spec["paths"].items():
                if path not in HEALTH:
                    for operation in operations.values():
                        operation["security"] = [{"ApiKey": []}, {"Bearer": []}]
        return app.openapi_schema

    app.openapi = openapi


def _first_problem(error: RequestValidationError, example: str) -> str:
    """FastAPI's validation errors as one line naming where: ``reviews[2]: ...``;
    ``example``: what the body should look like."""
    problem = error.errors()[0]
    where = [str(p) for p in problem.get("loc", ()) if p != "body"]
    path = ""
    for part in where:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    message = problem.get("msg", "invalid request")
    kind, context = problem.get("type"), problem.get("ctx", {})
    if kind == "json_invalid":
        return f"the body is not valid JSON: {context.get('error', message)}"
    if not path:  # the body as a whole: not an object (or not sent as JSON)
        return f"the body must be a JSON object like {example} ({message})"
    if kind == "string_too_long" and path.startswith("reviews["):
        return review_too_long(path, len(problem["input"]), context["max_length"])
    if kind == "too_long" and path == "reviews":
        return too_many_reviews(len(problem["input"]), context["max_length"])
    if kind == "extra_forbidden":
        known = ", ".join(["reviews", *ScoreRequestBase.model_fields])
        return f"unknown field {path!r}; the fields are: {known}"
    return f"{path}: {message}"


def create_app(
    models: dict,
    limits: Limits | None = None,
    api_key: str | None = None,
    *,
    max_batch: int = MAX_BATCH,
    max_wait_ms: float = MAX_WAIT_MS,
    cors_origins: tuple[str, ...] = (),
    load_seconds: dict[str, float] | None = None,
    body_seconds: float = BODY_SECONDS,
) -> FastAPI:
    """The service over ``models`` (name -> loaded ``SentimentModel``), first the default.

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
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="score")
    metrics = Metrics()
    for name, seconds in (load_seconds or {}).items():
        metrics.load_seconds.labels(name).set(seconds)
    drain = Drain()
    warmed: set[str] = set()
    state = {"waiting": "not ready: warming up the models"}
    batchers: dict[str, Batcher] = {}
    statistics = {name: ModelStatistics(name) for name in models}

    def ready() -> bool:
        return len(warmed) == len(models) and not drain.draining

    def not_ready() -> str:
        return "not ready: the service is shutting down" if drain.draining else state["waiting"]

    async def warm_up() -> None:
        """Compile every shape each model is called with, off the event loop, so no
        request pays for JAX compiling; then the service is ready."""
        loop = asyncio.get_running_loop()
        for name, model in models.items():
            try:
                seconds = await loop.run_in_executor(executor, model.warm_up)
            except Exception as error:  # stays unready, and says why
                LOG.exception("warming up %s failed", name)
                state["waiting"] = f"not ready: warming up {name} failed: {error}"
                return
            metrics.warm_up_seconds.labels(name).set(seconds)
            warmed.add(name)
            LOG.info("%s is ready (warmed up in %.1f s)", name, seconds)
        # The models' objects (an n-gram vocabulary is ~300,000 of them) stay for good:
        # out of the cyclic collector's reach, a full collection no longer stalls a
        # request (200 ms with nbsvm's; the load benchmark's worst latencies before).
        gc.collect()
        gc.freeze()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        for name, model in models.items():

            def score_rows(texts, explain, model=model, counts=statistics[name]):
                started = time.perf_counter()
                rows = model.score(texts, explain=explain, on_error="mark").rows()
                counts.executed(len(texts), time.perf_counter() - started)
                if not explain:
                    for row in rows:
                        row["explanation"] = None
                return rows

            batchers[name] = Batcher(
                score_rows,
                executor,
                max_batch=max_batch,
                max_wait=max_wait_ms / 1000,
                observe=lambda reviews, requests, name=name: metrics.batch(name, reviews, requests),
                waited=statistics[name].queued,
            )
        task = asyncio.create_task(warm_up())  # live at once, ready once warmed
        yield
        task.cancel()
        for batcher in batchers.values():
            batcher.close()
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        docs_url=None,  # docs.add_docs serves both pages with their scripts, offline
        redoc_url=None,
        title="movie-sentiment",
        version=__version__,
        description="Sentiment of movie reviews: label, probability, stars and why. "
        "Our API under /v1, the Open Inference Protocol (V2) under /v2.",
        lifespan=lifespan,
    )
    app.state.drain = drain
    docs.add_docs(app)
    # Outermost last: metrics see everything; CORS answers preflights before the key check;
    # the key is checked before any body is read; the binary tensors are read within the
    # body's limit and deadline.
    app.add_middleware(BinaryTensors)
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    app.add_middleware(BodyDeadline, seconds=body_seconds)
    if api_key:
        app.add_middleware(ApiKey, key=api_key, open_paths=docs.PAGES, open_prefix=docs.ASSETS)
        _declare_api_key(app)
    app.add_middleware(Draining, drain=drain)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "x-api-key", "authorization"],
        )
    app.add_middleware(Observe, metrics=metrics, routes=app.router.routes)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = str(error.detail)
        if message == "There was an error parsing the body":  # FastAPI's, for bad bytes
            message = "the body is not valid JSON text (UTF-8)"
        return error_response(message, error.status_code, getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        v2_style = request.url.path.startswith("/v2/")
        content_type = request.headers.get("content-type")
        if request.method == "POST" and not _is_json(content_type or ""):
            given = f" (not {content_type!r})" if content_type else ""
            message = f"send the body as JSON (Content-Type: application/json){given}"
            return error_response(message, 415)
        example = '{"inputs": [...]}' if v2_style else '{"reviews": ["..."]}'
        message = _first_problem(error, example)
        code = 400 if message.startswith("the body is not valid JSON") else 422
        return error_response(message, code)

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> JSONResponse:
        """Our own failure (never a client's mistake): logged, still one JSON line."""
        LOG.error("request failed", exc_info=error)
        reason = " ".join(str(error).split()) or type(error).__name__
        return error_response(f"internal error: {reason}", 500)

    def unknown(name: str) -> JSONResponse:
        known = ", ".join(models)
        return error_response(f"unknown model {name!r}; this service has: {known}", 404)

    async def scored(name: str, texts: list[str], explain: bool) -> list[dict] | JSONResponse:
        """The rows of ``texts``, or a 500 (ours, never the client's) when the model
        failed, or gave no number for a review the client sent rightly (NaN)."""
        started = time.perf_counter()
        try:
            rows = await batchers[name].score(texts, explain)
            v2.model_failure(name, texts, rows)
        except Exception as error:  # ours, not the client's: logged, answered, serving on
            statistics[name].request(len(texts), time.perf_counter() - started, ok=False)
            LOG.exception("scoring failed")
            return error_response(f"internal error: {' '.join(str(error).split())}", 500)
        statistics[name].request(len(texts), time.perf_counter() - started, ok=True)
        return rows

    # -- the page and ours -------------------------------------------------------------
    app.get("/", include_in_schema=False)(page_response)

    ScoreRequest = score_request(limits)

    @app.post("/v1/score", response_model=ScoreResponse, responses=ERRORS)
    async def score(request: ScoreRequest):
        """Score reviews: label, calibrated probability, stars, and optionally why."""
        name = request.model or next(iter(models))
        if name not in models:
            return unknown(name)
        rows = await scored(name, request.reviews, request.explain)
        if isinstance(rows, Response):
            return rows
        # The rows are already plain JSON types in the response's schema.
        return JSONResponse({"model": name, "scores": rows})

    @app.get("/v1/models", response_model=ModelsResponse, responses=ERRORS)
    async def list_models() -> ModelsResponse:
        """Every model served, first the default, with its card's summary."""
        return ModelsResponse(models=[_model_info(name, m) for name, m in models.items()])

    @app.get("/metrics", response_class=Response, responses={**ERRORS, 200: {
        "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        "description": "Prometheus' text format",
    }})  # fmt: skip
    async def prometheus() -> Response:
        """Requests by route and status, latencies, batch sizes, reviews scored, and
        each model's load and warm-up time."""
        return Response(metrics.exposition(), media_type=metrics.content_type)

    # -- the Open Inference Protocol (V2) ------------------------------------------------
    @app.get("/v2/health/live", response_model=Live, responses=ERRORS)
    async def live() -> Live:
        """Live as soon as the process serves."""
        return Live(live=True)

    @app.get("/v2/health/ready", response_model=Ready, responses=ERRORS)
    async def server_ready():
        """Ready once every model is warmed up; 503 before, and from SIGTERM on."""
        return Ready(ready=True) if ready() else error_response(not_ready(), 503)

    @app.get("/v2", response_model=ServerMetadata, responses=ERRORS)
    async def server_metadata() -> ServerMetadata:
        return ServerMetadata(name="movie-sentiment", version=__version__, extensions=v2.EXTENSIONS)

    # Before /v2/models/{name}, which "stats" would match too (no model may be so named).
    @app.get("/v2/models/stats", response_model=StatsResponse, responses=ERRORS)
    async def all_statistics() -> StatsResponse:
        """Every model's inference statistics (the statistics extension)."""
        return StatsResponse(model_stats=[s.as_json() for s in statistics.values()])

    @app.get("/v2/models/{name}/stats", response_model=StatsResponse, responses=ERRORS)
    async def model_statistics(name: str):
        """One model's inference statistics: requests, reviews, model calls, their times."""
        if name not in models:
            return unknown(name)
        return StatsResponse(model_stats=[statistics[name].as_json()])

    @app.get("/v2/models/{name}", response_model=ModelMetadata, responses=ERRORS)
    async def model_metadata(name: str):
        """The model's one input (review texts, BYTES) and its outputs (no ``stars`` for a
        model without a rating model)."""
        return v2.model_metadata(name, models[name]) if name in models else unknown(name)

    @app.get("/v2/models/{name}/ready", response_model=ModelReady, responses=ERRORS)
    async def model_ready(name: str):
        if name not in models:
            return unknown(name)
        if name not in warmed or drain.draining:
            return error_response(not_ready(), 503)
        return ModelReady(name=name, ready=True)

    @app.post(
        "/v2/models/{name}/infer",
        response_model=InferenceResponse,
        response_model_exclude_none=True,
        responses=ERRORS,
    )
    async def infer(name: str, request: InferenceRequest):
        """Score reviews given as the protocol's BYTES tensor ``text``, shape ``[N]`` or
        ``[N, 1]``, in JSON or the binary tensor data extension."""
        if name not in models:
            return unknown(name)
        try:
            texts = v2.review_texts(request, limits)
            outputs = v2.requested_outputs(request, models[name])
        except v2.RequestError as error:
            return error_response(str(error), error.status)
        rows = await scored(name, texts, False)
        if isinstance(rows, Response):
            return rows
        return v2.inference_response(name, request, outputs, rows)

    return app
