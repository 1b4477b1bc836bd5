"""The routes that run the service rather than score: health checks (open, for
orchestrators), Prometheus ``/metrics`` and the V2 statistics extension; the page at
``/``; the API's description is ``docs.py``'s."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from movie_sentiment.service.dependencies import Service
from movie_sentiment.service.page import page_response
from movie_sentiment.service.schemas import ERROR_RESPONSES, Live, Ready, StatsResponse

# Open even with an API key: health checks and the page (which asks for the key itself).
open_router = APIRouter(responses=ERROR_RESPONSES)
router = APIRouter(responses=ERROR_RESPONSES)
open_router.get("/", include_in_schema=False)(page_response)


@open_router.get("/v2/health/live", response_model=Live)
async def live() -> Live:
    """Live as soon as the process serves."""
    return Live(live=True)


@open_router.get("/v2/health/ready", response_model=Ready)
async def server_ready(service: Service) -> Ready:
    """Ready once every model is warmed up; 503 before, and from SIGTERM on."""
    if not service.is_ready():
        raise service.not_ready()
    return Ready(ready=True)


PROMETHEUS_TEXT = {
    200: {
        "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        "description": "Prometheus' text format",
    }
}


@router.get("/metrics", response_class=Response, responses=PROMETHEUS_TEXT)
async def prometheus(service: Service) -> Response:
    """Requests by route and status, latencies, batch sizes, reviews scored, and
    each model's load and warm-up time."""
    return Response(service.metrics.exposition(), media_type=service.metrics.content_type)


# Before /v2/models/{name} (v2.py), which "stats" would match too (no model may be so named).
@router.get("/v2/models/stats", response_model=StatsResponse)
async def all_statistics(service: Service) -> StatsResponse:
    """Every model's inference statistics (the statistics extension)."""
    return StatsResponse(model_stats=[s.as_json() for s in service.statistics.values()])


@router.get("/v2/models/{name}/stats", response_model=StatsResponse)
async def model_statistics(name: str, service: Service) -> StatsResponse:
    """One model's inference statistics: requests, reviews, model calls, their times."""
    return StatsResponse(model_stats=[service.statistics[service.known_model(name)].as_json()])
