"""Stars: cut points on the logit with the least absolute error, each side of 0."""

import itertools

import numpy as np
import pytest

from movie_sentiment.bundle.heads.stars import (
    _best_cuts,
    baseline_stars,
    fit_cuts,
    predict_stars,
    rating_metrics,
)


def test_cuts_are_the_best_possible_on_a_small_set():
    rng = np.random.default_rng(1)
    values = rng.normal(size=9)
    ratings = rng.choice([1, 2, 3, 4], size=9)
    classes = (1, 2, 3, 4)
    cuts = _best_cuts(values, ratings, classes)

    def error(cuts):
        return np.abs(np.asarray(classes)[np.searchsorted(cuts, values)] - ratings).sum()

    ordered = np.sort(values)
    points = [ordered[0] - 1, *((ordered[1:] + ordered[:-1]) / 2), ordered[-1] + 1]
    best = min(error(list(c)) for c in itertools.combinations_with_replacement(points, 3))
    assert error(cuts) == best


def test_stars_follow_the_label_and_the_confidence():
    rng = np.random.default_rng(2)
    logits = rng.normal(scale=4, size=4000)
    ratings = np.where(
        logits >= 0, np.clip(7 + logits // 2, 7, 10), np.clip(4 + logits // 2, 1, 4)
    ).astype(int)
    model = fit_cuts(logits, ratings)
    stars = predict_stars(model, logits)
    assert np.all((stars >= 7) == (logits >= 0))
    assert (
        rating_metrics(ratings, stars)["mae"]
        < rating_metrics(ratings, baseline_stars(logits))["mae"]
    )
    assert list(predict_stars(model, [-50.0, 50.0, np.nan])) == [1, 10, 0]


def test_rating_metrics():
    metrics = rating_metrics([1, 10, 7, 4], [2, 10, 9, 4])
    assert metrics["mae"] == pytest.approx(0.75)
    assert metrics["exact"] == 0.5 and metrics["within_one"] == 0.75
    assert metrics["rmse"] == pytest.approx(np.sqrt(5 / 4), abs=1e-4)
    assert np.sum(metrics["confusion_matrix"]) == 4
