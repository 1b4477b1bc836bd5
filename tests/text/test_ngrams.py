import json

import numpy as np
import pytest

from movie_sentiment.errors import ConfigError, InvalidInputError
from movie_sentiment.text.ngrams import NgramEncoder
from movie_sentiment.text.persist import load_encoder, make_encoder, save_encoder
from movie_sentiment.text.tokenize import tokenize_corpus

TRAIN = ["not good at all", "not good", "very good film", "good film good cast", "not bad"]


def test_features_are_the_distinct_ngrams_seen_in_training():
    encoder = NgramEncoder(ngram_range=(1, 2), min_df=2).fit(TRAIN)
    # bigrams in two or more reviews: "not good", "good film"
    feature, offsets = encoder.features(["not good not good", "awful film"])
    names = [encoder.feature_names(feature[offsets[i] : offsets[i + 1]]) for i in range(2)]
    assert sorted(names[0]) == ["good", "not", "not good"]  # each once: binarized
    assert names[1] == ["film"]  # unseen words and bigrams are dropped


def test_trigrams_stay_inside_one_review():
    encoder = NgramEncoder(ngram_range=(3, 3), min_df=1).fit(["a b c", "d e f"])
    feature, offsets = encoder.features(["a b c", "c d e"])
    assert encoder.feature_names(feature[offsets[0] : offsets[1]]) == ["a b c"]
    assert offsets[2] - offsets[1] == 0  # "c d e" never occurred within one review


def test_transform_pads_to_maxlen_and_keeps_unigrams_first():
    encoder = NgramEncoder(ngram_range=(1, 3), min_df=1, maxlen=4).fit(TRAIN)
    matrix = encoder.transform(["not good at all", "film"])
    assert matrix.shape == (2, 4) and matrix.dtype == np.int32
    # unigram ids come first (ordered by word frequency), so the cut drops n-grams first
    assert sorted(encoder.feature_names(matrix[0])) == ["all", "at", "good", "not"]
    assert matrix[1, 1:].tolist() == [0, 0, 0]


def test_raw_text_and_tokenized_input_give_the_same_ids():
    encoder = NgramEncoder(min_df=1).fit(TRAIN)
    texts = ["Not <br />GOOD at all!", "a very good film"]
    np.testing.assert_array_equal(
        encoder.transform(texts), encoder.transform(tokenize_corpus(texts))
    )


def test_save_and_load_through_the_encoder_folder(tmp_path):
    encoder = make_encoder({"kind": "ngrams", "ngram_range": [1, 3], "min_df": 1}).fit(TRAIN)
    save_encoder(encoder, tmp_path)
    loaded = load_encoder(tmp_path)
    assert isinstance(loaded, NgramEncoder) and loaded.maxlen == encoder.maxlen > 0
    np.testing.assert_array_equal(loaded.transform(TRAIN), encoder.transform(TRAIN))


def test_an_encoder_saved_before_the_length_had_one_name_still_loads(tmp_path):
    encoder = NgramEncoder(min_df=1).fit(TRAIN)
    save_encoder(encoder, tmp_path)
    old = json.loads((tmp_path / "encoder.json").read_text())
    old["maxlen_"] = old.pop("maxlen")
    old["max_features_per_review"] = None
    (tmp_path / "encoder.json").write_text(json.dumps(old))
    assert load_encoder(tmp_path).maxlen == encoder.maxlen


def test_maxlen_is_learned_only_when_not_given():
    learned = NgramEncoder(min_df=1).fit(TRAIN)
    assert learned.maxlen >= 1
    assert NgramEncoder(min_df=1, maxlen=3).fit(TRAIN).maxlen == 3


def test_bad_settings():
    with pytest.raises(ConfigError, match="ngram_range"):
        NgramEncoder(ngram_range=(1, 4))
    with pytest.raises(ConfigError, match="unknown encoder kind"):
        make_encoder({"kind": "chars"})
    with pytest.raises(ConfigError, match="fit"):
        NgramEncoder().transform(["x"])
    with pytest.raises(ConfigError, match="unknown ngrams encoder settings: maxlne"):
        make_encoder({"kind": "ngrams", "maxlne": 3})
    with pytest.raises(ConfigError, match="min_df must be a whole number, not 2.5"):
        make_encoder({"kind": "ngrams", "min_df": 2.5})
    with pytest.raises(ConfigError, match="words_ are learned by fit"):
        make_encoder({"kind": "ngrams", "words_": ["a"]})


def test_a_bare_string_is_refused_not_read_as_characters():
    encoder = NgramEncoder(min_df=1).fit(TRAIN)
    with pytest.raises(InvalidInputError, match="got a single string"):
        encoder.transform("not good")
    with pytest.raises(InvalidInputError, match="got a single string"):
        NgramEncoder().fit("not good")
    with pytest.raises(InvalidInputError, match="text 2 is not a string but int"):
        encoder.transform(["fine", 3])
    known = encoder.known_counts(encoder.transform(["not good", "zzyzx"]))
    assert known.tolist()[1] == 0 and known[0] > 0


def test_large_batches_encoded_on_threads_match_one_pass():
    from movie_sentiment.text import ngrams

    texts = [
        f"{TRAIN[i % len(TRAIN)]} film number {i}" for i in range(3 * ngrams.TRANSFORM_CHUNK + 7)
    ]
    encoder = NgramEncoder(min_df=1).fit(texts)
    threaded = encoder.transform(texts)
    assert threaded.shape[0] == len(texts)
    np.testing.assert_array_equal(threaded, encoder._transform_chunk(texts))
    np.testing.assert_array_equal(encoder.transform(tokenize_corpus(texts)), threaded)


def test_few_keys_are_searched_and_many_hashed_to_the_same_answer():
    """A table's lookup answers a few keys by binary search, many by the hash index:
    the same index (-1 where not there, below the first key or past the last)."""
    import pandas as pd

    from movie_sentiment.text.ngrams import SEARCH_KEYS, _TableLookup

    rng = np.random.default_rng(0)
    table = np.unique(rng.integers(10, 10**12, 5000))
    lookup = _TableLookup(table, pd.Index(table).get_indexer)
    edges = [table[-1] + 1, 0, table[0], table[-1]]
    known, unknown = rng.choice(table, 3000), rng.integers(0, 10**13, 3000)
    mixed = rng.permutation(np.concatenate([known, unknown]))
    pool = np.concatenate([edges, mixed])
    for count in (0, 1, 7, SEARCH_KEYS, SEARCH_KEYS + 1, 3000):
        keys = pool[:count]
        np.testing.assert_array_equal(lookup(keys), pd.Index(table).get_indexer(keys), str(count))
    empty = _TableLookup(np.array([], dtype=np.int64), None)
    assert empty(np.array([5, 6])).tolist() == [-1, -1]
    # Reviews encoded one at a time (searched) as in one batch (hashed).
    texts = [f"{TRAIN[i % len(TRAIN)]} film number {i}" for i in range(300)]
    encoder = NgramEncoder(min_df=1).fit(texts)
    batch = encoder.transform(texts)
    one_by_one = np.concatenate([encoder.transform([text]) for text in texts[:40]])
    np.testing.assert_array_equal(one_by_one, batch[:40])


def test_large_batches_encode_as_the_reference_tokenizer_would():
    """Chunked on threads (the vocabulary's lookup table kept across chunks), the ids
    equal those of the reference tokenizer's tokens encoded one review at a time."""
    import reference_tokenizer
    from test_tokenize import TRICKY

    from movie_sentiment.text.tokenize import Tokenized

    texts = [f"{text} {TRAIN[i % len(TRAIN)]}" for i, text in enumerate(TRICKY * 70)]
    encoder = NgramEncoder(ngram_range=(1, 3), min_df=1).fit(TRAIN + texts[:40])
    expected = []
    for text in texts:
        words = reference_tokenizer.tokenize(text)
        vocabulary = list(dict.fromkeys(words))
        ids = np.array([vocabulary.index(word) for word in words], dtype=np.int32)
        one = Tokenized(ids, np.array([0, len(ids)], dtype=np.int64), vocabulary)
        expected.append(encoder.transform(one))
    np.testing.assert_array_equal(encoder.transform(texts), np.concatenate(expected))
    tokens = tokenize_corpus(texts)
    np.testing.assert_array_equal(encoder.transform(tokens), np.concatenate(expected))
