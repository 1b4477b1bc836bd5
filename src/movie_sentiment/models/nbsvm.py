"""``nbsvm``: naive-Bayes-weighted logistic regression over binarized word 1-3-grams.

Wang & Manning (2012) and Mesnil et al. (2014) as a Keras model: each review is the set
of its word uni-, bi- and trigrams (those in at least ``min_df`` training reviews); the
naive-Bayes log-count ratio ``r_f = log((p_f/|p|) / (q_f/|q|))`` of each n-gram, counted
on the training split only (``alpha`` smoothing), is a frozen weight; a trainable weight
per n-gram scales it; the logit is the sum over the review's n-grams plus a bias.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from movie_sentiment.checks import check_bounds
from movie_sentiment.models.compile import compile_binary

if TYPE_CHECKING:
    import keras

NAME = "nbsvm"
SUMMARY = "NB-weighted logistic regression over binarized word 1-3-grams"
# Reviews longer than the window: accuracy on the validation reviews longer than it
# (0.9328 mean, 0.9328 truncate, 0.9244 head_tail; benchmarks/long_reviews.py). A tie goes
# to mean, which reads every word.
LONG_REVIEWS = "mean"
DEFAULTS = {
    "encoder": {"kind": "ngrams", "ngram_range": [1, 3], "min_df": 2},
    # Chosen on validation accuracy (2,500 reviews carved from train, seed 42) over learning
    # rate 0.001-0.01, initial weight 0.01-1, L2 0-1e-3, 1-5 epochs: one epoch suffices.
    "family_options": {"alpha": 1.0, "initial_weight": 0.03, "l2": 1e-4, "learning_rate": 0.003},
    "training": {"epochs": 1, "batch_size": 32, "validation_size": 2500, "checkpoint": False},
}


def check_options(options: dict) -> None:
    check_bounds(
        options,
        f"{NAME} options",
        positive=("alpha", "learning_rate"),
        non_negative=("l2",),
    )


def build(options: dict, encoder) -> keras.Model:
    """The compiled model over ``encoder``'s padded n-gram ids."""
    import keras

    from movie_sentiment.models.layers import NaiveBayesLinear

    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32", name="ngram_ids")
    logit = NaiveBayesLinear(
        encoder.vocabulary_size,
        initial_weight=options["initial_weight"],
        l2=options["l2"],
        name="nb_linear",
    )(ids)
    probability = keras.layers.Activation("sigmoid", name="probability")(logit)
    return compile_binary(keras.Model(ids, probability, name=NAME), options["learning_rate"])


def naive_bayes_ratios(ids: np.ndarray, labels: np.ndarray, size: int, alpha: float) -> np.ndarray:
    """Log-count ratios of binarized features (``ids`` hold each review's distinct ids).
    Labels may be soft (a probability of positive, as a distilled model's targets are):
    a review then counts ``p`` towards the positive counts and ``1 - p`` the negative."""
    labels = np.asarray(labels, dtype=np.float64).ravel()
    positive, negative = np.zeros(size), np.zeros(size)
    for start in range(0, len(ids), 4096):  # in blocks: the weights are as large as ids
        block, weight = ids[start : start + 4096], labels[start : start + 4096, None]
        shape = block.shape
        positive += np.bincount(block.ravel(), np.broadcast_to(weight, shape).ravel(), size)
        negative += np.bincount(block.ravel(), np.broadcast_to(1 - weight, shape).ravel(), size)
    positive[0] = negative[0] = 0.0  # padding
    p, q = positive + alpha, negative + alpha
    return np.log((p / p.sum()) / (q / q.sum()))


def initialize(
    keras_model: keras.Model, x_fit: np.ndarray, y_fit: np.ndarray, options: dict, **_context
) -> None:
    """Set the frozen naive-Bayes ratios from the training part."""
    layer = keras_model.get_layer("nb_linear")
    layer.set_ratios(naive_bayes_ratios(x_fit, y_fit, layer.num_features, options["alpha"]))


def feature_values(keras_model: keras.Model) -> tuple[np.ndarray, float, bool]:
    """What each n-gram feature adds to the logit (ratio x weight), the bias, and whether
    the logit averages rather than sums them (it sums)."""
    import keras

    layer = keras_model.get_layer("nb_linear")
    ratios, weights = (keras.ops.convert_to_numpy(w) for w in (layer.ratios, layer.weights_))
    values = ratios.astype(np.float64) * weights.astype(np.float64)
    return values, float(keras.ops.convert_to_numpy(layer.bias)[0]), False


def explain(keras_model: keras.Model, encoder, chunks, logits):
    """Exact: each n-gram adds ratio x weight (see ``models.explain``)."""
    from movie_sentiment.models.explain import cached_values, ngram_explanation

    values, bias, mean = cached_values(keras_model, feature_values)
    return ngram_explanation(encoder, chunks, values, bias, mean, logits)
