"""The rating model inside every bundle: a distribution over IMDB's star ratings from the
review's words, whatever the family.

Multinomial logistic regression over a review's distinct word uni- and bigrams: each
n-gram has one learned score per rating (1-4, 7-10); a review's scores are the mean over
its n-grams, and a softmax turns them into probabilities. The bundle's ``stars`` combine
this distribution with the sentiment model's own logit (``bundle.ratings``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

CLASSES = (1, 2, 3, 4, 7, 8, 9, 10)
ENCODER = {"kind": "ngrams", "ngram_range": [1, 2], "min_df": 2}
# Chosen on validation (2,500 reviews carved from train, seed 42; nbsvm's logit stacked):
# 1 to 6 epochs, learning rate 0.01: two epochs gave the smallest error of the stacked stars.
TRAINING = {"epochs": 2, "batch_size": 64, "learning_rate": 0.01}


def build(encoder) -> keras.Model:
    """The compiled model over ``encoder``'s padded n-gram ids: ratings' probabilities."""
    import keras

    from movie_sentiment.models.layers import MaskedMean

    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32", name="ngram_ids")
    scores = keras.layers.Embedding(
        encoder.vocabulary_size, len(CLASSES), embeddings_initializer="zeros", name="ngram_scores"
    )(ids)
    review = MaskedMean(name="mean")([scores, ids])
    probabilities = keras.layers.Dense(len(CLASSES), activation="softmax", name="ratings")(review)
    keras_model = keras.Model(ids, probabilities, name="ratings")
    keras_model.compile(
        optimizer=keras.optimizers.Adam(TRAINING["learning_rate"]),
        loss="sparse_categorical_crossentropy",
    )
    return keras_model
