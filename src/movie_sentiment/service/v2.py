"""The Open Inference Protocol (V2) over our scoring: one BYTES input of review texts and
one output tensor per field of the score record (``bundle/record.py``: label and error as
BYTES, probability, logit and stars as FP32, the flags as BOOL, chunks as INT32; error is
always empty, as a review that cannot be scored is refused with a 4xx), so KServe,
MLServer and Triton clients score reviews without knowing our API.

``router`` holds the protocol's routes but the health checks and the statistics
(``operations.py``). Tensor data comes as JSON or in Triton's binary tensor data
extension (the ``Inference-Header-Content-Length`` header: a JSON header, then the raw
tensors), which is ``tritonclient.http``'s default; the reply is always JSON, which every
client reads.
"""

from __future__ import annotations

import json
import math
import struct

from fastapi import APIRouter, HTTPException

from movie_sentiment import __version__
from movie_sentiment.bundle.record import FIELDS
from movie_sentiment.bundle.scorer import ScoringModel
from movie_sentiment.bundle.scoring import review_problems
from movie_sentiment.service.dependencies import Service
from movie_sentiment.service.schemas import (
    ERROR_RESPONSES,
    InferenceRequest,
    InferenceResponse,
    Limits,
    ModelMetadata,
    ModelReady,
    ResponseOutput,
    ServerMetadata,
    TensorMetadata,
    review_too_long,
    too_many_reviews,
)

INPUT = TensorMetadata(name="text", datatype="BYTES", shape=[-1])
# One output tensor per field of the score record (bundle/record.py), under its name.
DATATYPES = {str: "BYTES", float: "FP32", int: "INT32", bool: "BOOL"}
# stars stay FP32 as first published, 0 for none (a tensor has no null; ratings are 1-10).
DATATYPE_OF = {"stars": "FP32"}
NONE_AS = {"BYTES": "", "FP32": 0.0, "INT32": 0, "BOOL": False}


def _output(record_field) -> tuple[str, object]:
    """A record field's tensor: its datatype and the value from one of our rows."""
    datatype = DATATYPE_OF.get(record_field.name, DATATYPES[record_field.kind])
    kind = {"FP32": float, "INT32": int, "BOOL": bool, "BYTES": str}[datatype]
    none = NONE_AS[datatype]

    def value(row: dict, name: str = record_field.name):
        return none if row[name] is None else kind(row[name])

    return datatype, value


OUTPUTS = {record_field.name: _output(record_field) for record_field in FIELDS}
BINARY_HEADER = "inference-header-content-length"
EXTENSIONS = ["binary_tensor_data", "statistics"]  # as Triton names them in /v2


class RequestError(Exception):
    """A client's mistake in an inference request: its message and status code."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def has_stars(model: ScoringModel) -> bool:
    """Whether ``model`` predicts stars (a bundle trained with ``--validation-size 0``
    has no stars head, so no ``stars`` output)."""
    return bool(model.card is not None and model.card.stars)


def output_names(model: ScoringModel) -> list[str]:
    return [name for name in OUTPUTS if name != "stars" or has_stars(model)]


def model_metadata(name: str, model: ScoringModel) -> ModelMetadata:
    outputs = [
        TensorMetadata(name=output, datatype=OUTPUTS[output][0], shape=[-1])
        for output in output_names(model)
    ]
    return ModelMetadata(name=name, platform="keras", inputs=[INPUT], outputs=outputs)


def _check_nesting(data: list, shape: list[int]) -> list:
    """``data`` flat (``shape``'s element count) or nested exactly as ``shape`` says (each
    of the N rows of ``[N, 1]`` a list of one); the elements, in order."""
    if not any(isinstance(item, list) for item in data):
        return data
    if len(shape) != 2 or len(data) != shape[0]:
        raise RequestError(f"inputs[0].data is nested but does not match its shape {shape}")
    flat = []
    for number, row in enumerate(data):
        if not isinstance(row, list) or len(row) != shape[1]:
            raise RequestError(
                f"inputs[0].data[{number}] must be a list of {shape[1]} element(s), as the "
                f"shape {shape} says"
            )
        flat.extend(row)
    return flat


def review_texts(request: InferenceRequest, limits: Limits) -> list[str]:
    """The reviews of ``request``'s one BYTES input, shaped ``[N]`` or ``[N, 1]`` with its
    data flat or nested as its shape; a ``RequestError`` naming the problem otherwise."""
    if len(request.inputs) != 1:
        raise RequestError(
            f"this model takes one input, {INPUT.name!r} ({INPUT.datatype}); "
            f"the request has {len(request.inputs)}"
        )
    tensor = request.inputs[0]
    if tensor.datatype != "BYTES":
        raise RequestError(
            f"inputs[0].datatype must be BYTES (review texts), not {tensor.datatype!r}"
        )
    shape = tensor.shape
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        raise RequestError(f"inputs[0].shape must be [N] or [N, 1] for N reviews, not {shape}")
    texts = _check_nesting(tensor.data, shape)
    if any(isinstance(text, list) for text in texts):
        raise RequestError(f"inputs[0].data is nested deeper than its shape {shape}")
    if len(texts) != math.prod(shape):
        raise RequestError(f"inputs[0] has shape {shape} but {len(texts)} element(s) of data")
    if not texts:
        raise RequestError("inputs[0] holds no reviews")
    for number, text in enumerate(texts):
        if not isinstance(text, str):
            raise RequestError(f"inputs[0].data[{number}] is not text (BYTES as a JSON string)")
    _, problems = review_problems(texts)  # empty: an FP32 tensor has no place for it
    if problems:
        number = min(problems)
        raise RequestError(f"inputs[0].data[{number}]: review {problems[number]}")
    if len(texts) > limits.max_reviews:
        raise RequestError(too_many_reviews(len(texts), limits.max_reviews), 422)
    for number, text in enumerate(texts):
        if len(text) > limits.max_review_chars:
            where = f"inputs[0].data[{number}]"
            raise RequestError(review_too_long(where, len(text), limits.max_review_chars), 422)
    return texts


def requested_outputs(request: InferenceRequest, model: ScoringModel) -> list[str]:
    """The outputs asked for (all of the model's when none is named)."""
    available = output_names(model)
    if not request.outputs:
        return available
    names = [output.name for output in request.outputs]
    for name in names:
        if name not in available:
            raise RequestError(f"unknown output {name!r}; this model has: {', '.join(available)}")
    return names


def inference_response(
    model_name: str, request: InferenceRequest, names: list[str], rows: list[dict]
) -> InferenceResponse:
    """Our rows as the protocol's output tensors (every row scored: ``review_texts``
    refused what cannot be, and the caller made a model's failure a 500)."""
    outputs = []
    for name in names:
        datatype, value = OUTPUTS[name]
        data = [value(row) for row in rows]
        outputs.append(ResponseOutput(name=name, shape=[len(rows)], datatype=datatype, data=data))
    return InferenceResponse(model_name=model_name, id=request.id, outputs=outputs)


# -- the routes ----------------------------------------------------------------------------
router = APIRouter(responses=ERROR_RESPONSES)


@router.get("/v2", response_model=ServerMetadata)
async def server_metadata() -> ServerMetadata:
    return ServerMetadata(name="movie-sentiment", version=__version__, extensions=EXTENSIONS)


@router.get("/v2/models/{name}", response_model=ModelMetadata)
async def model_metadata_route(name: str, service: Service) -> ModelMetadata:
    """The model's one input (review texts, BYTES) and its outputs (no ``stars`` for a
    model without a stars model)."""
    return model_metadata(name, service.models[service.known_model(name)])


@router.get("/v2/models/{name}/ready", response_model=ModelReady)
async def model_ready(name: str, service: Service) -> ModelReady:
    service.known_model(name)
    if not service.is_ready(name):
        raise service.not_ready()
    return ModelReady(name=name, ready=True)


@router.post(
    "/v2/models/{name}/infer", response_model=InferenceResponse, response_model_exclude_none=True
)
async def infer(name: str, request: InferenceRequest, service: Service) -> InferenceResponse:
    """Score reviews given as the protocol's BYTES tensor ``text``, shape ``[N]`` or
    ``[N, 1]``, in JSON or the binary tensor data extension."""
    model = service.models[service.known_model(name)]
    try:
        texts = review_texts(request, service.limits)
        outputs = requested_outputs(request, model)
    except RequestError as error:
        raise HTTPException(error.status, str(error)) from None
    rows = await service.score(name, texts, False)
    return inference_response(name, request, outputs, rows)


# -- the binary tensor data extension ----------------------------------------------------
def _binary_bytes_elements(raw: bytes, where: str) -> list[str]:
    """A BYTES tensor's binary form: each element its length (4 bytes, little-endian),
    then its bytes; here UTF-8 review texts."""
    texts, offset = [], 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise RequestError(f"{where}: binary BYTES data ends inside an element's length")
        (length,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + length > len(raw):
            raise RequestError(f"{where}: binary BYTES data ends inside element {len(texts)}")
        try:
            texts.append(raw[offset : offset + length].decode("utf-8"))
        except UnicodeDecodeError:
            raise RequestError(f"{where}.data[{len(texts)}] is not UTF-8 text") from None
        offset += length
    return texts


def _binary_size(tensor: dict, number: int, left: int) -> int | None:
    parameters = tensor.get("parameters") if isinstance(tensor, dict) else None
    size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
    if size is None:
        return None
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= left:
        raise RequestError(
            f"inputs[{number}].parameters.binary_data_size must be a whole number of bytes "
            f"within the body ({left:,} left), not {size!r}"
        )
    return size


def binary_to_json(body: bytes, header_length: str) -> bytes:
    """A request in the binary tensor data extension (``Inference-Header-Content-Length``:
    the JSON header's length; then each input with ``binary_data_size`` in order) as the
    same request in JSON; a ``RequestError`` naming the extension when it is malformed."""
    name = "Inference-Header-Content-Length"
    if not header_length.isdigit() or int(header_length) > len(body):
        raise RequestError(
            f"{name} must be the length in bytes of the JSON header within the body "
            f"({len(body):,} bytes), not {header_length!r}"
        )
    length = int(header_length)
    try:
        header = json.loads(body[:length])
    except (ValueError, UnicodeDecodeError) as error:
        problem = f"the JSON header ({name}: {length}) is not valid JSON: {error}"
        raise RequestError(problem) from None
    inputs = header.get("inputs") if isinstance(header, dict) else None
    offset = length
    for number, tensor in enumerate(inputs if isinstance(inputs, list) else []):
        size = _binary_size(tensor, number, len(body) - offset)
        if size is None:
            continue
        raw = body[offset : offset + size]
        offset += size
        del tensor["parameters"]["binary_data_size"]
        if tensor.get("datatype") == "BYTES":
            tensor["data"] = _binary_bytes_elements(raw, f"inputs[{number}]")
        else:  # not review texts: refused by its datatype once parsed
            tensor["data"] = []
    if offset != len(body):
        raise RequestError(
            f"the body has {len(body) - offset:,} byte(s) past the JSON header and the "
            f"binary_data_size of its inputs ({name} extension)"
        )
    return json.dumps(header).encode()
