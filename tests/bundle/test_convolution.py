"""``bundle/convolution.py``: the cnn's twin gives what its Keras model gives on the padded
rows, to float32 rounding, for either padding side, any kernel width and rows from empty
to cut; a convolution it does not reproduce has no twin."""

import keras
import numpy as np
import pytest

from movie_sentiment.bundle.bags import Bags, twin_of
from movie_sentiment.bundle.scoring import Member, run_keras
from movie_sentiment.models import cnn
from movie_sentiment.text.encoder import TextEncoder

WORDS = "good bad film plot actor music scene story not very".split()


@pytest.fixture(scope="module")
def reviews():
    """Reviews of every length: no words at all, none known, one word, and longer than
    ``maxlen`` allows."""
    rng = np.random.default_rng(2)
    texts = [" ".join(rng.choice(WORDS, n)) for n in (1, 2, 3, 4, 5, 12, 17, 18, 19, 30, 60)]
    return ["", "unseen words only", *texts, "good"]


def random_weights(keras_model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    keras_model.set_weights(
        [rng.normal(size=w.shape).astype(w.dtype) for w in keras_model.get_weights()]
    )


def words_encoder(padding="post", truncating="pre", start_char=1, maxlen=20) -> TextEncoder:
    encoder = TextEncoder(
        num_words=12, maxlen=maxlen, padding=padding, truncating=truncating, start_char=start_char
    )
    return encoder.fit(WORDS[:8])  # two words stay unknown


def cnn_model(encoder, kernel_size: int, seed: int):
    options = {**cnn.DEFAULTS["family_options"], "embedding_dim": 8, "filters": 6}
    model = cnn.build({**options, "kernel_size": kernel_size}, encoder)
    random_weights(model, seed)
    return model


@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_the_cnn_twin_gives_the_keras_logit_and_probability(reviews, padding, kernel_size):
    encoder = words_encoder(padding=padding)
    model = cnn_model(encoder, kernel_size, seed=kernel_size)
    logit_model = Member("cnn", model, encoder, 1.0).logit_model()
    bags = Bags(*encoder.bags(reviews), encoder.maxlen, padding)
    np.testing.assert_array_equal(bags.padded(), encoder.transform(reviews))
    twin = twin_of(logit_model)
    assert twin is not None
    expected = run_keras(logit_model, encoder.transform(reviews))
    np.testing.assert_allclose(twin(bags), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        twin_of(model)(bags), run_keras(model, encoder.transform(reviews)), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("start_char", [1, None])
def test_the_cnn_twin_reads_rows_cut_either_way_and_rows_as_long_as_the_kernel(
    reviews, truncating, start_char
):
    encoder = words_encoder(truncating=truncating, start_char=start_char, maxlen=5)
    model = cnn_model(encoder, kernel_size=5, seed=11)  # maxlen = kernel: one window a row
    bags = Bags(*encoder.bags(reviews), encoder.maxlen)
    expected = run_keras(model, encoder.transform(reviews))
    np.testing.assert_allclose(twin_of(model)(bags), expected, rtol=1e-5, atol=1e-7)


def test_a_linear_convolution_and_two_dense_layers_have_a_twin(reviews):
    encoder = words_encoder()
    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32")
    x = keras.layers.Embedding(encoder.vocabulary_size, 4)(ids)
    x = keras.layers.Conv1D(5, 2)(x)  # no activation: the maximum may be negative
    x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dense(3, activation="relu")(x)
    model = keras.Model(ids, keras.layers.Dense(1, activation="sigmoid")(x))
    random_weights(model, 12)
    bags = Bags(*encoder.bags(reviews), encoder.maxlen)
    expected = run_keras(model, encoder.transform(reviews))
    np.testing.assert_allclose(twin_of(model)(bags), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "convolution",
    [
        {"padding": "same"},
        {"padding": "causal"},
        {"strides": 2},
        {"dilation_rate": 2},
        {"activation": "tanh"},
    ],
)
def test_a_convolution_the_twin_does_not_reproduce_has_none(convolution):
    ids = keras.Input(shape=(10,), dtype="int32")
    x = keras.layers.Embedding(20, 4)(ids)
    x = keras.layers.Conv1D(3, 3, **convolution)(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    assert twin_of(keras.Model(ids, keras.layers.Dense(1)(x))) is None


@pytest.mark.filterwarnings("ignore:Layer .* was passed an input with a mask")
def test_a_masked_embedding_or_average_pooling_has_no_convolution_twin():
    ids = keras.Input(shape=(10,), dtype="int32")
    masked = keras.layers.Embedding(20, 4, mask_zero=True)(ids)
    pooled = keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(3, 3)(masked))
    assert twin_of(keras.Model(ids, keras.layers.Dense(1)(pooled))) is None
    plain = keras.layers.Embedding(20, 4)(ids)
    averaged = keras.layers.GlobalAveragePooling1D()(keras.layers.Conv1D(3, 3)(plain))
    assert twin_of(keras.Model(ids, keras.layers.Dense(1)(averaged))) is None
