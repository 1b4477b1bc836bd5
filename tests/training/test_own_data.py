"""Training on a user's own labeled reviews: alone, with IMDB (weighted), with their own
test set; the card says what the model learned from, and the model is scored and
measured like an IMDB one."""

import csv
import json
import random

import pytest
from conftest import make_review

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.training import TrainConfig, train


def write_reviews(path, count: int, seed: int, ratings: bool = True):
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label", "rating"] if ratings else ["text", "label"])
        for i in range(count):
            label = i % 2
            row = [make_review(rng, label), ("neg", "pos")[label]]
            writer.writerow(row + [rng.randint(7, 10) if label else rng.randint(1, 4)] * ratings)
    return path


def own_config(tmp_path, **settings) -> TrainConfig:
    return TrainConfig(
        family="nbsvm", out=str(tmp_path / "run"), verbose=0, epochs=3, **settings,
    )  # fmt: skip


def test_trained_on_own_data_alone(tmp_path):
    mine = write_reviews(tmp_path / "mine.csv", 300, seed=1)
    result = train(own_config(tmp_path, own_data=[str(mine)], imdb=False))
    card = json.loads((result.bundle_dir / "card.json").read_text())
    data = card["data"]
    assert data["source"] == str(mine)
    assert data["test_reviews"] == 60 and data["validation_reviews"] == 48  # 20%, then 20%
    assert data["train_reviews"] == 192
    assert data["own"]["files"][0]["columns"] == {
        "text": "text",
        "label": "label",
        "rating": "rating",
    }
    assert data["own"]["test"]["carved"] == 0.2 and data["own"]["imdb_weight"] is None
    assert set(data["length_words"]) == {"p10", "p50", "p90"}
    assert card["metrics"]["test"]["accuracy"] > 0.8
    assert card["stars"]  # ratings given: stars learned
    model = SentimentModel.load(result.bundle_dir)
    scores = model.score(["wonderful superb film", "awful boring waste"])
    assert scores.label[0] == "positive" and scores.stars[0] is not None


def test_with_imdb_weighted_and_their_own_test_set(tmp_path, small_archive):
    mine = write_reviews(tmp_path / "mine.csv", 200, seed=2, ratings=False)
    theirs = write_reviews(tmp_path / "test.csv", 60, seed=3, ratings=False)
    config = own_config(
        tmp_path, data=str(small_archive), own_data=[str(mine)], own_weights=[3.0],
        imdb_weight=0.5, test_data=str(theirs),
    )  # fmt: skip
    result = train(config)
    card = json.loads((result.bundle_dir / "card.json").read_text())
    data = card["data"]
    assert data["source"] == f"IMDB + {mine}"
    assert data["train_reviews"] == 80 + 160  # IMDB's train split (small) and 4/5 of theirs
    assert data["test_reviews"] == 60 and data["own"]["test"]["source"] == str(theirs)
    assert data["own"]["files"][0]["weight"] == 3.0 and data["own"]["imdb_weight"] == 0.5
    assert not card.get("stars")  # no ratings in their data: no stars
    model = SentimentModel.load(result.bundle_dir)
    assert model.score(["wonderful superb film"]).stars == [None]


def test_a_run_on_own_data_is_its_own_config_again(tmp_path):
    mine = write_reviews(tmp_path / "mine.csv", 120, seed=4)
    result = train(own_config(tmp_path, own_data=[str(mine)], imdb=False, test_fraction=0.25))
    from movie_sentiment.training.config import read_settings

    again = TrainConfig.from_dict(read_settings(result.run_dir / "config.json"))
    assert again.own_data == [str(mine)] and again.test_fraction == 0.25 and not again.imdb


@pytest.mark.parametrize(
    "settings, fragment",
    [
        ({"imdb": False}, "no training data"),
        ({"own_data": ["a.csv"], "own_weights": [1.0, 2.0]}, "2 weights for 1 own data files"),
        ({"own_data": ["a.csv"], "own_weights": [0.0]}, "a data weight must be above 0"),
        ({"own_data": ["a.csv"], "test_fraction": 0.9}, "test_fraction must be above 0"),
        ({"test_data": "t.csv"}, "test_data and labels are for your own data"),
        ({"own_data": ["a.csv"], "labels": {"colour": "x"}}, "unknown labels setting 'colour'"),
        ({"own_data": ["a.csv"], "validate_on_test": True}, "own data validates on train"),
        ({"own_data": ["a.csv"], "imdb": False, "recipe": "distilled"}, "train with IMDB too"),
    ],
)
def test_data_settings_are_checked_before_anything_loads(settings, fragment):
    from movie_sentiment.errors import ConfigError

    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        TrainConfig(family="nbsvm", **settings)


def test_a_family_that_learns_nothing_from_so_few_says_so(tmp_path, capsys):
    mine = write_reviews(tmp_path / "mine.csv", 120, seed=6)
    config = TrainConfig(family="tutorial", out=str(tmp_path / "run"), verbose=0, epochs=1,
                         own_data=[str(mine)], imdb=False)  # fmt: skip
    train(config)
    said = capsys.readouterr().err
    assert "warning: tutorial learned next to nothing from 77 reviews" in said
    assert "Try --family nbsvm, or train with IMDB too" in said
