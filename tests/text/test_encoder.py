import json

import numpy as np
import pytest

from movie_sentiment.errors import ConfigError, InvalidInputError
from movie_sentiment.text.encoder import TextEncoder
from movie_sentiment.text.persist import load_encoder, save_encoder
from movie_sentiment.text.tokenize import tokenize_corpus

TEXTS = ["the film was great", "the film was awful", "the plot, the plot!"]


def test_ids_follow_keras_conventions():
    encoder = TextEncoder(num_words=None, maxlen=None).fit(TEXTS)
    # frequency ranks: the (4), film/plot/was (2 each, alphabetical), awful/great (1)
    assert encoder.vocabulary_ == ["the", "film", "plot", "was", "awful", "great"]
    ids = encoder.encode(["the great unknownword"])[0].tolist()
    assert ids == [1, 4, 9, 2]  # start, "the" = rank 1 + 3, "great" = 6 + 3, OOV


def test_num_words_cuts_rare_words_to_oov_like_keras():
    encoder = TextEncoder(num_words=6, maxlen=None).fit(TEXTS)
    assert encoder.vocabulary_size == 6
    # ids must stay below num_words: "the" (4) and "film" (5) are kept, "plot" (6) is not
    assert encoder.encode(["the film plot"])[0].tolist() == [1, 4, 5, 2]


def test_transform_pads_like_the_tutorial():
    encoder = TextEncoder(num_words=100, maxlen=6, padding="post").fit(TEXTS)
    matrix = encoder.transform(["the film", "the plot the plot the plot the plot"])
    assert matrix.dtype == np.int32
    assert matrix.shape == (2, 6)
    assert matrix[0].tolist() == [1, 4, 5, 0, 0, 0]
    assert matrix[1].tolist() == [4, 6, 4, 6, 4, 6]  # truncating="pre" keeps the end


def test_encoding_tokenized_corpus_equals_encoding_text():
    encoder = TextEncoder(num_words=7, maxlen=5).fit(TEXTS)
    shared = tokenize_corpus(["something else entirely"])  # a foreign id space
    tokens = tokenize_corpus(["the film was <br /> awful", "great plot"], shared.vocabulary)
    np.testing.assert_array_equal(
        encoder.transform(tokens), encoder.transform(["the film was <br /> awful", "great plot"])
    )
    assert (
        TextEncoder(num_words=7).fit(tokens).vocabulary_
        == TextEncoder(num_words=7).fit(["the film was awful", "great plot"]).vocabulary_
    )


def test_decode_shows_start_and_unknown():
    encoder = TextEncoder(num_words=None, maxlen=8, padding="post").fit(TEXTS)
    ids = encoder.transform(["the plot was zzz"])[0]
    assert encoder.decode(ids) == "<START> the plot was <UNK>"


def test_save_and_load_round_trip(tmp_path):
    encoder = TextEncoder(num_words=50, maxlen=10, padding="pre").fit(TEXTS)
    save_encoder(encoder, tmp_path)
    json.loads((tmp_path / "encoder.json").read_text())  # plain JSON
    loaded = load_encoder(tmp_path)
    assert loaded == encoder
    np.testing.assert_array_equal(loaded.transform(TEXTS), encoder.transform(TEXTS))


def test_unfitted_encoder_and_bad_settings_are_clear_errors():
    with pytest.raises(ConfigError, match="fit"):
        TextEncoder().transform(["x"])
    with pytest.raises(ConfigError, match="padding"):
        TextEncoder(padding="left")
    with pytest.raises(ConfigError, match="unknown text encoder settings"):
        TextEncoder.from_dict({"num_word": 3})
    with pytest.raises(ConfigError, match="num_words must be a whole number or null, not True"):
        TextEncoder(num_words=True)
    with pytest.raises(ConfigError, match="maxlen must be a whole number or null, not '10'"):
        TextEncoder.from_dict({"maxlen": "10"})
    for wrong, message in (
        ({"oov_char": -1}, "oov_char must be from 1 to index_from"),
        ({"start_char": 999999}, "start_char must be from 1 to index_from"),
        ({"index_from": -2}, "index_from must be 1 or more"),
        ({"start_char": 2}, "must differ"),
        ({"vocabulary_": ["a", "b", "a"]}, "holds a word twice"),
    ):
        with pytest.raises(ConfigError, match=message):
            TextEncoder(**wrong)


def test_a_bare_string_is_refused_and_known_words_are_counted():
    encoder = TextEncoder(num_words=None, maxlen=8).fit(TEXTS)
    with pytest.raises(InvalidInputError, match="got a single string"):
        encoder.transform("a single review")
    with pytest.raises(InvalidInputError, match="got a single string"):
        TextEncoder().fit("a single review")
    with pytest.raises(InvalidInputError, match="expected a list of texts, got NoneType"):
        encoder.transform(None)
    x = encoder.transform([TEXTS[0], "zzyzx <br />", ""])
    assert encoder.known_counts(x).tolist()[1:] == [0, 0] and encoder.known_counts(x)[0] > 0
