"""NgramEncoder: each review as the set of its word n-grams (binarized bag of n-grams).

For linear n-gram models (naive-Bayes-weighted logistic regression, fastText-style
embedding bags). Everything after tokenization is vectorized NumPy over the whole batch:
n-gram keys are integers (word ids in base ``len(words) + 1``), looked up with
``searchsorted`` in one sorted table per n, and de-duplicated per review with one
``np.unique``. Ids: 0 pads; feature ``f`` (unigrams first, then bigrams, ...) is ``f + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from movie_sentiment.checks import check_fields, from_settings
from movie_sentiment.errors import ConfigError, InvalidDataError
from movie_sentiment.text.tokenize import (
    TOKENIZER_VERSION,
    Tokenized,
    as_texts,
    as_tokens,
    encode_words,
    rank_by_frequency,
    sorted_unique,
    threads,
)

TRANSFORM_CHUNK = 500
_POOL: ThreadPoolExecutor | None = None


def _thread_pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="ngram-encoder")
    return _POOL


def _chunk_map():
    """``map`` over chunks: on the encoder's threads, or in this one when one is all."""
    return map if threads() == 1 else _thread_pool().map


def _in_chunks(texts) -> list | None:
    """``texts`` cut into ``TRANSFORM_CHUNK``-review chunks for the threads, or None when
    there are too few to share out."""
    count = len(texts)
    if count < 2 * TRANSFORM_CHUNK:
        return None
    starts = range(0, count, TRANSFORM_CHUNK)
    if isinstance(texts, Tokenized):
        return [texts.select(np.arange(i, min(i + TRANSFORM_CHUNK, count))) for i in starts]
    return [texts[i : i + TRANSFORM_CHUNK] for i in starts]


@dataclass
class NgramEncoder:
    """Binarized word n-grams of a review as padded feature ids.

    >>> encoder = NgramEncoder(ngram_range=(1, 3), min_df=2).fit(train_texts)
    >>> x = encoder.transform(["Not good at all."])   # (1, encoder.maxlen) int32

    ``maxlen`` is the number of features kept per review, the length every row is padded
    or cut to, as ``TextEncoder.maxlen`` is for words; left None, ``fit`` sets it to the
    99th percentile of the training reviews' feature counts.
    """

    ngram_range: tuple[int, int] = (1, 3)
    min_df: int = 2  # n-grams (n >= 2) must occur in this many training reviews
    maxlen: int | None = None
    tokenizer: str = TOKENIZER_VERSION
    words_: list[str] = field(default_factory=list, repr=False)
    tables_: list[np.ndarray] = field(default_factory=list, repr=False)

    kind = "ngrams"

    def __post_init__(self) -> None:
        check_fields(self, "n-gram encoder")
        low, high = self.ngram_range = tuple(self.ngram_range)
        if not 1 <= low <= high <= 3:
            raise ConfigError(f"ngram_range must be within (1, 3), not {self.ngram_range}")
        if self.min_df < 1:
            raise ConfigError(f"min_df must be at least 1, not {self.min_df}")
        if self.maxlen is not None and self.maxlen < 1:
            raise ConfigError(f"maxlen must be at least 1, not {self.maxlen}")
        self._learns_maxlen = self.maxlen is None
        if self.tokenizer != TOKENIZER_VERSION:
            raise ConfigError(
                f"encoder uses tokenizer {self.tokenizer!r}, not {TOKENIZER_VERSION!r}"
            )
        self._index = {word: i + 1 for i, word in enumerate(self.words_)}
        self._lookup_cache = None  # hash indexes of tables_, built on first use
        self._vocabulary_cache = None  # (vocabulary, its length, word ids): _vocabulary_table

    # -- shared machinery ------------------------------------------------------------------
    def _word_ids(self, tokens: Tokenized) -> np.ndarray:
        """Tokens as int64 word ids (0: a word not seen in training)."""
        return self._vocabulary_table(tokens.vocabulary)[tokens.ids]

    def _vocabulary_table(self, vocabulary: list[str]) -> np.ndarray:
        """Word id of each word of a corpus vocabulary. Kept for the last vocabulary seen:
        ``transform`` encodes a large corpus in chunks that share its vocabulary (tens of
        thousands of words), which would otherwise be looked up again for every chunk.
        Vocabularies only grow (``tokenize_corpus`` appends), so its length tells whether
        the table still covers it."""
        cached = self._vocabulary_cache
        if cached is not None and cached[0] is vocabulary and cached[1] == len(vocabulary):
            return cached[2]
        table = np.fromiter(
            map(self._index.get, vocabulary, repeat(0, len(vocabulary))),  # no Python frames
            dtype=np.int64,
            count=len(vocabulary),
        )
        self._vocabulary_cache = (vocabulary, len(vocabulary), table)
        return table

    def _positions(self, texts: Sequence[str] | Tokenized) -> tuple[np.ndarray, np.ndarray, int]:
        """(review index, word id) of every token (word id 0: not seen in training), and
        the number of reviews."""
        if isinstance(texts, Tokenized):
            words, offsets = self._word_ids(texts), texts.offsets
        else:
            words, offsets = encode_words(texts, self._index, 0)
        count = len(offsets) - 1
        review = np.repeat(np.arange(count, dtype=np.int64), np.diff(offsets))
        return review, words, count

    def _keys(
        self, review: np.ndarray, words: np.ndarray, n: int, positions: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(review index, n-gram key, flat position of its first token, unless not
        ``positions``) of every n-gram that lies inside one review."""
        count = len(words) - n + 1
        if count <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        if n == 1:  # every token is a unigram of its review
            return review, words, np.arange(count) if positions else None
        inside = review[:count] == review[n - 1 : n - 1 + count]
        base = len(self.words_) + 1
        keys = words[:count].copy()
        for k in range(1, n):
            keys *= base
            keys += words[k : k + count]
        first = np.flatnonzero(inside) if positions else None
        return review[:count][inside], keys[inside], first

    # -- learning ----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str] | Tokenized) -> NgramEncoder:
        """Learn the word list and the n-gram tables from training reviews."""
        tokens = as_tokens(texts)
        self.words_ = rank_by_frequency(tokens.counts(), tokens.vocabulary)
        self._index = {word: i + 1 for i, word in enumerate(self.words_)}
        self._vocabulary_cache = None
        self.tables_ = []
        review, words, count = self._positions(tokens)
        features_per_review = np.zeros(count, dtype=np.int64)
        low, high = self.ngram_range
        for n in range(low, high + 1):
            at, keys, _ = self._keys(review, words, n)
            unique_keys = sorted_unique(keys)
            pairs = sorted_unique(at * len(unique_keys) + np.searchsorted(unique_keys, keys))
            owner, key_index = np.divmod(pairs, len(unique_keys))
            document_frequency = np.bincount(key_index, minlength=len(unique_keys))
            kept = document_frequency >= (1 if n == 1 else self.min_df)
            self.tables_.append(unique_keys[kept])
            features_per_review += np.bincount(owner[kept[key_index]], minlength=count)
        self._lookup_cache = None
        if self._learns_maxlen:
            percentile = np.percentile(features_per_review, 99) if count else 1
            self.maxlen = int(max(1, percentile))
        return self

    @property
    def is_fitted(self) -> bool:
        return bool(self.tables_)

    @property
    def vocabulary_size(self) -> int:
        """Number of feature ids including the padding id 0."""
        return 1 + sum(len(table) for table in self.tables_)

    # -- encoding ----------------------------------------------------------------------------
    def _lookups(self) -> list:
        """A lookup per table, key -> index into it (-1: not there): for a unigram table
        that holds every word (``fit`` keeps them all) the key itself, less one; for the
        others a hash index (pandas' khash), 5x faster than ``searchsorted`` for the
        millions of lookups of a batch."""
        if self._lookup_cache is None:
            import pandas as pd

            words = len(self.words_)
            lookups = []
            for n, table in enumerate(self.tables_, self.ngram_range[0]):
                if n == 1 and len(table) == words and (not words or table[-1] == words):
                    lookups.append(_every_word)  # sorted, distinct, 1..words: all of them
                else:
                    lookups.append(_TableLookup(table, pd.Index(table).get_indexer))
            self._lookup_cache = lookups
        return self._lookup_cache

    def _found(self, texts: Sequence[str] | Tokenized, positions: bool = False):
        """Per n, the known n-grams of ``texts``: (n, review index, feature id as
        ``features`` numbers it, and with ``positions`` the flat position of its first
        token)."""
        if not self.tables_:
            raise ConfigError("the n-gram encoder has no tables yet: call fit() first")
        review, words, _ = self._positions(as_texts(texts))
        offset = 1
        low, _ = self.ngram_range
        for n, (table, lookup) in enumerate(zip(self.tables_, self._lookups(), strict=True), low):
            at, keys, first = self._keys(review, words, n, positions)
            index = lookup(keys)
            found = index >= 0
            yield n, at[found], index[found] + offset, first[found] if positions else None
            offset += len(table)

    def features(self, texts: Sequence[str] | Tokenized) -> tuple[np.ndarray, np.ndarray]:
        """Each review's distinct feature ids, sorted: (flat int32 ids, offsets)."""
        count, offset = len(as_texts(texts)), self.vocabulary_size
        parts = [at * offset + feature for _, at, feature, _ in self._found(texts)]
        combined = sorted_unique(np.concatenate(parts))
        owner, feature = np.divmod(combined, offset)
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=count), out=offsets[1:])
        return feature.astype(np.int32), offsets

    def occurrences(
        self, texts: Sequence[str] | Tokenized
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every occurrence of a known n-gram, for explanations: (review index, feature id
        as ``features`` numbers it, flat position of its first token, n), by n then
        position. ``features`` gives each review's distinct ids of these."""
        parts = [
            (at, feature, first, np.full(len(at), n))
            for n, at, feature, first in self._found(texts, positions=True)
        ]
        return tuple(np.concatenate([part[i] for part in parts]).astype(np.int64) for i in range(4))

    def transform(self, texts: Sequence[str] | Tokenized) -> np.ndarray:
        """Distinct n-gram feature ids of each review, padded with 0 (after) to ``maxlen``;
        a review with more features keeps its unigrams first, then bigrams, ...

        Large batches are encoded in chunks on two threads: one tokenizes (Python, holding
        the GIL) while the other sorts and looks up (NumPy and pandas, releasing it), about
        25% more reviews per second on two cores than one thread."""
        texts = as_texts(texts)
        chunks = _in_chunks(texts)
        if chunks is None:
            return self._transform_chunk(texts)
        self._lookups()  # build the hash indexes once, before the threads share them
        return np.concatenate(list(_chunk_map()(self._transform_chunk, chunks)))

    def _transform_chunk(self, texts: Sequence[str] | Tokenized) -> np.ndarray:
        feature, offsets = self._bags_chunk(texts)
        count = len(offsets) - 1
        owner = np.repeat(np.arange(count), np.diff(offsets))
        out = np.zeros((count, self.maxlen), dtype=np.int32)
        out[owner, np.arange(len(feature)) - offsets[owner]] = feature
        return out

    def bags(self, texts: Sequence[str] | Tokenized) -> tuple[np.ndarray, np.ndarray]:
        """``transform`` without the padding: each row's feature ids as ``transform`` puts
        them in its row, (flat int32 ids, offsets). A model that only sums or averages
        weights over a row's ids reads this, not the padded rows: most of a padded row is
        padding (``maxlen`` is the 99th percentile), so building and reading it costs more
        than the model itself."""
        texts = as_texts(texts)
        count = len(texts)
        chunks = _in_chunks(texts)
        if chunks is None:
            return self._bags_chunk(texts)
        self._lookups()  # build the hash indexes once, before the threads share them
        parts = list(_chunk_map()(self._bags_chunk, chunks))
        lengths = np.concatenate([np.diff(offsets) for _, offsets in parts])
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return np.concatenate([feature for feature, _ in parts]), offsets

    def _bags_chunk(self, texts: Sequence[str] | Tokenized) -> tuple[np.ndarray, np.ndarray]:
        """``features`` cut to ``maxlen`` per review (the lowest ids: unigrams first)."""
        feature, offsets = self.features(texts)
        lengths = np.minimum(np.diff(offsets), self.maxlen)
        if np.all(lengths == np.diff(offsets)):
            return feature, offsets
        owner = np.repeat(np.arange(len(lengths)), np.diff(offsets))
        kept = np.arange(len(feature)) - offsets[owner] < self.maxlen
        cut = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=cut[1:])
        return feature[kept], cut

    def known_counts(self, x: np.ndarray) -> np.ndarray:
        """How many n-grams of the vocabulary each encoded row (from ``transform``) holds."""
        return np.count_nonzero(np.asarray(x), axis=1)

    def feature_names(self, ids: Sequence[int]) -> list[str]:
        """Feature ids back to their n-grams ("not good"), for explanations."""
        names = []
        base = len(self.words_) + 1
        low, _ = self.ngram_range
        starts = np.cumsum([1] + [len(t) for t in self.tables_])
        for feature_id in ids:
            level = int(np.searchsorted(starts, feature_id, side="right")) - 1
            if feature_id == 0 or level >= len(self.tables_):
                names.append("<PAD>")
                continue
            key = int(self.tables_[level][feature_id - starts[level]])
            parts = []
            for _ in range(low + level):
                key, word = divmod(key, base)
                parts.append(self.words_[word - 1] if word else "<UNK>")
            names.append(" ".join(reversed(parts)))
        return names

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "maxlen": self.maxlen,
            "tokenizer": self.tokenizer,
            "words_": self.words_,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        return {f"table_{i}": table for i, table in enumerate(self.tables_)}

    @classmethod
    def from_parts(cls, data: dict, arrays: dict[str, np.ndarray]) -> NgramEncoder:
        """An encoder from its saved settings and tables (``encoder.json`` and ``.npz``)."""
        data = dict(data)
        if "maxlen_" in data:  # saved before the length had one name
            data.pop("max_features_per_review", None)
            data["maxlen"] = data.pop("maxlen_")
        encoder = from_settings(cls, data, "n-gram encoder")
        low, high = encoder.ngram_range
        names = [f"table_{i}" for i in range(high - low + 1)]
        missing = [name for name in names if name not in arrays]
        if missing:
            raise InvalidDataError(
                f"the n-gram tables are missing ({', '.join(missing)}): is encoder.npz there?"
            )
        encoder.tables_ = [np.asarray(arrays[name], dtype=np.int64) for name in names]
        if encoder.maxlen is None:
            raise InvalidDataError("the n-gram encoder was saved before it was fitted")
        encoder._check_tables()
        return encoder

    def _check_tables(self) -> None:
        """Saved tables must be what ``fit`` makes of this word list: distinct words, each
        table sorted, and every key an n-gram of known words (n = the table's order)."""
        if len(set(self.words_)) != len(self.words_):
            raise InvalidDataError("the n-gram encoder's word list holds a word twice")
        base = len(self.words_) + 1
        for n, table in enumerate(self.tables_, self.ngram_range[0]):
            if table.ndim != 1 or (len(table) > 1 and np.any(np.diff(table) <= 0)):
                raise InvalidDataError(f"the {n}-gram table is not sorted: encoder.npz is damaged")
            if len(table) and (table[0] < base ** (n - 1) or table[-1] >= base**n):
                raise InvalidDataError(
                    f"the {n}-gram table does not match the word list: the encoder's files "
                    "come from different models"
                )


# Up to this many keys, a binary search in the sorted table beats the hash index: pandas'
# get_indexer costs 13 to 17 us a call for 20 to 200 keys, searchsorted 3 to 7 (a single
# review's bigrams); past about a thousand, the search's cache misses cost far more.
SEARCH_KEYS = 256


@dataclass(frozen=True)
class _TableLookup:
    """Keys -> their index in one sorted n-gram table (-1: not there), by binary search
    for a few keys (``SEARCH_KEYS``), else by ``hashed`` (pandas' hash index)."""

    table: np.ndarray
    hashed: object

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        if len(keys) > SEARCH_KEYS:
            return self.hashed(keys)
        if not len(self.table):
            return np.full(len(keys), -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(self.table, keys), len(self.table) - 1)
        return np.where(self.table[at] == keys, at, -1)


def _every_word(keys: np.ndarray) -> np.ndarray:
    """The unigram lookup when the table holds every word 1..W: word w is entry w - 1, and
    the unknown word 0 is not there (-1)."""
    return keys - 1
