"""``bundle/bags.py``: the NumPy twins of nbsvm's logit, the stars model, fasttext and the
tutorial give what their Keras models give on the padded rows, to float32 rounding, and
any other model has no twin (the cnn's: ``test_convolution.py``)."""

import numpy as np
import pytest

from movie_sentiment.bundle.bags import Bags, twin_of
from movie_sentiment.bundle.heads.stars import build_stars_model
from movie_sentiment.bundle.scoring import Member, run_keras
from movie_sentiment.models import fasttext, nbsvm, tutorial
from movie_sentiment.text.encoder import TextEncoder
from movie_sentiment.text.ngrams import NgramEncoder

WORDS = "good bad film plot actor music scene story not very".split()


@pytest.fixture(scope="module")
def encoder():
    rng = np.random.default_rng(1)
    train = [" ".join(rng.choice(WORDS, rng.integers(3, 30))) for _ in range(200)]
    return NgramEncoder(ngram_range=(1, 3), min_df=1, maxlen=40).fit(train)


@pytest.fixture(scope="module")
def reviews():
    """Reviews of every length: none known, one word, and longer than ``maxlen`` allows."""
    rng = np.random.default_rng(2)
    texts = [" ".join(rng.choice(WORDS, n)) for n in (1, 2, 5, 12, 30, 60, 90)]
    return ["unseen words only", *texts, "good"]


def random_weights(keras_model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    keras_model.set_weights(
        [rng.normal(size=w.shape).astype(w.dtype) for w in keras_model.get_weights()]
    )


def test_bags_are_the_padded_rows_without_the_padding(encoder, reviews):
    ids, offsets = encoder.bags(reviews)
    bags = Bags(ids, offsets, encoder.maxlen)
    padded = encoder.transform(reviews)
    np.testing.assert_array_equal(bags.padded(), padded)
    np.testing.assert_array_equal(bags.lengths(), np.count_nonzero(padded, axis=1))
    assert bags.lengths()[0] == 0 and bags.lengths().max() == encoder.maxlen  # none, and cut


def test_the_nbsvm_twin_gives_the_keras_logit(encoder, reviews):
    model = nbsvm.build(nbsvm.DEFAULTS["family_options"], encoder)
    random_weights(model, 3)
    logit_model = Member("nbsvm", model, encoder, 1.0).logit_model()
    bags = Bags(*encoder.bags(reviews), encoder.maxlen)
    twin = twin_of(logit_model)
    assert twin is not None
    expected = run_keras(logit_model, encoder.transform(reviews))
    np.testing.assert_allclose(twin(bags), expected, rtol=1e-5, atol=1e-5)
    # Trained, the padding id scores nothing: a review with no known n-gram gets the bias.
    layer = model.get_layer("nb_linear")
    layer.set_ratios(np.random.default_rng(7).normal(size=encoder.vocabulary_size))
    expected = run_keras(logit_model, encoder.transform(reviews))
    np.testing.assert_allclose(twin_of(logit_model)(bags), expected, rtol=1e-5, atol=1e-5)
    assert twin_of(logit_model)(bags)[0] == pytest.approx(float(layer.bias.numpy()[0]))


def test_the_stars_twin_gives_the_keras_probabilities(encoder, reviews):
    model = build_stars_model(encoder)
    random_weights(model, 4)
    bags = Bags(*encoder.bags(reviews), encoder.maxlen)
    expected = run_keras(model, encoder.transform(reviews))
    np.testing.assert_allclose(twin_of(model)(bags), expected, rtol=1e-5, atol=1e-7)


def test_the_fasttext_twin_gives_the_keras_logit(encoder, reviews):
    model = fasttext.build(fasttext.DEFAULTS["family_options"], encoder)
    random_weights(model, 8)
    logit_model = Member("fasttext", model, encoder, 1.0).logit_model()
    bags = Bags(*encoder.bags(reviews), encoder.maxlen)
    expected = run_keras(logit_model, encoder.transform(reviews))
    np.testing.assert_allclose(twin_of(logit_model)(bags), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        twin_of(model)(bags), run_keras(model, encoder.transform(reviews)), rtol=1e-5, atol=1e-7
    )


def test_a_twin_follows_new_weights(encoder, reviews):
    model = build_stars_model(encoder)
    random_weights(model, 5)
    before = twin_of(model)
    assert twin_of(model) is before  # kept while the weights stay
    random_weights(model, 6)
    bags = Bags(*encoder.bags(reviews), encoder.maxlen)
    np.testing.assert_allclose(
        twin_of(model)(bags), run_keras(model, encoder.transform(reviews)), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("start_char", [1, None])
def test_word_bags_are_the_padded_rows_without_the_padding(reviews, truncating, start_char):
    words = TextEncoder(num_words=12, maxlen=20, truncating=truncating, start_char=start_char)
    words.fit(WORDS[:8])  # two words stay unknown
    ids, offsets = words.bags(reviews)
    padded = words.transform(reviews)  # padding "post": the row's ids come first
    for row, (first, last) in enumerate(zip(offsets[:-1], offsets[1:], strict=True)):
        np.testing.assert_array_equal(padded[row, : last - first], ids[first:last])
        assert not padded[row, last - first :].any()


def test_the_tutorial_twin_gives_the_keras_logit(reviews):
    words = TextEncoder(num_words=12, maxlen=20).fit(WORDS[:8])
    model = tutorial.build(tutorial.DEFAULTS["family_options"], words)
    random_weights(model, 9)
    logit_model = Member("tutorial", model, words, 1.0).logit_model()
    bags = Bags(*words.bags(reviews), words.maxlen)
    expected = run_keras(logit_model, words.transform(reviews))
    np.testing.assert_allclose(twin_of(logit_model)(bags), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        twin_of(model)(bags), run_keras(model, words.transform(reviews)), rtol=1e-5, atol=1e-7
    )


def test_other_models_have_no_twin():
    from movie_sentiment.models import mslearn

    words = TextEncoder(num_words=20, maxlen=10).fit(WORDS)
    assert twin_of(mslearn.build(mslearn.DEFAULTS["family_options"], words)) is None  # Flatten
