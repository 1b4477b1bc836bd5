"""Request and response bodies, as pydantic models: they are the OpenAPI spec at
``/openapi.json`` and ``/docs``, so the documentation cannot drift from the code.

Ours (``/v1``) and the Open Inference Protocol's (``/v2``, field for field as its REST
specification writes them: ``$inference_request``, ``$metadata_model_response``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from movie_sentiment.bundle.record import FIELDS


@dataclass(frozen=True)
class Limits:
    """What one request may hold; beyond it is a 413 or a 422 naming what is too large."""

    max_body_bytes: int = 1_000_000
    max_reviews: int = 1000
    max_review_chars: int = 100_000


def too_many_reviews(count: int, limit: int) -> str:
    return f"{count} reviews in one request; at most {limit}"


def review_too_long(where: str, length: int, limit: int) -> str:
    return f"{where} has {length:,} characters; at most {limit:,}"


# -- ours ----------------------------------------------------------------------------------
class ScoreRequestBase(BaseModel):
    # A field we do not know (``target_accuracy``) is refused, not silently ignored.
    model_config = ConfigDict(extra="forbid")

    explain: bool = Field(False, description="Add each token's contribution to the logit.")
    model: str | None = Field(None, description="Model name (GET /v1/models); default: the first.")


def score_request(limits: Limits) -> type[BaseModel]:
    """``ScoreRequest`` with this service's limits in its schema (``maxItems``,
    ``maxLength``), so clients and the spec know them."""
    review = Annotated[str, Field(max_length=limits.max_review_chars)]
    reviews = Annotated[
        list[review],
        Field(description="Review texts to score.", min_length=1, max_length=limits.max_reviews),
    ]
    return create_model("ScoreRequest", __base__=ScoreRequestBase, reviews=(reviews, ...))


class TokenOut(BaseModel):
    text: str
    start: int = Field(description="Offset of its first character in the review")
    end: int
    contribution: float = Field(description="Its share of the logit")


class ExplanationOut(BaseModel):
    method: str
    base: float = Field(description="The logit with no words")
    logit: float
    gap: float = Field(description="What the tokens leave unexplained")
    tokens: list[TokenOut]


# The score record (bundle/record.py), field for field, and the explanation when asked.
ReviewScore = create_model(
    "ReviewScore",
    __doc__="One review's score: the score record's fields, and its explanation if asked.",
    **{
        record_field.name: (
            record_field.kind | None if record_field.nullable else record_field.kind,
            Field(description=record_field.description),
        )
        for record_field in FIELDS
    },
    explanation=(ExplanationOut | None, None),
)


class ScoreResponse(BaseModel):
    model: str
    scores: list[ReviewScore]


class TrainingData(BaseModel):
    """What a model was trained on, from its card's ``data`` part (None where not recorded)."""

    source: str | None = Field(default=None, description="Where the training data came from")
    train_reviews: int | None = None
    test_reviews: int | None = None
    checksum: str | None = Field(default=None, description="SHA-256 of the training data")


class ModelInfo(BaseModel):
    name: str
    family: str
    test_accuracy: float | None
    validation_accuracy: float | None
    uncertain_band: list[float] | None
    short_text_band: list[float] | None = Field(
        default=None,
        description="The uncertain band of short texts (fewer tokens than the model's "
        "short-text limit, 50 by default)",
    )
    created: str | None
    data: TrainingData | None = Field(default=None, description="What it was trained on")


class ModelsResponse(BaseModel):
    models: list[ModelInfo]
    fields: list[str] = Field(
        default_factory=lambda: [field.name for field in FIELDS],
        description="The score record's fields, in order: the page's table columns",
    )
    max_reviews: int | None = Field(default=None, description="At most this many per request")


class ErrorResponse(BaseModel):
    error: str


# The error statuses every route may answer with, for the spec.
ERROR_RESPONSES = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 408, 413, 415, 422, 500, 503)
}


# -- the Open Inference Protocol (V2) ----------------------------------------------------
Parameters = dict[str, str | int | float | bool]


class Live(BaseModel):
    live: bool


class Ready(BaseModel):
    ready: bool


class ModelReady(BaseModel):
    name: str
    ready: bool


class ServerMetadata(BaseModel):
    name: str
    version: str
    extensions: list[str]


class TensorMetadata(BaseModel):
    name: str
    datatype: str
    shape: list[int] = Field(description="-1 for a dimension of any size")


class ModelMetadata(BaseModel):
    name: str
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class RequestInput(BaseModel):
    name: str
    shape: list[Annotated[int, Field(ge=0)]]
    datatype: str
    parameters: Parameters | None = None
    data: list[Any] = Field(description="Row-major, flat or nested")


class RequestOutput(BaseModel):
    name: str
    parameters: Parameters | None = None


class InferenceRequest(BaseModel):
    id: str | None = None
    parameters: Parameters | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


class ResponseOutput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    parameters: Parameters | None = None
    data: list[bool] | list[int] | list[float] | list[str]


class InferenceResponse(BaseModel):
    model_name: str
    id: str | None = None
    parameters: Parameters | None = None
    outputs: list[ResponseOutput]


class DurationStat(BaseModel):
    count: int
    ns: int = Field(description="Their total duration in nanoseconds")


class InferenceStats(BaseModel):
    success: DurationStat
    fail: DurationStat
    queue: DurationStat
    compute_input: DurationStat
    compute_infer: DurationStat
    compute_output: DurationStat
    cache_hit: DurationStat


class BatchStat(BaseModel):
    batch_size: int
    compute_input: DurationStat
    compute_infer: DurationStat
    compute_output: DurationStat


class ModelStat(BaseModel):
    name: str
    last_inference: int = Field(description="Milliseconds since the epoch; 0: none yet")
    inference_count: int = Field(description="Reviews scored by successful requests")
    execution_count: int = Field(description="Model calls (a micro-batch is one)")
    inference_stats: InferenceStats
    batch_stats: list[BatchStat]


class StatsResponse(BaseModel):
    model_stats: list[ModelStat]
