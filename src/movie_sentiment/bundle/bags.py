"""NumPy twins of the Keras models that only sum or average weights over a bag of n-gram
ids: nbsvm's logit (``NaiveBayesLinear``), and the stars model and the fasttext family
(``Embedding``, then ``MaskedMean``, then a ``Dense`` layer); the tutorial's average over
its padded row; and (``convolution.py``) the cnn's convolution over word windows.

Why: such a model reads a review's distinct n-gram ids padded to ``maxlen`` (nbsvm's
99th percentile, 1,407 ids), mostly padding. Building that matrix, padding it to whole
batches and running Keras over it took longer than encoding the n-grams; the twin reads
the ids without the padding (``Bags``, from ``NgramEncoder.bags``) and does the same math
with the model's own weights in float64 (nbsvm's ratio-weight products in float32, as
Keras forms them), so a result differs from Keras' only by Keras' float32 rounding (about
1e-6).

``twin_of`` recognizes the models by their layers and gives None for any other model,
which then runs in Keras as before (``scoring.run_model``).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

MEAN_DENSE_ACTIVATIONS = ("softmax", "sigmoid", "linear")


@dataclass
class Bags:
    """Encoded reviews without their padding: row ``i`` holds the ids
    ``ids[offsets[i]:offsets[i + 1]]`` (all non-zero), as ``NgramEncoder.transform`` puts
    them at the start of its padded row ``i``."""

    ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, rows + 1
    maxlen: int  # the padded width, for a model that needs the padded rows
    padding: str = "post"  # the side the encoder pads a row on

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def padded(self) -> np.ndarray:
        """The rows as ``transform`` pads them (for a model with no twin)."""
        lengths = self.lengths()
        owner = np.repeat(np.arange(len(self)), lengths)
        place = np.arange(len(self.ids)) - self.offsets[owner]
        if self.padding == "pre":
            place += (self.maxlen - lengths)[owner]
        out = np.zeros((len(self), self.maxlen), dtype=np.int32)
        out[owner, place] = self.ids
        return out


def _rows_matrix(bags: Bags, columns: int, data: np.ndarray | None = None):
    """The bags as a sparse (rows, columns) matrix: one entry per id, 1 unless ``data``.
    Its product with a weight table gathers and sums each row's weights in one pass."""
    import scipy.sparse as sparse

    data = np.ones(len(bags.ids)) if data is None else data
    return sparse.csr_matrix((data, bags.ids, bags.offsets), shape=(len(bags), columns))


class NaiveBayesTwin:
    """``NaiveBayesLinear`` alone (nbsvm's logit model): ``sum_j r[f_j] * w[f_j] + b``."""

    def __init__(self, layer) -> None:
        ratios, weights, bias = (
            np.asarray(v.value) for v in (layer.ratios, layer.weights_, layer.bias)
        )
        self.values = (ratios * weights).astype(np.float64)  # the product in float32, as Keras
        self.bias = float(bias[0])

    def __call__(self, bags: Bags) -> np.ndarray:
        logits = _rows_matrix(bags, len(self.values)) @ self.values + self.bias
        if self.values[0]:  # the padding id scores nothing once trained (``set_ratios``)
            logits += (bags.maxlen - bags.lengths()) * self.values[0]
        return logits


class MeanDenseTwin:
    """``Embedding`` -> ``MaskedMean`` (-> ``Dropout``, nothing at inference) -> ``Dense``
    with a softmax, sigmoid or no activation (the stars model; the fasttext family's logit
    model): the mean of a row's embedding vectors (zero for a row with none), then the
    dense layer. The mean and the dense layer are both linear, so each id's vector is
    multiplied by the kernel once, here: a row is then the mean of its ids' products
    (8 numbers an id for the stars, 1 for a logit, not the embedding's width)."""

    def __init__(self, embedding, dense) -> None:
        vectors = np.asarray(embedding.embeddings.value)  # float32, as Keras keeps it
        kernel = np.asarray(dense.kernel.value, np.float64)
        step = 1 << 16  # embedding rows at a time: their float64 copies stay small
        self.table = np.concatenate(
            [
                np.asarray(vectors[i : i + step], np.float64) @ kernel
                for i in range(0, len(vectors), step)
            ]
        )
        self.bias = np.asarray(dense.bias.value, np.float64)
        self.activation = dense.activation.__name__

    def __call__(self, bags: Bags) -> np.ndarray:
        totals = _rows_matrix(bags, len(self.table)) @ self.table
        scores = totals / np.maximum(bags.lengths(), 1)[:, None] + self.bias
        if self.activation == "softmax":
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            scores /= scores.sum(axis=1, keepdims=True)
        elif self.activation == "sigmoid":
            scores = 1 / (1 + np.exp(-scores))
        return scores[:, 0] if scores.shape[1] == 1 else scores


class AverageDenseTwin:
    """``Embedding`` -> ``GlobalAveragePooling1D`` (unmasked: the padding's vectors count)
    -> ``Dense`` layers (the tutorial family): the mean over the padded row, then the dense
    layers. As in ``MeanDenseTwin`` the first dense layer's kernel is applied to each
    embedding row once, here."""

    def __init__(self, embedding, denses: list) -> None:
        first = denses[0]
        vectors = np.asarray(embedding.embeddings.value)
        kernel = np.asarray(first.kernel.value, np.float64)
        self.table = np.asarray(vectors, np.float64) @ kernel
        self.layers = [
            (
                None if i == 0 else np.asarray(dense.kernel.value, np.float64),
                np.asarray(dense.bias.value, np.float64),
                dense.activation.__name__,
            )
            for i, dense in enumerate(denses)
        ]

    def __call__(self, bags: Bags) -> np.ndarray:
        totals = _rows_matrix(bags, len(self.table)) @ self.table
        padding = (bags.maxlen - bags.lengths())[:, None] * self.table[0]  # id 0 pads
        values = (totals + padding) / bags.maxlen
        for kernel, bias, activation in self.layers:
            values = (values if kernel is None else values @ kernel) + bias
            values = _ACTIVATIONS[activation](values)
        return values[:, 0] if values.shape[1] == 1 else values


_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
}


def _average_dense(layers: list):
    """An ``AverageDenseTwin`` of these layers, or None when they are not one."""
    names = [type(layer).__name__ for layer in layers]
    if names[:2] != ["Embedding", "GlobalAveragePooling1D"] or len(names) < 3:
        return None
    embedding, pooling, *denses = layers
    if getattr(embedding, "mask_zero", False) or pooling.data_format != "channels_last":
        return None
    if any(
        type(d).__name__ != "Dense" or not d.use_bias or d.activation.__name__ not in _ACTIVATIONS
        for d in denses
    ):
        return None
    return AverageDenseTwin(embedding, denses)


def _build_twin(keras_model):
    layers = [
        layer
        for layer in keras_model.layers
        if type(layer).__name__ not in ("InputLayer", "Dropout")  # Dropout: none at inference
    ]
    names = [type(layer).__name__ for layer in layers]
    if names == ["NaiveBayesLinear"]:
        return NaiveBayesTwin(layers[0])
    if names == ["Embedding", "MaskedMean", "Dense"]:
        embedding, _, dense = layers
        if dense.activation.__name__ in MEAN_DENSE_ACTIVATIONS and dense.use_bias:
            return MeanDenseTwin(embedding, dense)
    if names[:2] == ["Embedding", "Conv1D"]:
        from movie_sentiment.bundle.convolution import conv_max_twin

        return conv_max_twin(layers, _ACTIVATIONS)
    return _average_dense(layers)


# Twins of live models, rebuilt when a weight is assigned (Keras replaces the JAX array).
_TWINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# Every use of a Keras model's variables takes this lock: Keras' JAX predict loop empties
# the variables of the model it runs until it ends, so reading them from another scoring
# thread meanwhile (an ensemble's NumPy member beside its Keras cnn) finds none.
KERAS_LOCK = threading.RLock()


def twin_of(keras_model):
    """The NumPy twin of ``keras_model`` (a callable taking ``Bags``), or None when the
    model is not one of the bag models above."""
    with KERAS_LOCK:
        values = tuple(variable.value for variable in keras_model.weights)
        cached = _TWINS.get(keras_model)
        if (
            cached is not None
            and len(cached[0]) == len(values)
            and all(a is b for a, b in zip(cached[0], values, strict=True))
        ):
            return cached[1]
        twin = _build_twin(keras_model)
        _TWINS[keras_model] = (values, twin)
        return twin
