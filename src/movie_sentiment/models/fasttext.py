"""``fasttext``: a bag of word and bigram embeddings (Joulin et al. 2016, "Bag of Tricks").

Each review is the set of its word uni- and bigrams; each n-gram has a learned vector;
the review is the mean of its vectors, and one logistic unit reads it. Unlike ``nbsvm``,
n-grams share a dense space, so similar phrases get similar vectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from movie_sentiment.checks import check_bounds
from movie_sentiment.models.compile import compile_binary

if TYPE_CHECKING:
    import keras

NAME = "fasttext"
SUMMARY = "fastText-style mean of word + bigram embeddings, then logistic regression"
# Reviews longer than the window: accuracy on the validation reviews longer than it
# (0.9364 head_tail, 0.9249 mean, 0.9133 truncate; benchmarks/long_reviews.py).
LONG_REVIEWS = "head_tail"
DEFAULTS = {
    "encoder": {"kind": "ngrams", "ngram_range": [1, 2], "min_df": 2},
    "family_options": {"embedding_dim": 32, "dropout": 0.2, "learning_rate": 0.003},
    # Each training review's last one and two sentences are examples too, at weight 0.2:
    # on validation, whole reviews 0.9192 -> 0.9204, last sentences 0.7648 -> 0.7748, last
    # two 0.8224 -> 0.8264 (benchmarks/short_texts.py).
    "training": {
        "epochs": 4,
        "batch_size": 64,
        "validation_size": 2500,
        "checkpoint": True,
        "sentence_examples": 2,
        "sentence_weight": 0.2,
    },
}


def check_options(options: dict) -> None:
    check_bounds(
        options,
        f"{NAME} options",
        count=("embedding_dim",),
        fraction=("dropout",),
        positive=("learning_rate",),
    )


def build(options: dict, encoder) -> keras.Model:
    """The compiled model over ``encoder``'s padded n-gram ids (0 pads, left out of the mean)."""
    import keras

    from movie_sentiment.models.layers import MaskedMean

    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32", name="ngram_ids")
    vectors = keras.layers.Embedding(
        encoder.vocabulary_size, options["embedding_dim"], name="ngram_vectors"
    )(ids)
    review = MaskedMean(name="mean")([vectors, ids])
    review = keras.layers.Dropout(options["dropout"])(review)
    probability = keras.layers.Dense(1, activation="sigmoid", name="probability")(review)
    return compile_binary(keras.Model(ids, probability, name=NAME), options["learning_rate"])


def feature_values(keras_model: keras.Model):
    """What each n-gram feature's vector adds to the logit before averaging (its vector
    read by the logistic unit), the bias, and True: the logit averages them."""
    import keras
    import numpy as np

    vectors = keras.ops.convert_to_numpy(keras_model.get_layer("ngram_vectors").embeddings)
    kernel, bias = (
        keras.ops.convert_to_numpy(w) for w in keras_model.get_layer("probability").weights
    )
    values = vectors.astype(np.float64) @ kernel.astype(np.float64)[:, 0]
    return values, float(bias[0]), True


def explain(keras_model: keras.Model, encoder, chunks, logits):
    """Exact: the logit is the mean of the features' values plus the bias (dropout is off
    when scoring), so each feature adds its value over the feature count."""
    from movie_sentiment.models.explain import cached_values, ngram_explanation

    values, bias, mean = cached_values(keras_model, feature_values)
    return ngram_explanation(encoder, chunks, values, bias, mean, logits)
