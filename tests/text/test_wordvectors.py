"""Word vectors from unlabeled text: words used alike end up alike."""

import random

import numpy as np
import pytest

from movie_sentiment.errors import ConfigError
from movie_sentiment.text.tokenize import tokenize_corpus
from movie_sentiment.text.wordvectors import WordVectors, learn_word_vectors


def _corpus(seed=0):
    """Two kinds of sentences: praise words share contexts, and so do complaint words."""
    rng = random.Random(seed)
    praise = ["good", "great", "superb", "wonderful"]
    complaint = ["bad", "awful", "dreadful", "terrible"]
    texts = []
    for _ in range(600):
        if rng.random() < 0.5:
            texts.append(f"the acting was {rng.choice(praise)} and i loved every minute")
        else:
            texts.append(f"the plot was {rng.choice(complaint)} so i wanted my money back")
    return tokenize_corpus(texts)


def test_words_used_alike_are_nearest():
    vectors = learn_word_vectors([_corpus()], dim=8, window=3, min_count=5)
    assert np.allclose(np.linalg.norm(vectors.vectors, axis=1), 1.0, atol=1e-4)
    for word, family in (
        ("great", {"good", "superb", "wonderful"}),
        ("awful", {"bad", "dreadful", "terrible"}),
    ):
        assert set(vectors.most_similar(word, 3)) == family


def test_corpora_with_their_own_vocabularies_are_merged():
    one, two = _corpus(1), _corpus(2)  # different first-occurrence orders
    vectors = learn_word_vectors([one, two], dim=4, window=2, min_count=1)
    assert (
        len(vectors.words)
        == len(set(vectors.words))
        == len(set(one.vocabulary) | set(two.vocabulary))
    )


def test_small_corpus_gets_zero_padded_vectors():
    vectors = learn_word_vectors([tokenize_corpus(["a b c a b c"] * 3)], dim=10, min_count=1)
    assert vectors.vectors.shape == (3, 10) and np.all(vectors.vectors[:, 2:] == 0)


def test_fill_writes_known_words_only():
    vectors = WordVectors(["good", "bad"], np.eye(2, dtype=np.float32))
    matrix = np.full((4, 2), 7.0, dtype=np.float32)
    assert vectors.fill(matrix, [(1, "bad"), (2, "unseen"), (9, "good")], scale=0.5) == 1
    np.testing.assert_array_equal(matrix, [[7, 7], [0, 0.5], [7, 7], [7, 7]])
    with pytest.raises(ConfigError, match="embedding width 3"):
        vectors.fill(np.zeros((2, 3), np.float32), [], scale=1.0)


def test_mistakes_are_clear():
    with pytest.raises(ConfigError, match="too little text"):
        learn_word_vectors([tokenize_corpus(["one two"])], min_count=5)
    with pytest.raises(ConfigError, match="at least 1"):
        learn_word_vectors([_corpus()], dim=0)
    with pytest.raises(ConfigError, match="no vector"):
        learn_word_vectors([_corpus()], dim=4).most_similar("zzyzx")
