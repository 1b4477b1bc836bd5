"""The HTTP service: FastAPI over ``SentimentModel.score`` and nothing else.

Our versioned API (``POST /v1/score``, ``GET /v1/models``) and the Open Inference
Protocol's health endpoints (``GET /v2/health/live``, ``/v2/health/ready``). Every error,
ours or a client's, is a JSON body ``{"error": "..."}`` (as the V2 protocol specifies),
never FastAPI's ``{"detail": [...]}``; a client's mistake is a 4xx and never stops the
service. Limits (request bytes, reviews per request, characters per review) are settable.
Scoring runs off the event loop, one call at a time (Keras models are not re-entrant).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

LOG = logging.getLogger("movie_sentiment.service")


@dataclass(frozen=True)
class Limits:
    """What one request may hold; beyond it is a 413 or a 422 naming what is too large."""

    max_body_bytes: int = 1_000_000
    max_reviews: int = 1000
    max_review_chars: int = 100_000


class ScoreRequest(BaseModel):
    reviews: list[str] = Field(description="Review texts to score.", min_length=1)
    explain: bool = Field(False, description="Add each token's contribution to the logit.")
    model: str | None = Field(None, description="Model name (GET /v1/models); default: the first.")


class TokenOut(BaseModel):
    text: str
    start: int
    end: int
    contribution: float


class ExplanationOut(BaseModel):
    method: str
    base: float
    logit: float
    gap: float
    tokens: list[TokenOut]


class ReviewScore(BaseModel):
    label: str | None = Field(description="positive, negative or uncertain; null on error")
    probability: float | None = Field(description="Calibrated probability of positive")
    logit: float | None
    stars: int | None = Field(description="Predicted rating, 1-10")
    chunks: int = Field(description="Windows the review was read in")
    no_known_words: bool
    error: str | None
    explanation: ExplanationOut | None = None


class ScoreResponse(BaseModel):
    model: str
    scores: list[ReviewScore]


class ModelInfo(BaseModel):
    name: str
    family: str
    test_accuracy: float | None
    validation_accuracy: float | None
    uncertain_band: list[float] | None
    created: str | None


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class Health(BaseModel):
    live: bool | None = None
    ready: bool | None = None


class ErrorResponse(BaseModel):
    error: str


ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 404, 413, 422, 503)}


def _model_info(name: str, model) -> ModelInfo:
    metrics = model.card.metrics if model.card else {}
    band = model.uncertain_band()
    return ModelInfo(
        name=name,
        family=model.card.family if model.card else "unknown",
        test_accuracy=metrics.get("test", {}).get("accuracy"),
        validation_accuracy=metrics.get("validation", {}).get("accuracy"),
        uncertain_band=list(band) if band else None,
        created=model.card.created if model.card else None,
    )


def error_response(message: str, status: int) -> JSONResponse:
    """Every error the service gives: ``{"error": message}`` with its status code."""
    return JSONResponse({"error": message}, status_code=status)


def _first_problem(error: RequestValidationError) -> str:
    """FastAPI's validation errors as one line naming where: ``reviews[2]: ...``."""
    problem = error.errors()[0]
    where = [str(p) for p in problem.get("loc", ()) if p != "body"]
    path = ""
    for part in where:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    message = problem.get("msg", "invalid request")
    if problem.get("type") == "json_invalid":
        return f"the body is not valid JSON: {problem.get('ctx', {}).get('error', message)}"
    if not path:  # the body as a whole: not an object (or not sent as JSON)
        return f'the body must be a JSON object like {{"reviews": ["..."]}} ({message})'
    return f"{path}: {message}"


def create_app(models: dict, limits: Limits | None = None, api_key: str | None = None) -> FastAPI:
    """The service over ``models`` (name -> loaded ``SentimentModel``), first the default.
    With ``api_key``, every route but the health checks wants it in ``X-API-Key`` or as
    ``Authorization: Bearer KEY`` (401 otherwise)."""
    if not models:
        raise ValueError("the service needs at least one model")
    limits = limits or Limits()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="score")
    state = {"ready": False, "waiting": "not ready: warming up the models"}

    async def warm_up() -> None:
        """Score and explain once with every model, off the event loop, so no request
        pays for JAX compiling; then the service is ready."""
        loop = asyncio.get_running_loop()
        try:
            for model in models.values():
                await loop.run_in_executor(
                    executor, lambda m=model: m.score(["A warm-up review."], explain=True)
                )
        except Exception as error:  # stays unready, and says why
            state["waiting"] = f"not ready: warming up failed: {error}"
            return
        state["ready"] = True

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        task = asyncio.create_task(warm_up())  # live at once, ready once warmed
        yield
        task.cancel()
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="movie-sentiment",
        version="1",
        description="Sentiment of movie reviews: label, probability, stars and why.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    if api_key:
        app.add_middleware(ApiKey, key=api_key)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = str(error.detail)
        if message == "There was an error parsing the body":  # FastAPI's, for bad bytes
            message = "the body is not valid JSON text (UTF-8)"
        return error_response(message, error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        message = _first_problem(error)
        code = 400 if message.startswith("the body is not valid JSON") else 422
        return error_response(message, code)

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> JSONResponse:
        """Our own failure (never a client's mistake): still one JSON line."""
        reason = " ".join(str(error).split()) or type(error).__name__
        return error_response(f"internal error: {reason}", 500)

    @app.get("/v2/health/live", response_model=Health)
    async def live() -> Health:
        return Health(live=True)

    @app.get("/v2/health/ready", response_model=Health, responses=ERRORS)
    async def ready():
        if not state["ready"]:
            return error_response(state["waiting"], 503)
        return Health(ready=True)

    @app.get("/v1/models", response_model=ModelsResponse)
    async def list_models() -> ModelsResponse:
        return ModelsResponse(models=[_model_info(name, m) for name, m in models.items()])

    @app.post("/v1/score", response_model=ScoreResponse, responses=ERRORS)
    async def score(request: ScoreRequest):
        name = request.model or next(iter(models))
        if name not in models:
            known = ", ".join(models)
            return error_response(f"unknown model {name!r}; this service has: {known}", 404)
        if len(request.reviews) > limits.max_reviews:
            return error_response(
                f"{len(request.reviews)} reviews in one request; at most {limits.max_reviews}", 422
            )
        for number, text in enumerate(request.reviews):
            if len(text) > limits.max_review_chars:
                return error_response(
                    f"reviews[{number}] has {len(text):,} characters; at most "
                    f"{limits.max_review_chars:,}",
                    422,
                )
        model = models[name]
        loop = asyncio.get_running_loop()
        try:
            scores = await loop.run_in_executor(
                executor,
                lambda: model.score(request.reviews, explain=request.explain, on_error="mark"),
            )
        except Exception as error:  # ours, not the client's: logged, answered, still serving
            LOG.exception("scoring failed")
            return error_response(f"internal error: {' '.join(str(error).split())}", 500)
        return ScoreResponse(model=name, scores=[ReviewScore(**row) for row in scores.rows()])

    return app


class ApiKey:
    """ASGI middleware: 401 without the key, except on the V2 health checks (probes carry
    no credentials). Compared in constant time."""

    OPEN = ("/v2/health/live", "/v2/health/ready")

    def __init__(self, app, key: str):
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in self.OPEN:
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key", b"")
        bearer = headers.get(b"authorization", b"")
        if bearer.lower().startswith(b"bearer "):
            given = given or bearer[7:].strip()
        if not hmac.compare_digest(given, self.key):
            message = "this service needs an API key (X-API-Key or Authorization: Bearer)"
            return await error_response(message, 401)(scope, receive, send)
        return await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: 413 past ``limit`` bytes of request body, by the declared length at
    once, or while the body is read (FastAPI enforces no limit by itself)."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        message = f"the request body is larger than {self.limit:,} bytes"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await error_response(message, 413)(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > self.limit:
                    raise HTTPException(status_code=413, detail=message)
            return event

        await self.app(scope, counted, send)
