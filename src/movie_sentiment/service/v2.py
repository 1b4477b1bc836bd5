"""The Open Inference Protocol (V2) over our scoring: one BYTES input of review texts,
FP32 outputs (probability, logit, stars) and the label as BYTES, so KServe, MLServer and
Triton clients score reviews without knowing our API. JSON tensor data only (not the
binary-data extension)."""

from __future__ import annotations

import math

from movie_sentiment.service.schemas import (
    InferenceRequest,
    InferenceResponse,
    Limits,
    ModelMetadata,
    ResponseOutput,
    TensorMetadata,
    review_too_long,
    too_many_reviews,
)

INPUT = TensorMetadata(name="text", datatype="BYTES", shape=[-1])
OUTPUTS = {  # name -> (datatype, the value from one of our rows)
    "probability": ("FP32", lambda row: row["probability"]),
    "logit": ("FP32", lambda row: row["logit"]),
    # 0: no stars (a review with no known words; FP32 has no null), as ratings are 1-10
    "stars": ("FP32", lambda row: 0.0 if row["stars"] is None else float(row["stars"])),
    "label": ("BYTES", lambda row: row["label"]),
}


class RequestError(Exception):
    """A client's mistake in an inference request: its message and status code."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def model_metadata(name: str) -> ModelMetadata:
    outputs = [
        TensorMetadata(name=output, datatype=datatype, shape=[-1])
        for output, (datatype, _) in OUTPUTS.items()
    ]
    return ModelMetadata(name=name, platform="keras", inputs=[INPUT], outputs=outputs)


def _flat(data: list) -> list:
    flat = []
    for item in data:
        flat.extend(_flat(item) if isinstance(item, list) else [item])
    return flat


def review_texts(request: InferenceRequest, limits: Limits) -> list[str]:
    """The reviews of ``request``'s one BYTES input, shaped ``[N]`` or ``[N, 1]`` with its
    data flat or nested; a ``RequestError`` naming the problem otherwise."""
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
    texts = _flat(tensor.data)
    if len(texts) != math.prod(shape):
        raise RequestError(f"inputs[0] has shape {shape} but {len(texts)} element(s) of data")
    if not texts:
        raise RequestError("inputs[0] holds no reviews")
    for number, text in enumerate(texts):
        if not isinstance(text, str):
            raise RequestError(f"inputs[0].data[{number}] is not text (BYTES as a JSON string)")
    if len(texts) > limits.max_reviews:
        raise RequestError(too_many_reviews(len(texts), limits.max_reviews), 422)
    for number, text in enumerate(texts):
        if len(text) > limits.max_review_chars:
            where = f"inputs[0].data[{number}]"
            raise RequestError(review_too_long(where, len(text), limits.max_review_chars), 422)
    return texts


def requested_outputs(request: InferenceRequest) -> list[str]:
    """The outputs asked for (all of them when none is named)."""
    if not request.outputs:
        return list(OUTPUTS)
    names = [output.name for output in request.outputs]
    for name in names:
        if name not in OUTPUTS:
            raise RequestError(f"unknown output {name!r}; this model has: {', '.join(OUTPUTS)}")
    return names


def inference_response(
    model_name: str, request: InferenceRequest, names: list[str], rows: list[dict]
) -> InferenceResponse:
    """Our rows as the protocol's output tensors; a review that could not be scored (empty)
    fails the request, since an FP32 tensor has no place for it."""
    for number, row in enumerate(rows):
        if row["error"] is not None:
            raise RequestError(f"inputs[0].data[{number}]: {row['error']}")
    outputs = []
    for name in names:
        datatype, value = OUTPUTS[name]
        data = [value(row) for row in rows]
        outputs.append(ResponseOutput(name=name, shape=[len(rows)], datatype=datatype, data=data))
    return InferenceResponse(model_name=model_name, id=request.id, outputs=outputs)
