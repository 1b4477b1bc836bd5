"""The stars head: a 1-10 rating predicted for every review, as IMDB's reviewers rate.

``Stars`` (at the end) is the head: ``fit`` (the stars model on the training part, then
the way to combine it with the calibrated logit, on validation), ``apply``, ``to_card`` /
``from_card`` (the card's ``stars``); the functions above it are its parts, and
``build_stars_model`` the Keras model it may train.

The archive's file names carry each review's rating (1-4 negative, 7-10 positive; none
5 or 6). Two ways, chosen at training time on the validation split (reviews carved from
train, never test) by the smaller mean absolute error in two-fold cross-validation:

* ``"cut_points"``: cut points on the review's calibrated logit, three each side of the
  decision threshold, chosen by dynamic programming for the least absolute error;
* ``"stacked"``: a multinomial logistic regression (fit on validation) over the
  calibrated logit and the log-probabilities of the bundle's stars model
  (``build_stars_model``: ratings from the words, trained on the training part), whose
  distribution, kept to the side of the label, gives its median.

Either way a review labeled positive gets 7-10 stars and a negative one 1-4, and one the
uncertain zone calls uncertain gets 5 or 6 by the side its probability leans to
(``MIXED_STARS``: the mixed ratings IMDB's labeled reviews leave out; never a 10 beside
"uncertain"; docs/scores.md, "Stars").

The stars model: multinomial logistic regression over a review's distinct n-grams (its
own uni- and bigrams, or the sentiment model's encoder when that reads n-grams): each
n-gram has one learned score per rating; a review's scores are the mean over its n-grams,
and a softmax turns them into probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from movie_sentiment.bundle.scoring import KeptEncoding, stars_probabilities
from movie_sentiment.checks import is_number
from movie_sentiment.errors import BundleError, ConfigError
from movie_sentiment.text.persist import make_encoder

if TYPE_CHECKING:
    import keras

NEGATIVE_STARS = (1, 2, 3, 4)
POSITIVE_STARS = (7, 8, 9, 10)
CLASSES = NEGATIVE_STARS + POSITIVE_STARS
BASELINE = {0: 2, 1: 9}  # "polarity then class median": the median rating of each class
MIXED_STARS = (5, 6)  # an uncertain review's stars: leaning negative, leaning positive
STARS_MODEL_ENCODER = {"kind": "ngrams", "ngram_range": [1, 2], "min_df": 2}
# Chosen on validation (2,500 reviews carved from train, seed 42; nbsvm's logit stacked):
# 1 to 6 epochs, learning rate 0.01: two epochs gave the smallest error of the stacked stars.
STARS_MODEL_TRAINING = {"epochs": 2, "batch_size": 64, "learning_rate": 0.01}


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


def fit_cuts(logits, ratings) -> dict:
    """The card's ``stars`` by cut points, from calibrated validation logits and ratings."""
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


def check_stars(ratings: dict) -> None:
    """A card's ``stars``: a known method, three ascending finite cut points a side,
    and, for ``"stacked"``, an 8 x 9 stack of finite numbers."""
    if not ratings:
        return
    if ratings.get("method", "cut_points") not in ("cut_points", "stacked"):
        raise ConfigError(
            f"stars method must be cut_points or stacked, not {ratings['method']!r}"[:200]
        )
    if not isinstance(ratings.get("shared_encoder", False), bool):
        raise ConfigError(
            f"stars shared_encoder must be true or false, not {ratings['shared_encoder']!r}"
        )
    if ratings.get("method", "cut_points") == "stacked":
        stack = ratings.get("stack")
        if not isinstance(stack, dict):
            raise ConfigError("stacked stars need their stack (coef, intercept)")
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
            raise ConfigError("stars stack must be an 8 x 9 coef and 8 intercepts, all numbers")
    for side in ("negative_cuts", "positive_cuts"):
        cuts = ratings.get(side)
        if (
            not isinstance(cuts, list)
            or len(cuts) != 3
            or not all(is_number(v) for v in cuts)
            or sorted(cuts) != cuts
        ):
            raise ConfigError(f"stars {side} must be three ascending numbers, not {cuts!r}")


def side_median(probabilities: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """The median rating of each distribution, kept to the side of the label."""
    classes = np.asarray(CLASSES)
    side = np.where(np.asarray(logits)[:, None] >= 0, classes >= 7, classes <= 4)
    kept = np.asarray(probabilities) * side
    kept = kept / np.maximum(kept.sum(axis=1, keepdims=True), 1e-300)
    return classes[np.argmax(np.cumsum(kept, axis=1) >= 0.5, axis=1)]


def stack_features(logits, stars_probabilities) -> np.ndarray:
    """The stacker's inputs: the calibrated logit and the stars model's log-probabilities."""
    logits = np.asarray(logits, dtype=np.float64)
    logs = np.log(np.clip(np.asarray(stars_probabilities, dtype=np.float64), 1e-9, 1.0))
    return np.column_stack([np.nan_to_num(logits), logs])


def stacked_stars(stack: dict, logits, stars_probabilities) -> np.ndarray:
    scores = stack_features(logits, stars_probabilities) @ np.asarray(stack["coef"]).T
    scores = scores + np.asarray(stack["intercept"])
    scores -= scores.max(axis=1, keepdims=True)
    probabilities = np.exp(scores)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return side_median(probabilities, logits)


def predict_stars(ratings: dict, logits, stars_probabilities=None) -> np.ndarray:
    """Stars (int) for calibrated logits (and, for ``"stacked"``, the stars model's
    probabilities); NaN logits get 0."""
    logits = np.asarray(logits, dtype=np.float64)
    if ratings.get("method") == "stacked":
        stars = stacked_stars(ratings["stack"], logits, stars_probabilities)
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


def build_stars_model(encoder) -> keras.Model:
    """The compiled stars model over ``encoder``'s padded n-gram ids: each rating's
    probability (``CLASSES``)."""
    import keras

    from movie_sentiment.models.layers import MaskedMean

    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32", name="ngram_ids")
    scores = keras.layers.Embedding(
        encoder.vocabulary_size, len(CLASSES), embeddings_initializer="zeros", name="ngram_scores"
    )(ids)
    review = MaskedMean(name="mean")([scores, ids])
    probabilities = keras.layers.Dense(len(CLASSES), activation="softmax", name="stars")(review)
    keras_model = keras.Model(ids, probabilities, name="stars")
    keras_model.compile(
        optimizer=keras.optimizers.Adam(STARS_MODEL_TRAINING["learning_rate"]),
        loss="sparse_categorical_crossentropy",
    )
    return keras_model


@dataclass
class RatedReviews:
    """What the stars model learns from: the training part's texts (tokenized or raw)
    and ratings, and all of train's texts for its vocabulary."""

    texts: object
    ratings: np.ndarray
    vocabulary: object


def train_stars_model(training: RatedReviews, encoder=None) -> tuple:
    """(keras_model, encoder): ratings from words, trained on the training part only.
    ``encoder``: the model's own n-gram encoder, to read the same features (scoring then
    encodes a review once for both); None fits ``STARS_MODEL_ENCODER``."""
    if encoder is None:
        encoder = make_encoder(STARS_MODEL_ENCODER).fit(training.vocabulary)
    index = {star: i for i, star in enumerate(CLASSES)}
    targets = np.array([index[int(r)] for r in training.ratings], dtype="int32")
    keras_model = build_stars_model(encoder)
    keras_model.fit(
        encoder.transform(training.texts),
        targets,
        epochs=STARS_MODEL_TRAINING["epochs"],
        batch_size=STARS_MODEL_TRAINING["batch_size"],
        verbose=0,
    )
    return keras_model, encoder


def fit_stack(features: np.ndarray, ratings: np.ndarray) -> dict:
    """The stacker: a multinomial logistic regression, stored as plain coefficients."""
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


def two_fold_errors(logits, true, features, probabilities) -> dict:
    """Validation MAE of cut points and of the stacker, each by two-fold cross-validation
    on the validation reviews (seeded)."""
    folds = np.array_split(np.random.RandomState(0).permutation(len(true)), 2)
    errors = {"cut_points": [], "stacked": []}
    for held, kept in ((folds[0], folds[1]), (folds[1], folds[0])):
        part = fit_cuts(logits[kept], true[kept])
        errors["cut_points"].append(np.abs(predict_stars(part, logits[held]) - true[held]).mean())
        stack = fit_stack(features[kept], true[kept])
        predicted = stacked_stars(stack, logits[held], probabilities[held])
        errors["stacked"].append(np.abs(predicted - true[held]).mean())
    return {name: round(float(np.mean(values)), 4) for name, values in errors.items()}


@dataclass
class Stars:
    """The head: the card's ``stars`` (empty: no stars, as for data without ratings) and,
    for stacked stars, the stars model ``(keras_model, encoder)`` it reads."""

    card: dict = field(default_factory=dict)
    model: tuple | None = None

    def __bool__(self) -> bool:
        return bool(self.card)

    @classmethod
    def fit(
        cls, logits, ratings, texts, training: RatedReviews, encoder=None, verbose: int = 0
    ) -> Stars:
        """Fit on validation: calibrated ``logits``, true ``ratings`` (1-10) and ``texts``.
        Cut points and the stacker are compared by two-fold cross-validation on them; the
        better is fit on all of them. ``encoder``: the model's n-gram encoder for the stars
        model to share (nbsvm's stacked stars, validation MAE two-fold: 1.009 over their own
        uni- and bigrams, 1.007 over nbsvm's 1-3-grams), or None."""
        logits = np.asarray(logits, dtype=np.float64)
        true = np.asarray(ratings, dtype=np.int64)
        cuts = fit_cuts(logits, true)
        if len(np.unique(true)) < 3:  # too few ratings to learn a distribution: cut points
            return cls(cuts)
        model = train_stars_model(training, encoder)
        probabilities = stars_probabilities(*model, texts)
        mae = two_fold_errors(logits, true, stack_features(logits, probabilities), probabilities)
        method = min(mae, key=mae.get)
        if verbose:
            from rich.console import Console

            Console(stderr=True).print(
                f"Stars: validation MAE (two-fold) cut points {mae['cut_points']:.3f}, "
                f"stacked {mae['stacked']:.3f}; using {method.replace('_', ' ')}",
                highlight=False,
            )
        card = {**cuts, "method": method, "validation_mae_two_fold": mae}
        if method == "cut_points":
            return cls(card)
        if encoder is not None:
            card["shared_encoder"] = True  # the bundle saves and loads one encoder
        card["stack"] = fit_stack(stack_features(logits, probabilities), true)
        return cls(card, model)

    def apply(
        self, logits, reviews, kept: KeptEncoding | None = None, uncertain=None
    ) -> np.ndarray:
        """Stars (int) for calibrated ``logits`` of tokenized ``reviews``; 0 for a NaN
        logit; ``MIXED_STARS`` where ``uncertain`` (a mask) is set. ``kept``:
        ``RawScores.kept`` of the same reviews, reused when the stars model reads the same
        features."""
        probabilities = None
        if self.card.get("method") == "stacked":
            if self.model is None:
                raise BundleError("this model's stars need its stars model, which it lacks")
            probabilities = stars_probabilities(*self.model, reviews, kept=kept)
        stars = predict_stars(self.card, logits, probabilities)
        if uncertain is not None:
            mixed = np.asarray(MIXED_STARS)[(np.asarray(logits) >= 0).astype(int)]
            stars = np.where(np.asarray(uncertain) & (stars > 0), mixed, stars)
        return stars

    def figures(self, logits, ratings, reviews) -> dict:
        """Held-out figures: the stars' errors beside the "polarity then class median"
        baseline of the same logits."""
        baseline = rating_metrics(ratings, baseline_stars(logits))
        return {
            "stars": rating_metrics(ratings, self.apply(logits, reviews)),
            "stars_baseline": {
                key: baseline[key] for key in ("mae", "rmse", "exact", "within_one")
            },
        }

    def to_card(self) -> dict:
        return dict(self.card)

    @classmethod
    def from_card(cls, card: dict, model: tuple | None = None) -> Stars:
        return cls(dict(card), model)

    check = staticmethod(check_stars)
