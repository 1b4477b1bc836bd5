import numpy as np
import pytest

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


# -- the vectorized tokenizer gives today's tokens (reference_tokenizer.py) ---------------

TRICKY = [
    "It wasn't GOOD.<br />Sad!! 10/10",
    "'tis rock'n'roll, isn''t it' ' ''' 'quoted' o'",
    "don\u2019t \u2018scare\u2019 `me` d'' ''d a'b''c'd",
    "caf&eacute; &lt;i&gt;hidden&lt;/i&gt; &amp &amp; &#x41;&#66; &#0; &#xD800; &unknown; &",
    "&#39;quoted&#39; it&#8217;s &rsquo;",
    "<unclosed tag and words",
    "a<b>c</b>d <br/>x<>y",
    "İstanbul ΟΔΟΣ ΟΔΟΣ. ß straße ǅemal Ⅻ ① ٣ 五 x²",
    "emoji 🎬 film 😀! snake_case __init__ _",
    "tab\tnew\nline\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000end",
    "combining e\u0301 and a\u0300' z\u200dw",
    "lone surrogate \ud800 here",
    "",
    "   \n\t  ",
    "'",
    "''",
    "a",
]


def test_tokenize_corpus_gives_the_reference_tokens_on_tricky_strings():
    import reference_tokenizer

    texts = TRICKY * 3  # above VECTORIZED_FROM, so the vectorized path runs
    tokens = tokenize_corpus(texts)
    vocabulary = tokens.vocabulary
    got = [[vocabulary[i] for i in ids] for ids in tokens.texts_as_lists()]
    assert got == [reference_tokenizer.tokenize(text) for text in texts]
    assert [tokenize(text) for text in texts] == got
    for text in texts:
        assert normalize(text) == reference_tokenizer.normalize(text)


def test_tokenize_corpus_is_the_same_in_blocks_on_threads_and_in_one(monkeypatch):
    import sys

    module = sys.modules[tokenize_corpus.__module__]  # the package re-exports the function

    texts = TRICKY * 20
    whole = tokenize_corpus(texts)
    monkeypatch.setattr(module, "TOKENIZE_BLOCK", 7)
    blocks = tokenize_corpus(texts)
    assert blocks.vocabulary == whole.vocabulary
    np.testing.assert_array_equal(blocks.ids, whole.ids)
    np.testing.assert_array_equal(blocks.offsets, whole.offsets)


def test_small_and_vectorized_paths_number_words_alike():
    texts = ["b a b", "", "c a"] * 6  # 18 texts: vectorized
    vectorized = tokenize_corpus(texts)
    small = [tokenize_corpus([text]) for text in texts[:3]]
    assert vectorized.vocabulary == ["b", "a", "c"]
    assert vectorized.texts_as_lists()[:3] == [[0, 1, 0], [], [2, 1]]
    assert [s.vocabulary for s in small] == [["b", "a"], [], ["c", "a"]]


def test_tokenize_corpus_of_nothing():
    tokens = tokenize_corpus([])
    assert len(tokens) == 0 and tokens.vocabulary == [] and len(tokens.ids) == 0
    empty = tokenize_corpus([""] * 40)
    assert len(empty) == 40 and len(empty.ids) == 0


@pytest.mark.real_data
def test_tokenize_corpus_equals_the_reference_on_the_whole_archive(real_archive):
    """All 100,000 reviews (train, test, unsup): every token as today's tokenizer makes it."""
    import reference_tokenizer

    from movie_sentiment.data.imdb import load_reviews

    for split in ("train", "test", "unsup"):
        texts = list(load_reviews(split, real_archive).texts)
        tokens = tokenize_corpus(texts)
        vocabulary = np.array(tokens.vocabulary, dtype=object)
        flat = vocabulary[tokens.ids].tolist()
        bounds = tokens.offsets.tolist()
        for i, text in enumerate(texts):
            assert flat[bounds[i] : bounds[i + 1]] == reference_tokenizer.tokenize(text), split
