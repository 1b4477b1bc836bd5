"""``movie-sentiment evaluate RUN --data FILE``: a saved model measured on a user's own
labeled reviews, in every format, with the page; the same figures as on IMDB's test
split. (The bad data is in tests/test_bad_input.py's table.)"""

import json
import random
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import make_review


def own_reviews(count: int = 80, seed: int = 5) -> list[dict]:
    """Labeled reviews like the small archive's (its model can read them), with a rating."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = i % 2
        rows.append(
            {
                "review": make_review(rng, label),
                "sentiment": ("negative", "positive")[label],
                "stars": rng.randint(4, 5) if label else rng.randint(1, 2),
            }
        )
    return rows


def write_csv(path, rows) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_evaluate_on_own_csv_prints_every_figure_and_writes_the_page(cli, nbsvm_run, tmp_path):
    rows = own_reviews()
    rows[3]["sentiment"] = ""  # a row without a label: counted and said
    write_csv(tmp_path / "mine.csv", rows)
    page = tmp_path / "page.html"
    result = cli("evaluate", nbsvm_run.bundle_dir, "--data", tmp_path / "mine.csv",
                 "--report", page)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning: 1 row skipped: no label (first: row 4)" in result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("mine.csv accuracy: ") for line in lines)
    for fragment in ("ROC AUC", "calibration error (ECE)", "Uncertain zone: ", "stars: MAE",
                     "Length in words", "Unknown words: "):  # fmt: skip
        assert fragment in result.stdout
    assert f"Evaluation page: {page}" in lines
    html = page.read_text()
    assert "How different is this data" in html and "mine.csv" in html
    assert "text: review" in html and "label: sentiment" in html and "rating: stars" in html


def test_evaluate_json_and_the_library_agree(cli, nbsvm_run, tmp_path):
    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.bundle.measure import measure
    from movie_sentiment.data.labeled import read_labeled

    rows = own_reviews()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "mine.parquet")
    result = cli("evaluate", nbsvm_run.bundle_dir, "--data", tmp_path / "mine.parquet", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["data"]["reviews"] == 80 and figures["data"]["rating_scale"] == [1.0, 5.0]
    data = read_labeled(tmp_path / "mine.parquet").dataset("own")
    expected = measure(SentimentModel.load(nbsvm_run.bundle_dir), data.texts, data.labels,
                       data.ratings)  # fmt: skip
    assert figures["accuracy"] == expected["accuracy"]
    assert figures["stars"] == expected["stars"]


def test_a_run_folder_keeps_its_evaluation_pages(cli, nbsvm_run, tmp_path):
    run = shutil.copytree(nbsvm_run.run_dir, tmp_path / "run")
    folder = tmp_path / "mine"
    for i, row in enumerate(own_reviews()):
        (folder / row["sentiment"][:3]).mkdir(parents=True, exist_ok=True)
        (folder / row["sentiment"][:3] / f"{i}_{row['stars'] * 2}.txt").write_text(row["review"])
    result = cli("evaluate", run, "--data", folder)
    assert result.returncode == 0, result.stderr
    assert (run / "evaluations" / "mine.html").is_file()
    assert "mine accuracy: " in result.stdout


def test_imdb_test_split_gets_the_same_figures(cli, nbsvm_run, small_archive):
    result = cli("evaluate", nbsvm_run.bundle_dir, "--data", small_archive)
    assert result.returncode == 0, result.stderr
    card = json.loads((nbsvm_run.bundle_dir / "card.json").read_text())
    assert f"Test accuracy: {card['metrics']['test']['accuracy']:.4f}" in result.stdout
    assert "Uncertain zone: " in result.stdout and "Test stars: MAE" in result.stdout
