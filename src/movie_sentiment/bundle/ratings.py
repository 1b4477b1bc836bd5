"""Stars: a 1-10 rating predicted for every review, as IMDB's reviewers rate.

The archive's file names carry each review's rating (1-4 negative, 7-10 positive; none
5 or 6). Two ways, chosen at training time on the validation split (reviews carved from
train, never test) by the smaller mean absolute error in two-fold cross-validation:

* ``"cut_points"``: cut points on the review's calibrated logit, three each side of the
  decision threshold, chosen by dynamic programming for the least absolute error;
* ``"stacked"``: a multinomial logistic regression (fit on validation) over the
  calibrated logit and the log-probabilities of the bundle's rating model
  (``models.ratings``: ratings from the words, trained on the training part), whose
  distribution, kept to the side of the label, gives its median.

Either way a review labeled positive gets 7-10 stars and a negative one 1-4.
"""

from __future__ import annotations

import numpy as np

from movie_sentiment.checks import is_number
from movie_sentiment.errors import ConfigError

NEGATIVE_STARS = (1, 2, 3, 4)
POSITIVE_STARS = (7, 8, 9, 10)
CLASSES = NEGATIVE_STARS + POSITIVE_STARS
BASELINE = {0: 2, 1: 9}  # "polarity then class median": the median rating of each class


def _best_cuts(values: np.ndarray, ratings: np.ndarray, classes: tuple[int, ...]) -> list[float]:
    """Cut points on ``values`` (ascending classes) with the least total absolute error:
    dynamic programming over the sorted values, O(n * classes)."""
    if len(values) == 0:
        return [0.0] * (len(classes) - 1)
    order = np.argsort(values, kind="stable")
    values, ratings = values[order], ratings[order]
    n, k = len(values), len(classes)
    cost = np.abs(ratings[:, None] - np.asarray(classes)[None, :]).astype(np.float64)
    cumulative = np.vstack([np.zeros(k), np.cumsum(cost, axis=0)])  # (n + 1, k)
    best = cumulative[:, 0].copy()  # first j values all in class 0
    choices = []
    for c in range(1, k):
        # best_c[i] = min over j <= i of best[j] + cumulative[i, c] - cumulative[j, c]
        candidate = best - cumulative[:, c]
        arg = np.zeros(n + 1, dtype=np.int64)
        running = 0
        for i in range(1, n + 1):
            if candidate[i] <= candidate[running]:
                running = i
            arg[i] = running
        best = candidate[arg] + cumulative[:, c]
        choices.append(arg)
    cuts = []
    i = n
    for arg in reversed(choices):
        j = int(arg[i])
        if j == 0:
            cut = float(values[0]) - 1.0
        elif j == n:
            cut = float(values[-1]) + 1.0
        else:
            cut = float(values[j - 1] + values[j]) / 2
        cuts.append(cut)
        i = j
    return cuts[::-1]


def fit_ratings(logits, ratings) -> dict:
    """The card's ``ratings`` part from validation calibrated logits and true ratings."""
    logits = np.asarray(logits, dtype=np.float64)
    ratings = np.asarray(ratings, dtype=np.int64)
    negative, positive = logits < 0, logits >= 0
    return {
        "method": "cut_points",
        "negative_cuts": _best_cuts(logits[negative], ratings[negative], NEGATIVE_STARS),
        "positive_cuts": _best_cuts(logits[positive], ratings[positive], POSITIVE_STARS),
        "source": "validation",
        "reviews": len(logits),
    }


def check_ratings(ratings: dict) -> None:
    """A card's ``ratings``: a known method, three ascending finite cut points a side,
    and, for ``"stacked"``, an 8 x 9 stack of finite numbers."""
    if not ratings:
        return
    if ratings.get("method", "cut_points") not in ("cut_points", "stacked"):
        raise ConfigError(
            f"ratings method must be cut_points or stacked, not {ratings['method']!r}"[:200]
        )
    if not isinstance(ratings.get("shared_encoder", False), bool):
        raise ConfigError(
            f"ratings shared_encoder must be true or false, not {ratings['shared_encoder']!r}"
        )
    if ratings.get("method", "cut_points") == "stacked":
        stack = ratings.get("stack")
        if not isinstance(stack, dict):
            raise ConfigError("stacked ratings need their stack (coef, intercept)")
        coef, intercept = stack.get("coef"), stack.get("intercept")
        shape_ok = (
            isinstance(coef, list)
            and len(coef) == len(CLASSES)
            and all(isinstance(row, list) and len(row) == len(CLASSES) + 1 for row in coef)
            and isinstance(intercept, list)
            and len(intercept) == len(CLASSES)
        )
        numbers = [v for row in coef for v in row] + intercept if shape_ok else []
        if not shape_ok or not all(is_number(v) for v in numbers):
            raise ConfigError("ratings stack must be an 8 x 9 coef and 8 intercepts, all numbers")
    for side in ("negative_cuts", "positive_cuts"):
        cuts = ratings.get(side)
        if (
            not isinstance(cuts, list)
            or len(cuts) != 3
            or not all(is_number(v) for v in cuts)
            or sorted(cuts) != cuts
        ):
            raise ConfigError(f"ratings {side} must be three ascending numbers, not {cuts!r}")


def side_median(probabilities: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """The median rating of each distribution, kept to the side of the label."""
    classes = np.asarray(CLASSES)
    side = np.where(np.asarray(logits)[:, None] >= 0, classes >= 7, classes <= 4)
    kept = np.asarray(probabilities) * side
    kept = kept / np.maximum(kept.sum(axis=1, keepdims=True), 1e-300)
    return classes[np.argmax(np.cumsum(kept, axis=1) >= 0.5, axis=1)]


def stack_features(logits, rating_probabilities) -> np.ndarray:
    """The stacker's inputs: the calibrated logit and the rating model's log-probabilities."""
    logits = np.asarray(logits, dtype=np.float64)
    logs = np.log(np.clip(np.asarray(rating_probabilities, dtype=np.float64), 1e-9, 1.0))
    return np.column_stack([np.nan_to_num(logits), logs])


def stacked_stars(stack: dict, logits, rating_probabilities) -> np.ndarray:
    scores = stack_features(logits, rating_probabilities) @ np.asarray(stack["coef"]).T
    scores = scores + np.asarray(stack["intercept"])
    scores -= scores.max(axis=1, keepdims=True)
    probabilities = np.exp(scores)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return side_median(probabilities, logits)


def predict_stars(ratings: dict, logits, rating_probabilities=None) -> np.ndarray:
    """Stars (int) for calibrated logits (and, for ``"stacked"``, the rating model's
    probabilities); NaN logits get 0."""
    logits = np.asarray(logits, dtype=np.float64)
    if ratings.get("method") == "stacked":
        stars = stacked_stars(ratings["stack"], logits, rating_probabilities)
        return np.where(np.isfinite(logits), stars, 0).astype(np.int64)
    negative = np.asarray(NEGATIVE_STARS)[np.searchsorted(ratings["negative_cuts"], logits)]
    positive = np.asarray(POSITIVE_STARS)[np.searchsorted(ratings["positive_cuts"], logits)]
    stars = np.where(logits >= 0, positive, negative)
    return np.where(np.isfinite(logits), stars, 0).astype(np.int64)


def rating_metrics(true, predicted) -> dict:
    """MAE, RMSE, exact and within-one accuracy, and the confusion matrix (rows: true
    1-4, 7-10; columns: predicted)."""
    true, predicted = np.asarray(true, np.int64), np.asarray(predicted, np.int64)
    error = np.abs(true - predicted)
    classes = NEGATIVE_STARS + POSITIVE_STARS
    index = {star: i for i, star in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(true.tolist(), predicted.tolist(), strict=True):
        matrix[index[t], index[p]] += 1
    return {
        "mae": round(float(error.mean()), 4),
        "rmse": round(float(np.sqrt((error.astype(np.float64) ** 2).mean())), 4),
        "exact": round(float((error == 0).mean()), 4),
        "within_one": round(float((error <= 1).mean()), 4),
        "classes": list(classes),
        "confusion_matrix": matrix.tolist(),
    }


def baseline_stars(logits) -> np.ndarray:
    """The "polarity then class median" baseline from the same model: 2 or 9 stars."""
    return np.where(np.asarray(logits) >= 0, BASELINE[1], BASELINE[0])
