"""Padding and truncation with exactly the semantics of ``keras.utils.pad_sequences``.

Written here rather than called from Keras so that encoding new text on the service's
hot path needs no Keras import and no per-call conversion to Python lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from movie_sentiment.errors import ConfigError

SIDES = ("pre", "post")


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    maxlen: int | None = None,
    dtype: str = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: float = 0.0,
) -> np.ndarray:
    """Pad or cut each sequence to ``maxlen`` (default: the longest).

    ``truncating="pre"`` drops tokens from the start (keeps the end of long reviews),
    ``padding="post"`` puts the padding after the tokens.

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post")
    array([[2, 3],
           [4, 0]], dtype=int32)
    """
    if padding not in SIDES:
        raise ConfigError(f'padding must be "pre" or "post", not {padding!r}')
    if truncating not in SIDES:
        raise ConfigError(f'truncating must be "pre" or "post", not {truncating!r}')
    lengths = [len(sequence) for sequence in sequences]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if maxlen < 0:
        raise ConfigError(f"maxlen must be positive, not {maxlen}")
    out = np.full((len(sequences), maxlen), value, dtype=dtype)
    if maxlen == 0:
        return out
    for row, (sequence, length) in enumerate(zip(sequences, lengths, strict=True)):
        if length == 0:
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if padding == "post":
            out[row, : len(kept)] = kept
        else:
            out[row, maxlen - len(kept) :] = kept
    return out
