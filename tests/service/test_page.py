"""The service's web page (``GET /``) in a real headless Chromium, against the real service
on 127.0.0.1: a review typed and scored, its words coloured, hostile text shown as text,
the service's errors shown, the examples, the API key, and the page's security headers."""

from __future__ import annotations

import re

import pytest
from test_app import running

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.service.app import Limits, create_app
from movie_sentiment.service.page import page_response

expect = pytest.importorskip("playwright.sync_api").expect

LIMITS = Limits(max_body_bytes=20_000, max_reviews=5, max_review_chars=2_000)


def with_page(app):
    """``app`` serving the page at ``/`` (added here unless ``create_app`` does already)."""
    if "/" not in {getattr(route, "path", None) for route in app.routes}:
        app.get("/", include_in_schema=False)(page_response)
    return app


@pytest.fixture(scope="module")
def models(nbsvm_run, tutorial_run):
    return {
        "nbsvm": SentimentModel.load(nbsvm_run.bundle_dir),
        "tutorial": SentimentModel.load(tutorial_run.bundle_dir),
    }


@pytest.fixture(scope="module")
def service(models):
    with running(with_page(create_app(models, LIMITS))) as client:
        yield client


class Visit:
    """A fresh browser tab (its own session storage) that records what the page does."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1000, "height": 800})
        self.page = self.context.new_page()
        self.errors, self.console, self.requests, self.dialogs = [], [], [], []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.console.append(message.text),
        )
        self.page.on("request", lambda request: self.requests.append(request))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog), dialog.dismiss()))

    def open(self, base_url) -> None:
        self.page.goto(f"{base_url}/")
        expect(self.page.locator("#model")).to_be_enabled()  # the models are listed

    def score(self) -> None:
        """Click "Score review" and wait for the reply to be shown."""
        self.page.click("#score")
        expect(self.page.locator("#score")).to_be_enabled()


@pytest.fixture
def visit(browser):
    tab = Visit(browser)
    yield tab
    tab.context.close()


def test_a_typed_review_is_scored_with_label_stars_and_coloured_words(visit, service):
    base = str(service.base_url).rstrip("/")
    page = visit.page
    visit.open(base)
    options = page.locator("#model option")
    assert [options.nth(i).get_attribute("value") for i in range(2)] == ["nbsvm", "tutorial"]
    assert options.nth(0).text_content().endswith(", trained on IMDB)")  # what it learned from
    assert page.input_value("#model") == "nbsvm"  # the first is the default
    page.select_option("#model", "tutorial")
    # An emoji (two UTF-16 units, one code point) before the words: offsets must still fit.
    review = "\U0001f37f A wonderful film!\nI loved it, superb and moving: the best fun."
    page.fill("#review", review)
    visit.score()

    expected = service.post(
        "/v1/score", json={"reviews": [review], "explain": True, "model": "tutorial"}
    ).json()["scores"][0]
    assert expected["label"] == "positive"
    assert page.text_content("#label") == "positive"
    assert page.text_content("#probability") == f"{expected['probability'] * 100:.1f}% positive"
    width = page.eval_on_selector("#bar", "bar => bar.style.width")  # "100%" for 100.00%
    assert float(width.rstrip("%")) == pytest.approx(expected["probability"] * 100, abs=0.005)
    assert page.text_content("#stars").endswith(f"{expected['stars']} / 10")
    assert page.get_attribute("#stars", "aria-label") == f"{expected['stars']} out of 10 stars"
    # Under 50 tokens: labeled by the short-text band, which the note names.
    assert expected["short_text"]
    models = service.get("/v1/models").json()["models"]
    low, high = next(m for m in models if m["name"] == "tutorial")["short_text_band"]
    assert f"short validation texts ({low:.0%}\u2013{high:.0%})" in page.text_content("#note")

    words = page.locator("#words")
    assert words.text_content() == review  # every character, line break and emoji kept
    tokens = page.locator("#words span.token")
    shown = [
        (t.text_content(), t.get_attribute("title"), float(t.get_attribute("data-contribution")))
        for t in tokens.all()
    ]
    served = expected["explanation"]["tokens"]
    assert [(t["text"], f"{t['contribution']:+.3f}") for t in served] == [s[:2] for s in shown]
    assert [s[2] for s in shown] == pytest.approx([t["contribution"] for t in served])

    wonderful = page.locator("#words span.token", has_text="wonderful")
    assert float(wonderful.get_attribute("data-contribution")) > 0
    assert "pos" in wonderful.get_attribute("class").split()
    colour = wonderful.evaluate("span => getComputedStyle(span).backgroundColor")
    red, green, blue, alpha = map(float, re.findall(r"[\d.]+", colour)[:4])
    assert green > red and alpha > 0.1  # green, and visibly so
    wonderful.hover()
    assert re.fullmatch(r"\+\d\.\d{3}", wonderful.get_attribute("title"))
    assert "wonderful" in page.locator("#for").text_content()  # a top word for
    assert page.is_visible("#result") and page.is_hidden("#error")
    assert page.text_content("#status").startswith("positive: ")  # for screen readers

    assert {request.url.split("/")[2] for request in visit.requests} == {base.split("/")[2]}
    assert visit.errors == [] and visit.console == []  # no CSP refusals either


def test_markup_in_a_review_or_a_reply_is_shown_never_run(visit, service):
    page = visit.page
    visit.open(str(service.base_url).rstrip("/"))
    review = (
        'wonderful <img src=x onerror="window.hacked=1"> <script>window.hacked=1</script> '
        "<img src=x onerror=alert(1)> <b>bold</b> film"
    )
    page.fill("#review", review)
    visit.score()
    assert page.text_content("#label") in {"positive", "negative", "uncertain"}
    words = page.locator("#words")
    assert "<img" in words.text_content() and words.text_content() == review
    assert words.locator("img, script, b").count() == 0
    # A server string holding markup: the error names the (unknown) model it was given.
    evil = "<img src=x onerror=window.hacked=2>"
    page.evaluate(
        """evil => {
            const option = document.createElement("option");
            option.value = evil;
            option.textContent = "evil";
            document.getElementById("model").append(option);
            document.getElementById("model").value = evil;
        }""",
        evil,
    )
    visit.score()
    assert f"unknown model '{evil}'" in page.text_content("#error")
    assert page.locator("#error img").count() == 0
    page.wait_for_timeout(300)  # time for anything that might run to run
    assert page.evaluate("window.hacked === undefined")
    assert visit.dialogs == [] and visit.errors == []


def test_the_services_errors_are_shown_readably(visit, service):
    page = visit.page
    visit.open(str(service.base_url).rstrip("/"))

    def refused(review: str) -> str:
        """What the service itself says about ``review``."""
        reply = service.post("/v1/score", json={"reviews": [review], "explain": True})
        assert reply.status_code >= 400
        return reply.json()["error"]

    too_long = "wonderful film " * 150  # 2,250 characters: over the 2,000 limit
    page.fill("#review", too_long)
    page.press("#review", "Control+Enter")  # the keyboard way to score
    expect(page.locator("#error")).to_be_visible()
    assert "2,250 characters; at most 2,000" in refused(too_long)
    assert refused(too_long) in page.text_content("#error")
    assert page.is_hidden("#result")

    too_large = "a" * 25_000  # over the 20,000-byte body limit: a 413
    page.fill("#review", too_large)
    visit.score()
    assert "larger than 20,000 bytes" in refused(too_large)
    assert refused(too_large) in page.text_content("#error")

    page.fill("#review", "   ")  # scored, but its row carries an error
    visit.score()
    assert "review is empty or whitespace only" in page.text_content("#error")

    page.fill("#review", "wonderful film")  # a good review clears the error
    visit.score()
    assert page.is_hidden("#error") and page.text_content("#label") == "positive"

    page.route("**/v1/score", lambda route: route.abort())  # the service gone
    visit.score()
    assert "cannot be reached" in page.text_content("#error")
    assert visit.errors == []


def test_an_example_fills_the_review_and_scores_it(visit, service):
    page = visit.page
    visit.open(str(service.base_url).rstrip("/"))
    examples = page.locator("#examples button")
    assert examples.count() >= 3
    assert {"Positive", "Negative", "Mixed"} <= set(examples.all_text_contents())
    for name, label in (("Positive", "positive"), ("Negative", "negative")):
        examples.filter(has_text=name).click()
        expect(page.locator("#score")).to_be_enabled()
        text = page.input_value("#review")
        assert len(text) > 50
        assert page.text_content("#words") == text
        assert page.text_content("#label") == label
    for button in examples.all():  # every example, emoji and line breaks included
        button.click()
        expect(page.locator("#score")).to_be_enabled()
        assert page.text_content("#words") == page.input_value("#review")
        assert page.locator("#words span.token").count() > 5
    assert visit.errors == []


def test_a_service_with_an_api_key_asks_for_it(visit, models):
    app = with_page(create_app({"nbsvm": models["nbsvm"]}, LIMITS, api_key="s3cret"))
    with running(app) as client:
        base = str(client.base_url).rstrip("/")
        page = visit.page
        # The page itself may be guarded too: fetch it with the key, the API calls without.
        page.route(
            f"{base}/",
            lambda route: route.fulfill(
                response=route.fetch(headers={**route.request.headers, "x-api-key": "s3cret"})
            ),
        )
        page.goto(f"{base}/")
        expect(page.locator("#key-form")).to_be_visible()
        assert "needs an API key" in page.text_content("#error")

        page.fill("#api-key", "a guess")
        page.press("#api-key", "Enter")
        expect(page.locator("#key-form")).to_be_visible()  # refused again
        page.fill("#api-key", "s3cret")
        page.press("#api-key", "Enter")
        expect(page.locator("#model")).to_be_enabled()
        assert page.input_value("#api-key") == ""  # not kept in the page
        assert page.evaluate("Object.values(sessionStorage)") == ["s3cret"]

        page.fill("#review", "wonderful superb film")
        visit.score()
        assert page.text_content("#label") == "positive" and page.is_hidden("#error")
        scored = [r for r in visit.requests if r.url.endswith("/v1/score")]
        assert scored and scored[-1].headers.get("x-api-key") == "s3cret"
        assert visit.errors == []


def test_the_page_is_served_under_a_strict_content_security_policy(visit, service):
    reply = service.get("/")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    policy = dict(
        part.strip().split(" ", 1) for part in reply.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'" and policy["connect-src"] == "'self'"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", policy["script-src"])
    assert policy["frame-ancestors"] == policy["base-uri"] == policy["form-action"] == "'none'"
    assert policy["require-trusted-types-for"] == "'script'" and policy["trusted-types"] == "'none'"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert reply.text.count("<script") == 1 and "src=" not in reply.text.split("<script")[1][:20]

    # Markup injected into the page itself (had a bug put a review there as HTML) runs
    # nothing: its script and inline handler are refused, the page's own script runs.
    base = str(service.base_url).rstrip("/")
    injected = '<img src=x onerror="window.hacked = 1"><script>window.hacked = 2</script>'
    tampered = reply.text.replace("<main", injected + "<main", 1)
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
    page = visit.page
    page.route(f"{base}/", lambda route: route.fulfill(headers=headers, body=tampered))
    visit.open(base)
    page.wait_for_timeout(300)
    assert page.evaluate("window.hacked === undefined")
    refusals = " ".join(visit.console)
    assert "inline event handler" in refusals and "inline script" in refusals
    # And script cannot put HTML strings or handlers into the DOM (Trusted Types).
    with pytest.raises(Exception, match="TrustedHTML"):
        page.evaluate("document.body.innerHTML = '<b>x</b>'")
    with pytest.raises(Exception, match="TrustedScript"):
        page.evaluate("document.body.setAttribute('onclick', 'window.hacked = 3')")
    assert visit.errors == []
