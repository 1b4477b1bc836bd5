"""Fitting the stars of a bundle (see ``bundle.ratings``): the rating model on the
training part, then the way to combine it with the sentiment logit, on validation."""

from __future__ import annotations

import numpy as np

from movie_sentiment.bundle.ratings import (
    CLASSES,
    baseline_stars,
    fit_ratings,
    predict_stars,
    rating_metrics,
    stack_features,
    stacked_stars,
)
from movie_sentiment.bundle.scoring import rating_probabilities
from movie_sentiment.text.persist import make_encoder


def train_rating_model(splits, encoder=None):
    """(keras_model, encoder): ratings from words, trained on the training part only.
    ``encoder``: the model's own n-gram encoder, to read the same features (scoring then
    encodes a review once for both); None fits ``ratings.ENCODER``."""
    from movie_sentiment.models import ratings

    if encoder is None:
        encoder = make_encoder(ratings.ENCODER).fit(splits.train_all.encodable)
    index = {star: i for i, star in enumerate(CLASSES)}
    targets = np.array([index[int(r)] for r in splits.fit.ratings], dtype="int32")
    keras_model = ratings.build(encoder)
    keras_model.fit(
        encoder.transform(splits.fit.encodable),
        targets,
        epochs=ratings.TRAINING["epochs"],
        batch_size=ratings.TRAINING["batch_size"],
        verbose=0,
    )
    return keras_model, encoder


def _fit_stack(features: np.ndarray, ratings: np.ndarray) -> dict:
    from sklearn.linear_model import LogisticRegression

    # Fit on standardized features (the solver converges), then fold the scaling into the
    # stored coefficients, so scoring needs no scaler.
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    stacker = LogisticRegression(C=1.0, max_iter=1000).fit((features - mean) / scale, ratings)
    coef = np.zeros((len(CLASSES), features.shape[1]))
    intercept = np.full(len(CLASSES), -1e3)  # a rating absent from validation: never chosen
    for row, star in enumerate(stacker.classes_):  # three or more classes: a row each
        coef[CLASSES.index(int(star))] = stacker.coef_[row] / scale
        intercept[CLASSES.index(int(star))] = stacker.intercept_[row] - np.sum(
            stacker.coef_[row] * mean / scale
        )
    return {"coef": coef.tolist(), "intercept": intercept.tolist()}


def fit_stars(splits, validation_logits, test_logits, verbose: int = 0, encoder=None) -> tuple:
    """The card's ``ratings``, the rating model ((keras_model, encoder) or None when cut
    points won), and the test figures: stars beside the polarity baseline.

    ``validation_logits`` and ``test_logits`` are calibrated. Both ways are compared by
    two-fold cross-validation on the validation reviews; the better is fit on all of them.
    ``encoder``: the model's n-gram encoder for the rating model to share (nbsvm's stacked
    stars, validation MAE two-fold: 1.009 over their own uni- and bigrams, 1.007 over
    nbsvm's 1-3-grams), or None.
    """
    validation = splits.validation
    true = np.asarray(validation.ratings, dtype=np.int64)
    cuts = fit_ratings(validation_logits, true)
    if len(np.unique(true)) < 3:  # too few ratings to learn a distribution: cut points
        return cuts, None, _test_figures(splits, cuts, test_logits, None)
    rating_model = train_rating_model(splits, encoder)
    validation_probabilities = rating_probabilities(*rating_model, validation.encodable)
    features = stack_features(validation_logits, validation_probabilities)
    folds = np.array_split(np.random.RandomState(0).permutation(len(true)), 2)
    errors = {"cut_points": [], "stacked": []}
    for held, kept in ((folds[0], folds[1]), (folds[1], folds[0])):
        part = fit_ratings(validation_logits[kept], true[kept])
        errors["cut_points"].append(
            np.abs(predict_stars(part, validation_logits[held]) - true[held]).mean()
        )
        stack = _fit_stack(features[kept], true[kept])
        errors["stacked"].append(
            np.abs(
                stacked_stars(stack, validation_logits[held], validation_probabilities[held])
                - true[held]
            ).mean()
        )
    mae = {name: round(float(np.mean(values)), 4) for name, values in errors.items()}
    method = min(mae, key=mae.get)
    if verbose:
        from rich.console import Console

        Console(stderr=True).print(
            f"Stars: validation MAE (two-fold) cut points {mae['cut_points']:.3f}, "
            f"stacked {mae['stacked']:.3f}; using {method.replace('_', ' ')}",
            highlight=False,
        )
    ratings = {**cuts, "method": method, "validation_mae_two_fold": mae}
    if encoder is not None and method == "stacked":
        ratings["shared_encoder"] = True  # the bundle saves and loads one encoder
    test_probabilities = None
    if method == "stacked":
        ratings["stack"] = _fit_stack(features, true)
        test_probabilities = rating_probabilities(*rating_model, splits.test.encodable)
    else:
        rating_model = None
    return ratings, rating_model, _test_figures(splits, ratings, test_logits, test_probabilities)


def _test_figures(splits, ratings: dict, test_logits, test_probabilities) -> dict:
    predicted = predict_stars(ratings, test_logits, test_probabilities)
    return {
        "ratings": rating_metrics(splits.test.ratings, predicted),
        "ratings_baseline": {
            key: value
            for key, value in rating_metrics(
                splits.test.ratings, baseline_stars(test_logits)
            ).items()
            if key in ("mae", "rmse", "exact", "within_one")
        },
    }
