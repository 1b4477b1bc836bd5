"""Stacked stars through the stars model: trained on the training part, stacked with the
logit, saved in the bundle's ``stars/`` folder and used by ``score``."""

import dataclasses
import shutil

import numpy as np
import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.bags import Bags
from movie_sentiment.bundle.heads import Stars
from movie_sentiment.bundle.heads.stars import (
    CLASSES,
    RatedReviews,
    check_stars,
    fit_stack,
    stacked_stars,
    train_stars_model,
)
from movie_sentiment.bundle.scoring import stars_probabilities
from movie_sentiment.errors import BundleError, ConfigError
from movie_sentiment.text.tokenize import tokenize_corpus
from movie_sentiment.training import TrainConfig
from movie_sentiment.training.splits import load_splits


@pytest.fixture(scope="module")
def splits(small_archive):
    return load_splits(TrainConfig(family="nbsvm", data=str(small_archive)), 30)


def training(splits) -> RatedReviews:
    return RatedReviews(splits.fit.encodable, splits.fit.ratings, splits.train_all.encodable)


def train_stars(splits, encoder=None):
    return train_stars_model(training(splits), encoder)


def test_the_stars_model_gives_a_distribution_per_review(splits):
    keras_model, encoder = train_stars(splits)
    probabilities = stars_probabilities(keras_model, encoder, splits.test.encodable)
    assert probabilities.shape == (len(splits.test), len(CLASSES))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-9)
    # A review far longer than the window is read in chunks, not cut.
    long = " ".join(splits.test.texts[:40])
    assert stars_probabilities(keras_model, encoder, [long]).shape == (1, len(CLASSES))


def test_stacked_stars_stay_on_the_labels_side():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3, size=400)
    truth = np.where(logits >= 0, rng.choice([7, 8, 9, 10], 400), rng.choice([1, 2, 3, 4], 400))
    probabilities = rng.dirichlet(np.ones(len(CLASSES)), size=400)
    stack = fit_stack(np.column_stack([logits, np.log(probabilities)]), truth)
    stars = stacked_stars(stack, logits, probabilities)
    assert np.all((stars >= 7) == (logits >= 0))


def test_stacked_stars_survive_save_and_load(nbsvm_run, splits, tmp_path):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    logits = model.raw_scores(splits.validation.encodable).logit
    test_logits = model.raw_scores(splits.test.encodable).logit
    head = Stars.fit(logits, splits.validation.ratings, splits.validation.encodable,
                     training(splits))  # fmt: skip
    figures = head.figures(test_logits, splits.test.ratings, splits.test.encodable)
    assert set(figures) == {"stars", "stars_baseline"}
    ratings = head.to_card()
    assert set(ratings["validation_mae_two_fold"]) == {"cut_points", "stacked"}
    # Whichever won on this small set, a stacked card must load and score with its model.
    keras_model, encoder = train_stars(splits)
    features = np.column_stack(
        [logits, np.log(stars_probabilities(keras_model, encoder, splits.validation.encodable))]
    )
    model.card.stars = {
        **ratings,
        "method": "stacked",
        "stack": fit_stack(features, splits.validation.ratings),
    }
    model.stars_model = (keras_model, encoder)
    texts = ["wonderful superb film", "awful boring waste"]
    stars = model.score(texts).stars
    saved = SentimentModel.load(model.save(tmp_path / "stacked"))
    assert saved.stars_model is not None
    assert saved.score(texts).stars == stars and stars[0] >= 7 and stars[1] <= 4
    shutil.rmtree(tmp_path / "stacked" / "stars")
    with pytest.raises(BundleError, match="stars need .*stars/model.keras"):
        SentimentModel.load(tmp_path / "stacked")


def test_a_stars_model_sharing_the_models_encoder_is_saved_once_and_reuses_its_encoding(
    nbsvm_run, splits, tmp_path
):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    logits = model.raw_scores(splits.validation.encodable).logit
    keras_model, encoder = train_stars(splits, model.encoder)
    assert encoder is model.encoder
    features = np.column_stack(
        [logits, np.log(stars_probabilities(keras_model, encoder, splits.validation.encodable))]
    )
    model.card.stars = {
        **model.card.stars,
        "method": "stacked",
        "stack": fit_stack(features, splits.validation.ratings),
        "shared_encoder": True,
    }
    model.stars_model = (keras_model, encoder)
    texts = ["wonderful superb film", "awful boring waste", " ".join(splits.test.texts[:40])]
    # The sentiment model's encoding of the reviews serves the stars model as well...
    reviews = tokenize_corpus(texts)
    assert model.raw_scores(reviews).kept is None  # kept only when asked for
    kept = model.raw_scores(reviews, keep_encoding_of=encoder).kept
    assert kept.encoder is encoder and kept.reviews is reviews and kept.policy == "mean"
    alone = stars_probabilities(keras_model, encoder, reviews)
    np.testing.assert_allclose(stars_probabilities(keras_model, encoder, reviews, kept=kept), alone)
    # ... it is that encoding the stars model reads (a blanked one reads as no n-grams),
    # and only for the very reviews it was made from.
    assert isinstance(kept.x, Bags)  # nbsvm's n-gram ids, unpadded (bundle/bags.py)
    nothing = Bags(np.zeros(0, np.int32), np.zeros(len(kept.x) + 1, np.int64), kept.x.maxlen)
    blank = dataclasses.replace(kept, x=nothing)
    assert not np.allclose(stars_probabilities(keras_model, encoder, reviews, kept=blank), alone)
    again = tokenize_corpus(texts)
    np.testing.assert_allclose(stars_probabilities(keras_model, encoder, again, kept=blank), alone)
    stars = model.score(texts).stars
    # ... and the bundle keeps one encoder, which the loaded stars model reads.
    saved = SentimentModel.load(model.save(tmp_path / "shared"))
    assert sorted(p.name for p in (tmp_path / "shared" / "stars").iterdir()) == ["model.keras"]
    assert saved.stars_model[1] is saved.encoder
    assert saved.score(texts).stars == stars
    (tmp_path / "shared" / "stars" / "model.keras").unlink()
    with pytest.raises(BundleError, match=r"stars need .*stars/model.keras, which is missing"):
        SentimentModel.load(tmp_path / "shared")
    # A card that says "shared" over a stars model with its own encoder is not saved.
    model.stars_model = train_stars(splits)
    with pytest.raises(BundleError, match="has one of its own"):
        model.save(tmp_path / "mismatched")
    assert not (tmp_path / "mismatched").exists()


def test_the_shared_encoder_flag_must_be_true_or_false():
    with pytest.raises(ConfigError, match="shared_encoder must be true or false, not 'false'"):
        check_stars({"method": "cut_points", "shared_encoder": "false"})
