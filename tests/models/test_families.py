"""What the stronger families do beyond the contract every family keeps."""

import json
import re

import numpy as np
import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.model import is_bundle
from movie_sentiment.errors import ConfigError
from movie_sentiment.models import get_family
from movie_sentiment.models.nbsvm import naive_bayes_ratios
from movie_sentiment.training import TrainConfig
from movie_sentiment.training.folder import is_our_run


def test_naive_bayes_ratios_by_hand():
    # feature 1 only in positives, feature 2 only in negatives, feature 3 in both
    ids = np.array([[1, 3], [1, 0], [2, 3]])
    labels = np.array([1, 1, 0])
    ratios = naive_bayes_ratios(ids, labels, size=4, alpha=1.0)
    p = np.array([0, 2, 0, 1]) + 1.0
    q = np.array([0, 0, 1, 1]) + 1.0
    expected = np.log((p / p.sum()) / (q / q.sum()))
    np.testing.assert_allclose(ratios[1:], expected[1:])
    assert ratios[1] > 0 > ratios[2]


def test_naive_bayes_ratios_take_soft_labels():
    ids = np.array([[1, 3], [1, 0], [2, 3], [2, 1]])
    hard = naive_bayes_ratios(ids, np.array([1, 1, 0, 0]), size=4, alpha=1.0)
    as_floats = naive_bayes_ratios(ids, np.array([1.0, 1.0, 0.0, 0.0]), size=4, alpha=1.0)
    np.testing.assert_allclose(as_floats, hard)
    # a review at 0.5 counts half to each side: feature 3 (in a sure positive and an
    # unsure review) leans positive, by less than feature 1 (in two sure positives)
    soft = naive_bayes_ratios(ids[:3], np.array([1.0, 1.0, 0.5]), size=4, alpha=1.0)
    p = np.array([0, 2, 0.5, 1.5]) + 1.0
    q = np.array([0, 0, 0.5, 0.5]) + 1.0
    np.testing.assert_allclose(soft[1:], np.log((p / p.sum()) / (q / q.sum()))[1:])
    # counted in blocks of 4,096 reviews: the same as counting all at once
    many = np.tile(ids, (3000, 1))
    labels = np.tile(np.array([0.9, 0.2, 0.6, 0.1]), 3000)
    positive = np.bincount(many.ravel(), np.repeat(labels, 2), 4)
    negative = np.bincount(many.ravel(), np.repeat(1 - labels, 2), 4)
    p, q = positive + 1.0, negative + 1.0
    p[0] = q[0] = 1.0
    np.testing.assert_allclose(
        naive_bayes_ratios(many, labels, 4, 1.0)[1:], np.log((p / p.sum()) / (q / q.sum()))[1:]
    )


def test_nbsvm_starts_from_naive_bayes(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    layer = model.keras_model.get_layer("nb_linear")
    ratios = np.asarray(layer.ratios)
    assert ratios[0] == 0.0 and np.abs(ratios).max() > 0.5  # frozen NB ratios were set
    unigrams = len(model.encoder.tables_[0])
    words = model.encoder.feature_names(range(1, unigrams + 1))
    by_word = dict(zip(words, ratios[1 : unigrams + 1], strict=True))
    assert by_word["wonderful"] > 0 > by_word["awful"]  # the toy set's lean words


def test_best_is_one_bundle_with_weighted_members(family_run, small_archive):
    result = family_run("ensemble")
    stages = re.findall(r"Stage (\d)/(\d)", result.stderr)
    assert stages == [(str(n), "6") for n in range(1, 7)]  # 3 members, weights, refit, test
    card = SentimentModel.load(result.bundle_dir).card
    assert list(card.members) == ["nbsvm", "fasttext", "cnn"]
    assert set(card.stage_seconds) >= {"nbsvm", "fasttext", "cnn", "weights", "refit"}
    assert card.metrics["validation"]["count"] == 30
    # weights and temperature came from members fit on 50 reviews; the saved ones saw all 80
    assert card.refit["train_reviews"] == card.data["train_reviews"] == 80
    assert "pretrained_vectors" in card.members["cnn"]
    model = SentimentModel.load(result.bundle_dir)
    assert len(model.keras_model.inputs) == 3
    weights = model.keras_model.get_layer("weights").get_weights()[0].ravel()
    np.testing.assert_allclose(weights, [card.members[n]["weight"] for n in card.members])
    predictions = model.predict(["wonderful superb brilliant film", "awful boring worst waste"])
    assert [p.label for p in predictions] == ["positive", "negative"]
    unknown = model.predict(["zzyzx qwerty"])[0]  # no known word: still a number, flagged
    assert 0 < unknown.probability < 1 and unknown.no_known_words
    assert is_our_run(result.run_dir) and is_bundle(result.bundle_dir)  # --force may replace


def test_cnn_embeddings_start_from_vectors_of_train_and_unsup_text(small_archive):
    from movie_sentiment.models import cnn
    from movie_sentiment.text.persist import make_encoder
    from movie_sentiment.text.wordvectors import learn_word_vectors
    from movie_sentiment.training.splits import load_splits

    config = TrainConfig(family="cnn", data=str(small_archive))
    settings = config.resolved()
    splits = load_splits(config, 20)
    corpora = splits.unlabeled_text()
    assert [len(c.offsets) - 1 for c in corpora] == [80, 10]  # all of train, and unsup
    encoder = make_encoder(settings["encoder"]).fit(splits.train_all.tokens)
    keras_model = cnn.build(settings["family_options"], encoder)
    report = cnn.initialize(
        keras_model, None, None, settings["family_options"], encoder=encoder, splits=splits
    )
    embeddings = np.asarray(keras_model.get_layer("word_vectors").embeddings)
    expected = learn_word_vectors(corpora, dim=settings["family_options"]["embedding_dim"])
    row = encoder.vocabulary_.index("wonderful") + 1 + encoder.index_from
    np.testing.assert_allclose(embeddings[row], expected.get("wonderful"), atol=1e-5)
    assert report["pretrained_vectors"]["embedding_rows_set"] > 10


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        ({"windows": 5}, "not windows"),
        ({"window": 0}, "window must be a whole number"),
        ({"min_count": "5"}, "min_count must be a whole number"),
        (5, "must be null or"),
    ],
)
def test_cnn_vector_options_are_checked_when_the_config_is_made(wrong, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(family="cnn", family_options={"pretrained_vectors": wrong})


def test_cnn_can_start_from_random_embeddings(small_archive, tmp_path):
    from conftest import train_small

    result = train_small(
        small_archive,
        tmp_path / "cnn",
        "cnn",
        epochs=1,
        encoder={"maxlen": 60},
        family_options={"pretrained_vectors": None, "embedding_dim": 16},
    )
    card = SentimentModel.load(result.bundle_dir).card
    assert card.initialization == {} and card.config["family_options"]["embedding_dim"] == 16


def test_best_options_are_checked_before_any_work(small_archive, tmp_path):
    with pytest.raises(ConfigError, match="refit must be true or false"):
        TrainConfig(family="best", family_options={"refit": "false"})
    with pytest.raises(ConfigError, match="member family's own epochs"):
        TrainConfig(family="best", epochs=3)
    with pytest.raises(ConfigError, match="cannot validate on test"):
        TrainConfig(family="best", validate_on_test=True)
    with pytest.raises(
        ConfigError, match=r"member_training\['nbsvm'\]: epochs must be a positive whole number"
    ):
        TrainConfig(family="best", family_options={"member_training": {"nbsvm": {"epochs": 0}}})
    with pytest.raises(ConfigError, match=r"member_training\['cnn'\]: sentence_weight must be"):
        TrainConfig(
            family="best", family_options={"member_training": {"cnn": {"sentence_weight": 2}}}
        )


def test_a_member_from_another_seed_is_a_second_model_of_its_family(small_archive, tmp_path):
    from conftest import train_small

    result = train_small(
        small_archive, tmp_path / "bagged", "best", validation_size=30,
        family_options={
            "members": ["nbsvm", "nbsvm@7"],
            "refit": False,
            "member_training": {"nbsvm": {"epochs": 2, "sentence_examples": 1}},
        },
    )  # fmt: skip
    model = SentimentModel.load(result.bundle_dir)
    assert list(model.card.members) == ["nbsvm", "nbsvm@7"]
    # member_training changes both nbsvm members' own training, nothing else of theirs
    members_config = json.loads((result.run_dir / "config.json").read_text())["members"]
    for name in ("nbsvm", "nbsvm@7"):
        training = members_config[name]["training"]
        assert training["epochs"] == 2 and training["sentence_examples"] == 1
        assert training["batch_size"] == get_family("nbsvm").defaults["training"]["batch_size"]
    first, second = (model.keras_model.get_layer(n) for n in ("nbsvm", "nbsvm_seed7"))
    # the same ratios (counted from the same reviews), trained from other shuffles
    layers = [m.get_layer("nb_linear") for m in (first, second)]
    np.testing.assert_array_equal(np.asarray(layers[0].ratios), np.asarray(layers[1].ratios))
    assert not np.allclose(np.asarray(layers[0].weights_), np.asarray(layers[1].weights_))
    members, _ = model.members()
    assert [m.family_name for m in members] == ["nbsvm", "nbsvm@7"]
    explanation = model.explain("wonderful superb film")  # exact, from both members
    assert explanation.logit == pytest.approx(model.score(["wonderful superb film"]).logit[0])


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (["nbsvm", "nbsvm@x"], "the seed after @ must be a whole number"),
        (["nbsvm", "best@3"], "is itself a recipe"),
        (["nbsvm", "nbsvm@3", "nbsvm@3"], "ensemble members must differ"),
        (["nbsvm", 3], "ensemble members must be family names"),
        (["nbsvm", "lstm@3"], "unknown model family 'lstm'"),
    ],
)
def test_bagged_members_are_checked_when_the_config_is_read(members, message):
    from movie_sentiment.errors import UnknownFamilyError

    with pytest.raises((ConfigError, UnknownFamilyError), match=message):
        TrainConfig(family="best", family_options={"members": members})
