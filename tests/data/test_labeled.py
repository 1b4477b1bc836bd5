"""Labeled reviews from users' files: every format, every label kind, nothing dropped
silently, and one clear error for data that cannot give a sentiment (the table below)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from movie_sentiment.data.labeled import (
    LabelOptions,
    carve_test,
    read_labeled,
    without_overlap,
)
from movie_sentiment.errors import InvalidInputError


def reviews(count: int, labels=("pos", "neg")) -> list[dict]:
    """``count`` made-up reviews, alternating between the two labels."""
    words = {0: "a dull, slow and tired film", 1: "a warm, funny and moving film"}
    return [
        {"text": f"Review {i}: {words[(i + 1) % 2]}.", "label": labels[i % 2]} for i in range(count)
    ]


def write_csv(path: Path, rows: list[dict], delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_every_format_gives_the_same_reviews(tmp_path):
    rows = reviews(60)
    files = [
        write_csv(tmp_path / "r.csv", rows),
        write_csv(tmp_path / "r.tsv", rows, delimiter="\t"),
        write_jsonl(tmp_path / "r.jsonl", rows),
        write_parquet(tmp_path / "r.parquet", rows),
    ]
    loaded = [read_labeled(f) for f in files]
    for data in loaded:
        assert data.texts == [r["text"] for r in rows]
        assert data.labels.tolist() == [1, 0] * 30
        assert data.label_names == {"positive": "pos", "negative": "neg"}
        assert data.columns == {"text": "text", "label": "label", "rating": None}
        assert data.notes == []
    assert loaded[0].checksum != loaded[2].checksum  # each file's own bytes


def test_usual_column_names_are_detected(tmp_path):
    rows = [
        {"id": i, "review": r["text"], "sentiment": r["label"]} for i, r in enumerate(reviews(60))
    ]
    data = read_labeled(write_csv(tmp_path / "r.csv", rows))
    assert data.columns["text"] == "review" and data.columns["label"] == "sentiment"
    assert len(data) == 60


@pytest.mark.parametrize(
    "pair, expected",
    [
        ((1, 0), {"positive": "1", "negative": "0"}),
        ((1.0, 0.0), {"positive": "1", "negative": "0"}),
        ((True, False), {"positive": "true", "negative": "false"}),
        (("Positive", "NEGATIVE"), {"positive": "positive", "negative": "negative"}),
    ],
)
def test_known_label_spellings(tmp_path, pair, expected):
    data = read_labeled(write_jsonl(tmp_path / "r.jsonl", reviews(60, pair)))
    assert data.label_names == expected
    assert data.labels.tolist() == [1, 0] * 30


def test_any_two_labels_with_positive_label(tmp_path):
    path = write_csv(tmp_path / "r.csv", reviews(60, ("thumbs up", "thumbs down")))
    data = read_labeled(path, LabelOptions(positive_label="Thumbs Up"))
    assert data.labels.tolist() == [1, 0] * 30
    assert data.label_names == {"positive": "thumbs up", "negative": "thumbs down"}


def test_missing_and_unknown_labels_are_counted_not_dropped_silently(tmp_path):
    rows = reviews(60)
    rows[3]["label"] = ""
    rows[7]["label"] = "neutral"
    rows[9]["text"] = "   "
    data = read_labeled(write_csv(tmp_path / "r.csv", rows))
    assert len(data) == 57
    assert data.skipped == {
        "no label": 1,
        "label 'neutral' is neither 'pos' nor 'neg'": 1,
        "the review is empty or whitespace only": 1,
    }
    assert "1 row skipped: no label (first: row 4)" in data.notes
    assert 4 not in data.lines.tolist() and 5 in data.lines.tolist()


def test_duplicates_kept_once_and_conflicts_dropped(tmp_path):
    rows = reviews(60)
    rows.append(dict(rows[0]))  # the same review again
    rows.append({"text": rows[1]["text"], "label": "pos"})  # given both labels
    data = read_labeled(write_csv(tmp_path / "r.csv", rows))
    assert len(data) == 59  # 60, less the review with both labels
    assert data.skipped["duplicate text"] == 1
    assert data.skipped["text given both labels"] == 2
    assert rows[1]["text"] not in data.texts


def test_ratings_give_labels_around_the_middle_of_the_scale(tmp_path):
    rows = [{"text": f"Review {i} of a film.", "stars": i % 5 + 1} for i in range(100)]
    data = read_labeled(write_parquet(tmp_path / "r.parquet", rows))
    assert data.scale == (1.0, 5.0) and data.columns["rating"] == "stars"
    assert len(data) == 80  # the 20 threes are neutral
    assert data.skipped == {"a neutral rating (3, the threshold)": 20}
    assert set(data.labels[data.ratings > 3]) == {1} and set(data.labels[data.ratings < 3]) == {0}
    stars = data.dataset("own").ratings  # mapped onto IMDB's 1-10
    assert sorted(set(stars.tolist())) == [1, 3, 8, 10]


def test_rating_threshold_and_scale_given(tmp_path):
    rows = [{"text": f"Review {i}.", "rating": i % 10 / 2} for i in range(100)]  # 0 to 4.5
    options = LabelOptions(rating_scale=(0, 5), rating_threshold=2.75)
    data = read_labeled(write_jsonl(tmp_path / "r.jsonl", rows), options)
    assert len(data) == 100 and data.scale == (0.0, 5.0)
    assert data.labels.tolist() == [int(r["rating"] > 2.75) for r in rows]


def test_label_and_rating_both_kept(tmp_path):
    rows = [dict(r, rating=8 if r["label"] == "pos" else 2) for r in reviews(60)]
    rows[0]["rating"] = ""
    data = read_labeled(write_csv(tmp_path / "r.csv", rows))
    assert len(data) == 60 and np.isnan(data.ratings[0])
    assert "1 labeled rows have no numeric rating (no stars learned)" in data.notes


def test_folder_laid_out_like_aclimdb(tmp_path):
    for i, row in enumerate(reviews(60)):
        folder = tmp_path / "mine" / row["label"]
        folder.mkdir(parents=True, exist_ok=True)
        rating = 9 if row["label"] == "pos" else 2
        (folder / f"{i}_{rating}.txt").write_text(row["text"], encoding="utf-8")
    (tmp_path / "mine" / "unsup").mkdir()
    (tmp_path / "mine" / "unsup" / "0_0.txt").write_text("not labeled", encoding="utf-8")
    (tmp_path / "mine" / "neg" / "61_1.txt").write_bytes(b"caf\xe9")  # not UTF-8
    data = read_labeled(tmp_path / "mine")
    assert len(data) == 60 and data.balance() == 0.5
    assert data.columns == {"text": "files", "label": "folder names", "rating": "file names"}
    assert set(data.ratings.tolist()) == {2.0, 9.0}
    assert data.skipped == {"the file is not UTF-8 text": 1}


def test_splits_are_stratified_reproducible_and_disjoint(tmp_path):
    data = read_labeled(write_csv(tmp_path / "r.csv", reviews(200)))
    train, test = carve_test(data, 0.2, seed=7)
    again, _ = carve_test(data, 0.2, seed=7)
    assert len(test) == 40 and test.balance() == 0.5
    assert train.texts == again.texts
    assert not set(train.texts) & set(test.texts)
    overlapping = data.select(range(30))
    kept, removed = without_overlap(overlapping, train)
    assert removed == sum(1 for t in overlapping.texts if t in set(train.texts)) > 0
    assert not set(kept.texts) & set(train.texts)


def test_card_description(tmp_path):
    data = read_labeled(write_csv(tmp_path / "r.csv", reviews(60)))
    described = data.describe()
    assert described["reviews"] == 60 and described["positive_share"] == 0.5
    assert len(described["sha256"]) == 64 and described["columns"]["label"] == "label"
    json.dumps(described)  # a card holds JSON


# -- the bad-data table: one clear line each ----------------------------------------------
def _no_label_column(tmp):
    return write_csv(tmp / "r.csv", [{"text": r["text"], "note": "x"} for r in reviews(60)]), {}


def _one_label(tmp):
    return write_csv(tmp / "r.csv", reviews(60, ("pos", "pos"))), {}


def _mixed_kinds(tmp):
    rows = reviews(60)
    rows[0]["label"], rows[1]["label"] = "1", "0"
    return write_csv(tmp / "r.csv", rows), {}


def _empty_file(tmp):
    (tmp / "r.csv").write_bytes(b"")
    return tmp / "r.csv", {}


def _outside_scale(tmp):
    rows = [{"text": f"Review {i}.", "rating": i % 12} for i in range(60)]
    return write_csv(tmp / "r.csv", rows), {"rating_scale": (1, 10)}


def _ten_rows(tmp):
    return write_csv(tmp / "r.csv", reviews(10)), {}


def _only_duplicates(tmp):
    rows = reviews(2) * 40
    return write_csv(tmp / "r.csv", rows), {}


def _two_unknown_labels(tmp):
    return write_csv(tmp / "r.csv", reviews(60, ("good", "bad"))), {}


def _three_labels(tmp):
    rows = reviews(60, ("good", "bad"))
    rows[0]["label"] = "meh"
    return write_csv(tmp / "r.csv", rows), {"positive_label": "good"}


def _positive_label_absent(tmp):
    return write_csv(tmp / "r.csv", reviews(60)), {"positive_label": "yes"}


def _wrong_label_column(tmp):
    return write_csv(tmp / "r.csv", reviews(60)), {"label_column": "verdict"}


def _plain_text(tmp):
    (tmp / "r.txt").write_text("a review\n" * 60)
    return tmp / "r.txt", {}


def _folder_without_labels(tmp):
    (tmp / "mine").mkdir()
    (tmp / "mine" / "a.txt").write_text("a review")
    return tmp / "mine", {}


def _ratings_one_side(tmp):
    rows = [{"text": f"Review {i}.", "rating": 7 + i % 3} for i in range(60)]
    return write_csv(tmp / "r.csv", rows), {"rating_scale": (1, 10)}


BAD_DATA = [
    (_no_label_column, "has no label column"),
    (_one_label, "has one label only"),
    (_mixed_kinds, "mixes label kinds"),
    (_empty_file, "is empty"),
    (_outside_scale, "outside the scale 1-10 (first: 0 on row 1)"),
    (_ten_rows, "has 10 labeled reviews; at least 50"),
    (_only_duplicates, "has 2 labeled reviews"),
    (_two_unknown_labels, "say which is positive with --positive-label"),
    (_three_labels, "binary labels need exactly two values"),
    (_positive_label_absent, "no row has the label 'yes'"),
    (_wrong_label_column, "has no column 'verdict' (the --label-column)"),
    (_plain_text, "cannot read labels from r.txt"),
    (_folder_without_labels, "has no label folders"),
    (_ratings_one_side, "every rating is on one side of the threshold 5.5"),
]


@pytest.mark.parametrize("make, fragment", BAD_DATA, ids=[m.__name__[1:] for m, _ in BAD_DATA])
def test_bad_data_is_one_clear_line(tmp_path, make, fragment):
    path, options = make(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(InvalidInputError) as caught:
        read_labeled(path, LabelOptions(**options))
    message = str(caught.value)
    assert fragment in message and "\n" not in message
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
