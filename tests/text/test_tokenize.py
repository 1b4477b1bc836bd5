import numpy as np

from movie_sentiment.text.tokenize import normalize, rank_by_frequency, tokenize, tokenize_corpus


def test_normalize_removes_html_breaks_tags_and_entities_and_lowers_case():
    text = "Great<br /><br />film &amp; <i>cast</i> &#8230; DON\u2019T miss"
    assert normalize(text).split() == ["great", "film", "&", "cast", "\u2026", "don't", "miss"]


def test_tokenize_keeps_inner_apostrophes_and_drops_punctuation():
    assert tokenize("It wasn't GOOD.<br />Sad!! 10/10") == [
        "it",
        "wasn't",
        "good",
        "sad",
        "10",
        "10",
    ]


def test_tokenize_handles_non_ascii_words():
    assert tokenize("Amélie est très belle") == ["amélie", "est", "très", "belle"]


def test_tokenize_corpus_shares_one_vocabulary_across_calls():
    vocabulary: list[str] = []
    first = tokenize_corpus(["a b a", ""], vocabulary)
    second = tokenize_corpus(["b c"], vocabulary)
    assert vocabulary == ["a", "b", "c"]
    assert first.ids.tolist() == [0, 1, 0]
    assert first.offsets.tolist() == [0, 3, 3]
    assert second.ids.tolist() == [1, 2]


def test_select_reorders_texts_without_loops():
    tokens = tokenize_corpus(["one two", "", "three four five", "six"])
    picked = tokens.select([3, 0, 1, 2])
    assert picked.texts_as_lists() == [[5], [0, 1], [], [2, 3, 4]]
    assert picked.lengths().tolist() == [1, 2, 0, 3]


def test_counts_and_document_counts():
    tokens = tokenize_corpus(["a a b", "a c"])
    assert tokens.counts().tolist() == [3, 1, 1]
    assert tokens.document_counts().tolist() == [2, 1, 1]


def test_rank_by_frequency_breaks_ties_alphabetically():
    counts = np.array([2, 5, 2, 0])
    assert rank_by_frequency(counts, ["zeta", "alpha", "beta", "never"]) == [
        "alpha",
        "beta",
        "zeta",
    ]
