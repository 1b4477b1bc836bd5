"""``/docs`` (Swagger UI) and ``/redoc`` render in a real headless Chromium with no
internet: every request the pages make is to the service itself (anything else is
blocked and recorded), and Swagger UI offers "Authorize" for the declared API key."""

from __future__ import annotations

import pytest
from test_app import running

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.service.app import create_app

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def service(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    with running(create_app({"nbsvm": model}, api_key="s3cret"), ready=False) as client:
        yield str(client.base_url).rstrip("/")


@pytest.fixture
def offline_page(browser, service):
    """A tab in which only the service answers: requests elsewhere are aborted."""
    context = browser.new_context()
    page = context.new_page()
    elsewhere, errors = [], []

    def only_the_service(route):
        if route.request.url.startswith(service):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_service)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, elsewhere, errors
    context.close()


def test_swagger_ui_renders_offline_with_authorize(offline_page, service):
    page, elsewhere, errors = offline_page
    page.goto(f"{service}/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/v1/score" in paths and "/v2/models/{name}/infer" in paths
    expect(page.locator("button.authorize")).to_be_visible()
    assert elsewhere == [] and errors == []


def test_redoc_renders_offline(offline_page, service):
    page, elsewhere, errors = offline_page
    page.goto(f"{service}/redoc")
    expect(page.get_by_text("Score reviews: label, calibrated probability").first).to_be_visible(
        timeout=20_000
    )
    expect(page.get_by_text("ApiKey").first).to_be_attached()  # its security section
    assert elsewhere == [] and errors == []
