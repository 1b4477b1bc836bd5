"""The distilled recipe: a single-model family (here nbsvm, what ``fast`` was) taught by
best on the unlabeled reviews; a teacher it is given is checked, not trained."""

import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import train_small

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.errors import ConfigError
from movie_sentiment.models import get_family
from movie_sentiment.models.nbsvm import naive_bayes_ratios
from movie_sentiment.training import TrainConfig
from movie_sentiment.training.folder import is_our_run


def test_distilled_nbsvm_is_taught_by_best_without_refit(family_run):
    result = family_run("distilled")
    stages = re.findall(r"Stage (\d)/4", result.stderr)
    assert stages == ["1", "2", "3", "4"]
    model = SentimentModel.load(result.bundle_dir)
    card = model.card
    # the card names the family it is and the recipe that trained it
    assert card.family == "nbsvm" and card.config["recipe"] == "distilled"
    assert card.config["recipe_options"] == {"teacher": None, "unlabeled_weight": 1.0}
    # the teacher: best trained first into teacher/, without its refit
    teacher = SentimentModel.load(result.run_dir / "teacher")
    assert teacher.card.family == "best" and teacher.card.config["family_options"]["refit"] is False
    assert not teacher.card.data.get("validation_scored_before_refit")
    figures = card.initialization["teacher"]
    assert figures["source"] == "trained into teacher/" and figures["family"] == "best"
    assert figures["validation_accuracy"] == teacher.card.metrics["validation"]["accuracy"]
    assert card.initialization["soft_targets"]["unlabeled_reviews"] == 10  # the toy unsup
    assert set(card.stage_seconds) == {"teacher", "soft_targets", "student", "heads"}
    # the student is nbsvm's model: one linear layer over the n-grams, explained exactly
    assert [layer.name for layer in model.keras_model.layers][-2:] == ["nb_linear", "probability"]
    assert model.explain("wonderful superb film").method == "exact"
    assert card.uncertain["table"] and card.stars
    assert is_our_run(result.run_dir)  # ours, so --force may replace it
    assert not (result.run_dir.parent / f".{result.run_dir.name}.resume").exists()
    assert (
        "best (trained into teacher/): validation accuracy"
        in (result.run_dir / "report.html").read_text()
    )


def test_a_distilled_runs_config_trains_the_same_run_again(family_run):
    from movie_sentiment.training.config import read_settings

    run_dir = family_run("distilled").run_dir
    again = TrainConfig.from_dict(read_settings(run_dir / "config.json"))
    assert again.recipe == "distilled" and again.family == "nbsvm"
    saved = json.loads((run_dir / "config.json").read_text())
    assert again.resolved() == saved


def test_fit_member_learns_soft_targets_and_counts_them_in_the_ratios(small_archive):
    from movie_sentiment.data.imdb import ImdbCache
    from movie_sentiment.training.fitting import fit_member
    from movie_sentiment.training.splits import load_splits

    config = TrainConfig(family="nbsvm", data=str(small_archive), validation_size=20, epochs=1)
    splits = load_splits(config, 20)
    unlabeled = ImdbCache.open(splits.data).tokens("unsup")
    targets = np.linspace(0.1, 0.9, len(unlabeled))
    soft = (unlabeled, targets, 0.5)
    member = fit_member(get_family("nbsvm"), config.resolved(), splits, 0, soft=soft)
    layer = member.keras_model.get_layer("nb_linear")
    x = np.concatenate([member.encoder.transform(d) for d in (splits.fit.encodable, unlabeled)])
    y = np.concatenate([splits.fit.labels, targets])
    expected = naive_bayes_ratios(x, y, layer.num_features, 1.0)
    ratios = np.asarray(layer.ratios)  # row 0 is padding, held at 0
    np.testing.assert_allclose(ratios[1:], expected[1:], rtol=1e-5, atol=1e-6)
    labeled = len(splits.fit)
    without = naive_bayes_ratios(x[:labeled], y[:labeled], layer.num_features, 1.0)
    assert not np.allclose(expected[1:], without[1:])


def test_distilled_learns_from_a_trained_teacher_it_is_given(nbsvm_run, small_archive, tmp_path):
    # any bundle that held out the same validation reviews can teach (here nbsvm's: seed
    # 42, 20 reviews); it is read, not trained again, and not copied into the run
    result = train_small(
        small_archive, tmp_path / "distilled", "tutorial", recipe="distilled", epochs=2,
        recipe_options={"teacher": str(nbsvm_run.run_dir)},
    )  # fmt: skip
    card = SentimentModel.load(result.bundle_dir).card
    assert card.family == "tutorial"  # any single-model family can be the student
    teacher = card.initialization["teacher"]
    assert teacher["source"] == str(nbsvm_run.run_dir) and teacher["family"] == "nbsvm"
    assert card.stage_seconds["teacher"] < 5
    assert not (result.run_dir / "teacher").exists()


def test_distilled_refuses_a_teacher_refit_on_validation(family_run, small_archive, tmp_path):
    refit = family_run("ensemble").run_dir  # best with its refit (30 validation reviews)
    with pytest.raises(ConfigError, match="was refit on the validation reviews"):
        train_small(
            small_archive, tmp_path / "distilled", "nbsvm", recipe="distilled",
            validation_size=30, recipe_options={"teacher": str(refit)},
        )  # fmt: skip
    assert not (tmp_path / "distilled").exists()
    assert not (tmp_path / ".distilled.resume").exists()


def test_distilled_options_are_checked_when_the_config_is_read():
    with pytest.raises(ConfigError, match="unlabeled_weight must be above 0"):
        TrainConfig(family="nbsvm", recipe="distilled", recipe_options={"unlabeled_weight": -1.0})
    with pytest.raises(ConfigError, match="teacher must be null"):
        TrainConfig(family="nbsvm", recipe="distilled", recipe_options={"teacher": " "})
    with pytest.raises(ConfigError, match="cannot validate on test"):
        TrainConfig(family="nbsvm", recipe="distilled", validation_size=0)
    # the student's own training settings are its to set, unlike best's
    config = TrainConfig(family="nbsvm", recipe="distilled", epochs=1)
    assert config.resolved()["training"]["epochs"] == 1


@pytest.mark.slow
def test_a_killed_distilled_run_keeps_its_teacher_and_goes_on(small_archive, tmp_path):
    """SIGKILLed once the student has a checkpoint on disk, the run resumed with
    ``--resume`` keeps the finished teacher, goes on with the student after its last
    saved epoch, and ends with the figures of a run never interrupted."""
    settings = dict(recipe="distilled", validation_size=30, epochs=60)
    whole = train_small(small_archive, tmp_path / "whole", "nbsvm", **settings)
    out = tmp_path / "run"
    run = [
        sys.executable, "-m", "movie_sentiment.cli", "train", "--family", "nbsvm",
        "--recipe", "distilled", "--data", str(small_archive), "--out", str(out),
        "--validation-size", "30", "--epochs", "60",
    ]  # fmt: skip
    process = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = tmp_path / ".run.resume" / "epochs" / "student" / "state.json"
    deadline = time.monotonic() + 300
    while not (state.exists() and json.loads(state.read_text())["epoch"] >= 2):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the student never saved an epoch"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stopped = json.loads(state.read_text())["epoch"]
    assert stopped < 60 and not out.exists()
    resumed = [sys.executable, "-m", "movie_sentiment.cli", "train", "--resume", str(out)]
    again = subprocess.run(resumed, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "teacher: kept from the interrupted run" in again.stderr
    assert "Stage 1/5" not in again.stderr  # the teacher's own stages did not run again
    assert again.stderr.count("--resume") == 1  # the run's own folder, not its teacher's
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 60  # every epoch, those before the kill too
    assert history == json.loads((whole.run_dir / "history.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics == json.loads((whole.run_dir / "metrics.json").read_text())
    assert SentimentModel.load(out / "teacher").card.family == "best"
    assert not (tmp_path / ".run.resume").exists()
