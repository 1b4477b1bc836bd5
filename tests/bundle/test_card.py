"""ModelCard: one type builds, checks and reads a bundle's card; old cards still load.

``CARD_ROWS`` is the card's bad-input table: every field a card may hold, of a wrong type
or out of the range training writes, is one ``BundleError`` naming the card and the
field."""

import json
import shutil

import pytest

from movie_sentiment.bundle import ModelCard, SentimentModel
from movie_sentiment.bundle.card import CARD_VERSION
from movie_sentiment.errors import BundleError, ConfigError


def test_card_round_trips_through_json(tutorial_run):
    card = ModelCard.read(tutorial_run.bundle_dir / "card.json")
    assert card.family == "tutorial" and card.format_version == CARD_VERSION
    assert card.config["family_options"] == {"embedding_dim": 16, "hidden_units": 16}
    assert ModelCard.from_dict(json.loads(card.to_json())) == card
    assert card.temperature == card.calibration["temperature"] > 0


def zone(table, **more) -> dict:
    return {"target_accuracy": 0.97, "table": table, **more}


def cuts(negative, positive=(1.0, 2.0, 3.0)) -> dict:
    return {"method": "cut_points", "negative_cuts": negative, "positive_cuts": list(positive)}


# (id, change to the card's JSON object, fragment of the one-line error)
CARD_ROWS = [
    ("version-text", {"format_version": "x"}, "format_version must be a whole number, not 'x'"),
    ("version-newer", {"format_version": 99}, "written by a newer movie-sentiment"),
    ("temperature-text", {"calibration": {"temperature": "hot"}}, "calibration temperature must be a number from 0.05 to 20"),
    ("temperature-negative", {"calibration": {"temperature": -1}}, "calibration temperature must be a number from 0.05 to 20"),
    ("temperature-huge", {"calibration": {"temperature": 1e308}}, "calibration temperature must be a number from 0.05 to 20"),
    ("temperature-tiny", {"calibration": {"temperature": 1e-320}}, "calibration temperature must be a number from 0.05 to 20"),
    ("calibration-method", {"calibration": {"temperature": 1.0, "method": 3}}, "calibration method must be a string"),
    ("calibration-report", {"calibration": {"temperature": 1.0, "test": {"ece_after": "low"}}}, "calibration test ece_after must be a number"),
    ("family-number", {"family": 5}, "family must be a string, not 5"),
    ("metrics-list", {"metrics": []}, "metrics must be an object"),
    ("metrics-accuracy-text", {"metrics": {"test": {"accuracy": "high"}}}, "metrics test accuracy must be a number, not 'high'"),
    ("metrics-matrix-text", {"metrics": {"test": {"confusion_matrix": [[1, "2"], [0, 1]]}}}, "metrics test confusion_matrix must be a number"),
    ("metrics-bool", {"metrics": {"validation": {"f1": True}}}, "metrics validation f1 must be a number, not True"),
    ("unknown-key", {"colour": "blue"}, "unknown model card settings: colour"),
    ("zone-nan-text", {"uncertain": zone([["NaN", 1, 1]])}, "uncertain table must be a list of"),
    ("zone-confidence-high", {"uncertain": zone([[0.7, 1, 1]])}, "uncertain table row 0 must hold a confidence from 0 to 0.5"),
    ("zone-confidence-negative", {"uncertain": zone([[-0.1, 1, 1]])}, "uncertain table row 0 must hold a confidence from 0 to 0.5"),
    ("zone-share-zero", {"uncertain": zone([[0.1, 1, 0]])}, "a share above 0 up to 1"),
    ("zone-accuracy-high", {"uncertain": zone([[0.1, 2, 1]])}, "an accuracy from 0 to 1"),
    ("zone-order", {"uncertain": zone([[0.1, 1, 0.5], [0.2, 1, 1]])}, "uncertain table rows are out of order at row 1"),
    ("zone-short-table", {"uncertain": zone([[0, 1, 1]], short={"under_words": 50, "table": [[0.6, 1, 1]]})}, "uncertain short table row 0"),
    ("zone-target-bool", {"uncertain": {"target_accuracy": True, "table": [[0, 1, 1]]}}, "uncertain target_accuracy must be from 0.5 to 1"),
    ("stars-method", {"stars": {**cuts([1.0, 2.0, 3.0]), "method": "median"}}, "stars method must be cut_points or stacked"),
    ("stars-cut-huge", {"stars": cuts([1, 2, 10**400])}, "stars negative_cuts must be three ascending numbers"),
    ("stars-cuts-order", {"stars": cuts([3.0, 2.0, 1.0])}, "stars negative_cuts must be three ascending numbers"),
    ("members-text", {"members": {"nbsvm": "heavy"}}, "members nbsvm must be an object"),
    ("members-weight", {"members": {"nbsvm": {"weight": "2"}}}, "members nbsvm weight must be a number"),
    ("long-reviews-unknown", {"long_reviews": ["average"]}, "long_reviews must each be one of mean"),
    ("long-reviews-text", {"long_reviews": "mean"}, "long_reviews must be"),
    ("long-reviews-count", {"long_reviews": ["mean", "mean"]}, "long_reviews names 2 policies for 1 models"),
    ("parameters-negative", {"parameters": -5}, "parameters must be a number of 0 or more"),
    ("seconds-negative", {"stage_seconds": {"fit": -1}}, "stage_seconds fit must be 0 or more"),
    ("data-count-text", {"data": {"test_reviews": "80"}}, "data test_reviews must be a whole number of 0 or more"),
    ("versions-number", {"versions": {"keras": 3}}, "versions keras must be a string"),
    ("files-unknown", {"files": {"../../etc/passwd": "0" * 64}}, "files names '../../etc/passwd', which is not a bundle file"),
    ("files-digest", {"files": {"model.keras": "abc"}}, "files model.keras must be a sha256"),
    ("run-id-number", {"run_id": 7}, "run_id must be a string or null, not 7"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"), [row[1:] for row in CARD_ROWS], ids=[row[0] for row in CARD_ROWS]
)
def test_wrongly_typed_card_fields_are_a_bundle_error(tutorial_run, tmp_path, change, message):
    bundle = shutil.copytree(tutorial_run.bundle_dir, tmp_path / "bundle")
    card = json.loads((bundle / "card.json").read_text())
    card.update(change)
    (bundle / "card.json").write_text(json.dumps(card))
    with pytest.raises(BundleError) as caught:
        SentimentModel.load(bundle)
    assert str(caught.value).startswith(f"{bundle / 'card.json'} is not a usable model card: ")
    assert message in str(caught.value) and "\n" not in str(caught.value)


# (id, the text of card.json, fragment of the one-line error)
TEXT_ROWS = [
    ("nan-literal", '{"format": "movie-sentiment-bundle", "family": "x", "calibration": {"temperature": NaN}}', "holds NaN"),
    ("infinity-literal", '{"format": "movie-sentiment-bundle", "family": "x", "bias": -Infinity}', "holds -Infinity"),
    ("integer-5000-digits", '{"format": "movie-sentiment-bundle", "family": "x", "parameters": ' + "9" * 5000 + "}", "a whole number of more than 4,300 digits"),
    ("integer-400-digits", '{"format": "movie-sentiment-bundle", "family": "x", "bias": ' + "9" * 400 + "}", "bias must be a number or null"),
    ("not-utf8", b'{"family": "\xff"}', "is damaged"),
    ("truncated", '{"format": "movie-sentiment-bundle", "fam', "is damaged"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"), [row[1:] for row in TEXT_ROWS], ids=[row[0] for row in TEXT_ROWS]
)
def test_a_card_that_is_not_plain_json_is_one_line(tutorial_run, tmp_path, text, message):
    bundle = shutil.copytree(tutorial_run.bundle_dir, tmp_path / "bundle")
    card = bundle / "card.json"
    card.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(BundleError) as caught:
        SentimentModel.load(bundle)
    assert str(caught.value).startswith(str(card)) and message in str(caught.value)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 500


def test_every_card_row_has_a_unique_name():
    names = [row[0] for row in CARD_ROWS + TEXT_ROWS]
    assert len(names) == len(set(names))


def test_the_run_id_is_a_known_optional_field(tutorial_run, tmp_path):
    bundle = shutil.copytree(tutorial_run.bundle_dir, tmp_path / "bundle")
    card = json.loads((bundle / "card.json").read_text())
    card["run_id"] = "20261205-183000-abcdef"
    (bundle / "card.json").write_text(json.dumps(card))
    assert SentimentModel.load(bundle).card.run_id == "20261205-183000-abcdef"


def test_a_version_1_card_still_loads(tutorial_run, tmp_path):
    """Cards written before the family had one name said ``model`` and ``model_options``."""
    bundle = shutil.copytree(tutorial_run.bundle_dir, tmp_path / "old")
    card = json.loads((bundle / "card.json").read_text())
    card["model"] = card.pop("family")
    card["config"]["model"] = card["config"].pop("family")
    card["config"]["model_options"] = card["config"].pop("family_options")
    card["format_version"] = 1
    (bundle / "card.json").write_text(json.dumps(card))
    model = SentimentModel.load(bundle)
    assert model.card.family == "tutorial" and model.family.name == "tutorial"
    assert model.card.config["family_options"]["embedding_dim"] == 16


def test_a_card_is_checked_when_it_is_built():
    with pytest.raises(ConfigError, match="train_seconds must be a number or null"):
        ModelCard(family="tutorial", train_seconds="fast")
    assert "versions" not in ModelCard(family="tutorial").to_dict()  # empty parts left out
