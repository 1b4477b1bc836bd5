"""Every error the service answers with is ``{"error": "..."}`` (as the V2 protocol
specifies), never FastAPI's ``{"detail": [...]}``: the exception handlers that make it so,
and FastAPI's validation errors as one line naming where."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from movie_sentiment.service.middleware import error_response
from movie_sentiment.service.schemas import ScoreRequestBase, review_too_long, too_many_reviews

LOG = logging.getLogger("uvicorn.error.movie_sentiment")


def add_error_handlers(app: FastAPI) -> None:
    """Our errors, a client's invalid request and our own failures as ``{"error": ...}``."""
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    app.exception_handler(Exception)(failed)


async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    message = str(error.detail)
    if message == "There was an error parsing the body":  # FastAPI's, for bad bytes
        message = "the body is not valid JSON text (UTF-8)"
    return error_response(message, error.status_code, getattr(error, "headers", None))


async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    """415 for a body not sent as JSON, 400 for bytes that are not JSON, else 422."""
    v2_style = request.url.path.startswith("/v2/")
    content_type = request.headers.get("content-type")
    if request.method == "POST" and not is_json(content_type or ""):
        given = f" (not {content_type!r})" if content_type else ""
        message = f"send the body as JSON (Content-Type: application/json){given}"
        return error_response(message, 415)
    example = '{"inputs": [...]}' if v2_style else '{"reviews": ["..."]}'
    message = first_problem(error, example)
    code = 400 if message.startswith("the body is not valid JSON") else 422
    return error_response(message, code)


async def failed(request: Request, error: Exception) -> JSONResponse:
    """Our own failure (never a client's mistake): logged, still one JSON line."""
    LOG.error("request failed", exc_info=error)
    reason = " ".join(str(error).split()) or type(error).__name__
    return error_response(f"internal error: {reason}", 500)


def is_json(content_type: str) -> bool:
    """Whether a Content-Type is JSON by its media type (``application/json`` or
    ``application/...+json``), not by a mention of "json" in a parameter."""
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def first_problem(error: RequestValidationError, example: str) -> str:
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
