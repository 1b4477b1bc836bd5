"""The "fit heads" stage of every run: from a model's uncalibrated logits, fit what is
learned after the model (the temperature, the uncertain zone, the stars) on validation,
then score test once. It is the one place training fits them, so turning each into a
head with fit/apply is a change here."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from movie_sentiment.evaluation.calibration import (
    apply_temperature,
    calibration_report,
    fit_temperature,
)
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.text.tokenize import as_tokens
from movie_sentiment.training.splits import Splits


@dataclass
class RunFigures:
    """A model's figures at the end of a run: metrics, calibration, the uncertain zone,
    the stars model, and the test scores."""

    metrics: dict  # {"validation": {...}, "test": {...}}
    calibration: dict  # method, temperature, test report before/after
    raw_test: np.ndarray  # uncalibrated probabilities on test
    calibrated_test: np.ndarray
    uncertain: dict  # the card's uncertain zone, fit on validation
    ratings: dict  # the card's stars, fit on validation (``training.ratings``)
    rating_model: tuple | None = None  # (keras_model, encoder) the stars use, if any
    curves: dict = field(default_factory=dict)  # risk-coverage curves, for the plot


def fit_heads(
    splits: Splits,
    raw_validation: np.ndarray | None,
    raw_test: np.ndarray,
    verbose: int = 0,
    raw_short: np.ndarray | None = None,
    rating_encoder=None,
) -> RunFigures:
    """From a model's uncalibrated logits on validation and test (``raw_scores``, as
    ``score`` scores): fit the temperature, the uncertain zone and the stars on validation,
    then report test once: classification metrics, the answered share and AURC, and the
    ratings' errors beside the "polarity then class median" baseline. ``raw_short``: the
    logits of ``splits.short_validation()``, for the zone of short texts;
    ``rating_encoder``: the model's encoder when the rating model may share it."""
    from movie_sentiment.bundle.uncertain import (
        answered_curve,
        fit_short_zone,
        fit_zone,
        selective_report,
    )
    from movie_sentiment.training.ratings import fit_stars

    raw_test_p = sigmoid(raw_test)
    temperature = 1.0
    source = splits.validation
    if splits.validation_source == "test":
        raw_validation = raw_test  # the same reviews: score them once, fit no temperature
    elif raw_validation is not None and len(splits.validation):
        temperature = fit_temperature(source.labels, sigmoid(raw_validation))
    calibrated_test = apply_temperature(raw_test_p, temperature)
    metrics, uncertain, ratings, curves, rating_model, star_figures = {}, {}, {}, {}, None, {}
    if raw_validation is not None and len(source):
        calibrated_validation = apply_temperature(sigmoid(raw_validation), temperature)
        metrics["validation"] = classification_metrics(source.labels, calibrated_validation)
        uncertain = fit_zone(source.labels, calibrated_validation)
        if uncertain and raw_short is not None:
            short_tokens, short_labels = splits.short_validation()
            short = fit_short_zone(
                short_labels,
                apply_temperature(sigmoid(raw_short), temperature),
                short_tokens.lengths(),
            )
            if short:
                uncertain["short"] = short
        if (source.ratings > 0).all():  # a user's data may have no ratings: no stars
            ratings, rating_model, star_figures = fit_stars(
                splits, raw_validation / temperature, raw_test / temperature, verbose,
                rating_encoder,
            )  # fmt: skip
            ratings["source"] = splits.validation_source
        uncertain["source"] = splits.validation_source
        _, accuracy, coverage = answered_curve(source.labels, calibrated_validation)
        curves["validation"] = (accuracy, coverage)
    metrics["test"] = classification_metrics(splits.test.labels, calibrated_test)
    if uncertain:
        test_words = as_tokens(splits.test.encodable).lengths()
        metrics["test"]["uncertain"] = selective_report(
            splits.test.labels, calibrated_test, uncertain, test_words
        )
        _, accuracy, coverage = answered_curve(splits.test.labels, calibrated_test)
        curves["test"] = (accuracy, coverage)
    metrics["test"].update(star_figures)
    calibration = {
        "method": "temperature scaling fit on validation" if temperature != 1.0 else "none",
        "temperature": temperature,
        "test": calibration_report(splits.test.labels, raw_test_p, calibrated_test),
    }
    return RunFigures(
        metrics, calibration, raw_test_p, calibrated_test, uncertain, ratings, rating_model, curves
    )
