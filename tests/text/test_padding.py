import keras
import numpy as np
import pytest

from movie_sentiment.errors import ConfigError
from movie_sentiment.text.padding import pad_sequences


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 1, 7, 30])
def test_matches_keras_pad_sequences_on_random_input(padding, truncating, maxlen):
    rng = np.random.default_rng(hash((padding, truncating, maxlen)) % 2**32)
    for _ in range(20):
        sequences = [
            rng.integers(1, 1000, size=rng.integers(0, 25)).tolist()
            for _ in range(rng.integers(1, 12))
        ]
        ours = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
        theirs = keras.utils.pad_sequences(
            sequences, maxlen=maxlen, padding=padding, truncating=truncating
        )
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def test_tutorial_padding_post_keeps_the_end_of_long_reviews():
    padded = pad_sequences([[1, 2, 3, 4, 5], [7, 8]], maxlen=4, padding="post")
    assert padded.tolist() == [[2, 3, 4, 5], [7, 8, 0, 0]]


def test_custom_value_and_dtype_match_keras():
    sequences = [[1, 2], [3]]
    np.testing.assert_array_equal(
        pad_sequences(sequences, maxlen=3, value=-1, dtype="int64"),
        keras.utils.pad_sequences(sequences, maxlen=3, value=-1, dtype="int64"),
    )


def test_bad_side_is_a_clear_error():
    with pytest.raises(ConfigError, match="padding"):
        pad_sequences([[1]], padding="middle")
