"""The stronger families train end to end on a small archive and load back as bundles."""

import json
import re

import numpy as np
import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data.imdb import load_reviews
from movie_sentiment.errors import ConfigError
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.models import get_family
from movie_sentiment.models.nbsvm import naive_bayes_ratios
from movie_sentiment.training import TrainConfig, train


@pytest.mark.parametrize("name", ["nbsvm", "fasttext", "cnn"])
def test_family_trains_saves_and_predicts(small_archive, tmp_path, name):
    result = train(
        TrainConfig(
            model=name,
            data=str(small_archive),
            out=str(tmp_path / name),
            validation_size=20,
            epochs=3,
            verbose=0,
        )
    )
    model = SentimentModel.load(result.bundle_dir)
    probabilities = model.predict_proba(
        ["wonderful superb brilliant", "awful boring worst", "zzyzx qwerty"]  # last: no known word
    )
    assert probabilities.shape == (3,) and np.all((probabilities > 0) & (probabilities < 1))
    card = model.card
    assert card["model"] == name and card["calibration"]["temperature"] > 0
    assert (result.run_dir / "reliability.png").is_file()
    if name == "cnn":  # started from word vectors of the archive's train + unsup text
        assert card["initialization"]["pretrained_vectors"]["embedding_rows_set"] > 10


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


def test_nbsvm_starts_from_naive_bayes(small_archive, tmp_path):
    result = train(
        TrainConfig(
            model="nbsvm",
            data=str(small_archive),
            out=str(tmp_path / "nb"),
            validation_size=20,
            verbose=0,
        )
    )
    layer = SentimentModel.load(result.bundle_dir).keras_model.get_layer("nb_linear")
    ratios = np.asarray(layer.ratios)
    assert ratios[0] == 0.0 and np.abs(ratios).max() > 0.5  # frozen NB ratios were set


def test_best_is_one_bundle_with_weighted_members(small_archive, tmp_path, capsys):
    assert get_family("best") is get_family("ensemble")
    result = train(
        TrainConfig(
            model="best",
            data=str(small_archive),
            out=str(tmp_path / "best"),
            validation_size=30,
            verbose=0,
        )
    )
    stages = re.findall(r"Stage (\d)/(\d)", capsys.readouterr().err)
    assert stages == [(str(n), "6") for n in range(1, 7)]  # 3 members, weights, refit, test
    card = json.loads((result.bundle_dir / "card.json").read_text())
    assert list(card["members"]) == ["nbsvm", "fasttext", "cnn"]
    assert set(card["stage_seconds"]) >= {"nbsvm", "fasttext", "cnn", "weights", "refit"}
    assert card["metrics"]["validation"]["count"] == 30
    # weights and temperature came from members fit on 50 reviews; the saved ones saw all 80
    assert card["refit"]["train_reviews"] == card["data"]["train_reviews"] == 80
    assert "pretrained_vectors" in card["members"]["cnn"]
    model = SentimentModel.load(result.bundle_dir)
    assert len(model.keras_model.inputs) == 3
    predictions = model.predict(["wonderful superb brilliant film", "awful boring worst waste"])
    assert [p.label for p in predictions] == ["positive", "negative"]
    assert 0 < model.predict_proba(["zzyzx qwerty"])[0] < 1  # no known word: still a number
    # The card's test figures come from the members' scores combined by the recipe; the
    # saved model must give the same ones.
    test = load_reviews("test", small_archive)
    saved = classification_metrics(test.labels, model.predict_proba(test.texts))
    assert saved["accuracy"] == card["metrics"]["test"]["accuracy"]
    assert saved["loss"] == pytest.approx(card["metrics"]["test"]["loss"], abs=1e-4)


def test_cnn_embeddings_start_from_vectors_of_train_and_unsup_text(small_archive):
    from movie_sentiment.models import cnn
    from movie_sentiment.text.persist import make_encoder
    from movie_sentiment.text.wordvectors import learn_word_vectors
    from movie_sentiment.training.train import load_splits

    config = TrainConfig(model="cnn", data=str(small_archive))
    settings = config.resolved()
    splits = load_splits(config, 20)
    corpora = splits.unlabeled_text()
    assert [len(c.offsets) - 1 for c in corpora] == [80, 10]  # all of train, and unsup
    encoder = make_encoder(settings["encoder"]).fit(splits.train_all.tokens)
    model = cnn.build(settings["model_options"], encoder)
    report = cnn.initialize(
        model, None, None, settings["model_options"], encoder=encoder, splits=splits
    )
    embeddings = np.asarray(model.get_layer("word_vectors").embeddings)
    expected = learn_word_vectors(corpora, dim=settings["model_options"]["embedding_dim"])
    row = encoder.vocabulary_.index("wonderful") + 1 + encoder.index_from
    np.testing.assert_allclose(embeddings[row], expected.get("wonderful"), atol=1e-5)
    assert report["pretrained_vectors"]["embedding_rows_set"] > 10

    for wrong, message in (
        ({"windows": 5}, "not windows"),
        ({"window": 0}, "window must be a whole number"),
        ({"min_count": "5"}, "min_count must be a whole number"),
        (5, "must be null or"),
    ):
        settings["model_options"]["pretrained_vectors"] = wrong
        with pytest.raises(ConfigError, match=message):
            cnn.build(settings["model_options"], encoder)


def test_cnn_can_start_from_random_embeddings(small_archive, tmp_path):
    result = train(
        TrainConfig(
            model="cnn",
            data=str(small_archive),
            out=str(tmp_path / "cnn"),
            validation_size=20,
            epochs=1,
            model_options={"pretrained_vectors": None, "embedding_dim": 16},
            verbose=0,
        )
    )
    card = SentimentModel.load(result.bundle_dir).card
    assert "initialization" not in card and card["config"]["model_options"]["embedding_dim"] == 16


def test_best_refit_option_must_be_a_boolean(small_archive, tmp_path):
    config = TrainConfig(
        model="best",
        data=str(small_archive),
        out=str(tmp_path / "best"),
        validation_size=30,
        model_options={"refit": "false"},
    )
    with pytest.raises(ConfigError, match="refit must be true or false"):
        train(config)
    assert not (tmp_path / "best").exists()
