"""Our own API, versioned: ``POST /v1/score`` and ``GET /v1/models``.

The request's schema carries this service's limits (``maxItems``, ``maxLength``), so the
router is made per service (``make_router(limits)``); everything else it needs comes
from ``dependencies``.
"""

import math

from fastapi import APIRouter

from movie_sentiment.bundle.scorer import ScoringModel
from movie_sentiment.service.dependencies import Service
from movie_sentiment.service.schemas import (
    ERROR_RESPONSES,
    Limits,
    ModelInfo,
    ModelsResponse,
    ScoreResponse,
    TrainingData,
    score_request,
)


def make_router(limits: Limits) -> APIRouter:
    """The /v1 routes, with ``limits`` in the score request's schema."""
    router = APIRouter(responses=ERROR_RESPONSES)
    ScoreRequest = score_request(limits)

    @router.post("/v1/score", response_model=ScoreResponse)
    async def score(request: ScoreRequest, service: Service) -> ScoreResponse:
        """Score reviews: label, calibrated probability, stars, and optionally why."""
        name = service.known_model(request.model or service.default_model)
        rows = await service.score(name, request.reviews, request.explain)
        return ScoreResponse(model=name, scores=rows)

    router.get("/v1/models", response_model=ModelsResponse)(list_models)
    return router


async def list_models(service: Service) -> ModelsResponse:
    """Every model served, first the default, with its card's summary."""
    return ModelsResponse(
        models=[model_info(name, m) for name, m in service.models.items()],
        max_reviews=service.limits.max_reviews,
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


def model_info(name: str, model: ScoringModel) -> ModelInfo:
    """A served model's summary from its card (and its uncertain zones)."""
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
        data=training_data(model.card.data) if model.card else None,
    )


def training_data(data) -> TrainingData | None:
    """The card's ``data`` part, short: a wrongly typed value is left out, not an error,
    so one odd card cannot break the listing."""
    if not isinstance(data, dict) or not data:
        return None

    def text(key):
        return data[key] if isinstance(data.get(key), str) else None

    def count(key):
        value = data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return TrainingData(
        source=text("source") or text("path") or "IMDB",  # older cards: all IMDB
        train_reviews=count("train_reviews"),
        test_reviews=count("test_reviews"),
        checksum=text("sha256") or text("checksum"),
    )
