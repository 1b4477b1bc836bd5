"""``cnn``: a convolutional network over word embeddings (Kim 2014, one filter width).

Sees word order: each filter responds to a 5-word window anywhere in the review
("not at all good"), and the strongest response of each filter is kept.
"""

from __future__ import annotations

import keras

from movie_sentiment.models.compile import compile_binary

NAME = "cnn"
SUMMARY = "Conv1D over word embeddings with global max pooling (maxlen 400)"
DEFAULTS = {
    "encoder": {"num_words": 30000, "maxlen": 400, "padding": "post", "truncating": "pre"},
    "model": {
        "embedding_dim": 64,
        "filters": 128,
        "kernel_size": 5,
        "dropout": 0.5,
        "learning_rate": 0.001,
    },
    "training": {"epochs": 4, "batch_size": 64, "validation_size": 2500, "checkpoint": True},
}


def build(config: dict, encoder) -> keras.Model:
    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32", name="word_ids")
    x = keras.layers.Embedding(encoder.vocabulary_size, config["embedding_dim"])(ids)
    x = keras.layers.Dropout(0.2)(x)
    x = keras.layers.Conv1D(config["filters"], config["kernel_size"], activation="relu")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dropout(config["dropout"])(x)
    probability = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
    return compile_binary(keras.Model(ids, probability, name=NAME), config["learning_rate"])
