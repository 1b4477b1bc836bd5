"""The uncertain zone: chosen on validation for a target accuracy of answered reviews."""

import numpy as np
import pytest

from movie_sentiment.bundle.heads.uncertain import (
    SHORT_WORDS,
    UncertainZone,
    answered,
    bounds_at,
    bounds_by_length,
    check_zone,
    fit_short_zone,
    fit_zone,
    selective_report,
    short_text_bounds_at,
)
from movie_sentiment.errors import ConfigError, InvalidInputError


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
    low, high = bounds_at(zone)
    assert 0 < low < 0.5 < high < 1 and low + high == pytest.approx(1)
    answered = (probabilities <= low) | (probabilities >= high)
    hits = ((probabilities >= 0.5).astype(int) == labels)[answered]
    assert hits.mean() >= 0.97
    # A lower target answers more; an unreachable one answers nothing.
    wider = bounds_at(zone, 0.9)
    assert wider[1] < high
    assert bounds_at(zone, 1.0)[1] >= high
    never_right = fit_zone(1 - (probabilities >= 0.5), probabilities)
    assert bounds_at(never_right) == (0.0, 1.0)
    report = selective_report(labels, probabilities, zone)
    assert report["coverage"] == pytest.approx(answered.mean())
    assert 0 < report["aurc"] < 0.5


def test_all_right_answers_everything():
    labels = np.array([0, 0, 1, 1])
    zone = fit_zone(labels, np.array([0.1, 0.4, 0.6, 0.9]))
    assert bounds_at(zone) == (0.5, 0.5)  # nothing is uncertain


@pytest.mark.parametrize("target", [0.3, 1.5, "high", True])
def test_bad_targets_are_refused(target):
    zone = fit_zone(*validation(100))
    with pytest.raises(InvalidInputError, match="target accuracy must be a number from 0.5 to 1"):
        bounds_at(zone, target)


def test_short_texts_get_a_band_of_their_own():
    labels, probabilities = validation()
    zone = fit_zone(labels, probabilities)
    # Short texts read less surely: right less often at the same confidence. Their set
    # holds some long texts too, which the short part leaves out.
    rng = np.random.default_rng(1)
    short_labels, short_p = validation(3000, seed=2)
    flip = rng.uniform(0, 1, 3000) < 0.15
    short_labels = np.where(flip, 1 - short_labels, short_labels)
    words = rng.integers(1, 2 * SHORT_WORDS, 3000)
    zone["short"] = fit_short_zone(short_labels, short_p, words)
    check_zone(zone)
    kept = words < SHORT_WORDS
    assert zone["short"]["texts"] == kept.sum() and zone["short"]["under_words"] == SHORT_WORDS
    long_band, short = bounds_at(zone), short_text_bounds_at(zone)
    assert short[0] < long_band[0] and short[1] > long_band[1]  # wider: it answers less
    # The short band meets the target on the short texts it was fit on.
    answered = kept & ((short_p <= short[0]) | (short_p >= short[1]))
    assert ((short_p >= 0.5).astype(int) == short_labels)[answered].mean() >= 0.97
    low, high = bounds_by_length(zone, [3, SHORT_WORDS - 1, SHORT_WORDS, 400])
    assert list(zip(low, high, strict=True)) == [short, short, long_band, long_band]
    # A report given token counts answers each review by its own band.
    sizes = np.where(np.arange(len(labels)) % 2 == 0, 10, 200)
    report = selective_report(labels, probabilities, zone, sizes)
    low, high = bounds_by_length(zone, sizes)
    expected = ((probabilities <= low) | (probabilities >= high)).mean()
    assert report["coverage"] == pytest.approx(expected)
    assert report["short_band"] == [round(v, 6) for v in short]
    assert selective_report(labels, probabilities, zone)["coverage"] > expected
    # Without a short part (bundles trained before it) every text gets the reviews' band.
    del zone["short"]
    assert short_text_bounds_at(zone) is None
    assert set(bounds_by_length(zone, [3, 400])[0]) == {long_band[0]}


def test_the_head_gives_the_zones_bounds_each_time_and_checks_every_target():
    """The head works each target's bounds out once: asked again (in any order, for
    both tables) it answers as the zone's functions do, and a bad target is refused even
    after an equal-looking good one (True is not 1)."""
    labels, probabilities = validation()
    zone = fit_zone(labels, probabilities)
    zone["short"] = fit_short_zone(*validation(3000, seed=2), np.full(3000, 10))
    head = UncertainZone(zone)
    words = [3, 400, 10, 80]
    for target in (None, 0.9, 1, None, 0.9, 1.0):
        assert head.bounds(target) == bounds_at(zone, target)
        assert head.short_text_bounds(target) == short_text_bounds_at(zone, target)
        low, high = bounds_by_length(zone, words, target)
        expected = ["uncertain" if lo < p < hi else "positive" for lo, hi, p in
                    zip(low, high, [0.6] * 4, strict=True)]  # fmt: skip
        assert head.apply([0.6] * 4, words, target) == expected
    for target in (True, 0.3):
        with pytest.raises(InvalidInputError, match="target accuracy must be a number"):
            head.bounds(target)
        with pytest.raises(InvalidInputError, match="target accuracy must be a number"):
            head.apply([0.6], [3], target)


def test_a_band_no_confidence_reached_answers_nothing():
    """Zone threshold 0.5 (no confidence reached the target) gives the band (0, 1): no
    probability is answered, not even one that rounded to exactly 0 or 1."""
    p = np.array([0.0, 1e-9, 0.3, 0.5, 0.9, 1.0])
    assert not answered(p, 0.0, 1.0).any()
    np.testing.assert_array_equal(answered(p, 0.2, 0.8), [1, 1, 0, 0, 1, 1])
    # one band per review: the first two reviews' band answers nothing
    low, high = np.array([0.0, 0.0, 0.2, 0.2, 0.2, 0.2]), np.array([1.0, 1.0, 0.8, 0.8, 0.8, 0.8])
    np.testing.assert_array_equal(answered(p, low, high), [0, 0, 0, 0, 1, 1])
    zone = {"target_accuracy": 0.97, "table": [[0.3, 0.9, 0.5], [0.0, 0.8, 1.0]]}
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert selective_report(labels, p, zone)["coverage"] == 0.0


def test_no_short_texts_no_short_part():
    labels, probabilities = validation(100)
    assert fit_short_zone(labels, probabilities, np.full(100, SHORT_WORDS)) == {}


@pytest.mark.parametrize(
    ("short", "message"),
    [
        ({"under_words": 0, "table": [[0.1, 0.9, 1.0]]}, "under_words must be a positive whole"),
        ({"under_words": True, "table": [[0.1, 0.9, 1.0]]}, "under_words must be a positive"),
        ({"under_words": 50, "table": [[0.1, 0.9]]}, "uncertain short table must be a list"),
        ("fifty", "under_words must be a positive whole number, not None"),
    ],
)
def test_bad_short_parts_are_refused(short, message):
    zone = {**fit_zone(*validation(100)), "short": short}
    with pytest.raises(ConfigError, match=message):
        check_zone(zone)
