"""``train --cv K``: each fold measured by a model trained on the others, the card's
figures are those folds' (their mean and spread), and the saved model, trained on every
labeled review, scores, reports and trains again from its config like any run."""

import csv
import json
import random

import numpy as np
import pytest
from conftest import make_review

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.training import TrainConfig
from movie_sentiment.training.config import read_settings

REVIEWS = 150


def write_noisy_reviews(path, count: int, seed: int, flipped: float = 0.15):
    """Made-up reviews with star ratings, ``flipped`` of them given the other label, so
    no model scores every fold the same."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label", "rating"])
        for i in range(count):
            label = i % 2
            given = 1 - label if rng.random() < flipped else label
            rating = rng.randint(7, 10) if given else rng.randint(1, 4)
            writer.writerow([make_review(rng, label), ("neg", "pos")[given], rating])
    return path


def test_three_folds_measure_the_model_saved_on_all_reviews(tmp_path, cli):
    mine = write_noisy_reviews(tmp_path / "mine.csv", REVIEWS, seed=7)
    run = tmp_path / "run"
    result = cli("train", "--family", "nbsvm", "--data", mine, "--cv", "3", "--epochs", "1",
                 "--out", run)  # fmt: skip
    assert result.returncode == 0, result.stderr
    for fold in (1, 2, 3):
        assert f"fold {fold}/3: training nbsvm on 100 reviews, measuring on 50" in result.stderr
        assert f"  fold {fold}: accuracy " in result.stderr
    card = json.loads((run / "bundle" / "card.json").read_text())
    folds = card["metrics"]["cross_validation"]
    assert folds["folds"] == 3 and folds["seed"] == 42 and len(folds["per_fold"]) == 3
    assert sum(fold["reviews"] for fold in folds["per_fold"]) == REVIEWS
    for name in ("accuracy", "f1", "roc_auc", "ece_after", "coverage", "stars_mae"):
        values = [fold[name] for fold in folds["per_fold"]]
        assert folds["mean"][name] == pytest.approx(np.mean(values), abs=1e-6), name
        assert folds["sd"][name] == pytest.approx(np.std(values, ddof=1), abs=1e-6), name
    accuracies = [fold["accuracy"] for fold in folds["per_fold"]]
    assert 0.6 < folds["mean"]["accuracy"] < 1.0 and len(set(accuracies)) > 1  # noisy labels
    line = f"Cross-validation: accuracy {folds['mean']['accuracy']:.3f} +- "
    assert line + f"{folds['sd']['accuracy']:.3f} over 3 folds" in result.stdout
    # The saved model is trained on every review: no test split, its heads fit on validation.
    assert "test" not in card["metrics"] and "validation" in card["metrics"]
    data = card["data"]
    assert data["test_reviews"] == 0 and data["train_reviews"] + data["validation_reviews"] == 150
    assert data["own"]["test"]["cross_validation"] == 3
    assert "validation" in card["calibration"] and card["uncertain"] and card["stars"]
    model = SentimentModel.load(run / "bundle")
    scores = model.score(["wonderful superb film", "awful boring waste"])
    assert scores.label[0] in ("positive", "uncertain") and scores.stars[0] is not None
    assert scores.probability[0] > scores.probability[1]
    assert "Cross-validation (3 folds, seed 42)" in (run / "report.html").read_text()
    assert cli("report", run).returncode == 0
    assert "Cross-validation (3 folds" in (run / "report.html").read_text()
    again = TrainConfig.from_dict(read_settings(run / "config.json"))
    assert again.cv == 3 and again.own_data == [str(mine)]
    # Measured on other data, it is compared with the folds' accuracy (it has no test split).
    flipped = write_noisy_reviews(tmp_path / "flipped.csv", 60, seed=9, flipped=1.0)
    measured = cli("evaluate", run, "--data", flipped)
    assert measured.returncode == 0, measured.stderr
    mean = folds["mean"]["accuracy"]
    assert f"below the model's mean over its 3 cross-validation folds ({mean:.3f})" in (
        measured.stdout
    )


def test_folds_are_stratified_by_the_seed(tmp_path):
    from movie_sentiment.training.cross_validation import CrossValidation

    mine = write_noisy_reviews(tmp_path / "mine.csv", 100, seed=8)
    config = TrainConfig(family="nbsvm", own_data=[str(mine)], imdb=False, cv=4)
    folds = CrossValidation(config)
    labels = folds.mine.reviews.labels
    assert sorted(np.concatenate(folds.held_out).tolist()) == list(range(len(labels)))
    shares = [labels[fold].mean() for fold in folds.held_out]
    assert max(shares) - min(shares) <= 0.1  # each fold holds the labels' balance
    again = CrossValidation(config)
    assert all((a == b).all() for a, b in zip(folds.held_out, again.held_out, strict=True))
    split = folds.fold_splits(0)
    assert not set(split.test.texts) & set(split.train_all.texts)
    assert len(split.test) == len(folds.held_out[0])
