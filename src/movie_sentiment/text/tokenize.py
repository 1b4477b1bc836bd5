"""Normalization and tokenization of review text.

Reviews are raw web text: HTML line breaks (``<br /><br />``), other tags, entities
(``&amp;``, ``&#8230;``), typographic apostrophes and mixed case. ``normalize`` turns
them into lower-case plain text; ``tokenize`` splits that into word tokens, keeping
inner apostrophes (``don't``) because negations carry sentiment.

``TOKENIZER_VERSION`` names this exact behaviour: caches of tokenized text store it and
are rebuilt when it changes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from movie_sentiment.errors import InvalidInputError

TOKENIZER_VERSION = "words-v1"

_TAG = re.compile(r"<[^>]*>")
_APOSTROPHES = ("\u2019", "\u2018", "`")
# \w is letters, digits and underscore in any script; apostrophes join word parts.
_TOKEN = re.compile(r"\w+(?:'\w+)*")


def normalize(text: str) -> str:
    """Lower-case plain text: entities decoded, tags (``<br />``) replaced by spaces.

    >>> normalize("Great<br /><br />film &amp; cast")
    'great  film & cast'
    """
    text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    for apostrophe in _APOSTROPHES:  # str.replace is ~10x faster than str.translate here
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    return text.lower()


def tokenize(text: str) -> list[str]:
    """Word tokens of ``text`` after ``normalize``.

    >>> tokenize("It wasn't GOOD.<br />Sad!")
    ['it', "wasn't", 'good', 'sad']
    """
    return _TOKEN.findall(normalize(text))


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
    """Tokenize many texts at once into a ``Tokenized`` table.

    New words are appended to ``vocabulary`` (a fresh list when None) in order of first
    occurrence; pass an existing vocabulary to share ids across several corpora.
    """
    vocabulary = [] if vocabulary is None else vocabulary
    index = {word: i for i, word in enumerate(vocabulary)}
    lengths: list[int] = []
    tokens: list[str] = []
    for text in texts:
        words = tokenize(text)
        lengths.append(len(words))
        tokens.extend(words)
    for word in tokens:
        if word not in index:
            index[word] = len(vocabulary)
            vocabulary.append(word)
    ids = np.fromiter(map(index.__getitem__, tokens), dtype=np.int32, count=len(tokens))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Tokenized(ids, offsets, vocabulary)


def encode_words(
    texts: Iterable[str], index: dict[str, int], unknown: int
) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize and look up each word in ``index`` in one pass (``unknown`` for the rest):
    (flat int64 ids, offsets). The fast path for encoding new text with a fixed vocabulary."""
    get = index.get
    lengths: list[int] = []
    ids: list[int] = []
    for text in texts:
        words = tokenize(text)
        lengths.append(len(words))
        ids.extend([get(word, unknown) for word in words])
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.array(ids, dtype=np.int64), offsets


def rank_by_frequency(counts: np.ndarray, vocabulary: Sequence[str]) -> list[str]:
    """Words with a non-zero count, most frequent first; ties broken alphabetically so the
    order does not depend on the order the texts were read in."""
    present = np.flatnonzero(counts)
    order = sorted(present.tolist(), key=lambda i: (-int(counts[i]), vocabulary[i]))
    return [vocabulary[i] for i in order]
