"""The page's "many reviews" mode in a real headless Chromium against the real service on
127.0.0.1: lines and a CSV (a quoted field with a comma and a newline) scored in chunks of
the service's ``max_reviews``, the table's columns the score record's, the downloaded CSV
(RFC 4180, formula-safe), a CSV dropped on the page, the review column found by the names
the command line reads (or picked, with a plain message when there is none), a CSV with
no rows named on the page, and what a model was trained on."""

from __future__ import annotations

import csv
import io

import pytest
from test_app import running
from test_page import LIMITS, Visit, with_page

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.record import NAMES
from movie_sentiment.data.labeled import TEXT_COLUMNS
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


def write_csv(path, header: list[str], rows: list[list]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def score_requests(visit) -> list:
    return [r for r in visit.requests if r.url.endswith("/v1/score")]


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


DROP_FILE = """([name, text]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: "text/csv" }));
    return transfer;
}"""


def test_a_csv_dropped_on_the_reviews_box_is_scored(visit):
    reviews = ["A joy from start to finish", "Dull, and far too long", "I, for one, loved it"]
    text = "id,review\r\n" + "".join(f'{i},"{r}"\r\n' for i, r in enumerate(reviews))
    page = visit.page
    transfer = page.evaluate_handle(DROP_FILE, ["dropped.csv", text])
    # A drop lands only where dragover was cancelled: the box must cancel it.
    cancelled = page.evaluate(
        """(transfer) => !document.getElementById("many").dispatchEvent(new DragEvent(
            "dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }))""",
        transfer,
    )
    assert cancelled
    for kind in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#many", kind, {"dataTransfer": transfer})
    expect(page.locator("#progress-text")).to_have_text("Scored 3 reviews")
    assert page.locator("#table-body tr").count() == 3
    assert page.input_value("#many") == ""  # the file is scored, not pasted into the box
    assert [r.post_data_json["reviews"] for r in score_requests(visit)] == [reviews]
    rows = downloaded(page)
    assert [row["review"] for row in rows] == reviews
    assert all(row["label"] in {"positive", "negative", "uncertain"} for row in rows)
    assert visit.errors == [] and visit.console == []


def test_every_column_name_the_command_line_reads_is_the_review_column(visit, tmp_path):
    page = visit.page
    for number, name in enumerate(TEXT_COLUMNS):
        heading = name.capitalize() if number % 2 else name  # any case, as the CLI reads it
        reviews = [f"{name}: a lovely film", f"{name}: an awful film"]
        path = write_csv(tmp_path / f"{name}.csv", ["id", heading, "stars"],
                         [[i, review, 5] for i, review in enumerate(reviews)])  # fmt: skip
        with page.expect_request("**/v1/score") as sent:  # not the last file's, still shown
            page.set_input_files("#csv", path)
        assert sent.value.post_data_json["reviews"] == reviews, name
        expect(page.locator("#progress-text")).to_have_text("Scored 2 reviews")
        expect(page.locator("#table-body tr").first).to_contain_text(reviews[0])
        expect(page.locator("#csv-column")).to_have_value("1")  # shown, and can be changed
    assert page.locator("#error").is_hidden()


def test_a_csv_with_no_review_column_says_so_and_scores_the_column_picked(visit, tmp_path):
    comments = ["What a wonderful cast", "Boring and badly written"]
    path = write_csv(tmp_path / "notes.csv", ["id", "comment"],
                     [[i, c] for i, c in enumerate(comments)])  # fmt: skip
    page = visit.page
    page.set_input_files("#csv", path)
    expect(page.locator("#error")).to_have_text(
        'No review column in notes.csv: its columns are "id", "comment", and none is named '
        f"{', '.join(TEXT_COLUMNS)}. Pick the column to score under \u201creview column\u201d."
    )
    assert page.locator("#table").is_hidden() and score_requests(visit) == []
    expect(page.locator("#csv-column")).to_be_focused()
    page.select_option("#csv-column", label="comment")
    expect(page.locator("#progress-text")).to_have_text("Scored 2 reviews")
    assert page.locator("#error").is_hidden()
    assert [row["review"] for row in downloaded(page)] == comments


def test_a_csv_with_two_review_columns_asks_which(visit, tmp_path):
    path = write_csv(tmp_path / "both.csv", ["text", "Review"], [["short one", "a long review"]])
    page = visit.page
    page.set_input_files("#csv", path)
    expect(page.locator("#error")).to_contain_text("More than one review column in both.csv")
    assert score_requests(visit) == []
    page.select_option("#csv-column", label="Review")
    expect(page.locator("#progress-text")).to_have_text("Scored 1 review")
    assert score_requests(visit)[-1].post_data_json["reviews"] == ["a long review"]
