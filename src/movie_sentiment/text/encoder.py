"""TextEncoder: one object that turns review text into the padded id matrix a model eats.

The same encoder, saved as JSON inside the model bundle, encodes the training data and
every new text later (CLI, service, batch), so training and serving cannot drift apart.

Id conventions are those of ``keras.datasets.imdb``: 0 pads, ``start_char`` (1) opens a
review, ``oov_char`` (2) stands for a word outside the ``num_words`` most frequent, and
the word of frequency rank r (1 = most frequent) gets id ``r + index_from`` (3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import repeat

import numpy as np

from movie_sentiment.checks import check_fields, from_settings
from movie_sentiment.errors import ConfigError
from movie_sentiment.text.padding import SIDES, pad_sequences
from movie_sentiment.text.tokenize import (
    TOKENIZER_VERSION,
    Tokenized,
    as_texts,
    as_tokens,
    encode_words,
    rank_by_frequency,
)

PAD_ID = 0


@dataclass
class TextEncoder:
    """Normalize, tokenize, look up and pad.

    >>> encoder = TextEncoder(num_words=10000, maxlen=256).fit(train_texts)
    >>> x = encoder.transform(["A wonderful film."])   # shape (1, 256), int32
    """

    num_words: int | None = 10000
    maxlen: int | None = 256
    padding: str = "post"
    truncating: str = "pre"
    start_char: int | None = 1
    oov_char: int = 2
    index_from: int = 3
    tokenizer: str = TOKENIZER_VERSION
    vocabulary_: list[str] = field(default_factory=list, repr=False)

    kind = "words"

    def __post_init__(self) -> None:
        check_fields(self, "text encoder")
        if self.index_from < 1:
            raise ConfigError(f"index_from must be 1 or more, not {self.index_from}")
        # Reserved ids lie between the padding (0) and the first word (index_from + 1).
        for name in ("start_char", "oov_char"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= self.index_from:
                raise ConfigError(
                    f"{name} must be from 1 to index_from ({self.index_from}), not {value}"
                )
        if self.start_char == self.oov_char:
            raise ConfigError(f"start_char and oov_char must differ, not both {self.oov_char}")
        if self.num_words is not None and self.num_words <= self.index_from:
            raise ConfigError(f"num_words must be above index_from ({self.index_from})")
        if self.maxlen is not None and self.maxlen < 1:
            raise ConfigError(f"maxlen must be at least 1, not {self.maxlen}")
        if self.padding not in SIDES or self.truncating not in SIDES:
            raise ConfigError('padding and truncating must each be "pre" or "post"')
        if self.tokenizer != TOKENIZER_VERSION:
            raise ConfigError(
                f"encoder uses tokenizer {self.tokenizer!r}; this version has {TOKENIZER_VERSION!r}"
            )
        if len(set(self.vocabulary_)) != len(self.vocabulary_):
            raise ConfigError("the vocabulary holds a word twice")
        self._set_vocabulary(self.vocabulary_)

    def _set_vocabulary(self, vocabulary: list[str]) -> None:
        self.vocabulary_ = vocabulary
        # word -> id, for the words whose id stays below the vocabulary size (num_words)
        limit = self.vocabulary_size
        self._ids = {
            word: rank + 1 + self.index_from
            for rank, word in enumerate(vocabulary)
            if rank + 1 + self.index_from < limit
        }

    # -- learning the vocabulary -------------------------------------------------------
    def fit(self, texts: Sequence[str] | Tokenized) -> TextEncoder:
        """Learn the vocabulary (words by frequency) from training texts."""
        tokens = as_tokens(texts)
        self._set_vocabulary(rank_by_frequency(tokens.counts(), tokens.vocabulary))
        return self

    @property
    def is_fitted(self) -> bool:
        return bool(self.vocabulary_)

    @property
    def vocabulary_size(self) -> int:
        """Size of the id space a model's Embedding layer must cover."""
        everything = len(self.vocabulary_) + self.index_from + 1
        return everything if self.num_words is None else min(self.num_words, everything)

    # -- encoding -----------------------------------------------------------------------
    def _lookup_table(self, vocabulary: list[str]) -> np.ndarray:
        """Map ids of a ``Tokenized`` vocabulary to this encoder's ids."""
        return np.fromiter(
            map(self._ids.get, vocabulary, repeat(self.oov_char, len(vocabulary))),
            dtype=np.int32,
            count=len(vocabulary),
        )

    def encode(self, texts: Sequence[str] | Tokenized) -> list[np.ndarray]:
        """Each text as an unpadded id array (with the start id when ``start_char`` is set)."""
        self._require_fitted()
        texts = as_texts(texts)
        if isinstance(texts, Tokenized):
            ids, bounds = self._lookup_table(texts.vocabulary)[texts.ids], texts.offsets
        else:  # new text: tokenize and look up in one pass
            ids, bounds = encode_words(texts, self._ids, self.oov_char)
            ids = ids.astype(np.int32)
        count = len(bounds) - 1
        if self.start_char is None:
            return [ids[bounds[i] : bounds[i + 1]] for i in range(count)]
        start = np.array([self.start_char], dtype=np.int32)
        return [np.concatenate([start, ids[bounds[i] : bounds[i + 1]]]) for i in range(count)]

    def bags(self, texts: Sequence[str] | Tokenized) -> tuple[np.ndarray, np.ndarray]:
        """``transform`` without the padding: each row's ids (start id included, cut to
        ``maxlen`` as ``truncating`` says), one row after another: (flat int32 ids,
        offsets). For a model that averages over a row, which needs no padded matrix."""
        self._require_fitted()
        texts = as_texts(texts)
        if isinstance(texts, Tokenized):
            ids, bounds = self._lookup_table(texts.vocabulary)[texts.ids], texts.offsets
        else:
            ids, bounds = encode_words(texts, self._ids, self.oov_char)
            ids = ids.astype(np.int32)
        count = len(bounds) - 1
        if self.start_char is not None:  # a start id before each text's first word
            starts = bounds[:-1] + np.arange(count)
            flat = np.full(len(ids) + count, self.start_char, dtype=np.int32)
            words = np.ones(len(flat), dtype=bool)
            words[starts] = False
            flat[words] = ids
            ids, bounds = flat, bounds + np.arange(count + 1)
        lengths = np.diff(bounds)
        if self.maxlen is None or lengths.max(initial=0) <= self.maxlen:
            return ids, bounds
        kept = np.minimum(lengths, self.maxlen)
        first = bounds[:-1] + (lengths - kept if self.truncating == "pre" else 0)
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(kept, out=offsets[1:])
        within = np.arange(offsets[-1]) - np.repeat(offsets[:-1], kept)
        return ids[np.repeat(first, kept) + within], offsets

    def transform(self, texts: Sequence[str] | Tokenized) -> np.ndarray:
        """Encode and pad: an int32 matrix of shape ``(len(texts), maxlen)``."""
        return pad_sequences(
            self.encode(texts),
            maxlen=self.maxlen,
            padding=self.padding,
            truncating=self.truncating,
            value=PAD_ID,
        )

    def known_counts(self, x: np.ndarray) -> np.ndarray:
        """How many ids of each encoded row (from ``transform``) are words of the
        vocabulary: 0 means the model sees nothing it learned about that review."""
        x = np.asarray(x)
        special = (x <= self.index_from) | (x == self.oov_char)
        if self.start_char is not None:
            special |= x == self.start_char
        return np.count_nonzero(~special, axis=1)

    def decode(self, ids: Sequence[int]) -> str:
        """Ids back to words, as the tutorials show a review: pads dropped, ``<START>``,
        ``<UNK>`` for out-of-vocabulary ids."""
        words = []
        for token_id in ids:
            token_id = int(token_id)
            if token_id == PAD_ID:
                continue
            if self.start_char is not None and token_id == self.start_char:
                words.append("<START>")
            elif token_id == self.oov_char or token_id <= self.index_from:
                words.append("<UNK>")
            elif token_id - self.index_from - 1 < len(self.vocabulary_):
                words.append(self.vocabulary_[token_id - self.index_from - 1])
            else:
                words.append("<UNK>")
        return " ".join(words)

    # -- persistence --------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TextEncoder:
        return from_settings(cls, data, "text encoder")

    def arrays(self) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def from_parts(cls, data: dict, arrays: dict[str, np.ndarray]) -> TextEncoder:
        return cls.from_dict(data)

    def _require_fitted(self) -> None:
        if not self.vocabulary_:
            raise ConfigError("the text encoder has no vocabulary yet: call fit() first")
