"""Measure a saved model on any labeled reviews: IMDB's test split or a user's own.

The figures are the ones training reports on IMDB's test split, computed from what
``score`` returns (so they measure exactly what a user gets): accuracy, loss,
precision, recall, F1, ROC AUC, the confusion matrix; calibration error and Brier score
before and after the card's temperature; the uncertain zone's coverage and the accuracy
of the reviews it answers; the stars' mean absolute error when ratings are given; and
how different the reviews are from the training data (``evaluation.shift``), with
plain advice when the model does badly on them.
"""

from __future__ import annotations

import numpy as np

from movie_sentiment.evaluation.calibration import calibration_report
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.evaluation.shift import advice, data_shift
from movie_sentiment.text.tokenize import as_tokens

SHORT_WORDS = 50  # a text under this many tokens is short, unless the card says otherwise


def known_words(encoder) -> set[str]:
    """The words an encoder has an id for (every member's, for an ensemble)."""
    if hasattr(encoder, "encoders"):
        return set().union(*(known_words(member) for member in encoder.encoders))
    if hasattr(encoder, "words_"):  # n-grams: the unigrams it kept
        return set(encoder.words_)
    kept = encoder.vocabulary_size - encoder.index_from - 1  # below num_words
    return set(encoder.vocabulary_[: max(kept, 0)])


def word_counts(texts, vocabulary: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each text's length in tokens and how many of those tokens ``vocabulary`` lacks."""
    tokens = as_tokens(texts)
    unknown_word = np.fromiter(
        (word not in vocabulary for word in tokens.vocabulary),
        dtype=bool,
        count=len(tokens.vocabulary),
    )
    lengths = tokens.lengths()
    owner = np.repeat(np.arange(len(lengths)), lengths)  # the text each token belongs to
    unknown = np.bincount(owner, weights=unknown_word[tokens.ids], minlength=len(lengths))
    return lengths, unknown.astype(np.int64)


def measure(model, texts, labels, ratings=None, *, target_accuracy: float | None = None) -> dict:
    """Every figure of ``model`` on the labeled ``texts`` (see the module docstring).
    ``ratings``: 1-10 stars per review (0: none), to measure the stars too."""
    labels = np.asarray(labels, dtype=np.int64)
    scores = model.score(
        texts, on_error="mark", target_accuracy=target_accuracy, stars=ratings is not None
    )
    scored = np.flatnonzero([error is None for error in scores.error])
    calibrated = scores.probability[scored]
    raw = sigmoid(scores.logit[scored] * model.temperature)
    truth = labels[scored]
    figures = classification_metrics(truth, calibrated)
    figures["not_scored"] = int(len(labels) - len(scored))
    figures["calibration"] = calibration_report(truth, raw, calibrated)
    said = np.asarray([scores.label[i] for i in scored.tolist()], dtype=object)
    answered = said != "uncertain"
    answered_right = said[answered] == np.where(truth[answered] == 1, "positive", "negative")
    figures["uncertain"] = {
        "coverage": float(answered.mean()) if len(said) else 0.0,
        "answered": int(answered.sum()),
        "answered_accuracy": float(answered_right.mean()) if answered.any() else None,
    }
    if ratings is not None:
        figures["stars"] = _stars_error(scores.stars, np.asarray(ratings), scored)
    figures["shift"] = _shift(model, [texts[i] for i in scored.tolist()])
    reference, where = held_out_accuracy(model.card.metrics if model.card else {})
    figures["advice"] = advice(figures, figures["shift"], reference, where)
    return figures


def held_out_accuracy(metrics: dict) -> tuple[float | None, str]:
    """The model's accuracy on reviews it was not trained on, when trained, and where it
    was measured: its test split, or a cross-validated run's folds (their mean; such a
    run has no test split)."""
    folds = metrics.get("cross_validation") or {}
    if "test" not in metrics and folds.get("mean"):
        where = f"mean over its {folds.get('folds')} cross-validation folds"
        return folds["mean"].get("accuracy"), where
    return (metrics.get("test") or {}).get("accuracy"), "on its own test split"


def _stars_error(stars: list, ratings: np.ndarray, scored: np.ndarray) -> dict:
    pairs = [(stars[i], ratings[i]) for i in scored.tolist() if stars[i] and ratings[i] > 0]
    if not pairs:
        return {"count": 0, "mae": None, "exact": None}
    predicted, true = (np.asarray(side, dtype=np.float64) for side in zip(*pairs, strict=True))
    return {
        "count": len(pairs),
        "mae": float(np.abs(predicted - true).mean()),
        "exact": float((predicted == true).mean()),
    }


def _shift(model, texts: list[str]) -> dict:
    words, unknown = word_counts(texts, known_words(model.encoder))
    training = (model.card.data if model.card else {}).get("length_words")
    return data_shift(words, unknown, model.heads.zone.short_text_words, training)
