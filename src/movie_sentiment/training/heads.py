"""The "fit heads" stage of every run: from a model's uncalibrated logits, fit the heads
(``bundle.heads``: the temperature, the uncertain zone, the stars) on validation, in that
order, then score test once. Training fits heads here and nowhere else; how each is fit
is its own ``fit``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from movie_sentiment.bundle.heads import Heads, Stars, Temperature, UncertainZone
from movie_sentiment.bundle.heads.stars import RatedReviews
from movie_sentiment.bundle.heads.uncertain import answered_curve
from movie_sentiment.evaluation.calibration import calibration_report
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.text.tokenize import as_tokens
from movie_sentiment.training.splits import Splits


@dataclass
class RunFigures:
    """A model's figures at the end of a run: its fitted heads, the metrics, the
    calibration report, and the test scores."""

    heads: Heads
    metrics: dict  # {"validation": {...}, "test": {...}}
    calibration: dict  # the card's: the temperature head's, and the test report
    raw_test: np.ndarray  # uncalibrated probabilities on test
    calibrated_test: np.ndarray
    curves: dict = field(default_factory=dict)  # risk-coverage curves, for the plot


def fit_heads(
    splits: Splits,
    raw_validation: np.ndarray | None,
    raw_test: np.ndarray,
    verbose: int = 0,
    raw_short: np.ndarray | None = None,
    stars_encoder=None,
) -> RunFigures:
    """From a model's uncalibrated logits on validation and test (``raw_scores``, as
    ``score`` scores): fit the heads on validation, then report test once: classification
    metrics, the answered share and AURC, and the stars' errors beside the "polarity then
    class median" baseline. ``raw_short``: the logits of ``splits.short_validation()``, for
    the zone of short texts; ``stars_encoder``: the model's encoder when the stars model
    may share it."""
    source = splits.validation
    temperature = Temperature()
    if splits.validation_source == "test":
        raw_validation = raw_test  # the same reviews: score them once, fit no temperature
    elif raw_validation is not None and len(source):
        temperature = Temperature.fit(source.labels, raw_validation)
    calibrated_test = sigmoid(temperature.apply(raw_test))
    heads, metrics, curves = Heads(temperature, UncertainZone(), Stars()), {}, {}
    if raw_validation is not None and len(source):
        calibrated_validation = sigmoid(temperature.apply(raw_validation))
        metrics["validation"] = classification_metrics(source.labels, calibrated_validation)
        short = None
        if raw_short is not None:
            short_tokens, short_labels = splits.short_validation()
            short = (short_labels, sigmoid(temperature.apply(raw_short)), short_tokens.lengths())
        heads.zone = UncertainZone.fit(
            source.labels, calibrated_validation, short, splits.validation_source
        )
        if (source.ratings > 0).all():  # a user's data may have no ratings: no stars
            heads.stars = _fit_stars(splits, temperature.apply(raw_validation), stars_encoder,
                                     verbose)  # fmt: skip
        _, accuracy, coverage = answered_curve(source.labels, calibrated_validation)
        curves["validation"] = (accuracy, coverage)
    metrics["test"] = _test_metrics(splits, heads, calibrated_test, temperature.apply(raw_test))
    if heads.zone:
        _, accuracy, coverage = answered_curve(splits.test.labels, calibrated_test)
        curves["test"] = (accuracy, coverage)
    calibration = {
        **temperature.to_card(),
        "test": calibration_report(splits.test.labels, sigmoid(raw_test), calibrated_test),
    }
    return RunFigures(heads, metrics, calibration, sigmoid(raw_test), calibrated_test, curves)


def _fit_stars(splits: Splits, validation_logits, encoder, verbose: int) -> Stars:
    """The stars head, fit on validation; the stars model learns from the training part."""
    training = RatedReviews(splits.fit.encodable, splits.fit.ratings, splits.train_all.encodable)
    validation = splits.validation
    stars = Stars.fit(
        validation_logits, validation.ratings, validation.encodable, training, encoder, verbose
    )
    stars.card["source"] = splits.validation_source
    return stars


def _test_metrics(splits: Splits, heads: Heads, calibrated_test, test_logits) -> dict:
    """Test, scored once: classification, the zone's answered share, the stars."""
    test = splits.test
    metrics = classification_metrics(test.labels, calibrated_test)
    if heads.zone:
        words = as_tokens(test.encodable).lengths()
        metrics["uncertain"] = heads.zone.report(test.labels, calibrated_test, words)
    if heads.stars:
        metrics.update(heads.stars.figures(test_logits, test.ratings, test.encodable))
    return metrics
