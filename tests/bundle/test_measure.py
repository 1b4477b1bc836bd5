"""Measuring a saved model on labeled reviews: the figures match what ``score`` gives
and what the model's own ``evaluate`` says, and reviews unlike the training data are
said to be so."""

import random

import numpy as np
import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.measure import known_words, measure, word_counts
from movie_sentiment.data.imdb import load_reviews
from tests.conftest import make_review


@pytest.fixture(scope="module")
def model(nbsvm_run):
    return SentimentModel.load(nbsvm_run.bundle_dir)


def test_figures_on_the_test_split_match_evaluate(model, small_archive):
    test = load_reviews("test", small_archive)
    figures = measure(model, test.texts, test.labels, test.ratings)
    assert model.measure(test.texts, test.labels, test.ratings)["accuracy"] == figures["accuracy"]
    expected = model.evaluate(test.texts, test.labels)
    for name in ("accuracy", "loss", "precision", "recall", "f1", "roc_auc", "count"):
        assert figures[name] == pytest.approx(expected[name], rel=1e-9)
    assert figures["not_scored"] == 0
    calibration = figures["calibration"]
    assert 0 <= calibration["ece_after"] <= 1 and 0 <= calibration["brier_before"] <= 1
    zone = figures["uncertain"]
    labels = model.score(test.texts).label
    assert zone["answered"] == sum(label != "uncertain" for label in labels)
    assert zone["coverage"] == zone["answered"] / len(test)
    stars = figures["stars"]
    predicted = np.asarray(model.score(test.texts).stars, dtype=float)
    assert stars["count"] == len(test)
    assert stars["mae"] == pytest.approx(np.abs(predicted - test.ratings).mean())
    assert figures["shift"]["texts"] == len(test) and figures["shift"]["unknown_word_share"] < 0.05


def test_unfamiliar_short_reviews_are_said_to_be_unlike_the_training_data(model):
    rng = random.Random(3)
    texts, labels = [], []
    for i in range(60):
        label = i % 2
        words = make_review(rng, label).split()[:4]  # a few of its words only
        texts.append(" ".join(words + ["zorblat", "quennix", "vlimmer", "trask"]))
        labels.append(label)
    figures = measure(model, texts, labels)
    shift = figures["shift"]
    assert shift["unknown_word_share"] > 0.4 and shift["short_share"] == 1.0
    assert any("unknown to the model" in line for line in figures["advice"])
    assert "stars" not in figures  # no ratings given


def test_error_rows_are_counted_not_measured(model):
    figures = measure(model, ["wonderful superb film", "", "awful boring waste"], [1, 0, 0])
    assert figures["not_scored"] == 1 and figures["count"] == 2


def test_word_counts_per_text(model):
    vocabulary = known_words(model.encoder)
    known = sorted(vocabulary)[:2]
    lengths, unknown = word_counts([" ".join(known), "zorblat " + known[0], "zorblat"], vocabulary)
    assert lengths.tolist() == [2, 2, 1] and unknown.tolist() == [0, 1, 1]
