"""The uncertain zone: chosen on validation for a target accuracy of answered reviews."""

import numpy as np
import pytest

from movie_sentiment.bundle.uncertain import fit_zone, selective_report, uncertain_band
from movie_sentiment.errors import InvalidInputError


def validation(count=2000, seed=0):
    """Reviews whose chance of a right answer grows with the model's confidence."""
    rng = np.random.default_rng(seed)
    probabilities = rng.uniform(0, 1, count)
    confidence = np.abs(probabilities - 0.5) * 2  # 0..1
    right = rng.uniform(0, 1, count) < 0.5 + 0.5 * confidence
    predicted = (probabilities >= 0.5).astype(int)
    labels = np.where(right, predicted, 1 - predicted)
    return labels, probabilities


def test_band_meets_the_target_on_the_reviews_it_was_chosen_on():
    labels, probabilities = validation()
    zone = fit_zone(labels, probabilities)
    low, high = uncertain_band(zone)
    assert 0 < low < 0.5 < high < 1 and low + high == pytest.approx(1)
    answered = (probabilities <= low) | (probabilities >= high)
    hits = ((probabilities >= 0.5).astype(int) == labels)[answered]
    assert hits.mean() >= 0.97
    # A lower target answers more; an unreachable one answers nothing.
    wider = uncertain_band(zone, 0.9)
    assert wider[1] < high
    assert uncertain_band(zone, 1.0)[1] >= high
    never_right = fit_zone(1 - (probabilities >= 0.5), probabilities)
    assert uncertain_band(never_right) == (0.0, 1.0)
    report = selective_report(labels, probabilities, zone)
    assert report["coverage"] == pytest.approx(answered.mean())
    assert 0 < report["aurc"] < 0.5


def test_all_right_answers_everything():
    labels = np.array([0, 0, 1, 1])
    zone = fit_zone(labels, np.array([0.1, 0.4, 0.6, 0.9]))
    assert uncertain_band(zone) == (0.5, 0.5)  # nothing is uncertain


@pytest.mark.parametrize("target", [0.3, 1.5, "high", True])
def test_bad_targets_are_refused(target):
    zone = fit_zone(*validation(100))
    with pytest.raises(InvalidInputError, match="target accuracy must be a number from 0.5 to 1"):
        uncertain_band(zone, target)
