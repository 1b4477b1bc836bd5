"""Stars: a 1-10 rating predicted for every review, as IMDB's reviewers rate.

The archive's file names carry each review's rating (1-4 negative, 7-10 positive; none
5 or 6). At training time the rating is fit on the validation split (reviews carved from
train, never test): cut points on the review's calibrated logit, one set for each side of
the decision threshold, chosen to make the mean absolute error smallest. A review labeled
positive therefore always gets 7-10 stars and a negative one 1-4, and the more sure the
model, the further its stars from the middle.
"""

from __future__ import annotations

import numpy as np

from movie_sentiment.errors import ConfigError

NEGATIVE_STARS = (1, 2, 3, 4)
POSITIVE_STARS = (7, 8, 9, 10)
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
        "method": "cut points on the calibrated logit, each side of the threshold, "
        "fit on validation for the least absolute error",
        "negative_cuts": _best_cuts(logits[negative], ratings[negative], NEGATIVE_STARS),
        "positive_cuts": _best_cuts(logits[positive], ratings[positive], POSITIVE_STARS),
        "source": "validation",
        "reviews": len(logits),
    }


def check_ratings(ratings: dict) -> None:
    if not ratings:
        return
    for side in ("negative_cuts", "positive_cuts"):
        cuts = ratings.get(side)
        if (
            not isinstance(cuts, list)
            or len(cuts) != 3
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in cuts)
            or sorted(cuts) != cuts
        ):
            raise ConfigError(f"ratings {side} must be three ascending numbers, not {cuts!r}")


def predict_stars(ratings: dict, logits) -> np.ndarray:
    """Stars (int) for calibrated logits; NaN logits get 0."""
    logits = np.asarray(logits, dtype=np.float64)
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
