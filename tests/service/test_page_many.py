"""The page's "many reviews" mode in a real headless Chromium against the real service on
127.0.0.1: lines and a CSV (a quoted field with a comma and a newline) scored in chunks of
the service's ``max_reviews``, the table's columns the score record's, the downloaded CSV
(RFC 4180, formula-safe), a CSV with no rows named on the page, and what a model was
trained on."""

from __future__ import annotations

import csv
import io

import pytest
from test_app import running
from test_page import LIMITS, Visit, with_page

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.record import NAMES
from movie_sentiment.service.app import create_app

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def service(nbsvm_run):
    models = {"nbsvm": SentimentModel.load(nbsvm_run.bundle_dir)}
    with running(with_page(create_app(models, LIMITS))) as client:
        yield client


@pytest.fixture
def visit(browser, service):
    tab = Visit(browser)
    tab.open(str(service.base_url).rstrip("/"))
    yield tab
    tab.context.close()


def downloaded(page) -> list[dict]:
    with page.expect_download() as info:
        page.click("#download")
    text = open(info.value.path(), encoding="utf-8", newline="").read()
    assert "\r\n" in text  # RFC 4180 line ends
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_three_pasted_lines_are_scored_in_a_table_and_downloaded(visit):
    page = visit.page
    page.fill("#many", "A wonderful, moving film.\n\n=SUM(A1) dull and stupid\nTerrible acting")
    page.click("#score-many")
    expect(page.locator("#progress-text")).to_have_text("Scored 3 reviews")
    headers = page.locator("#table-head th").all_inner_texts()
    assert headers == ["#", "review", *NAMES]  # the record's fields, as the service lists them
    assert page.locator("#table-body tr").count() == 3
    rows = downloaded(page)
    assert [row["review"] for row in rows] == [
        "A wonderful, moving film.",
        "'=SUM(A1) dull and stupid",  # never a formula in a spreadsheet
        "Terrible acting",
    ]
    assert list(rows[0]) == ["review", *NAMES]
    for row in rows:
        assert row["label"] in {"positive", "negative", "uncertain"} and row["error"] == ""
        assert 0 <= float(row["probability"]) <= 1
    assert visit.errors == [] and visit.console == []


def test_a_csv_with_a_quoted_multiline_field_is_scored_in_chunks(visit, tmp_path):
    reviews = ['Great, "really" great\nsecond line']
    reviews += [f"review number {i} was bad" for i in range(6)]
    path = tmp_path / "mine.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "review"])
        writer.writerows([i, text] for i, text in enumerate(reviews))
    page = visit.page
    with page.expect_request("**/v1/score") as first:
        page.set_input_files("#csv", str(path))
    expect(page.locator("#progress-text")).to_have_text("Scored 7 reviews")
    sent = [r for r in visit.requests if r.url.endswith("/v1/score")]
    assert len(first.value.post_data_json["reviews"]) == LIMITS.max_reviews
    assert [len(r.post_data_json["reviews"]) for r in sent] == [5, 2]  # chunks within the limit
    rows = downloaded(page)
    assert [row["review"] for row in rows] == reviews  # the review column, not the first
    assert all(row["label"] for row in rows)


def test_a_csv_with_no_rows_gets_one_clear_message(visit, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("text\n", encoding="utf-8")
    visit.page.set_input_files("#csv", str(path))
    expect(visit.page.locator("#error")).to_have_text(
        "This CSV cannot be scored: empty.csv: no rows under its header line."
    )
    assert visit.page.locator("#table").is_hidden()


def test_the_page_says_what_the_model_was_trained_on(visit, service):
    data = service.get("/v1/models").json()
    assert data["fields"] == list(NAMES) and data["max_reviews"] == LIMITS.max_reviews
    trained = data["models"][0]["data"]
    assert trained["checksum"] and trained["train_reviews"] > 0 and trained["source"] == "IMDB"
    expect(visit.page.locator("#trained-on")).to_contain_text(
        f"{trained['train_reviews']:,} training reviews, sha256 {trained['checksum'][:12]}"
    )


def test_a_refused_chunk_keeps_its_rows_with_the_error_in_each(visit):
    page = visit.page
    too_long = "dull " * (LIMITS.max_review_chars // 5 + 10)
    page.fill("#many", f"A lovely film\n{too_long}\nAwful")
    page.click("#score-many")
    expect(page.locator("#progress-text")).to_have_text(
        "Scored 3 reviews, 3 with an error (shown in their rows)"
    )
    assert page.locator("#table-body tr.failed").count() == 3  # none dropped
    errors = page.locator("#table-body td[data-field=error]").all_inner_texts()
    assert all("characters" in error for error in errors), errors
    rows = downloaded(page)
    assert len(rows) == 3 and all(row["error"] for row in rows)
