"""The distillation recipe (``train --family fast``): one fast model taught by ``best``.

Stages (each with its own progress line):

1. the teacher: ``best`` trained without its refit into the run's ``teacher/`` folder (a
   complete run of its own), or the run or bundle named by the ``teacher`` option. Either
   way no model inside it saw the validation reviews' labels, so the student's validation
   figures stay honest; a teacher refit on them, or carved from another split, is refused;
2. the teacher scores the 50,000 unlabeled reviews: its calibrated probabilities are the
   soft targets;
3. the student (the family's own model) trains on the training reviews' true labels plus
   those soft targets (``training.train.fit_member``'s ``soft``);
4. calibration on validation, then the test split once, as for every single model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data.imdb import ImdbCache
from movie_sentiment.errors import ConfigError
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.training.config import TrainConfig
from movie_sentiment.training.train import (
    Splits,
    TrainResult,
    fit_member,
    load_splits,
    prepare_run_dir,
    run_folder,
    score_and_save,
    verbosity,
)

TEACHER_FAMILY = "best"
TEACHER_FOLDER = "teacher"


def check_teacher(teacher: SentimentModel, where: str, config: TrainConfig, splits: Splits):
    """Refuse a teacher whose figures would leak validation labels into the student's or
    that was trained on other data than this run's."""
    card = teacher.card
    training = card.config.get("training", {})
    if card.data.get("sha256") != splits.train_all.checksum:
        raise ConfigError(f"teacher {where} was trained on other data than this run's")
    if card.data.get("validation_source") != "train" or (
        training.get("seed"),
        training.get("validation_size"),
    ) != (config.seed, len(splits.validation)):
        raise ConfigError(
            f"teacher {where} did not hold out this run's validation reviews (seed "
            f"{config.seed}, {len(splits.validation)} reviews); train it with the same seed "
            "and validation_size"
        )
    if card.data.get("validation_scored_before_refit"):
        raise ConfigError(
            f"teacher {where} was refit on the validation reviews, so its scores would carry "
            'their labels into the student; train best with family_options {"refit": false}'
        )


def train_distilled(config: TrainConfig) -> TrainResult:
    """The recipe (see the module docstring). Returns a ``TrainResult``."""
    import keras
    from rich.console import Console

    console = Console(stderr=True)
    started = time.perf_counter()
    settings = config.resolved()
    options = settings["family_options"]
    run_dir = prepare_run_dir(config)
    splits = load_splits(config, settings["training"]["validation_size"])
    teacher = None
    if options["teacher"] is not None:  # checked before anything is written
        teacher = SentimentModel.load(options["teacher"])
        check_teacher(teacher, options["teacher"], config, splits)
    stage_seconds = {}
    with run_folder(run_dir, config) as staging:
        (staging / "config.json").write_text(json.dumps(settings, indent=2))
        console.print("[bold]Stage 1/4[/bold]: the teacher")
        stage_start = time.perf_counter()
        if teacher is None:
            from movie_sentiment.training.ensemble import train_ensemble

            teacher_config = TrainConfig(
                family=TEACHER_FAMILY,
                data=config.data,
                out=str(Path(staging) / TEACHER_FOLDER),
                seed=config.seed,
                validation_size=len(splits.validation),
                family_options={"refit": False},
                verbose=config.verbose,
            )
            result = train_ensemble(teacher_config)
            teacher = SentimentModel.load(result.bundle_dir)
            where = f"trained into {TEACHER_FOLDER}/"
        else:
            where = str(options["teacher"])
        stage_seconds["teacher"] = round(time.perf_counter() - stage_start, 2)
        teacher_figures = {
            "source": where,
            "family": teacher.card.family,
            "validation_accuracy": teacher.card.metrics.get("validation", {}).get("accuracy"),
            "test_accuracy": teacher.card.metrics.get("test", {}).get("accuracy"),
        }
        console.print(
            f"  teacher ({where}): validation accuracy {teacher_figures['validation_accuracy']}"
        )

        console.print("[bold]Stage 2/4[/bold]: the teacher scores the unlabeled reviews")
        stage_start = time.perf_counter()
        unlabeled = ImdbCache.open(splits.data).tokens("unsup")
        targets = sigmoid(teacher.raw_scores(unlabeled).logit / teacher.temperature)
        positive_share = round(float((targets >= 0.5).mean()), 4)
        stage_seconds["soft_targets"] = round(time.perf_counter() - stage_start, 2)
        console.print(
            f"  {len(unlabeled):,} unlabeled reviews, {positive_share:.1%} scored positive, "
            f"in {stage_seconds['soft_targets']:.0f} s"
        )

        console.print("[bold]Stage 3/4[/bold]: the student")
        stage_start = time.perf_counter()
        keras.utils.set_random_seed(config.seed)
        member = fit_member(
            config.family,
            settings,
            splits,
            verbosity(config),
            soft=(unlabeled, targets, options["unlabeled_weight"]),
        )
        stage_seconds["student"] = round(time.perf_counter() - stage_start, 2)
        member.initialization["teacher"] = teacher_figures
        member.initialization["soft_targets"] = {
            "unlabeled_reviews": len(unlabeled),
            "weight": options["unlabeled_weight"],
            "teacher_positive_share": positive_share,
        }
        kept_accuracy = member.history["val_accuracy"][member.epoch_kept - 1]  # as Keras saw it
        console.print(
            f"  student: validation accuracy {kept_accuracy:.4f} in "
            f"{stage_seconds['student']:.0f} s"
        )
        console.print("[bold]Stage 4/4[/bold]: calibration on validation, then the test split once")
        scored = score_and_save(config, settings, splits, member, staging, started, stage_seconds)
    seconds = time.perf_counter() - started
    return TrainResult(run_dir, run_dir / "bundle", scored.metrics, member.history, seconds)
