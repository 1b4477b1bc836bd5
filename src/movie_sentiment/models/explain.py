"""How each family explains a score: every token's contribution to the model's logit.

A family's ``explain(keras_model, encoder, chunks)`` hook takes the reviews' chunks as a
``Tokenized`` corpus (each chunk short enough to pass the encoder uncut, see
``bundle.scoring``) and returns a ``ChunkExplanation``: per chunk, the logit the model
gives with no words (``base``) and, per token, its share of the rest. Two ways:

* **exact** (``ngram_explanation``), for models whose logit is a sum over n-gram features
  (``nbsvm``: ratio x weight; ``fasttext``: the mean of vectors read by one logistic
  unit, so each feature adds its vector's score divided by the feature count). Each
  feature's contribution is split evenly over its occurrences and, within one, over its
  n words, so the tokens' contributions plus the base are the logit, to rounding.
* **integrated gradients** (``integrated_gradients``, Sundararajan et al. 2017), for the
  networks with a nonlinearity between the words and the logit (``tutorial``,
  ``mslearn``, ``cnn``): the gradient of the logit with respect to each word's embedding,
  averaged along the straight path from the baseline (every word replaced by the padding
  vector, so the base is the logit of an empty review) to the review, times the
  difference. Their sum equals logit(review) - logit(baseline) up to the quadrature
  error of ``STEPS`` steps; ``ChunkExplanation.gap`` keeps that error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movie_sentiment.text.tokenize import Tokenized

STEPS = 32  # integrated-gradients steps (midpoint rule); see docs/explanations.md
IG_BATCH = 8  # chunks per gradient call: 8 x 32 x 400 x 100 floats is 40 MB for the cnn


@dataclass
class ChunkExplanation:
    """Per chunk: ``logit`` (the model's, raw), ``base`` (logit with no words), and each
    token's contribution, flat in chunk order (``contributions[offsets[i]:offsets[i+1]]``
    for chunk i, as in the ``Tokenized`` corpus of chunks)."""

    logit: np.ndarray
    base: np.ndarray
    contributions: np.ndarray
    offsets: np.ndarray
    method: str

    @property
    def gap(self) -> np.ndarray:
        """logit - base - the sum of the contributions, per chunk: 0 (to rounding) for
        exact methods, the quadrature error for integrated gradients."""
        totals = np.concatenate([[0.0], np.cumsum(self.contributions)])
        return self.logit - self.base - (totals[self.offsets[1:]] - totals[self.offsets[:-1]])


# -- exact: linear models over n-gram features ----------------------------------------------
def ngram_occurrences(encoder, chunks: Tokenized):
    """Every n-gram occurrence the encoder keeps for each chunk: (chunk, feature id, first
    token's flat position, n, occurrences of that feature in the chunk) arrays, and each
    chunk's count of distinct kept features. The encoder keeps a chunk's lowest
    ``maxlen`` distinct ids (``NgramEncoder.transform``)."""
    chunk, feature, position, n = encoder.occurrences(chunks)
    # Distinct (chunk, feature) pairs, in chunk then feature order, as the encoder sorts them.
    size = encoder.vocabulary_size
    distinct, inverse, occurrences = np.unique(
        chunk * size + feature, return_inverse=True, return_counts=True
    )
    distinct_chunk = distinct // size
    rank = np.arange(len(distinct)) - np.searchsorted(distinct_chunk, distinct_chunk)
    kept_pair = rank < encoder.maxlen
    kept = kept_pair[inverse]
    kept_counts = np.bincount(distinct_chunk[kept_pair], minlength=len(chunks))
    return (
        chunk[kept],
        feature[kept],
        position[kept],
        n[kept],
        occurrences[inverse][kept],
        kept_counts,
    )


def cached_values(keras_model, feature_values):
    """``feature_values(keras_model)``, computed once per loaded model and kept on it (a
    fasttext model's vectors times its weights is a 470,000 x 32 product: 20 ms a call).
    A bundle's weights never change after loading."""
    values = getattr(keras_model, "_movie_sentiment_values", None)
    if values is None:
        values = feature_values(keras_model)
        keras_model._movie_sentiment_values = values
    return values


def ngram_explanation(
    encoder, chunks: Tokenized, values: np.ndarray, bias: float, mean: bool, logits: np.ndarray
) -> ChunkExplanation:
    """Exact contributions of a model whose logit is ``bias`` plus the sum (``mean``: the
    mean) of ``values[f]`` over the review's distinct kept features ``f``."""
    chunk, feature, position, n, occurrences, kept_counts = ngram_occurrences(encoder, chunks)
    per_occurrence = values[feature].astype(np.float64) / occurrences
    if mean:
        per_occurrence = per_occurrence / np.maximum(kept_counts[chunk], 1)
    contributions = np.zeros(len(chunks.ids), dtype=np.float64)
    for k in range(int(n.max()) if len(n) else 0):
        covers = n > k
        np.add.at(contributions, position[covers] + k, per_occurrence[covers] / n[covers])
    return ChunkExplanation(
        np.asarray(logits, np.float64),
        np.full(len(chunks), float(bias)),
        contributions,
        chunks.offsets,
        "exact",
    )


# -- integrated gradients: embedding networks -------------------------------------------------
def _chain(keras_model):
    """(embedding layer, the layers after it up to the last, the last Dense): the model is a
    plain chain ids -> Embedding -> ... -> Dense(1, sigmoid)."""
    import keras

    layers = [
        layer for layer in keras_model.layers if not isinstance(layer, keras.layers.InputLayer)
    ]
    if not layers or not isinstance(layers[0], keras.layers.Embedding):
        raise TypeError(f"{keras_model.name} does not start with an Embedding layer")
    return layers[0], layers[1:-1], layers[-1]


def integrated_gradients(
    keras_model, encoder, chunks: Tokenized, logits: np.ndarray, steps: int = STEPS
) -> ChunkExplanation:
    """Integrated gradients of the logit over each word's embedding (see the module
    docstring). Needs the JAX backend, Keras' default here."""
    import keras

    if keras.backend.backend() != "jax":
        from movie_sentiment.errors import ConfigError

        raise ConfigError(
            "explanations of neural families need Keras' JAX backend (KERAS_BACKEND=jax)"
        )
    import jax.numpy as jnp

    embedding, _, _ = _chain(keras_model)
    table = jnp.asarray(keras.ops.convert_to_numpy(embedding.embeddings))
    gradient, base_logit = _compiled(keras_model)
    ids = encoder.transform(chunks)  # chunks are never cut by the encoder
    token_slots = _token_slots(encoder, chunks, ids.shape[1])
    baseline_ids = np.where(_is_word_slot(ids, token_slots), 0, ids)
    alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps  # midpoint rule
    attributions = np.zeros(ids.shape, dtype=np.float64)
    base = np.zeros(len(ids), dtype=np.float64)
    for start in range(0, len(ids), IG_BATCH):
        batch = ids[start : start + IG_BATCH]
        count = len(batch)
        # Batches padded to 1, 2, 4 or 8 chunks: each shape compiles once, then is reused.
        size = 1 << (count - 1).bit_length()
        padded = np.concatenate([batch, np.zeros((size - count, batch.shape[1]), batch.dtype)])
        baseline = np.concatenate(
            [
                baseline_ids[start : start + count],
                np.zeros((size - count, batch.shape[1]), batch.dtype),
            ]
        )
        x, x0 = table[padded], table[baseline]
        difference = x - x0
        path = x0[None] + alphas[:, None, None, None] * difference[None]
        shape = path.shape
        grads = gradient(path.reshape(-1, *shape[2:])).reshape(shape)
        mean_gradient = grads.mean(axis=0)
        attributions[start : start + count] = np.asarray(
            jnp.sum(mean_gradient * difference, axis=-1), dtype=np.float64
        )[:count]
        base[start : start + count] = np.asarray(base_logit(x0), dtype=np.float64)[:count]
    contributions = attributions[token_slots[0], token_slots[1]]
    return ChunkExplanation(
        np.asarray(logits, np.float64),
        base,
        contributions,
        chunks.offsets,
        f"integrated gradients, {steps} steps",
    )


def _compiled(keras_model):
    """(gradient of the summed logits, logits) over embedded inputs, compiled with JAX once
    per model and kept on it."""
    compiled = getattr(keras_model, "_movie_sentiment_ig", None)
    if compiled is None:
        import jax
        import jax.numpy as jnp
        import keras

        _, middle, last = _chain(keras_model)
        kernel = jnp.asarray(keras.ops.convert_to_numpy(last.kernel))
        bias = jnp.asarray(keras.ops.convert_to_numpy(last.bias))

        def logit_of(vectors):
            x = vectors
            for layer in middle:
                x = layer(x, training=False)
            return (x @ kernel + bias)[..., 0]

        compiled = (jax.jit(jax.grad(lambda v: jnp.sum(logit_of(v)))), jax.jit(logit_of))
        keras_model._movie_sentiment_ig = compiled
    return compiled


def _token_slots(encoder, chunks: Tokenized, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) in the padded id matrix of every chunk token, in flat token order."""
    lengths = chunks.lengths()
    start = 0 if encoder.start_char is None else 1
    used = lengths + start
    if encoder.padding == "pre":
        first = width - used + start
    else:
        first = np.full(len(lengths), start)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    columns = np.repeat(first, lengths) + (
        np.arange(lengths.sum()) - np.repeat(chunks.offsets[:-1], lengths)
    )
    return rows, columns


def _is_word_slot(ids: np.ndarray, slots) -> np.ndarray:
    mask = np.zeros(ids.shape, dtype=bool)
    mask[slots] = True
    return mask
