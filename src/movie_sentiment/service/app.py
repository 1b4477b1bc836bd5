"""The HTTP service: FastAPI over ``SentimentModel.score`` and nothing else.

- Ours, versioned: ``POST /v1/score``, ``GET /v1/models``; the web page at ``/``.
- The Open Inference Protocol (V2): ``GET /v2/health/live``, ``/v2/health/ready``, ``/v2``,
  ``/v2/models/{name}``, ``/v2/models/{name}/ready``, ``POST /v2/models/{name}/infer``.
- ``GET /metrics`` in Prometheus' format.

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
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from movie_sentiment import __version__
from movie_sentiment.service import v2
from movie_sentiment.service.batching import Batcher
from movie_sentiment.service.metrics import Metrics, Observe
from movie_sentiment.service.middleware import (
    ApiKey,
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
    ScoreResponse,
    ServerMetadata,
    review_too_long,
    score_request,
    too_many_reviews,
)

# Under uvicorn's general logger, so its handlers print ours too ("INFO:     ...").
LOG = logging.getLogger("uvicorn.error.movie_sentiment")
ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 404, 413, 415, 422, 500, 503)}
MAX_BATCH = 64  # reviews gathered into one model call
MAX_WAIT_MS = 2.0  # how long a request waits for others to join its batch


def _model_info(name: str, model) -> ModelInfo:
    metrics = model.card.metrics if model.card else {}
    band, short = model.uncertain_band(), model.short_text_band()
    return ModelInfo(
        name=name,
        family=model.card.family if model.card else "unknown",
        test_accuracy=metrics.get("test", {}).get("accuracy"),
        validation_accuracy=metrics.get("validation", {}).get("accuracy"),
        uncertain_band=list(band) if band else None,
        short_text_band=list(short) if short else None,
        created=model.card.created if model.card else None,
    )


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
) -> FastAPI:
    """The service over ``models`` (name -> loaded ``SentimentModel``), first the default.

    ``max_batch`` reviews at most go into one model call, after waiting at most
    ``max_wait_ms`` for requests to gather (``max_batch=1``: no batching). With
    ``api_key``, every route but the health checks and the page wants it in ``X-API-Key``
    or as ``Authorization: Bearer KEY`` (401 otherwise). ``cors_origins``: the web origins
    allowed to call the API from a browser (none unless given). ``load_seconds``: how long
    each model took to load, for ``/metrics``."""
    if not models:
        raise ValueError("the service needs at least one model")
    limits = limits or Limits()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="score")
    metrics = Metrics()
    for name, seconds in (load_seconds or {}).items():
        metrics.load_seconds.labels(name).set(seconds)
    drain = Drain()
    warmed: set[str] = set()
    state = {"waiting": "not ready: warming up the models"}
    batchers: dict[str, Batcher] = {}

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

            def score_rows(texts, explain, model=model):
                rows = model.score(texts, explain=explain, on_error="mark").rows()
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
            )
        task = asyncio.create_task(warm_up())  # live at once, ready once warmed
        yield
        task.cancel()
        for batcher in batchers.values():
            batcher.close()
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="movie-sentiment",
        version=__version__,
        description="Sentiment of movie reviews: label, probability, stars and why. "
        "Our API under /v1, the Open Inference Protocol (V2) under /v2.",
        lifespan=lifespan,
    )
    app.state.drain = drain
    # Outermost last: metrics see everything; CORS answers preflights before the key check.
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    if api_key:
        app.add_middleware(ApiKey, key=api_key)
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
        return error_response(message, error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        if request.method == "POST" and "json" not in request.headers.get("content-type", ""):
            return error_response("send the body as JSON (Content-Type: application/json)", 415)
        v2_style = request.url.path.startswith("/v2/")
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
        try:
            return await batchers[name].score(texts, explain)
        except Exception as error:  # ours, not the client's: logged, answered, serving on
            LOG.exception("scoring failed")
            return error_response(f"internal error: {' '.join(str(error).split())}", 500)

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
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

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
        return ServerMetadata(name="movie-sentiment", version=__version__, extensions=[])

    @app.get("/v2/models/{name}", response_model=ModelMetadata, responses=ERRORS)
    async def model_metadata(name: str):
        """The model's one input (review texts, BYTES) and its outputs."""
        return v2.model_metadata(name) if name in models else unknown(name)

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
        """Score reviews given as the protocol's BYTES tensor ``text``, shape ``[N]``."""
        if name not in models:
            return unknown(name)
        try:
            texts = v2.review_texts(request, limits)
            outputs = v2.requested_outputs(request)
        except v2.RequestError as error:
            return error_response(str(error), error.status)
        rows = await scored(name, texts, False)
        if isinstance(rows, Response):
            return rows
        try:
            return v2.inference_response(name, request, outputs, rows)
        except v2.RequestError as error:
            return error_response(str(error), error.status)

    return app
