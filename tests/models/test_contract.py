"""What every model family promises, checked for each family in the registry (in the
spirit of scikit-learn's ``check_estimator``): it builds, trains on a small archive,
saves, loads back scoring exactly what it scored before saving, and learns (well above
chance on a separable toy set). Every custom Keras layer survives a ``get_config``
round trip, as Keras' own serialization tests check."""

import json

import keras
import numpy as np
import pytest
from conftest import SMALL_SETTINGS

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data.imdb import load_reviews
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.models import families
from movie_sentiment.models.layers import MaskedMean, NaiveBayesLinear, ProbabilityToLogit
from movie_sentiment.text.tokenize import tokenize

FAMILIES = [family.name for family in families()]


def test_every_family_has_contract_settings():
    assert sorted(SMALL_SETTINGS) == sorted(FAMILIES)


@pytest.mark.parametrize("name", FAMILIES)
def test_family_contract(name, family_run, small_archive, tmp_path):
    result = family_run(name)
    model = SentimentModel.load(result.bundle_dir)
    card = model.card
    assert card.family == name and model.family.name == name
    assert card.config["family"] == name and card.calibration["temperature"] > 0
    # It builds: from its options and the saved encoder, the same layers as were trained.
    built = model.family.build(card.config["family_options"], model.encoder)
    assert built.count_params() == model.keras_model.count_params() == card.parameters
    assert [i.shape for i in built.inputs] == [i.shape for i in model.keras_model.inputs]
    # The saved model scores test exactly as the model in memory did at training time.
    test = load_reviews("test", small_archive)
    probabilities = model.predict_proba(test.texts)
    saved = classification_metrics(test.labels, probabilities)
    assert saved["accuracy"] == card.metrics["test"]["accuracy"]
    assert saved["loss"] == pytest.approx(card.metrics["test"]["loss"], abs=1e-4)
    # It learned: the toy reviews are separable, chance is 0.5.
    assert saved["accuracy"] >= 0.9
    # Saved again and loaded again, it scores the same, to the bit.
    again = SentimentModel.load(model.save(tmp_path / "again"))
    np.testing.assert_array_equal(again.predict_proba(test.texts), probabilities)
    assert json.loads((tmp_path / "again" / "card.json").read_text())["family"] == name


LAYER_EXAMPLES = {
    "NaiveBayesLinear": (
        lambda: NaiveBayesLinear(6, initial_weight=0.5, l2=1e-3, name="nb"),
        np.array([[1, 2, 0], [3, 5, 4]], dtype="int32"),
    ),
    "ProbabilityToLogit": (
        lambda: ProbabilityToLogit(name="to_logit"),
        np.array([[0.0], [0.25], [1.0]], dtype="float32"),
    ),
    "MaskedMean": (
        lambda: MaskedMean(name="mean"),
        [np.ones((2, 3, 4), dtype="float32"), np.array([[1, 0, 2], [0, 0, 0]], dtype="int32")],
    ),
}


def test_every_custom_layer_has_a_round_trip_example():
    ours = {
        name.split(">", 1)[1]
        for name in keras.saving.get_custom_objects()
        if name.startswith("movie_sentiment>")
    }
    assert ours == set(LAYER_EXAMPLES)


@pytest.mark.parametrize("name", sorted(LAYER_EXAMPLES))
def test_custom_layer_config_round_trip(name):
    make, inputs = LAYER_EXAMPLES[name]
    layer = make()
    layer(inputs)  # builds the weights
    for weight in layer.weights:  # non-default weights, so a lost one would show
        weight.assign(np.linspace(-1, 1, int(np.prod(weight.shape))).reshape(weight.shape))
    expected = np.asarray(layer(inputs))
    config = layer.get_config()
    copy = type(layer).from_config(json.loads(json.dumps(config)))
    copy(inputs)
    copy.set_weights(layer.get_weights())
    assert copy.get_config() == config
    np.testing.assert_allclose(np.asarray(copy(inputs)), expected, rtol=1e-6)
    assert np.all(np.isfinite(expected))


@pytest.mark.parametrize("name", FAMILIES)
def test_family_explains_its_scores(name, family_run, small_archive):
    """Every family explains through ``score``: each token as written, with offsets, and
    contributions that add up to the reported (calibrated) logit: exactly for linear
    models, within 5% of logit - base for integrated gradients."""
    model = SentimentModel.load(family_run(name).bundle_dir)
    texts = load_reviews("test", small_archive).texts[:12]
    scores = model.score(texts, explain=True)
    np.testing.assert_allclose(scores.probability, model.score(texts).probability, rtol=1e-9)
    for text, logit, explanation in zip(texts, scores.logit, scores.explanation, strict=True):
        assert [t.text for t in explanation.tokens] == [
            text[t.start : t.end] for t in explanation.tokens
        ]
        assert [t.text.lower() for t in explanation.tokens] == tokenize(text)
        total = explanation.base + sum(t.contribution for t in explanation.tokens)
        assert explanation.logit == pytest.approx(logit, abs=1e-9)
        assert total + explanation.gap == pytest.approx(logit, abs=1e-6)
        if explanation.method == "exact":
            assert total == pytest.approx(logit, abs=1e-4)
        else:
            assert abs(explanation.gap) <= 0.05 * abs(logit - explanation.base) + 1e-3
