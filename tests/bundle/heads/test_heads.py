"""The heads as objects: each fit, applied, and read back from its card part the same."""

import json

import numpy as np
import pytest

from movie_sentiment.bundle import ModelCard, SentimentModel
from movie_sentiment.bundle.heads import Heads, Stars, Temperature, UncertainZone
from movie_sentiment.bundle.heads.stars import MIXED_STARS, fit_cuts
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.text.tokenize import tokenize_corpus


def overconfident(count=4000, seed=0):
    """Labels drawn from calibrated logits, and those logits three times too sure."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3.0, count)
    labels = (rng.random(count) < sigmoid(logits)).astype(int)
    return labels, logits * 3


def test_the_temperature_is_fit_applied_and_read_back():
    labels, logits = overconfident()
    head = Temperature.fit(labels, logits)
    assert head.value == pytest.approx(3.0, rel=0.2)
    np.testing.assert_allclose(head.apply(logits), logits / head.value)
    card = head.to_card()
    assert card["method"] == "temperature scaling fit on validation"
    assert Temperature.from_card(card) == head
    assert Temperature().to_card()["method"] == "none"


def test_the_zone_labels_short_and_long_texts_by_their_own_bounds():
    labels, logits = overconfident()
    probabilities = sigmoid(logits / 3)
    words = np.where(np.arange(len(labels)) % 2, 10, 300)
    flipped = np.random.default_rng(1).random(len(labels)) < 0.03  # short texts: noisier
    zone = UncertainZone.fit(
        labels, probabilities, (np.where(flipped, 1 - labels, labels), probabilities, words)
    )
    assert zone and zone.zone["source"] == "validation" and zone.short_text_words == 50
    low, high = zone.bounds()
    short_low, short_high = zone.short_text_bounds()
    assert short_low < low < high < short_high  # short texts are less sure: a wider zone
    assert short_high < 1  # some short texts are answered
    between = (high + short_high) / 2  # a review answers it, a short text does not
    said = zone.apply([between, between, (low + high) / 2, 1.0], [300, 10, 300, 10])
    assert said == ["positive", "uncertain", "uncertain", "positive"]
    assert UncertainZone.from_card(zone.to_card()) == zone
    assert UncertainZone().apply([0.5, 0.51], [3, 3]) == ["positive", "positive"]  # no zone
    assert UncertainZone().bounds() is None


def test_uncertain_reviews_get_the_middle_of_the_scale_by_their_side():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3, size=500)
    ratings = np.where(logits >= 0, rng.choice([7, 8, 9, 10], 500), rng.choice([1, 2, 3, 4], 500))
    stars = Stars(fit_cuts(logits, ratings))
    reviews = tokenize_corpus(["a"] * 4)
    plain = stars.apply(np.array([4.0, -4.0, 0.1, -0.1]), reviews)
    assert plain[0] >= 7 and plain[1] <= 4
    mixed = stars.apply(np.array([4.0, -4.0, 0.1, -0.1]), reviews, uncertain=[0, 0, 1, 1])
    assert list(mixed[:2]) == list(plain[:2]) and tuple(mixed[2:]) == MIXED_STARS[::-1]
    assert stars.apply(np.array([np.nan]), tokenize_corpus(["a"]))[0] == 0  # no number
    assert Stars.from_card(stars.to_card()).to_card() == stars.to_card()


def test_a_bundle_applies_the_heads_its_card_holds(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    heads = model.heads
    assert isinstance(heads, Heads)
    assert heads.temperature.value == model.card.temperature
    assert heads.zone.bounds() == model.uncertain_band()
    assert heads.stars.to_card() == model.card.stars and heads.stars.model is model.stars_model


def test_a_card_from_before_stars_reads_its_ratings_as_stars(nbsvm_run):
    card = json.loads((nbsvm_run.bundle_dir / "card.json").read_text())
    card["format_version"] = 5
    card["ratings"] = card.pop("stars")
    for figures in card["metrics"].values():
        for old, new in (("ratings", "stars"), ("ratings_baseline", "stars_baseline")):
            if new in figures:
                figures[old] = figures.pop(new)
    old = ModelCard.from_dict(card)
    assert old.stars == card["ratings"] and "stars" in old.metrics["test"]
    assert "stars_baseline" in old.metrics["test"] and old.stars_folder == "ratings"
    assert ModelCard.from_dict(json.loads(old.to_json())).stars == old.stars
    assert ModelCard(family="nbsvm").stars_folder == "stars"
