"""The Open Inference Protocol (V2) endpoints, called with the request shapes of the
protocol's own REST specification (kserve/kserve docs/predict-api/v2/required_api.md)."""

import json

import pytest
from test_app import running, two_models

from movie_sentiment.service.app import Limits, create_app

REVIEWS = ["wonderful superb film", "awful boring waste"]


@pytest.fixture(scope="module")
def service(nbsvm_run, tutorial_run):
    models = two_models(nbsvm_run, tutorial_run)
    with running(create_app(models, Limits(max_reviews=5, max_review_chars=2_000))) as client:
        yield client


def test_server_and_model_metadata(service):
    server = service.get("/v2").json()
    assert server["name"] == "movie-sentiment" and server["extensions"] == []
    metadata = service.get("/v2/models/tutorial").json()
    assert metadata["name"] == "tutorial" and metadata["platform"] == "keras"
    assert metadata["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
    assert [(o["name"], o["datatype"], o["shape"]) for o in metadata["outputs"]] == [
        ("probability", "FP32", [-1]), ("logit", "FP32", [-1]), ("stars", "FP32", [-1]),
        ("label", "BYTES", [-1]),
    ]  # fmt: skip
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
    assert list(outputs) == ["probability", "logit", "stars", "label"]
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
    ("unknown-output", _infer(["fine"], outputs=[{"name": "output0"}]), 400, "unknown output 'output0'; this model has: probability, logit, stars, label"),
    ("too-many", _infer(["a"] * 6), 422, "6 reviews in one request; at most 5"),
    ("too-long", _infer(["ok", "x" * 2001]), 422, "inputs[0].data[1] has 2,001 characters; at most 2,000"),
    ("no-inputs", b'{"inputs": []}', 422, "inputs: List should have at least 1 item"),
    ("negative-shape", _infer(["a"], shape=[-1]), 422, "inputs[0].shape[0]: Input should be greater than or equal to 0"),
    ("not-json", b'{"inputs": [', 400, "the body is not valid JSON"),
    ("not-object", b"[1]", 422, 'the body must be a JSON object like {"inputs": [...]}'),
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


def test_a_body_not_sent_as_json_is_415(service):
    reply = service.post("/v2/models/nbsvm/infer", content=_infer(["fine"]))
    assert reply.status_code == 415
    assert reply.json() == {"error": "send the body as JSON (Content-Type: application/json)"}
