"""The HTTP service, served by a real uvicorn server on 127.0.0.1 and called over HTTP."""

import contextlib
import json
import re
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.service.app import Limits, create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running(app, ready: bool = True):
    """``app`` served by a real uvicorn server on a free port of 127.0.0.1; a client."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.get("/v2/health/live").status_code == 200  # live at once
            while ready and client.get("/v2/health/ready").status_code != 200:
                assert time.monotonic() < deadline, "the models did not warm up"
                time.sleep(0.05)
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def two_models(nbsvm_run, tutorial_run) -> dict:
    """The toy nbsvm and tutorial models, by name, nbsvm first (the default)."""
    return {
        "nbsvm": SentimentModel.load(nbsvm_run.bundle_dir),
        "tutorial": SentimentModel.load(tutorial_run.bundle_dir),
    }


@pytest.fixture(scope="module")
def service(nbsvm_run, tutorial_run):
    models = two_models(nbsvm_run, tutorial_run)
    limits = Limits(max_body_bytes=20_000, max_reviews=5, max_review_chars=2_000)
    with running(create_app(models, limits)) as client:
        yield client


def test_scores_reviews_with_labels_stars_and_explanations(service):
    reply = service.post(
        "/v1/score", json={"reviews": ["wonderful superb film", "awful boring waste"]}
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["model"] == "nbsvm"  # the first model is the default
    first, second = body["scores"]
    assert first["probability"] > 0.5 > second["probability"]
    assert first["stars"] >= 7 and second["stars"] <= 4
    assert first["chunks"] == 1 and first["error"] is None and first["explanation"] is None
    explained = service.post(
        "/v1/score", json={"reviews": ["Wonderful film"], "explain": True, "model": "tutorial"}
    ).json()
    assert explained["model"] == "tutorial"
    tokens = explained["scores"][0]["explanation"]["tokens"]
    assert [(t["text"], t["start"], t["end"]) for t in tokens] == [
        ("Wonderful", 0, 9), ("film", 10, 14)
    ]  # fmt: skip


def test_lists_models_and_health(service):
    models = service.get("/v1/models").json()["models"]
    assert [m["name"] for m in models] == ["nbsvm", "tutorial"]
    assert models[0]["family"] == "nbsvm" and 0.5 < models[0]["test_accuracy"] <= 1
    assert models[0]["data"]["source"] == "IMDB" and models[0]["data"]["train_reviews"] == 60
    assert service.get("/v2/health/live").json() == {"live": True}
    assert service.get("/v2/health/ready").json()["ready"] is True


def test_openapi_describes_the_api(service):
    spec = service.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/v1/score", "/v1/models", "/metrics", "/v2", "/v2/health/live", "/v2/health/ready",
        "/v2/models/{name}", "/v2/models/{name}/ready", "/v2/models/{name}/infer",
        "/v2/models/stats", "/v2/models/{name}/stats",
    }  # fmt: skip
    request = spec["components"]["schemas"]["ScoreRequest"]
    assert set(request["properties"]) == {"reviews", "explain", "model"}
    reviews = request["properties"]["reviews"]  # the limits are in the schema
    assert (reviews["maxItems"], reviews["items"]["maxLength"]) == (5, 2_000)
    assert "ErrorResponse" in spec["components"]["schemas"]


BAD = [
    ("not-json", b"{reviews:", 400, "the body is not valid JSON"),
    ("bad-utf8", b'{"reviews": ["\xff"]}', 400, "the body is not valid JSON text (UTF-8)"),
    ("not-object", b"[1, 2]", 422, 'the body must be a JSON object like {"reviews": ["..."]}'),
    ("explain-text", json.dumps({"reviews": ["a"], "explain": "maybe"}).encode(), 422, "explain: Input should be a valid boolean"),
    ("no-reviews", json.dumps({"explain": True}).encode(), 422, "reviews: Field required"),
    ("empty-list", json.dumps({"reviews": []}).encode(), 422, "reviews: List should have at least 1 item"),
    ("not-text", json.dumps({"reviews": ["fine", 7]}).encode(), 422, "reviews[1]: Input should be a valid string"),
    ("too-many", json.dumps({"reviews": ["a"] * 6}).encode(), 422, "6 reviews in one request; at most 5"),
    ("too-long", json.dumps({"reviews": ["ok", "x" * 2001]}).encode(), 422, "reviews[1] has 2,001 characters; at most 2,000"),
    ("unknown-model", json.dumps({"reviews": ["a"], "model": "gpt"}).encode(), 404, "unknown model 'gpt'"),
    ("too-large", json.dumps({"reviews": ["a" * 30_000]}).encode(), 413, "larger than 20,000 bytes"),
    ("unknown-field", json.dumps({"reviews": ["a"], "target_accuracy": 0.9}).encode(), 422, "unknown field 'target_accuracy'; the fields are: reviews, explain, model"),
    ("unknown-field-typo", json.dumps({"reviews": ["a"], "explian": True}).encode(), 422, "unknown field 'explian'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_client_mistakes_are_4xx_json_errors(service, body, status, fragment):
    reply = service.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == status
    assert set(reply.json()) == {"error"} and fragment in reply.json()["error"]
    # The service is still there and still right.
    again = service.post("/v1/score", json={"reviews": ["wonderful superb film"]})
    assert again.status_code == 200


def test_body_limit_holds_without_a_declared_length(service):
    def chunks():
        yield b'{"reviews": ["'
        for _ in range(30):
            yield b"a" * 1000
        yield b'"]}'

    reply = service.post(
        "/v1/score", content=chunks(), headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413
    assert reply.json() == {"error": "the request body is larger than 20,000 bytes"}


def test_empty_reviews_are_marked_not_refused(service):
    reply = service.post("/v1/score", json={"reviews": ["fine film", "   "]})
    assert reply.status_code == 200
    marked = reply.json()["scores"][1]
    assert marked["label"] is None and marked["error"] == "review is empty or whitespace only"


def test_unknown_route_is_a_json_404(service):
    reply = service.get("/v1/nothing")
    assert reply.status_code == 404 and reply.json() == {"error": "Not Found"}


def test_a_broken_model_is_a_json_500_and_never_ready(nbsvm_run):
    """Our failure, not the client's: the service stays up, unready, saying why."""
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    model.card.stars["method"] = "stacked"  # stars that need a stars model it lacks
    with running(create_app({"broken": model}), ready=False) as client:
        deadline = time.monotonic() + 30
        while "failed" not in client.get("/v2/health/ready").json()["error"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        reply = client.post("/v1/score", json={"reviews": ["fine"]})
        assert reply.status_code == 500
        assert reply.json() == {
            "error": "internal error: this model's stars need its stars model, which it lacks"
        }
        assert client.get("/v2/health/live").status_code == 200


def test_an_api_key_guards_everything_but_health(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    with running(create_app({"nbsvm": model}, api_key="s3cret")) as client:
        refused = client.post("/v1/score", json={"reviews": ["fine"]})
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "this service needs an API key (X-API-Key or Authorization: Bearer)"
        }
        wrong = client.get("/v1/models", headers={"x-api-key": "guess"})
        assert wrong.status_code == 401
        header = client.post(
            "/v1/score", json={"reviews": ["fine"]}, headers={"x-api-key": "s3cret"}
        )
        bearer = client.get("/v1/models", headers={"authorization": "Bearer s3cret"})
        assert header.status_code == bearer.status_code == 200
        assert client.get("/v2/health/ready").status_code == 200  # probes need no key
        metrics = client.get("/metrics", headers={"x-api-key": "s3cret"}).text
        refusals = 'movie_sentiment_requests_total{method="POST",route="/v1/score",status="401"}'
        assert f"{refusals} 1.0" in metrics  # counted by route, though refused before routing


def test_no_cross_origin_access_unless_asked(service):
    reply = service.options(
        "/v1/score",
        headers={"origin": "https://elsewhere.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in reply.headers


def test_cross_origin_access_only_for_the_origins_given(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    app = create_app({"nbsvm": model}, cors_origins=("https://reviews.example",))
    with running(app, ready=False) as client:

        def preflight(origin):
            return client.options(
                "/v1/score",
                headers={"origin": origin, "access-control-request-method": "POST"},
            )

        allowed = preflight("https://reviews.example")
        assert allowed.headers["access-control-allow-origin"] == "https://reviews.example"
        assert "access-control-allow-origin" not in preflight("https://other.example").headers


BAD_CARDS = [
    ("metrics-not-an-object", ["0.9"]),
    ("split-not-an-object", {"test": "high", "validation": 0.8}),
    ("accuracy-text", {"test": {"accuracy": "0.9"}, "validation": {"accuracy": None}}),
    ("accuracy-bool", {"test": {"accuracy": True}, "validation": {"accuracy": [0.8]}}),
]


@pytest.mark.parametrize("metrics", [c[1] for c in BAD_CARDS], ids=[c[0] for c in BAD_CARDS])
def test_model_listing_never_fails_on_a_cards_metrics(nbsvm_run, metrics):
    """The loader checks cards (bundle/card.py); should one slip by, the listing still
    answers, with no number where the card has none."""
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    model.card.metrics = metrics
    with running(create_app({"nbsvm": model}), ready=False) as client:
        reply = client.get("/v1/models")
        assert reply.status_code == 200
        listed = reply.json()["models"][0]
        assert listed["test_accuracy"] is None and listed["validation_accuracy"] is None


BAD_NAMES = [
    ("slash", "a/b", "model name 'a/b' cannot be part of a URL"),
    ("space", "my model", "model name 'my model' cannot be part of a URL"),
    ("dot-first", "..", "model name '..' cannot be part of a URL"),
    ("empty", "", "model name '' cannot be part of a URL"),
    ("stats", "stats", "a model may not be named 'stats' (/v2/models/stats is the statistics route)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "fragment"), [b[1:] for b in BAD_NAMES], ids=[b[0] for b in BAD_NAMES]
)
def test_model_names_that_break_urls_are_refused(nbsvm_run, name, fragment):
    from movie_sentiment.errors import InvalidInputError

    model = SentimentModel.load(nbsvm_run.bundle_dir)
    with pytest.raises(InvalidInputError, match=re.escape(fragment)):
        create_app({name: model})


def test_the_api_key_is_declared_in_the_spec_which_is_open(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    with running(create_app({"nbsvm": model}, api_key="s3cret"), ready=False) as client:
        spec = client.get("/openapi.json")  # the description holds no secret: no key needed
        assert spec.status_code == 200
        schemes = spec.json()["components"]["securitySchemes"]
        assert schemes == {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "Bearer": {"type": "http", "scheme": "bearer"},
        }
        paths = spec.json()["paths"]
        assert paths["/v1/score"]["post"]["security"] == [{"ApiKey": []}, {"Bearer": []}]
        assert "security" not in paths["/v2/health/ready"]["get"]
        for page in ("/docs", "/redoc", "/docs-assets/swagger-ui-bundle.js"):
            assert client.get(page).status_code == 200
        assert client.get("/v2/models/nbsvm/stats").status_code == 401


def test_a_body_that_never_finishes_is_timed_out(nbsvm_run):
    """A client that stops mid-body gets a 408 after body_seconds and its connection is
    closed, instead of holding a task for good."""
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    with running(create_app({"nbsvm": model}, body_seconds=1.0), ready=False) as client:
        port = client.base_url.port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as stalled:
            stalled.sendall(
                b"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                b'content-length: 100\r\n\r\n{"reviews": ['
            )
            started = time.monotonic()
            answer = b""
            while chunk := stalled.recv(4096):  # until the server closes the connection
                answer += chunk
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert answer.endswith(b'{"error":"the request body did not arrive within 1 s"}')
        assert 0.9 < waited < 5
