"""Bundles saved by earlier versions load and score as they did. ``legacy/fast_bundle``
was saved by main at 80f0718 (``train --family fast`` on the tests' small archive: nbsvm
distilled from best, the family name since retired for ``--recipe distilled``), with
what it scored then in ``fast_bundle_scores.json``."""

import json
import shutil
from pathlib import Path

import numpy as np

from movie_sentiment.bundle import SentimentModel

LEGACY = Path(__file__).parent / "legacy"


def test_a_fast_bundle_loads_and_scores_as_when_it_was_saved(tmp_path):
    bundle = shutil.copytree(LEGACY / "fast_bundle", tmp_path / "bundle")
    expected = json.loads((LEGACY / "fast_bundle_scores.json").read_text())
    model = SentimentModel.load(bundle)
    assert model.card.family == "fast"  # the card is read as written
    assert model.family.name == "nbsvm"  # and scored by the family it always was
    scores = model.score(expected["texts"])
    assert scores.label == expected["label"] and scores.stars == expected["stars"]
    # to float32 rounding: nbsvm now runs as its NumPy twin (bundle/bags.py), which sums in
    # float64 what Keras summed in float32
    np.testing.assert_allclose(scores.probability, expected["probability"], rtol=1e-5, atol=0)
    np.testing.assert_allclose(scores.logit, expected["logit"], rtol=0, atol=1e-5)
    assert scores.chunks.tolist() == expected["chunks"]  # long reviews as nbsvm chose
    assert scores.short_text.tolist() == expected["short_text"]
    assert model.explain("wonderful superb film").method == "exact"


def test_a_tutorial_bundle_scores_long_reviews_as_when_it_was_saved(tmp_path):
    """``legacy/tutorial_bundle`` was saved by main at 73f7ad6, before cards recorded the
    long-review policy (the tests' small archive, a 20-token window so long reviews are
    read in chunks): it keeps its family's policy of then, chunks and all."""
    bundle = shutil.copytree(LEGACY / "tutorial_bundle", tmp_path / "bundle")
    expected = json.loads((LEGACY / "tutorial_bundle_scores.json").read_text())
    model = SentimentModel.load(bundle)
    assert "long_reviews" not in json.loads((bundle / "card.json").read_text())
    scores = model.score(expected["texts"])
    assert scores.label == expected["label"] and scores.stars == expected["stars"]
    # to float32 rounding: the tutorial model now runs as its NumPy twin (bundle/bags.py);
    # a logit near -80 (probability 1e-35) then differs by 1e-5 of its probability
    np.testing.assert_allclose(scores.probability, expected["probability"], rtol=1e-5, atol=0)
    np.testing.assert_allclose(scores.logit, expected["logit"], rtol=0, atol=1e-5)
    assert scores.chunks.tolist() == expected["chunks"] == [1, 1, 1, 6, 7]
    assert scores.short_text.tolist() == expected["short_text"]


def test_a_stacked_stars_bundle_of_card_version_5_scores_as_when_it_was_saved(tmp_path):
    """``legacy/stacked_bundle`` was saved by main at 1581887 (card version 5): nbsvm on the
    tests' small archive with stacked stars whose model, in ``ratings/``, reads nbsvm's
    encoder, and a card that says ``ratings``. It loads as the stars head and its stars
    model, and scores as it did: the same labels and stars, numbers to float32 rounding."""
    bundle = shutil.copytree(LEGACY / "stacked_bundle", tmp_path / "bundle")
    expected = json.loads((LEGACY / "stacked_bundle_scores.json").read_text())
    written = json.loads((bundle / "card.json").read_text())
    assert written["format_version"] == 5 and written["ratings"]["method"] == "stacked"
    model = SentimentModel.load(bundle)
    assert model.card.stars == written["ratings"] and model.stars_model[1] is model.encoder
    assert model.card.metrics["test"]["stars"] == written["metrics"]["test"]["ratings"]
    scores = model.score(expected["texts"])
    assert scores.label == expected["label"] and scores.stars == expected["stars"]
    # to float32 rounding, as the other bundles (nbsvm runs as its NumPy twin)
    np.testing.assert_allclose(scores.probability, expected["probability"], rtol=1e-5, atol=0)
    np.testing.assert_allclose(scores.logit, expected["logit"], rtol=0, atol=1e-5)
    assert scores.chunks.tolist() == expected["chunks"]
    assert scores.short_text.tolist() == expected["short_text"]
    # Saved again, it is a version 6 bundle: the stars model in stars/, the card says stars.
    again = SentimentModel.load(model.save(tmp_path / "again"))
    assert (tmp_path / "again" / "stars" / "model.keras").is_file()
    assert not (tmp_path / "again" / "ratings").exists()
    assert again.score(expected["texts"]).stars == expected["stars"]
