"""The twin of the cnn family's model: ``Embedding`` -> ``Conv1D`` (valid, stride 1) ->
``GlobalMaxPooling1D`` -> ``Dense`` layers, reading ``Bags`` of word ids.

Why: Keras runs the convolution over every window of the padded row, 396 windows of 5
words x 100 dimensions x 128 filters (51 million multiply-adds a review, 0.3 ms on two
cores), most of them over padding. A convolution is linear in its inputs, so each word's
vector is multiplied by each of the kernel's ``K`` slices once, here (``tables``): a
window's filter values are then the sum of ``K`` table rows, 5 x 128 additions. All-padding
windows give one value, computed once. A compiled loop (Numba, releasing the GIL so the
scoring threads run side by side) visits only the windows that touch a word, about ten
times faster than Keras (``benchmarks/throughput.py``). The tables are float32, as Keras
computes, so a score differs from Keras' by float32 rounding (about 1e-7).

The maximum over windows commutes with the convolution's activation (ReLU or none, both
non-decreasing), so the activation is applied to the maximum.
"""

from __future__ import annotations

import numpy as np

CONV_ACTIVATIONS = ("relu", "linear")


def conv_max_twin(layers: list, activations: dict):
    """A ``ConvMaxTwin`` of these layers (no input or dropout layers among them), or None
    when they are not that model."""
    names = [type(layer).__name__ for layer in layers]
    if names[:3] != ["Embedding", "Conv1D", "GlobalMaxPooling1D"] or len(names) < 4:
        return None
    embedding, conv, pooling, *denses = layers
    if getattr(embedding, "mask_zero", False):
        return None
    if (
        conv.padding != "valid"
        or tuple(conv.strides) != (1,)
        or tuple(conv.dilation_rate) != (1,)
        or conv.groups != 1
        or conv.data_format != "channels_last"
        or conv.activation.__name__ not in CONV_ACTIVATIONS
        or pooling.data_format != "channels_last"
        or pooling.keepdims
    ):
        return None
    if any(
        type(d).__name__ != "Dense" or not d.use_bias or d.activation.__name__ not in activations
        for d in denses
    ):
        return None
    return ConvMaxTwin(embedding, conv, denses, activations)


class ConvMaxTwin:
    """The model's outputs for ``Bags`` of word ids (start id included, cut to ``maxlen``
    as the encoder cuts), padded on ``bags.padding``'s side as the encoder pads."""

    def __init__(self, embedding, conv, denses: list, activations: dict) -> None:
        vectors = np.asarray(embedding.embeddings.value, np.float32)
        kernel = np.asarray(conv.kernel.value, np.float32)  # (K, dimensions, filters)
        # tables[k, word] = the filter values word adds at place k of a window
        self.tables = np.ascontiguousarray(np.stack([vectors @ part for part in kernel]))
        filters = kernel.shape[2]
        bias = conv.bias.value if conv.use_bias else np.zeros(filters)
        self.bias = np.asarray(bias, np.float32)
        self.relu = conv.activation.__name__ == "relu"
        self.layers = [
            (
                np.asarray(d.kernel.value, np.float64),
                np.asarray(d.bias.value, np.float64),
                activations[d.activation.__name__],
            )
            for d in denses
        ]

    def __call__(self, bags) -> np.ndarray:
        pooled = np.empty((len(bags), self.tables.shape[2]), np.float32)
        _window_maxima(
            bags.ids.astype(np.int64, copy=False),
            bags.offsets.astype(np.int64, copy=False),
            bags.maxlen,
            bags.padding == "pre",
            self.tables,
            self.bias,
            pooled,
        )
        values = np.asarray(pooled, np.float64)
        if self.relu:
            values = np.maximum(values, 0.0)
        for kernel, bias, activation in self.layers:
            values = activation(values @ kernel + bias)
        return values[:, 0] if values.shape[1] == 1 else values


_COMPILED = None


def _window_maxima(ids, offsets, maxlen, pre, tables, bias, out) -> None:
    """``window_maxima`` compiled by Numba on first use (cached on disk beside this module,
    so a new process loads it instead of compiling it again, about 0.7 s)."""
    global _COMPILED
    if _COMPILED is None:
        import numba

        _COMPILED = numba.njit(cache=True, nogil=True)(window_maxima)
    _COMPILED(ids, offsets, maxlen, pre, tables, bias, out)


def window_maxima(ids, offsets, maxlen, pre, tables, bias, out) -> None:
    """``out[row]``: the largest value of each filter over the windows of row ``row``
    padded to ``maxlen`` ids (before ``pre`` it, else after), before the activation. Plain
    Python that Numba compiles: slow if called as it is."""
    width, _, filters = tables.shape
    values = np.empty(filters, np.float32)
    for row in range(len(offsets) - 1):
        start, count = offsets[row], offsets[row + 1] - offsets[row]
        padding = maxlen - count
        # A window that touches a word reaches at most width - 1 ids of padding.
        before = min(padding, width - 1) if pre else 0
        after = 0 if pre else min(padding, width - 1)
        best = out[row]
        best[:] = -np.inf
        for first in range(before + count + after - width + 1):
            values[:] = bias
            for k in range(width):
                place = first + k - before
                word = ids[start + place] if 0 <= place < count else 0
                values += tables[k, word]
            np.maximum(best, values, best)
        if padding >= width:  # windows of padding alone: one value for all of them
            values[:] = bias
            for k in range(width):
                values += tables[k, 0]
            np.maximum(best, values, best)
