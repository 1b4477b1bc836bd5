"""The ensemble recipe (``train --family ensemble``, alias ``best``): trains each member
family on the same training part, fits the members' weights on the validation split
(logistic regression on their logits), then (``refit``) trains each member again on all
of train for the epoch count validation chose, and joins everything into one Keras model
(``models.ensemble.combine``) and one bundle.

Stages: one per member, the weights, the refit, then the heads (fit on the validation
scores of the first members) and the one scoring of the test split. Refitting is the
usual last step once every choice is made: the validation reviews are 10% more training
data (nbsvm's validation accuracy rose 0.9224, 0.9276, 0.9320 as its training part grew
17,500, 20,000, 22,500), and nothing is chosen after it, so no figure reported as
validation comes from a model trained on those reviews' labels. (Their text, without
labels, is part of every family's vocabulary and of the cnn's word vectors, as all of
train is.)

Each member, first and refit, is a stage the run keeps when done (``run.fit``), so a run
killed at stage 5 goes on from there, with the same figures as one never interrupted.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.scoring import MEMBER_LOGIT_LIMIT
from movie_sentiment.evaluation.probability import accuracy, sigmoid
from movie_sentiment.models import member_family, member_seed
from movie_sentiment.models.ensemble import combine, member_model_name
from movie_sentiment.text.persist import MultiEncoder
from movie_sentiment.text.tokenize import Tokenized

if TYPE_CHECKING:
    from movie_sentiment.training.run import Run, TrainResult

NAME = "ensemble"
SUMMARY = "members weighted on validation, then refit on all of train (the ensemble family)"
NEEDS_VALIDATION = "fits its member weights on a validation split carved from train"
FAMILY_RECIPE = True


class Members:
    """The ensemble's members: each name (``family`` or ``family@SEED``) with its family
    resolved once, and their logits as the combined model sees them."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self.families = [member_family(name) for name in self.names]

    def logits(self, fitted: list, data) -> np.ndarray:
        """Each member's raw logit per review of ``data`` (a split, or a tokenized
        corpus), a column each, scored as ``score`` scores them (long reviews as the
        member's family chose) and clipped as the combined model's
        ``ProbabilityToLogit`` layers clip."""
        reviews = data if isinstance(data, Tokenized) else data.encodable
        columns = [
            SentimentModel(m.keras_model, m.encoder)
            .raw_scores(reviews, long_reviews=family.long_reviews)
            .logit
            for family, m in zip(self.families, fitted, strict=True)
        ]
        return np.clip(np.column_stack(columns), -MEMBER_LOGIT_LIMIT, MEMBER_LOGIT_LIMIT)


def steps(run: Run) -> TrainResult:
    """The recipe (see the module docstring)."""
    options = run.settings["family_options"]
    members = Members(options["members"])
    run.plan(len(members.names) + 2 + options["refit"])
    fitted, member_settings = fit_members(run, members)
    with run.stage("weights", "member weights on validation"):
        val_logits = members.logits(fitted, run.splits.validation)
        weights, bias = fit_weights(val_logits, run.splits.validation.labels)
        pairs = zip(members.names, weights, strict=True)
        run.say("  weights: " + ", ".join(f"{n} {w:.3f}" for n, w in pairs))
    chosen = refit_members(run, members, fitted, member_settings) if options["refit"] else fitted
    for name, member in zip(members.names, chosen, strict=True):
        member.keras_model.name = member_model_name(name)  # two cnns need two names
    keras_model = combine([m.keras_model for m in chosen], weights, bias)
    model = SentimentModel(keras_model, MultiEncoder([m.encoder for m in chosen]))
    with run.stage("calibrate_and_test", run.HEADS_TITLE):
        # Each member scores test once; the combined model's logit is the same fixed
        # weighted sum of these logits, so test is not run through the members again.
        test_logits = members.logits(chosen, run.splits.test)
        # The short validation texts, by the members that were validated (as val_logits).
        short_logits = members.logits(fitted, run.splits.short_validation()[0])
        scored = run.fit_heads(
            val_logits @ weights + bias, test_logits @ weights + bias, short_logits @ weights + bias
        )
    figures = member_figures(run, members, fitted, weights, val_logits, test_logits)
    model.card = run.card(model, scored, **ensemble_card(run, members, fitted, figures, bias))
    histories = {name: m.history for name, m in zip(members.names, fitted, strict=True)}
    return run.save(model, scored, histories, {"members": member_settings}, epochs=False)


def fit_members(run: Run, members: Members) -> tuple[list, dict]:
    """Each member trained on the training part from its own seed (``family@SEED``) with
    its family's settings and the recipe's ``member_training`` changes."""
    fitted, member_settings = [], {}
    changes = run.settings["family_options"].get("member_training", {})
    for name, family in zip(members.names, members.families, strict=True):
        with run.stage(name, f"training {name}"):
            seed = member_seed(name, run.config.seed)
            member_settings[name] = run.settings_of(
                family.name, seed=seed, **changes.get(family.name, {})
            )
            if seed != run.config.seed:  # a bagged member (family@SEED) starts from its seed
                run.set_seed(seed)
            member = run.fit(family, member_settings[name], name)
            fitted.append(member)
        kept_accuracy = member.history["val_accuracy"][member.epoch_kept - 1]
        run.say(f"  {name}: validation accuracy {kept_accuracy:.4f} in {run.seconds(name):.0f} s")
    return fitted, member_settings


def fit_weights(val_logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """The members' weights and bias: a logistic regression on their validation logits."""
    from sklearn.linear_model import LogisticRegression

    combiner = LogisticRegression(C=1.0).fit(val_logits, labels)
    return combiner.coef_.ravel(), float(combiner.intercept_[0])


def refit_members(run: Run, members: Members, fitted: list, member_settings: dict) -> list:
    """Each member again on all of train, for the epochs its first fit kept."""
    everything = replace(
        run.splits, fit=run.splits.train_all, validation=run.splits.train_all.select([])
    )
    title = f"members again on all {len(run.splits.train_all):,} training reviews"
    chosen = []
    with run.stage("refit", title):
        for name, family, first in zip(members.names, members.families, fitted, strict=True):
            again = copy.deepcopy(member_settings[name])
            again["training"].update(epochs=first.epoch_kept, checkpoint=False, early_stopping=None)
            run.set_seed(member_seed(name, run.config.seed))
            chosen.append(run.fit(family, again, f"refit-{name}", everything))
    run.say(f"  refit in {run.seconds('refit'):.0f} s")
    return chosen


def member_figures(run: Run, members, fitted, weights, val_logits, test_logits) -> dict:
    """The card's ``members``: each one's weight, accuracies, kept epoch and size."""
    y_val, y_test = run.splits.validation.labels, run.splits.test.labels
    return {
        name: {
            "weight": float(weight),
            "validation_accuracy": accuracy(y_val, sigmoid(val_logits[:, i])),
            "test_accuracy": accuracy(y_test, sigmoid(test_logits[:, i])),
            "epoch_kept": m.epoch_kept,
            "parameters": m.keras_model.count_params(),
            **m.initialization,
        }
        for i, (name, weight, m) in enumerate(zip(members.names, weights, fitted, strict=True))
    }


def ensemble_card(run: Run, members: Members, fitted: list, figures: dict, bias: float) -> dict:
    """The card fields only an ensemble has: members, bias, the refit and its data."""
    refit = run.settings["family_options"]["refit"]
    data = run.splits.summary()
    data["train_reviews"] = len(run.splits.train_all) if refit else len(run.splits.fit)
    if refit:  # the validation figures are of the first members, which did not see them
        data["validation_scored_before_refit"] = True
    note = (
        "members trained again on all of train for their kept epochs; weights, "
        "temperature and validation figures come from the first members"
        if refit
        else "no refit: the members that were validated are the ones saved"
    )
    epochs = {name: m.epoch_kept for name, m in zip(members.names, fitted, strict=True)}
    return {
        "data": data,
        "members": figures,
        "bias": bias,
        "refit": {"train_reviews": data["train_reviews"], "epochs": epochs, "note": note},
    }
