"""The ensemble recipe (``train --family best``): trains each member family on the same
training part, fits the members' weights on the validation split (logistic regression on
their logits), then (``refit``) trains each member again on all of train for the epoch
count validation chose, and joins everything into one Keras model
(``models.ensemble.combine``) and one bundle.

Stages (each with its own progress line): one per member, the weights, the refit, then
the temperature (fit on the validation scores of the first members) and the one scoring
of the test split. Refitting is the usual last step once every choice is made: the
validation reviews are 10% more training data (nbsvm's validation accuracy rose 0.9224,
0.9276, 0.9320 as its training part grew 17,500, 20,000, 22,500), and nothing is chosen
after it, so no figure reported as validation comes from a model trained on those
reviews' labels. (Their text, without labels, is part of every family's vocabulary and
of the cnn's word vectors, as all of train is.)

Each member, first and refit, is a stage kept in the run's resume folder when done
(``training.resume``), so a run killed at stage 5 goes on from there, with the same
figures as one never interrupted.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import replace

import numpy as np

from movie_sentiment.bundle import ModelCard, SentimentModel
from movie_sentiment.bundle.scoring import MEMBER_LOGIT_LIMIT
from movie_sentiment.evaluation.probability import accuracy, sigmoid
from movie_sentiment.models import member_family, member_seed
from movie_sentiment.models.ensemble import combine, member_model_name
from movie_sentiment.text.persist import MultiEncoder
from movie_sentiment.text.tokenize import Tokenized
from movie_sentiment.training.config import TrainConfig
from movie_sentiment.training.resume import load_stage, save_stage
from movie_sentiment.training.train import (
    FittedMember,
    TrainResult,
    calibrate_and_score,
    fit_member,
    load_splits,
    open_resume,
    prepare_run_dir,
    run_folder,
    save_run,
    verbosity,
)


def train_ensemble(config: TrainConfig) -> TrainResult:
    """The recipe (see the module docstring). Returns a ``TrainResult``."""
    import keras
    from rich.console import Console
    from sklearn.linear_model import LogisticRegression

    console = Console(stderr=True)
    started = time.perf_counter()
    settings = config.resolved()
    run_dir = prepare_run_dir(config)
    keras.utils.set_random_seed(config.seed)
    validation_size = settings["training"]["validation_size"]
    splits = load_splits(config, validation_size)
    resume = open_resume(config, run_dir)

    def member_stage(stage: str, name: str, member_config: dict, data=None) -> FittedMember:
        """A member trained on ``data`` (default: the run's splits), or kept from the
        interrupted run this one goes on with."""
        data = data or splits
        if resume.stage_done(stage):
            keras_model, encoder, state = load_stage(resume, stage)
            console.print(f"  {stage}: kept from the interrupted run")
            x_val = encoder.transform(data.validation.encodable)
            return FittedMember(
                keras_model, encoder, state["history"], state["epoch_kept"], x_val,
                state["initialization"],
            )  # fmt: skip
        member = fit_member(
            member_family(name).name, member_config, data, verbosity(config),
            checkpoints=resume.epochs(stage), before_first_save=resume.start,
        )  # fmt: skip
        save_stage(resume, stage, member)
        return member

    names = settings["family_options"]["members"]
    refit = settings["family_options"]["refit"]
    stages = len(names) + 2 + refit
    fitted, member_settings, stage_seconds, histories = [], {}, {}, {}
    for number, name in enumerate(names, start=1):
        console.print(f"[bold]Stage {number}/{stages}[/bold]: training {name}")
        stage_start = time.perf_counter()
        seed = member_seed(name, config.seed)
        family = member_family(name).name
        member_config = TrainConfig(
            family=family,
            seed=seed,
            validation_size=validation_size,
            **settings["family_options"].get("member_training", {}).get(family, {}),
        )
        member_settings[name] = member_config.resolved()
        if seed != config.seed:  # a bagged member (family@SEED) starts from its own seed
            keras.utils.set_random_seed(seed)
        member = member_stage(name, name, member_settings[name])
        fitted.append(member)
        histories[name] = member.history
        stage_seconds[name] = round(time.perf_counter() - stage_start, 2)
        kept_accuracy = member.history["val_accuracy"][member.epoch_kept - 1]
        console.print(
            f"  {name}: validation accuracy {kept_accuracy:.4f} in {stage_seconds[name]:.0f} s"
        )

    console.print(f"[bold]Stage {len(names) + 1}/{stages}[/bold]: member weights on validation")
    stage_start = time.perf_counter()
    y_val = splits.validation.labels

    def member_logits(members, data) -> np.ndarray:
        """Each member's raw logit per review of ``data`` (a split, or a tokenized
        corpus) (a column each), scored as ``score`` scores
        them (long reviews as the member's family chose) and clipped as the combined
        model's ``ProbabilityToLogit`` layers clip."""
        reviews = data if isinstance(data, Tokenized) else data.encodable
        columns = [
            SentimentModel(m.keras_model, m.encoder)
            .raw_scores(reviews, long_reviews=member_family(name).long_reviews)
            .logit
            for name, m in zip(names, members, strict=True)
        ]
        return np.clip(np.column_stack(columns), -MEMBER_LOGIT_LIMIT, MEMBER_LOGIT_LIMIT)

    val_logits = member_logits(fitted, splits.validation)
    combiner = LogisticRegression(C=1.0).fit(val_logits, y_val)
    weights, bias = combiner.coef_.ravel(), float(combiner.intercept_[0])

    def combined(logits: np.ndarray) -> np.ndarray:
        """The combined model's raw logit from its members' (clipped) logits."""
        return logits @ weights + bias

    stage_seconds["weights"] = round(time.perf_counter() - stage_start, 2)
    console.print(
        "  weights: " + ", ".join(f"{n} {w:.3f}" for n, w in zip(names, weights, strict=True))
    )
    chosen = fitted
    if refit:
        console.print(
            f"[bold]Stage {len(names) + 2}/{stages}[/bold]: members again on all "
            f"{len(splits.train_all):,} training reviews"
        )
        stage_start = time.perf_counter()
        everything = replace(splits, fit=splits.train_all, validation=splits.train_all.select([]))
        chosen = []
        for name, first in zip(names, fitted, strict=True):
            again = copy.deepcopy(member_settings[name])
            again["training"].update(epochs=first.epoch_kept, checkpoint=False, early_stopping=None)
            keras.utils.set_random_seed(member_seed(name, config.seed))
            chosen.append(member_stage(f"refit-{name}", name, again, everything))
        stage_seconds["refit"] = round(time.perf_counter() - stage_start, 2)
        console.print(f"  refit in {stage_seconds['refit']:.0f} s")
    for name, member in zip(names, chosen, strict=True):
        member.keras_model.name = member_model_name(name)  # two cnns need two names
    keras_model = combine([m.keras_model for m in chosen], weights, bias)
    model = SentimentModel(keras_model, MultiEncoder([m.encoder for m in chosen]))

    console.print(
        f"[bold]Stage {stages}/{stages}[/bold]: calibration on validation, then the test split once"
    )
    stage_start = time.perf_counter()
    with run_folder(run_dir, config) as staging:
        (staging / "config.json").write_text(
            json.dumps({**settings, "members": member_settings}, indent=2)
        )
        (staging / "history.json").write_text(json.dumps(histories, indent=2))
        # Each member scores test once; the combined model's logit is the same fixed
        # weighted sum of these logits, so test is not run through the members again.
        test_logits = member_logits(chosen, splits.test)
        # The short validation texts, by the members that were validated (as val_logits).
        short_logits = combined(member_logits(fitted, splits.short_validation()[0]))
        scored = calibrate_and_score(
            splits, combined(val_logits), combined(test_logits), verbosity(config), short_logits
        )
        stage_seconds["calibrate_and_test"] = round(time.perf_counter() - stage_start, 2)
        data = splits.summary()
        data["train_reviews"] = len(splits.train_all) if refit else len(splits.fit)
        if refit:  # the validation figures are of the first members, which did not see them
            data["validation_scored_before_refit"] = True
        model.card = ModelCard(
            family=config.family,
            config=settings,
            metrics=scored.metrics,
            calibration=scored.calibration,
            data=data,
            parameters=keras_model.count_params(),
            members={
                name: {
                    "weight": float(w),
                    "validation_accuracy": accuracy(y_val, sigmoid(val_logits[:, i])),
                    "test_accuracy": accuracy(splits.test.labels, sigmoid(test_logits[:, i])),
                    "epoch_kept": m.epoch_kept,
                    "parameters": m.keras_model.count_params(),
                    **m.initialization,
                }
                for i, (name, w, m) in enumerate(zip(names, weights, fitted, strict=True))
            },
            bias=bias,
            uncertain=scored.uncertain,
            ratings=scored.ratings,
            refit={
                "train_reviews": data["train_reviews"],
                "epochs": {name: m.epoch_kept for name, m in zip(names, fitted, strict=True)},
                "note": (
                    "members trained again on all of train for their kept epochs; weights, "
                    "temperature and validation figures come from the first members"
                    if refit
                    else "no refit: the members that were validated are the ones saved"
                ),
            },
            stage_seconds=stage_seconds,
            train_seconds=round(time.perf_counter() - started, 2),
        )
        save_run(staging, model, scored, splits.test)
    resume.discard()
    seconds = time.perf_counter() - started
    return TrainResult(run_dir, run_dir / "bundle", scored.metrics, histories, seconds)
