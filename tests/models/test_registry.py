import keras
import pytest

from movie_sentiment.errors import ConfigError, UnknownFamilyError
from movie_sentiment.models import families, get_family
from movie_sentiment.text.encoder import TextEncoder


def built(name):
    family = get_family(name)
    settings = family.defaults["encoder"]
    encoder = TextEncoder(**settings, vocabulary_=[f"w{i}" for i in range(20000)])
    return family, family.build(family.defaults["family_options"], encoder)


def test_tutorial_is_the_tensorflow_notebook_model():
    family, keras_model = built("tutorial")
    assert keras_model.count_params() == 160_289
    assert [type(layer).__name__ for layer in keras_model.layers] == [
        "Embedding",
        "GlobalAveragePooling1D",
        "Dense",
        "Dense",
    ]
    assert keras_model.layers[0].input_dim == 10000 and keras_model.layers[0].output_dim == 16
    assert keras_model.input_shape == (None, 256)
    assert family.defaults["encoder"]["padding"] == "post"
    assert family.defaults["training"] == {
        "epochs": 40,
        "batch_size": 512,
        "validation_size": 10000,
        "checkpoint": True,
        # beyond the notebook: its last sentences as examples too (0 turns them off)
        "sentence_examples": 2,
        "sentence_weight": 0.2,
    }
    assert isinstance(keras_model.optimizer, keras.optimizers.Adam)
    assert keras_model.loss == "binary_crossentropy"


def test_mslearn_is_the_microsoft_learn_model():
    family, keras_model = built("mslearn")
    assert keras_model.count_params() == 576_305
    assert [type(layer).__name__ for layer in keras_model.layers] == [
        "Embedding",
        "Flatten",
        "Dense",
        "Dense",
        "Dense",
    ]
    assert keras_model.input_shape == (None, 500)
    assert family.defaults["encoder"]["padding"] == "pre"  # Keras' pad_sequences default
    assert family.defaults["training"]["epochs"] == 5
    assert family.defaults["training"]["batch_size"] == 128


def test_registry_lists_families_and_rejects_unknown_names():
    assert {"tutorial", "mslearn"} <= {family.name for family in families()}
    with pytest.raises(UnknownFamilyError, match="unknown model family .lstm.*nbsvm, tutorial"):
        get_family("lstm")
    assert get_family("best") is get_family("ensemble")


def test_ensemble_options_are_checked():
    check = get_family("ensemble").check_options
    with pytest.raises(ConfigError, match="itself a recipe"):
        check({"members": ["nbsvm", "best"]})
    with pytest.raises(ConfigError, match="members must differ"):
        check({"members": ["nbsvm", "nbsvm"]})
    with pytest.raises(UnknownFamilyError, match="'lstm'"):
        check({"members": ["lstm"]})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nbsvm": {"encoder": {}}}, r"member_training\['nbsvm'\] cannot set encoder"),
        ({"nbsvm@7": {"epochs": 1}}, "keyed by family names"),
        ({"lstm": {"epochs": 1}}, "'lstm'"),
        ({"nbsvm": 3}, r"member_training\['nbsvm'\] must be a mapping"),
        (["nbsvm"], "member_training must be a mapping"),
    ],
)
def test_member_training_is_checked(changes, message):
    check = get_family("ensemble").check_options
    with pytest.raises((ConfigError, UnknownFamilyError), match=message):
        check({"members": ["nbsvm", "fasttext"], "member_training": changes})


def test_best_trains_its_neural_members_on_reviews_alone():
    """fastText's and the cnn's own defaults add short examples; the ensemble's
    validation chose its fastText member without them, and its time budget the cnn."""
    for family in ("fasttext", "cnn"):
        assert get_family(family).defaults["training"]["sentence_examples"] == 2
    options = get_family("best").defaults["family_options"]
    assert options["member_training"] == {
        "fasttext": {"sentence_examples": 0},
        "cnn": {"sentence_examples": 0},
    }
