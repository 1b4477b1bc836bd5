"""The service's ASGI middleware: an optional API key, a body limit and a body deadline
FastAPI lacks, the V2 binary tensor extension, and the drain on shutdown. Each answers with
the service's one error shape, ``{"error": "..."}``."""

from __future__ import annotations

import asyncio
import hmac
import re

from fastapi import HTTPException
from fastapi.responses import JSONResponse

from movie_sentiment.service import v2

# Probes carry no credentials and must answer while draining; the page holds no secret.
HEALTH = ("/v2/health/live", "/v2/health/ready")


def error_response(message: str, status: int, headers: dict | None = None) -> JSONResponse:
    """Every error the service gives: ``{"error": message}`` with its status code."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class ApiKey:
    """401 without the key, except on the health checks, the page (which asks for the key
    itself) and ``open_paths`` / paths under ``open_prefix`` (the API's description, which
    holds no secret). Compared in constant time."""

    OPEN = (*HEALTH, "/")

    def __init__(self, app, key: str, open_paths: tuple = (), open_prefix: str | None = None):
        self.app = app
        self.key = key.encode()
        self.open = (*self.OPEN, *open_paths)
        self.open_prefix = f"{open_prefix.rstrip('/')}/" if open_prefix else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in self.open:
            return await self.app(scope, receive, send)
        if self.open_prefix and scope["path"].startswith(self.open_prefix):
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
    """413 past ``limit`` bytes of request body, by the declared length at
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


class BodyDeadline:
    """408 when a request's body has not arrived in full ``seconds`` after its headers (a
    client that stalls mid-body would otherwise hold its connection and its task for good;
    uvicorn times out idle keep-alive connections only). The 408 closes the connection."""

    def __init__(self, app, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        complete = False

        async def timed():
            nonlocal complete
            if complete:  # only a disconnect is left to hear of: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):  # no task per receive, as wait_for
                    event = await receive()
            except TimeoutError:
                raise HTTPException(
                    status_code=408,
                    detail=f"the request body did not arrive within {self.seconds:g} s",
                    headers={"connection": "close"},
                ) from None
            complete = event["type"] != "http.request" or not event.get("more_body", False)
            return event

        await self.app(scope, timed, send)


INFER_PATH = re.compile(r"/v2/models/[^/]+/infer")
JSON = b"application/json"


class BinaryTensors:
    """A V2 inference request in the binary tensor data extension (tritonclient's default:
    an ``Inference-Header-Content-Length`` header, a JSON header, then raw tensors) handed on
    as the same request in JSON, so the route sees one shape; a malformed one is a 400
    naming the extension. A body without a Content-Type is JSON (tritonclient sends none);
    a compressed one (``Content-Encoding``) is a 415."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not INFER_PATH.fullmatch(scope["path"]):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip()
        if encoding.lower() not in ("identity", ""):
            message = f"Content-Encoding {encoding!r} is not supported; send the body uncompressed"
            return await error_response(message, 415)(scope, receive, send)
        header_length = headers.get(v2.BINARY_HEADER.encode())
        if header_length is None:
            if b"content-type" not in headers:  # read as JSON, as KServe and Triton do
                scope = {**scope, "headers": [*scope["headers"], (b"content-type", JSON)]}
            return await self.app(scope, receive, send)
        try:
            body = await _whole_body(receive)
            converted = v2.binary_to_json(body, header_length.decode("latin-1").strip())
        except HTTPException as error:  # the body limit or deadline, raised as it is read
            refusal = error_response(str(error.detail), error.status_code, error.headers)
            return await refusal(scope, receive, send)
        except v2.RequestError as error:
            return await error_response(str(error), error.status)(scope, receive, send)
        replaced = (b"content-type", b"content-length", v2.BINARY_HEADER.encode())
        kept = [(key, value) for key, value in scope["headers"] if key not in replaced]
        kept.append((b"content-type", JSON))
        kept.append((b"content-length", str(len(converted)).encode()))
        given = False

        async def replay():
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": converted, "more_body": False}

        await self.app({**scope, "headers": kept}, replay, send)


async def _whole_body(receive) -> bytes:
    chunks = []
    while True:
        event = await receive()
        if event["type"] != "http.request":
            raise HTTPException(status_code=400, detail="the client went away mid-body")
        chunks.append(event.get("body", b""))
        if not event.get("more_body", False):
            return b"".join(chunks)


class Drain:
    """Shutting down well: once ``begin()`` is called (on SIGTERM), readiness and every new
    request but liveness get a 503, while the requests already in flight finish;
    ``drained()`` returns when none is left. ``Draining`` is its middleware."""

    def __init__(self) -> None:
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def begin(self) -> None:
        self.draining = True

    async def drained(self) -> None:
        await self._idle.wait()

    def enter(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def leave(self) -> None:
        self.in_flight -= 1
        if not self.in_flight:
            self._idle.set()


class Draining:
    def __init__(self, app, drain: Drain):
        self.app = app
        self.drain = drain

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.drain.draining and scope["path"] not in HEALTH:
            refusal = error_response(
                "the service is shutting down", 503, headers={"connection": "close"}
            )
            return await refusal(scope, receive, send)
        self.drain.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.drain.leave()
