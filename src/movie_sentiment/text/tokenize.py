"""Tokenization of review text into word tokens.

``normalize`` (``movie_sentiment.text.normalize``) turns raw web text into lower-case
plain text; ``tokenize`` splits that into word tokens, keeping inner apostrophes
(``don't``) because negations carry sentiment. ``tokenize_corpus`` gives many texts the
very same tokens at about three times the rate: it splits them with Arrow's compute
kernels, off the Python interpreter, instead of one regular-expression match per token.

``TOKENIZER_VERSION`` names this exact behaviour: caches of tokenized text store it and
are rebuilt when it changes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from movie_sentiment.errors import InvalidInputError
from movie_sentiment.text.normalize import WORD_TOKEN, normalize

__all__ = ["TOKENIZER_VERSION", "Tokenized", "normalize", "tokenize", "tokenize_corpus"]

TOKENIZER_VERSION = "words-v1"

# Below this many texts the per-call cost of Arrow's kernels outweighs what they save.
VECTORIZED_FROM = 8
# Texts per block of the vectorized tokenizer: two threads split blocks side by side.
TOKENIZE_BLOCK = 2000
_WORD_CHARACTER = re.compile(r"\w")
_POOL: ThreadPoolExecutor | None = None


def tokenize(text: str) -> list[str]:
    """Word tokens of ``text`` after ``normalize``.

    >>> tokenize("It wasn't GOOD.<br />Sad!")
    ['it', "wasn't", 'good', 'sad']
    """
    return WORD_TOKEN.findall(normalize(text))


# Characters a token cannot hold, outside ASCII: Python's own ``\w`` (that of the token
# pattern) decides, so the two agree on every script and Unicode version.
_NON_ASCII_NON_WORD = re.compile(r"[^\x00-\x7f\w]")
# UTF-8 bytes of a normalized text -> the same with every ASCII byte a token cannot hold
# (not ``\w``, not the apostrophe) made a space; bytes of other characters stay.
_SPACED_BYTES = bytes(
    byte if byte >= 0x80 or byte == ord("'") or _WORD_CHARACTER.fullmatch(chr(byte)) else 32
    for byte in range(256)
)


def _spaced(text: str) -> bytes:
    """``normalize(text)`` as UTF-8 with every character no token can hold made a space.
    One ``bytes.translate`` does the ASCII characters (a str's translate looks each one up
    in a dict, ~6x slower), the rare others a regular expression."""
    plain = normalize(text)
    if not plain.isascii():
        plain = _NON_ASCII_NON_WORD.sub(" ", plain)
    return plain.encode().translate(_SPACED_BYTES)


def _split_block(texts: Sequence[str]) -> tuple[pa.Array, np.ndarray]:
    """``tokenize`` of each text, vectorized: (every token, one after another; how many
    each text has). After the translation only word characters, apostrophes and spaces
    remain, and ``\\w+(?:'\\w+)*`` keeps exactly the apostrophes with a word character on
    both sides; the two replacements below space out the others."""
    spaced = pa.array([_spaced(text) for text in texts], pa.large_string())
    spaced = pc.replace_substring_regex(spaced, r"''+|^'+| '+", " ")  # runs; before a token
    spaced = pc.replace_substring_regex(spaced, r"'+$|'+ ", " ")  # after a token
    pieces = pc.ascii_split_whitespace(spaced)  # UTF-8 word characters hold no ASCII space
    flat = pieces.flatten()
    nonempty = pc.greater(pc.binary_length(flat), 0).to_numpy(zero_copy_only=False)
    offsets = pieces.offsets.to_numpy()
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(offsets))
    counts = np.bincount(owner[nonempty], minlength=len(texts))
    return flat.filter(pa.array(nonempty)), counts


def threads() -> int:
    """The threads tokenizing, encoding and scoring use: two, or
    ``$MOVIE_SENTIMENT_THREADS`` (a Dask or pool worker given one core says 1, and then
    no extra thread is started: two threads of one process on two cores, each process
    another worker's neighbour, pass the GIL between cores)."""
    return max(1, int(os.environ.get("MOVIE_SENTIMENT_THREADS", "2") or 2))


def _tokenizer_pool() -> ThreadPoolExecutor:
    """Its own two threads: Python normalizes one block while Arrow (which releases the
    GIL) splits another. Separate from the n-gram encoder's pool, whose tasks call this."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tokenizer")
    return _POOL


def _split_words(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """All texts' tokens as (distinct words in order of first occurrence, int32 index into
    them of every token, tokens per text)."""
    blocks = [texts[i : i + TOKENIZE_BLOCK] for i in range(0, len(texts), TOKENIZE_BLOCK)]
    if len(blocks) > 1 and threads() > 1:
        parts = list(_tokenizer_pool().map(_split_block, blocks))
    else:
        parts = [_split_block(block) for block in blocks]
    tokens = pa.chunked_array([flat for flat, _ in parts], pa.large_string())
    encoded = pc.dictionary_encode(tokens).combine_chunks()  # one memo: first occurrence
    words = encoded.dictionary.to_pylist() if len(tokens) else []
    ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    counts = np.concatenate([counts for _, counts in parts] or [np.zeros(0, np.int64)])
    return words, ids, counts


@dataclass
class Tokenized:
    """Many texts as token ids into ``vocabulary``: text ``i`` is
    ``ids[offsets[i]:offsets[i + 1]]``. Compact and fast to slice, count and cache."""

    ids: np.ndarray  # int32, all texts' tokens one after another
    offsets: np.ndarray  # int64, len(texts) + 1
    vocabulary: list[str]  # id -> word, in order of first occurrence

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def select(self, indices: Sequence[int] | np.ndarray) -> Tokenized:
        """The texts at ``indices``, in that order, sharing this vocabulary."""
        indices = np.asarray(indices, dtype=np.int64)
        starts, ends = self.offsets[indices], self.offsets[indices + 1]
        lengths = ends - starts
        offsets = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        # Positions of every kept token, built without a Python loop over texts.
        positions = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return Tokenized(self.ids[positions], offsets, self.vocabulary)

    def counts(self) -> np.ndarray:
        """How often each vocabulary id occurs."""
        return np.bincount(self.ids, minlength=len(self.vocabulary))

    def document_counts(self) -> np.ndarray:
        """In how many texts each vocabulary id occurs."""
        text_of_token = np.repeat(np.arange(len(self), dtype=np.int64), self.lengths())
        pairs = sorted_unique(text_of_token * len(self.vocabulary) + self.ids)
        return np.bincount(pairs % len(self.vocabulary), minlength=len(self.vocabulary))

    def texts_as_lists(self) -> list[list[int]]:
        """Each text's ids as a Python list (the form ``keras.datasets.imdb`` returns)."""
        flat = self.ids.tolist()
        bounds = self.offsets.tolist()
        return [flat[bounds[i] : bounds[i + 1]] for i in range(len(self))]


def as_texts(texts) -> Sequence[str] | Tokenized:
    """``texts`` checked to be a sequence of strings (or an already ``Tokenized`` corpus).

    A bare string is refused rather than read as a sequence of one-character texts, as
    scikit-learn's vectorizers refuse it.
    """
    if isinstance(texts, Tokenized):
        return texts
    if isinstance(texts, str | bytes):
        raise InvalidInputError(
            "expected a list of texts, got a single string; wrap it in a list: [text]"
        )
    if texts is None or not hasattr(texts, "__len__") or not hasattr(texts, "__getitem__"):
        raise InvalidInputError(f"expected a list of texts, got {type(texts).__name__}")
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise InvalidInputError(f"text {number} is not a string but {type(text).__name__}")
    return texts


def as_tokens(texts) -> Tokenized:
    """``texts`` as a ``Tokenized`` corpus: tokenized now unless it already is one."""
    texts = as_texts(texts)
    return texts if isinstance(texts, Tokenized) else tokenize_corpus(texts)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting. NumPy 2.3+ picks a hash table for plain ``np.unique``,
    which is about 10x slower than a sort on the tens of millions of int64 keys here."""
    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def tokenize_corpus(texts: Iterable[str], vocabulary: list[str] | None = None) -> Tokenized:
    """Tokenize many texts at once into a ``Tokenized`` table, each text's tokens exactly
    ``tokenize(text)``.

    New words are appended to ``vocabulary`` (a fresh list when None) in order of first
    occurrence; pass an existing vocabulary to share ids across several corpora.
    """
    vocabulary = [] if vocabulary is None else vocabulary
    texts = texts if isinstance(texts, list | tuple) else list(texts)
    if len(texts) < VECTORIZED_FROM:
        listed = [tokenize(text) for text in texts]
        counts = np.array([len(words) for words in listed], dtype=np.int64)
        words = list(dict.fromkeys(word for text in listed for word in text))
        first = {word: i for i, word in enumerate(words)}
        local = np.array([first[word] for text in listed for word in text], dtype=np.int32)
    else:
        words, local, counts = _split_words(texts)
    if vocabulary:
        index = {word: i for i, word in enumerate(vocabulary)}
        for word in words:
            if word not in index:
                index[word] = len(vocabulary)
                vocabulary.append(word)
        table = np.array([index[word] for word in words], dtype=np.int32)
        ids = table[local] if len(local) else np.zeros(0, np.int32)
    else:
        vocabulary.extend(words)
        ids = local
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Tokenized(ids.astype(np.int32, copy=False), offsets, vocabulary)


def encode_words(
    texts: Iterable[str], index: dict[str, int], unknown: int
) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize and look up each word in ``index`` (``unknown`` for the rest): (flat int64
    ids, offsets). The fast path for encoding new text with a fixed vocabulary: each
    distinct word is looked up once."""
    tokens = tokenize_corpus(texts)
    count = len(tokens.vocabulary)
    table = np.fromiter(map(index.get, tokens.vocabulary, repeat(unknown, count)), np.int64, count)
    return table[tokens.ids], tokens.offsets


def rank_by_frequency(counts: np.ndarray, vocabulary: Sequence[str]) -> list[str]:
    """Words with a non-zero count, most frequent first; ties broken alphabetically so the
    order does not depend on the order the texts were read in."""
    present = np.flatnonzero(counts)
    order = sorted(present.tolist(), key=lambda i: (-int(counts[i]), vocabulary[i]))
    return [vocabulary[i] for i in order]
