"""``cnn``: a convolutional network over word embeddings (Kim 2014, one filter width).

Sees word order: each filter responds to a 5-word window anywhere in the review
("not at all good"), and the strongest response of each filter is kept. The embeddings
start from word vectors learned on IMDB's own unlabeled text (``train`` + ``unsup``, never
``test``; see ``text.wordvectors``), so words too rare in the labeled reviews to learn
from still arrive near their synonyms; ``"pretrained_vectors": null`` starts at random.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from movie_sentiment.checks import check_bounds
from movie_sentiment.errors import ConfigError
from movie_sentiment.models.compile import compile_binary

if TYPE_CHECKING:
    import keras

NAME = "cnn"
SUMMARY = "Conv1D over word embeddings with global max pooling (maxlen 400)"
# Reviews longer than the window: accuracy on the validation reviews longer than it
# (0.8870 truncate, 0.8644 mean, 0.8644 head_tail; benchmarks/long_reviews.py).
LONG_REVIEWS = "truncate"
DEFAULTS = {
    "encoder": {"num_words": 30000, "maxlen": 400, "padding": "post", "truncating": "pre"},
    "family_options": {
        # Chosen on validation (2,500 reviews from train, seed 42): random start 0.8876
        # 64-wide, 0.8932 100-wide; word vectors from train + unsup 100-wide 0.8992.
        "pretrained_vectors": {"window": 5, "min_count": 5},
        "embedding_dim": 100,
        "filters": 128,
        "kernel_size": 5,
        "dropout": 0.5,
        "learning_rate": 0.001,
    },
    # Each training review's last one and two sentences are examples too, at weight 0.2:
    # on validation, whole reviews 0.8992 -> 0.9064, last sentences 0.7348 -> 0.7584, last
    # two 0.7984 -> 0.8184 (benchmarks/short_texts.py), at 2.4 times the training time.
    "training": {
        "epochs": 4,
        "batch_size": 64,
        "validation_size": 2500,
        "checkpoint": True,
        "sentence_examples": 2,
        "sentence_weight": 0.2,
    },
}


def vector_options(options: dict) -> dict | None:
    """The checked ``pretrained_vectors`` option: None (start at random) or its settings."""
    vectors = options.get("pretrained_vectors")
    if vectors is None or vectors is False:
        return None
    if not isinstance(vectors, dict):
        raise ConfigError(
            f'pretrained_vectors must be null or {{"window": N, "min_count": N}}, not {vectors!r}'
        )
    unknown = set(vectors) - {"window", "min_count"}
    if unknown:
        raise ConfigError(
            f"pretrained_vectors takes window and min_count, not {', '.join(sorted(unknown))}"
        )
    checked = {"window": vectors.get("window", 5), "min_count": vectors.get("min_count", 5)}
    for name, value in checked.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"pretrained_vectors {name} must be a whole number >= 1, not {value!r}"
            )
    return checked


def check_options(options: dict) -> None:
    """Checked when a config is read, before any data loads."""
    vector_options(options)
    check_bounds(
        options,
        f"{NAME} options",
        count=("embedding_dim", "filters", "kernel_size"),
        fraction=("dropout",),
        positive=("learning_rate",),
    )


def build(options: dict, encoder) -> keras.Model:
    """The compiled model over ``encoder``'s padded word ids."""
    import keras

    if encoder.maxlen is not None and options["kernel_size"] > encoder.maxlen:
        raise ConfigError(
            f"cnn kernel_size {options['kernel_size']} is longer than the reviews "
            f"(maxlen {encoder.maxlen})"
        )
    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32", name="word_ids")
    x = keras.layers.Embedding(
        encoder.vocabulary_size, options["embedding_dim"], name="word_vectors"
    )(ids)
    x = keras.layers.Dropout(0.2)(x)
    x = keras.layers.Conv1D(options["filters"], options["kernel_size"], activation="relu")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dropout(options["dropout"])(x)
    probability = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
    return compile_binary(keras.Model(ids, probability, name=NAME), options["learning_rate"])


def initialize(keras_model: keras.Model, x_fit, y_fit, options: dict, *, encoder, splits) -> dict:
    """Start the embedding from word vectors learned on ``splits.unlabeled_text()``."""
    import keras
    from rich.console import Console

    from movie_sentiment.text.wordvectors import learn_word_vectors

    wanted = vector_options(options)
    if wanted is None:
        return {}
    started = time.perf_counter()
    key = ("word_vectors", options["embedding_dim"], wanted["window"], wanted["min_count"])
    if key not in splits.memo:  # a refit on the same splits reuses them
        with Console(stderr=True).status("Learning word vectors from train + unsup text..."):
            splits.memo[key] = learn_word_vectors(
                splits.unlabeled_text(), dim=key[1], window=key[2], min_count=key[3]
            )
    vectors = splits.memo[key]
    layer = keras_model.get_layer("word_vectors")
    matrix = keras.ops.convert_to_numpy(layer.embeddings).copy()
    rows = [(rank + 1 + encoder.index_from, word) for rank, word in enumerate(encoder.vocabulary_)]
    filled = vectors.fill(matrix, rows, scale=1.0)
    layer.embeddings.assign(matrix)
    return {
        "pretrained_vectors": {
            "source": "PPMI + SVD on train + unsup text",
            "words_with_vectors": len(vectors.words),
            "embedding_rows_set": filled,
            "seconds": round(time.perf_counter() - started, 2),
        }
    }


def explain(keras_model: keras.Model, encoder, chunks, logits):
    """Integrated gradients over the word embeddings (see ``models.explain``)."""
    from movie_sentiment.models.explain import integrated_gradients

    return integrated_gradients(keras_model, encoder, chunks, logits)
