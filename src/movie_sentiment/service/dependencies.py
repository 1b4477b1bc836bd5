"""What routes depend on (FastAPI ``Depends``): the service's state and, when the service
has a key, the API key.

The ``ApiKey`` middleware refuses a request without the key before its body is read (a
stranger's slow or large body costs nothing); ``require_api_key`` declares the key in the
OpenAPI spec (so ``/docs`` offers "Authorize" and clients know) and checks it again, so a
route is never open by omission.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from movie_sentiment.service.state import ServiceState

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False)
BEARER = HTTPBearer(scheme_name="Bearer", auto_error=False)
NO_KEY = "this service needs an API key (X-API-Key or Authorization: Bearer)"


async def service_state(request: Request) -> ServiceState:
    """The running service's state (``app.state.service``). A coroutine, as every
    dependency here: FastAPI runs a plain function on its thread pool, a hop to another
    thread and back for each request (~0.1 ms of CPU) for what is one attribute read."""
    return request.app.state.service


Service = Annotated[ServiceState, Depends(service_state)]


async def require_api_key(
    request: Request,
    key: Annotated[str | None, Security(API_KEY_HEADER)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> None:
    """A 401 unless the request carries the service's key (compared in constant time)."""
    given = key or (bearer.credentials if bearer else "")
    if not hmac.compare_digest(given.encode(), request.app.state.api_key.encode()):
        raise HTTPException(401, NO_KEY)
