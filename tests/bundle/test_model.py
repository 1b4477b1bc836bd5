"""SentimentModel: scoring raw text, saving and loading, and refusing what is not a bundle."""

import io
import json
import shutil
import zipfile

import numpy as np
import pytest

from movie_sentiment.bundle import Prediction, SentimentModel
from movie_sentiment.bundle.record import unscored
from movie_sentiment.errors import BundleError, InvalidInputError, OutputExistsError

TEXTS = ["wonderful superb brilliant film", "awful boring worst waste", "the plot"]


@pytest.fixture(scope="module")
def bundle(tutorial_run):
    return tutorial_run.bundle_dir


def test_bundle_leaves_out_the_optimizer_state(bundle):
    import h5py

    with zipfile.ZipFile(bundle / "model.keras") as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        stored = []
        weights.visit(stored.append)
    assert any(name.startswith("layers") for name in stored)
    assert not any("optimizer" in name for name in stored)  # only what scoring needs


def test_round_trip_predicts_the_same(bundle, tmp_path):
    model = SentimentModel.load(bundle)
    before = model.predict_proba(TEXTS)
    copy = model.save(tmp_path / "copy")
    after = SentimentModel.load(copy).predict_proba(TEXTS)
    np.testing.assert_allclose(before, after, rtol=1e-6)
    assert before[0] > 0.5 > before[1]  # it learned the synthetic words
    predictions = model.predict(TEXTS)
    assert [p.label for p in predictions[:2]] == ["positive", "negative"]
    assert predictions[0].probability == pytest.approx(before[0])
    assert model.family.name == "tutorial"  # resolved from the card


def test_run_folder_is_accepted_as_a_bundle(bundle):
    assert SentimentModel.load(bundle.parent).card.family == "tutorial"


def test_bad_reviews_are_rejected_with_their_number_or_marked(bundle):
    model = SentimentModel.load(bundle)
    with pytest.raises(InvalidInputError, match="review 2 is empty"):
        model.predict(["fine", "   \n"])
    with pytest.raises(InvalidInputError, match="no reviews"):
        model.predict([])
    with pytest.raises(InvalidInputError, match="expected a list of review texts, got NoneType"):
        model.predict(None)
    with pytest.raises(InvalidInputError, match="review 1 is not text but int"):
        model.predict_proba([3])
    with pytest.raises(ValueError):  # Keras-style `except ValueError` code catches ours
        model.predict([""])
    marked = model.predict([TEXTS[0], "", 7, TEXTS[1]], on_error="mark")
    assert [p.label for p in marked] == ["positive", None, None, "negative"]
    assert marked[1] == Prediction(**unscored("review is empty or whitespace only"))
    assert marked[2].error == "review is not text but int"
    assert model.predict(TEXTS[0])[0].label == "positive"  # one string: one review


def test_reviews_without_known_words_are_flagged(bundle):
    model = SentimentModel.load(bundle)
    html_only, emoji, other, known = model.predict(
        ["<br /><br />", "\U0001f600\U0001f44d", "zzyzx qwerty", "awful plot"]
    )
    assert html_only.no_known_words and emoji.no_known_words and other.no_known_words
    assert not known.no_known_words
    assert html_only.to_dict()["no_known_words"] is True
    # stars come from words: a review with none known gets none (not the prior's 9)
    assert html_only.stars is emoji.stars is other.stars is None
    assert known.stars in (1, 2, 3, 4, 7, 8, 9, 10)


def test_missing_truncated_and_foreign_bundles(bundle, tmp_path):
    with pytest.raises(BundleError, match="no model bundle"):
        SentimentModel.load(tmp_path / "missing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "card.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(BundleError, match="foreign format"):
        SentimentModel.load(tmp_path / "foreign")
    (tmp_path / "file.keras").write_bytes(b"PK\x03\x04not really")
    with pytest.raises(BundleError, match="not a movie-sentiment model bundle"):
        SentimentModel.load(tmp_path / "file.keras")

    truncated = shutil.copytree(bundle, tmp_path / "truncated")
    model_file = truncated / "model.keras"
    model_file.write_bytes(model_file.read_bytes()[: model_file.stat().st_size // 2])
    with pytest.raises(BundleError, match="model.keras was edited or damaged after the bundle"):
        SentimentModel.load(truncated)
    card = json.loads((truncated / "card.json").read_text())
    del card["files"]  # a bundle of the version before checksums: the archive is checked
    (truncated / "card.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match="model.keras is damaged or truncated"):
        SentimentModel.load(truncated)

    incomplete = shutil.copytree(bundle, tmp_path / "incomplete")
    (incomplete / "encoder.json").unlink()
    with pytest.raises(BundleError, match="encoder.json is missing"):
        SentimentModel.load(incomplete)


def test_save_never_overwrites_without_force_and_is_atomic(bundle, tmp_path):
    model = SentimentModel.load(bundle)
    target = model.save(tmp_path / "b")
    with pytest.raises(OutputExistsError):
        model.save(target)

    class ExplodingEncoder:
        kind = "words"

        def to_dict(self):
            raise RuntimeError("disk full")

    broken = SentimentModel(model.keras_model, ExplodingEncoder(), model.card)
    with pytest.raises(RuntimeError):
        broken.save(target, force=True)
    # the old bundle is intact and nothing half-written is left beside it
    assert SentimentModel.load(target).predict_proba(["great"]).shape == (1,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_save_with_force_replaces_only_a_bundle(bundle, tmp_path):
    model = SentimentModel.load(bundle)
    theirs = tmp_path / "thesis"
    theirs.mkdir()
    (theirs / "chapter1.tex").write_text("years of work")
    with pytest.raises(OutputExistsError, match="not a movie-sentiment bundle;"):
        model.save(theirs, force=True)
    assert (theirs / "chapter1.tex").read_text() == "years of work"
    model.save(tmp_path / "ours")
    model.save(tmp_path / "ours", force=True)  # a bundle of ours is replaced
    model.card.initialization = {"notes": "x" * 10_000}  # a long card is ours all the same
    model.save(tmp_path / "ours", force=True)
    model.save(tmp_path / "ours", force=True)
    assert SentimentModel.load(tmp_path / "ours").card.initialization["notes"] == "x" * 10_000
