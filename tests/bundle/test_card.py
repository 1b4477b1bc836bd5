"""ModelCard: one type builds, checks and reads a bundle's card; old cards still load."""

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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": "x"}, "format_version must be a whole number, not 'x'"),
        ({"format_version": 99}, "written by a newer movie-sentiment"),
        ({"calibration": {"temperature": "hot"}}, "temperature must be a positive number"),
        ({"calibration": {"temperature": -1}}, "temperature must be a positive number"),
        ({"family": 5}, "family must be a string, not 5"),
        ({"metrics": []}, "metrics must be an object"),
        ({"colour": "blue"}, "unknown model card settings: colour"),
    ],
)
def test_wrongly_typed_card_fields_are_a_bundle_error(tutorial_run, tmp_path, change, message):
    bundle = shutil.copytree(tutorial_run.bundle_dir, tmp_path / "bundle")
    card = json.loads((bundle / "card.json").read_text())
    card.update(change)
    (bundle / "card.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match=message):
        SentimentModel.load(bundle)


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
