"""The Open Inference Protocol (V2) endpoints, called with the request shapes of the
protocol's own REST specification (kserve/kserve docs/predict-api/v2/required_api.md)."""

import json
import math
import struct

import numpy as np
import pytest
from test_app import running, two_models

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.record import NAMES
from movie_sentiment.service.app import Limits, create_app

REVIEWS = ["wonderful superb film", "awful boring waste"]


@pytest.fixture(scope="module")
def service(nbsvm_run, tutorial_run):
    models = two_models(nbsvm_run, tutorial_run)
    with running(create_app(models, Limits(max_reviews=5, max_review_chars=2_000))) as client:
        yield client


def test_server_and_model_metadata(service):
    server = service.get("/v2").json()
    assert server["name"] == "movie-sentiment"
    assert server["extensions"] == ["binary_tensor_data", "statistics"]
    metadata = service.get("/v2/models/tutorial").json()
    assert metadata["name"] == "tutorial" and metadata["platform"] == "keras"
    assert metadata["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
    assert [(o["name"], o["datatype"], o["shape"]) for o in metadata["outputs"]] == [
        ("label", "BYTES", [-1]),
        ("probability", "FP32", [-1]),
        ("logit", "FP32", [-1]),
        ("stars", "FP32", [-1]),
        ("uncertain", "BOOL", [-1]),
        ("short_text", "BOOL", [-1]),
        ("no_known_words", "BOOL", [-1]),
        ("chunks", "INT32", [-1]),
        ("error", "BYTES", [-1]),
    ]  # fmt: skip  (the score record's fields, bundle/record.py)
    assert service.get("/v2/models/nbsvm/ready").json() == {"name": "nbsvm", "ready": True}
    for path in ("/v2/models/gpt", "/v2/models/gpt/ready"):
        missing = service.get(path)
        assert missing.status_code == 404
        assert missing.json() == {"error": "unknown model 'gpt'; this service has: nbsvm, tutorial"}


def test_infer_answers_the_specifications_request_shape(service):
    """As the spec's example: an id, a named input with shape, datatype and flat data, and
    one requested output; the id comes back and the output is an FP32 tensor."""
    request = {
        "id": "42",
        "inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": REVIEWS}],
        "outputs": [{"name": "probability"}],
    }
    reply = service.post("/v2/models/nbsvm/infer", json=request)
    assert reply.status_code == 200
    body = reply.json()
    ours = service.post("/v1/score", json={"reviews": REVIEWS}).json()["scores"]
    assert body == {
        "model_name": "nbsvm",
        "id": "42",
        "outputs": [{
            "name": "probability", "shape": [2], "datatype": "FP32",
            "data": [row["probability"] for row in ours],
        }],
    }  # fmt: skip


def test_infer_takes_nested_data_and_gives_every_output(service):
    """Tensor data may be nested ([N, 1]) or flat; with no outputs named, all come back;
    with no id, none is returned."""
    flat = {"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": REVIEWS}]}
    nested = {
        "inputs": [{
            "name": "text", "shape": [2, 1], "datatype": "BYTES",
            "data": [[REVIEWS[0]], [REVIEWS[1]]], "parameters": {"content_type": "str"},
        }],
        "parameters": {"note": "parameters are allowed and ignored"},
    }  # fmt: skip
    first = service.post("/v2/models/tutorial/infer", json=flat).json()
    second = service.post("/v2/models/tutorial/infer", json=nested).json()
    assert first == second and "id" not in first
    outputs = {o["name"]: o for o in first["outputs"]}
    assert list(outputs) == list(NAMES)
    assert outputs["label"]["datatype"] == "BYTES" and outputs["stars"]["datatype"] == "FP32"
    ours = service.post("/v1/score", json={"reviews": REVIEWS, "model": "tutorial"}).json()
    assert outputs["label"]["data"] == [row["label"] for row in ours["scores"]]
    assert outputs["stars"]["data"] == [float(row["stars"]) for row in ours["scores"]]
    assert all(o["shape"] == [2] for o in outputs.values())


def test_a_review_with_no_known_words_gets_no_stars(service):
    """Its score is only the model's prior: no stars (null in /v1/score, 0 in the V2
    tensor, which has no null), never a rating read from no words."""
    reviews = ["zzyzx qwerty", REVIEWS[0]]
    ours = service.post("/v1/score", json={"reviews": reviews, "model": "tutorial"}).json()
    assert [row["stars"] is None for row in ours["scores"]] == [True, False]
    assert ours["scores"][0]["no_known_words"] is True
    body = {"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": reviews}]}
    answer = service.post("/v2/models/tutorial/infer", json=body)
    assert answer.status_code == 200, answer.text
    stars = next(o for o in answer.json()["outputs"] if o["name"] == "stars")["data"]
    assert stars[0] == 0.0 and stars[1] == float(ours["scores"][1]["stars"])


def _infer(data, shape=None, datatype="BYTES", **extra):
    tensor = {"name": "text", "shape": shape or [len(data)], "datatype": datatype, "data": data}
    return json.dumps({"inputs": [tensor], **extra}).encode()


BAD = [
    ("two-inputs", json.dumps({"inputs": [json.loads(_infer(["a"]))["inputs"][0]] * 2}).encode(), 400, "this model takes one input, 'text' (BYTES); the request has 2"),
    ("fp32-input", _infer([1.0], datatype="FP32"), 400, "inputs[0].datatype must be BYTES (review texts), not 'FP32'"),
    ("square-shape", _infer(["a", "b", "c", "d"], shape=[2, 2]), 400, "inputs[0].shape must be [N] or [N, 1] for N reviews, not [2, 2]"),
    ("shape-vs-data", _infer(["a"], shape=[3]), 400, "inputs[0] has shape [3] but 1 element(s) of data"),
    ("not-text", _infer(["fine", 7]), 400, "inputs[0].data[1] is not text"),
    ("no-reviews", _infer([], shape=[0]), 400, "inputs[0] holds no reviews"),
    ("empty-review", _infer(["fine", "  "]), 400, "inputs[0].data[1]: review is empty or whitespace only"),
    ("unknown-output", _infer(["fine"], outputs=[{"name": "output0"}]), 400, "unknown output 'output0'; this model has: label, probability, logit, stars, uncertain, short_text, no_known_words, chunks, error"),
    ("too-many", _infer(["a"] * 6), 422, "6 reviews in one request; at most 5"),
    ("too-long", _infer(["ok", "x" * 2001]), 422, "inputs[0].data[1] has 2,001 characters; at most 2,000"),
    ("no-inputs", b'{"inputs": []}', 422, "inputs: List should have at least 1 item"),
    ("negative-shape", _infer(["a"], shape=[-1]), 422, "inputs[0].shape[0]: Input should be greater than or equal to 0"),
    ("not-json", b'{"inputs": [', 400, "the body is not valid JSON"),
    ("not-object", b"[1]", 422, 'the body must be a JSON object like {"inputs": [...]}'),
    ("nested-row-too-long", _infer([["a", "b"], []], shape=[2, 1]), 400, "inputs[0].data[0] must be a list of 1 element(s), as the shape [2, 1] says"),
    ("nested-row-missing", _infer([["a"], "b"], shape=[2, 1]), 400, "inputs[0].data[1] must be a list of 1 element(s)"),
    ("nested-for-flat-shape", _infer([["a"], ["b"]], shape=[2]), 400, "inputs[0].data is nested but does not match its shape [2]"),
    ("nested-rows-vs-shape", _infer([["a"], ["b"], ["c"]], shape=[2, 1]), 400, "inputs[0].data is nested but does not match its shape [2, 1]"),
    ("nested-too-deep", _infer([[["a"]]], shape=[1, 1]), 400, "inputs[0].data is nested deeper than its shape [1, 1]"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_inference_requests_are_json_errors(service, body, status, fragment):
    reply = service.post(
        "/v2/models/nbsvm/infer", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == status
    assert set(reply.json()) == {"error"} and fragment in reply.json()["error"]


def test_infer_with_an_unknown_model_is_404(service):
    reply = service.post(
        "/v2/models/gpt/infer",
        content=_infer(["fine"]),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 404 and "unknown model 'gpt'" in reply.json()["error"]


def test_a_json_body_without_a_content_type_is_read_as_json(service):
    """As KServe and Triton do: tritonclient sends no Content-Type at all."""
    reply = service.post("/v2/models/nbsvm/infer", content=_infer(REVIEWS))
    assert reply.status_code == 200
    assert [o["name"] for o in reply.json()["outputs"]] == list(NAMES)


CONTENT_TYPES = [
    ("text-plain", "text/plain", 415, "send the body as JSON (Content-Type: application/json) (not 'text/plain')"),
    ("json-only-in-a-parameter", "text/plain; x=application/json", 415, "(not 'text/plain; x=application/json')"),
    ("form", "application/x-www-form-urlencoded", 415, "send the body as JSON"),
    ("compressed", None, 415, "Content-Encoding 'gzip' is not supported; send the body uncompressed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "status", "fragment"),
    [c[1:] for c in CONTENT_TYPES],
    ids=[c[0] for c in CONTENT_TYPES],
)
@pytest.mark.parametrize("path", ["/v2/models/nbsvm/infer", "/v1/score"])
def test_bodies_not_sent_as_json_are_415(service, path, content_type, status, fragment):
    headers = {"content-type": content_type} if content_type else {"content-encoding": "gzip"}
    if content_type is None and path == "/v1/score":
        headers["content-type"] = "text/plain"  # /v1 has no binary extension to refuse
        fragment = "send the body as JSON"
    body = _infer(["fine"]) if path.startswith("/v2") else b'{"reviews": ["fine"]}'
    reply = service.post(path, content=body, headers=headers)
    assert reply.status_code == status
    assert set(reply.json()) == {"error"} and fragment in reply.json()["error"]


def binary_request(texts: list[str], header_extra: dict | None = None) -> tuple[bytes, dict]:
    """A request in Triton's binary tensor data extension, as tritonclient.http builds it:
    the JSON header, then the BYTES tensor as (length, UTF-8 bytes) elements."""
    raw = b"".join(struct.pack("<I", len(t.encode())) + t.encode() for t in texts)
    header = {
        "inputs": [{
            "name": "text", "shape": [len(texts)], "datatype": "BYTES",
            "parameters": {"binary_data_size": len(raw)},
        }],
        "outputs": [{"name": "label", "parameters": {"binary_data": True}}],
        **(header_extra or {}),
    }  # fmt: skip
    head = json.dumps(header).encode()
    return head + raw, {"inference-header-content-length": str(len(head))}


def test_binary_tensor_data_is_scored_as_its_json_twin(service):
    body, headers = binary_request(["wonderful superb film", "awful boring waste, ünïcode"])
    reply = service.post("/v2/models/nbsvm/infer", content=body, headers=headers)
    assert reply.status_code == 200, reply.text
    texts = ["wonderful superb film", "awful boring waste, ünïcode"]
    twin = service.post(
        "/v2/models/nbsvm/infer", content=_infer(texts, outputs=[{"name": "label"}])
    )
    assert reply.json() == twin.json()


def _bad_binary(kind: str) -> tuple[bytes, dict]:
    body, headers = binary_request(["fine film"])
    head = int(headers["inference-header-content-length"])
    if kind == "length-not-a-number":
        return body, {"inference-header-content-length": "ten"}
    if kind == "length-past-the-body":
        return body, {"inference-header-content-length": str(len(body) + 1)}
    if kind == "header-not-json":
        return body, {"inference-header-content-length": str(head - 1)}
    if kind == "trailing-bytes":
        return body + b"xx", headers
    if kind == "element-cut":
        header = json.loads(body[:head])
        header["inputs"][0]["parameters"]["binary_data_size"] = 6
        cut = json.dumps(header).encode()
        return cut + body[head : head + 6], {"inference-header-content-length": str(len(cut))}
    if kind == "size-too-large":
        header = json.loads(body[:head])
        header["inputs"][0]["parameters"]["binary_data_size"] = 10**9
        big = json.dumps(header).encode()
        return big + body[head:], {"inference-header-content-length": str(len(big))}
    if kind == "not-utf8":
        raw = struct.pack("<I", 2) + b"\xff\xfe"
        header = json.loads(body[:head])
        header["inputs"][0]["parameters"]["binary_data_size"] = len(raw)
        new = json.dumps(header).encode()
        return new + raw, {"inference-header-content-length": str(len(new))}
    raise AssertionError(kind)


BAD_BINARY = [
    ("length-not-a-number", 400, "Inference-Header-Content-Length must be the length in bytes of the JSON header within the body"),
    ("length-past-the-body", 400, "Inference-Header-Content-Length must be the length in bytes"),
    ("header-not-json", 400, "the JSON header (Inference-Header-Content-Length: "),
    ("trailing-bytes", 400, "the body has 2 byte(s) past the JSON header and the binary_data_size of its inputs (Inference-Header-Content-Length extension)"),
    ("element-cut", 400, "inputs[0]: binary BYTES data ends inside element 0"),
    ("size-too-large", 400, "inputs[0].parameters.binary_data_size must be a whole number of bytes within the body"),
    ("not-utf8", 400, "inputs[0].data[0] is not UTF-8 text"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "status", "fragment"), BAD_BINARY, ids=[b[0] for b in BAD_BINARY])
def test_bad_binary_tensor_requests_name_the_extension(service, kind, status, fragment):
    body, headers = _bad_binary(kind)
    reply = service.post("/v2/models/nbsvm/infer", content=body, headers=headers)
    assert reply.status_code == status
    assert set(reply.json()) == {"error"} and fragment in reply.json()["error"], reply.text


def test_statistics_count_requests_reviews_and_model_calls(service):
    """The statistics extension, as Triton's docs/protocol/extension_statistics.md says."""
    before = service.get("/v2/models/tutorial/stats").json()["model_stats"][0]
    assert service.post("/v2/models/tutorial/infer", content=_infer(REVIEWS)).status_code == 200
    service.post("/v2/models/tutorial/infer", content=_infer(["fine", " "]))  # a 400: not ours
    after = service.get("/v2/models/tutorial/stats").json()["model_stats"][0]
    assert after["name"] == "tutorial"
    assert after["inference_count"] == before["inference_count"] + 2
    assert after["execution_count"] == before["execution_count"] + 1  # one model call
    success = after["inference_stats"]["success"]
    assert success["count"] == before["inference_stats"]["success"]["count"] + 1
    assert success["ns"] > before["inference_stats"]["success"]["ns"]
    assert after["inference_stats"]["fail"] == before["inference_stats"]["fail"]
    assert after["last_inference"] > 0
    assert {b["batch_size"] for b in after["batch_stats"]} >= {2}
    every = service.get("/v2/models/stats").json()["model_stats"]
    assert [m["name"] for m in every] == ["nbsvm", "tutorial"]
    missing = service.get("/v2/models/gpt/stats")
    assert missing.status_code == 404 and "unknown model 'gpt'" in missing.json()["error"]


@pytest.fixture(scope="module")
def starless_run(small_archive, tmp_path_factory):
    """nbsvm trained with no validation set (``--validation-size 0``): no stars model."""
    from conftest import train_small

    out = tmp_path_factory.mktemp("starless") / "nbsvm"
    return train_small(small_archive, out, "nbsvm", epochs=3, validation_size=0)


def test_a_model_without_stars_has_no_stars_output(starless_run):
    model = SentimentModel.load(starless_run.bundle_dir)
    with running(create_app({"plain": model})) as client:
        outputs = [o["name"] for o in client.get("/v2/models/plain").json()["outputs"]]
        assert outputs == [name for name in NAMES if name != "stars"]
        reply = client.post("/v2/models/plain/infer", content=_infer(REVIEWS))
        assert reply.status_code == 200
        assert [o["name"] for o in reply.json()["outputs"]] == outputs
        asked = client.post(
            "/v2/models/plain/infer", content=_infer(REVIEWS, outputs=[{"name": "stars"}])
        )
        assert asked.status_code == 400
        assert asked.json() == {
            "error": "unknown output 'stars'; this model has: label, probability, logit, uncertain, short_text, no_known_words, chunks, error"
        }


def test_a_damaged_models_nan_is_our_500_not_the_clients_400(nbsvm_run):
    """Weights damaged after loading (the loader refuses NaN weights in a file): the model
    gives NaN, which is our failure, never blamed on the client."""
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    with running(create_app({"nbsvm": model})) as client:
        for weight in model.keras_model.weights:
            weight.assign(np.full(weight.shape, math.nan, dtype="float32"))
        for path, body in (
            ("/v2/models/nbsvm/infer", _infer(REVIEWS)),
            ("/v1/score", json.dumps({"reviews": REVIEWS}).encode()),
        ):
            reply = client.post(path, content=body, headers={"content-type": "application/json"})
            assert reply.status_code == 500
            assert reply.json()["error"].startswith(
                "internal error: model 'nbsvm' failed on review 1: review got no number from the model (NaN)"
            )
        stats = client.get("/v2/models/nbsvm/stats").json()["model_stats"][0]
        assert stats["inference_stats"]["fail"]["count"] == 2
        assert client.get("/v2/health/live").status_code == 200
