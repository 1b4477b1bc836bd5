"""The run report, opened in a real browser (headless Chromium from Debian's package,
driven by Playwright): plots load, tables and explained reviews show, nothing runs."""

import shutil

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.training.report import REPORT_FILE, write_report


def test_train_writes_a_report_that_a_browser_shows_whole(browser, tutorial_run, tmp_path):
    report = tutorial_run.run_dir / REPORT_FILE
    assert report.is_file()
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri())
    assert page.title() == "tutorial run report"
    widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert len(widths) == 6 and all(w > 0 for w in widths)  # every plot, decoded
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["Model", "Metrics", "Plots", "Explained test reviews", "Settings"]
    assert "accuracy" in page.locator("table").nth(1).inner_text()
    reviews = page.locator("section.review")
    assert reviews.count() >= 1
    words = reviews.first.locator("span.w")
    assert words.count() > 3 and words.first.get_attribute("title").startswith(("+", "-"))
    assert requests == [report.as_uri()]  # self-contained: nothing else fetched
    assert errors == []
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.close()


def test_report_shows_hostile_reviews_as_text(browser, nbsvm_run, tmp_path):
    """A review holding markup is shown, never run."""
    import numpy as np

    from movie_sentiment.data.imdb import ReviewDataset

    hostile = 'wonderful <script>window.ran = 1</script> <img src=x onerror="window.ran = 2"> film'
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    run = tmp_path / "run"
    shutil.copytree(nbsvm_run.run_dir, run)
    test = ReviewDataset(
        texts=[hostile] * 3,
        labels=np.array([1, 0, 1]),
        ratings=np.array([9, 2, 8], dtype=np.int8),
        ids=np.array(["a", "b", "c"]),
    )
    page_file = write_report(run, model, test)
    page = browser.new_page()
    page.goto(page_file.as_uri())
    assert page.evaluate("window.ran === undefined")
    assert "<script>window.ran = 1</script>" in page.locator("section.review").first.inner_text()
    page.close()
