"""The service's ASGI middleware: an optional API key, a body limit FastAPI lacks, and the
drain on shutdown. Each answers with the service's one error shape, ``{"error": "..."}``."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import HTTPException
from fastapi.responses import JSONResponse

# Probes carry no credentials and must answer while draining; the page holds no secret.
HEALTH = ("/v2/health/live", "/v2/health/ready")


def error_response(message: str, status: int, headers: dict | None = None) -> JSONResponse:
    """Every error the service gives: ``{"error": message}`` with its status code."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class ApiKey:
    """401 without the key, except on the health checks and the page (which asks for the
    key itself). Compared in constant time."""

    OPEN = (*HEALTH, "/")

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
