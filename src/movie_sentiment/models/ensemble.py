"""``ensemble`` (also ``best``): the accuracy recipe. Trains each member family on the
same training part, fits the members' weights on the validation split (logistic
regression on their logits), then (``refit``) trains each member again on all of train
for the epoch count validation chose, and joins everything into one Keras model and one
bundle.

Stages (each with its own progress line): one per member, the weights, the refit, then
the temperature (fit on the validation scores of the first members) and the one scoring
of the test split. Refitting is the usual last step once every choice is made: the
validation reviews are 10% more training data (nbsvm's validation accuracy rose 0.9224,
0.9276, 0.9320 as its training part grew 17,500, 20,000, 22,500), and nothing is chosen
after it, so no figure reported as validation comes from a model trained on those
reviews' labels. (Their text, without labels, is part of every family's vocabulary and
of the cnn's word vectors, as all of train is.)
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import replace

import keras
import numpy as np

from movie_sentiment.errors import ConfigError
from movie_sentiment.evaluation.calibration import logit
from movie_sentiment.models.layers import ProbabilityToLogit

NAME = "ensemble"
SUMMARY = "nbsvm + fasttext + cnn, weighted on validation (alias: best)"
DEFAULTS = {
    "encoder": {},
    "model": {"members": ["nbsvm", "fasttext", "cnn"], "refit": True},
    "training": {"validation_size": 2500},
}


def build(config: dict, encoder) -> keras.Model:
    raise NotImplementedError("the ensemble is built by its training recipe, not from an encoder")


def combine(members: list[keras.Model], weights, bias: float) -> keras.Model:
    """One model: each member's probability -> logit -> fixed weighted sum -> sigmoid."""
    inputs, logits = [], []
    for member in members:
        ids = keras.Input(shape=member.input_shape[1:], dtype="int32", name=f"{member.name}_ids")
        inputs.append(ids)
        logits.append(ProbabilityToLogit(name=f"{member.name}_logit")(member(ids)))
    stacked = keras.layers.Concatenate(name="member_logits")(logits)
    combiner = keras.layers.Dense(1, activation="sigmoid", name="weights", trainable=False)
    output = combiner(stacked)
    combiner.set_weights(
        [np.asarray(weights, "float32").reshape(-1, 1), np.array([bias], "float32")]
    )
    return keras.Model(inputs, output, name=NAME)


def train(config):
    """The recipe: ``movie-sentiment train --model best``. Returns a ``TrainResult``."""
    from rich.console import Console
    from sklearn.linear_model import LogisticRegression

    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.paths import atomic_directory
    from movie_sentiment.text.persist import MultiEncoder
    from movie_sentiment.training.config import TrainConfig
    from movie_sentiment.training.train import (
        TrainResult,
        encode_split,
        fit_member,
        load_splits,
        prepare_run_dir,
        score_and_save,
        verbosity,
    )

    console = Console(stderr=True)
    started = time.perf_counter()
    settings = config.resolved()
    if config.validate_on_test or not settings["training"]["validation_size"]:
        raise ConfigError(
            "the ensemble fits its weights on a validation split carved from train; "
            "it needs validation_size above 0 and cannot validate on test"
        )
    run_dir = prepare_run_dir(config)
    keras.utils.set_random_seed(config.seed)
    validation_size = settings["training"]["validation_size"]
    splits = load_splits(config, validation_size)
    names = settings["model_options"]["members"]
    refit = settings["model_options"].get("refit", False)
    if not isinstance(refit, bool):
        raise ConfigError(f"ensemble option refit must be true or false, not {refit!r}")
    stages = len(names) + 2 + refit
    fitted, member_settings, stage_seconds, histories = [], {}, {}, {}
    for number, name in enumerate(names, start=1):
        console.print(f"[bold]Stage {number}/{stages}[/bold]: training {name}")
        stage_start = time.perf_counter()
        member_config = TrainConfig(model=name, seed=config.seed, validation_size=validation_size)
        member_settings[name] = member_config.resolved()
        member = fit_member(name, member_settings[name], splits, verbosity(config))
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
    val_probabilities = np.column_stack(
        [SentimentModel(m.model, m.encoder).predict_encoded(m.x_validation) for m in fitted]
    )
    combiner = LogisticRegression(C=1.0).fit(logit(val_probabilities), y_val)
    weights, bias = combiner.coef_.ravel(), float(combiner.intercept_[0])

    def combined(probabilities: np.ndarray) -> np.ndarray:
        """What the combined model computes from its members' probabilities: clipped in
        float32 as ``ProbabilityToLogit`` clips (a saturated member's 1.0 becomes
        1 - 1e-7 rounded to float32, logit 15.94, not float64's 16.12)."""
        p = np.clip(probabilities.astype(np.float32), np.float32(1e-7), np.float32(1 - 1e-7))
        p = p.astype(np.float64)
        member_logits = np.log(p) - np.log1p(-p)
        return 1.0 / (1.0 + np.exp(-(member_logits @ weights + bias)))

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
            keras.utils.set_random_seed(config.seed)
            chosen.append(fit_member(name, again, everything, verbosity(config)))
        stage_seconds["refit"] = round(time.perf_counter() - stage_start, 2)
        console.print(f"  refit in {stage_seconds['refit']:.0f} s")
    model = combine([m.model for m in chosen], weights, bias)
    encoder = MultiEncoder([m.encoder for m in chosen])

    console.print(
        f"[bold]Stage {stages}/{stages}[/bold]: calibration on validation, then the test split once"
    )
    stage_start = time.perf_counter()
    with atomic_directory(run_dir, force=config.force) as staging:
        (staging / "config.json").write_text(
            json.dumps({**settings, "members": member_settings}, indent=2)
        )
        (staging / "history.json").write_text(json.dumps(histories, indent=2))
        x_test = [encode_split(m.encoder, splits.test) for m in chosen]
        # Each member scores test once; the combined model's scores are the same fixed
        # weighted sum of these logits, so test is not run through the members again.
        test_probabilities = np.column_stack(
            [
                SentimentModel(m.model, m.encoder).predict_encoded(x)
                for m, x in zip(chosen, x_test, strict=True)
            ]
        )
        member_test = {
            name: float(np.mean((test_probabilities[:, i] >= 0.5) == splits.test.labels))
            for i, name in enumerate(names)
        }
        member_validation = {
            name: float(np.mean((val_probabilities[:, i] >= 0.5) == y_val))
            for i, name in enumerate(names)
        }
        card = {
            "model": config.model,
            "config": settings,
            "members": {
                name: {
                    "weight": float(w),
                    "validation_accuracy": member_validation[name],
                    "test_accuracy": member_test[name],
                    "epoch_kept": m.epoch_kept,
                    "parameters": m.model.count_params(),
                    **m.initialization,
                }
                for name, w, m in zip(names, weights, fitted, strict=True)
            },
            "bias": bias,
            "refit": {
                "train_reviews": len(splits.train_all) if refit else len(splits.fit),
                "epochs": {name: m.epoch_kept for name, m in zip(names, fitted, strict=True)},
                "note": (
                    "members trained again on all of train for their kept epochs; weights, "
                    "temperature and validation figures come from the first members"
                    if refit
                    else "no refit: the members that were validated are the ones saved"
                ),
            },
            "parameters": model.count_params(),
            "stage_seconds": stage_seconds,
        }
        sentiment_model = SentimentModel(model, encoder)
        metrics = score_and_save(
            staging,
            sentiment_model,
            splits,
            [m.x_validation for m in fitted],
            x_test,
            card,
            raw_scores=(combined(val_probabilities), combined(test_probabilities)),
        )
        # The last stage's time is known only now: add it to the saved card.
        stage_seconds["calibrate_and_test"] = round(time.perf_counter() - stage_start, 2)
        sentiment_model.card["train_seconds"] = round(time.perf_counter() - started, 2)
        sentiment_model.card["data"]["train_reviews"] = card["refit"]["train_reviews"]
        if refit:  # the validation figures are of the first members, which did not see them
            sentiment_model.card["data"]["validation_scored_before_refit"] = True
        (staging / "bundle" / "card.json").write_text(
            json.dumps(sentiment_model.card, indent=2, default=str)
        )
    seconds = time.perf_counter() - started
    return TrainResult(run_dir, run_dir / "bundle", metrics, histories, seconds)
