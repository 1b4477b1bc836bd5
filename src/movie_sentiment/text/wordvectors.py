"""Word vectors learned from IMDB's own unlabeled text (no external weights).

Positive pointwise mutual information of word co-occurrences, reduced by a truncated SVD
(Levy, Goldberg & Dagan 2015: with context-distribution smoothing 0.75 and ``U * sqrt(S)``
it matches skip-gram on similarity tasks). Counting is a handful of sparse-matrix sums
and the SVD is randomized, so 17.5 million tokens (IMDB ``train`` + ``unsup``) take about
20 seconds on two cores, against minutes for skip-gram epochs. Only ``train`` and
``unsup`` text is read, never ``test``.

>>> vectors = learn_word_vectors([cache.tokens("train"), cache.tokens("unsup")], dim=100)
>>> vectors.most_similar("boring")[:3]   # ['dull', 'tedious', 'uninteresting']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from movie_sentiment.errors import ConfigError
from movie_sentiment.text.tokenize import Tokenized


@dataclass
class WordVectors:
    """Unit-length vectors, one row per word of ``words`` (most frequent first)."""

    words: list[str]
    vectors: np.ndarray  # float32, (len(words), dim)

    def __post_init__(self) -> None:
        self._index = {word: i for i, word in enumerate(self.words)}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def get(self, word: str) -> np.ndarray | None:
        row = self._index.get(word)
        return None if row is None else self.vectors[row]

    def most_similar(self, word: str, count: int = 10) -> list[str]:
        """The ``count`` words with the highest cosine similarity to ``word``."""
        vector = self.get(word)
        if vector is None:
            raise ConfigError(f"{word!r} has no vector (it is rarer than min_count)")
        order = np.argsort(-(self.vectors @ vector))
        return [self.words[i] for i in order[: count + 1] if self.words[i] != word][:count]

    def fill(self, matrix: np.ndarray, rows: Sequence[tuple[int, str]], scale: float) -> int:
        """Write ``scale`` times the vector of each ``(row, word)`` into ``matrix`` (words
        without a vector keep their row); returns how many rows were written."""
        if matrix.shape[1] != self.dim:
            raise ConfigError(f"embedding width {matrix.shape[1]} is not the vectors' {self.dim}")
        targets, sources = [], []
        for row, word in rows:
            source = self._index.get(word)
            if source is not None and 0 <= row < len(matrix):
                targets.append(row)
                sources.append(source)
        matrix[targets] = self.vectors[sources] * scale
        return len(targets)


def _cooccurrences(corpora: Sequence[Tokenized], min_count: int, window: int):
    """(words kept, sparse symmetric co-occurrence counts weighted 1/distance)."""
    import scipy.sparse as sparse

    # Token ids differ between Tokenized objects unless they share a vocabulary: map every
    # corpus onto one word list.
    words: dict[str, int] = {}
    ids, review_of = [], []
    for corpus_number, corpus in enumerate(corpora):
        table = np.fromiter(
            (words.setdefault(word, len(words)) for word in corpus.vocabulary),
            dtype=np.int64,
            count=len(corpus.vocabulary),
        )
        ids.append(table[corpus.ids])
        reviews = np.repeat(np.arange(len(corpus.offsets) - 1), np.diff(corpus.offsets))
        review_of.append(reviews * len(corpora) + corpus_number)  # unique across corpora
    tokens = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    review = np.concatenate(review_of) if review_of else np.zeros(0, np.int64)
    counts = np.bincount(tokens, minlength=len(words))
    kept = np.flatnonzero(counts >= min_count)
    kept = kept[np.argsort(-counts[kept], kind="stable")]
    if len(kept) < 2:
        raise ConfigError(
            f"too little text for word vectors: {len(kept)} words occur {min_count}+ times"
        )
    remap = np.full(len(words), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    tokens = remap[tokens]
    size = len(kept)
    total = sparse.csr_matrix((size, size), dtype=np.float32)
    for distance in range(1, window + 1):
        same = (review[:-distance] == review[distance:]) & (tokens[:-distance] >= 0)
        same &= tokens[distance:] >= 0
        left, right = tokens[:-distance][same], tokens[distance:][same]
        weight = np.full(len(left), 1.0 / distance, dtype=np.float32)
        pairs = sparse.coo_matrix((weight, (left, right)), shape=(size, size)).tocsr()
        total = total + pairs + pairs.T
    by_id = list(words)
    return [by_id[i] for i in kept], total.tocoo()


def learn_word_vectors(
    corpora: Sequence[Tokenized],
    dim: int = 100,
    window: int = 5,
    min_count: int = 5,
    seed: int = 0,
) -> WordVectors:
    """PPMI + truncated SVD vectors of the words occurring ``min_count``+ times. A corpus
    too small for ``dim`` components (fewer words than that) gets zero-padded vectors."""
    import scipy.sparse as sparse
    from sklearn.utils.extmath import randomized_svd

    if dim < 1 or window < 1 or min_count < 1:
        raise ConfigError("word vectors need dim, window and min_count of at least 1")
    words, counts = _cooccurrences(corpora, min_count, window)
    row_sums = np.asarray(counts.sum(axis=1)).ravel()
    context = np.asarray(counts.sum(axis=0)).ravel() ** 0.75  # context-distribution smoothing
    pmi = np.log(counts.data * context.sum() / (row_sums[counts.row] * context[counts.col]))
    positive = pmi > 0
    ppmi = sparse.csr_matrix(
        (pmi[positive].astype(np.float32), (counts.row[positive], counts.col[positive])),
        shape=counts.shape,
    )
    components = min(dim, len(words) - 1)
    left, singular, _ = randomized_svd(ppmi, components, n_iter=3, random_state=seed)
    vectors = np.zeros((len(words), dim), dtype=np.float32)
    vectors[:, :components] = left * np.sqrt(singular)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-8
    return WordVectors(words, vectors)
