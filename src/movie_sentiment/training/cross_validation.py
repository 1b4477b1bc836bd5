"""Cross-validation (``train --cv K``) on a user's own labeled reviews, for sets too small
for a test split to say anything: a fifth of 300 reviews is 60, and one accuracy on 60
reviews moves by about six points between two draws.

The labeled reviews are split into K stratified folds by the run's seed (scikit-learn's
``StratifiedKFold``). For each fold a model is trained on the other folds (validation
carved from them, as any run does) and its heads fit, then it is measured once on the
fold it never saw: the figures ``training.heads.fit_heads`` gives a test split. The card
gets ``metrics["cross_validation"]``: the folds, the seed, each fold's figures and their
mean and standard deviation. The saved bundle is then trained on every labeled review
(validation carved from them, no test), so it is the model those figures describe.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.errors import ConfigError
from movie_sentiment.evaluation.metrics import format_cross_validation
from movie_sentiment.training.heads import RunFigures, fit_heads
from movie_sentiment.training.own_data import OwnReviews, carve_validation, own_splits, read_own

if TYPE_CHECKING:
    from movie_sentiment.training.config import TrainConfig
    from movie_sentiment.training.run import Run, TrainResult
    from movie_sentiment.training.splits import Splits

# The figures kept per fold: the classification figures, the calibration error, the
# uncertain zone's share answered and their accuracy, the stars' error (with ratings).
FOLD_FIGURES = ("accuracy", "loss", "precision", "recall", "f1", "roc_auc")


class CrossValidation:
    """The folds of one run's own data, read once and checked when the run starts (so a
    K larger than the smaller label, or a fold whose validation part would hold one label,
    is one error line before any model trains)."""

    def __init__(self, config: TrainConfig):
        from sklearn.model_selection import StratifiedKFold

        self.config = config
        self.mine: OwnReviews = read_own(config)
        labels = self.mine.reviews.labels
        smallest = int(min(np.sum(labels == 1), np.sum(labels == 0)))
        if config.cv > smallest:
            raise ConfigError(
                f"--cv {config.cv} needs at least {config.cv} reviews of each label; the "
                f"smaller label has {smallest}: give fewer folds"
            )
        folds = StratifiedKFold(n_splits=config.cv, shuffle=True, random_state=config.seed)
        pairs = list(folds.split(np.zeros(len(labels)), labels))
        self.held_out = [test for _, test in pairs]
        for trained, _ in pairs:  # each fold's validation part, checked before any training
            carve_validation(self.mine.reviews.select(trained), config.validation_size, config.seed)

    def final_splits(self) -> Splits:
        """The bundle's splits: every labeled review trained on, validation carved from
        them, no test."""
        return own_splits(self.config, self.mine)

    def fold_splits(self, fold: int) -> Splits:
        return own_splits(self.config, self.mine, held_out=self.held_out[fold])


def steps(run: Run, folds: CrossValidation) -> TrainResult:
    """Each fold trained and measured, the summary said, then the bundle trained on all
    the labeled reviews and saved with the folds' figures on its card."""
    count = len(folds.held_out)
    run.plan(count + 2)
    per_fold = [measure_fold(run, folds, fold) for fold in range(count)]
    summary = summarize(per_fold, run.config.seed)
    say(run, format_cross_validation(summary))
    family = run.family
    with run.stage("fit", f"training {family.name} on all {len(run.splits.train_all):,} reviews"):
        run.set_seed(run.config.seed)
        member = run.fit(family, run.settings, family.name)
    with run.stage("heads", "fit heads (temperature, uncertain zone, stars) on validation"):
        model = SentimentModel(member.keras_model, member.encoder)
        scored = final_heads(run, model, member)
    scored.metrics["cross_validation"] = summary
    model.card = run.card(model, scored, **run.member_card(member))
    return run.save(model, scored, member.history)


def measure_fold(run: Run, folds: CrossValidation, fold: int) -> dict:
    """One fold: a model trained on the others (kept in the resume folder, so a killed
    run goes on with the next fold), its heads fit on their validation part, measured
    on the held-out fold; its figures, said in one line."""
    splits, family, count = folds.fold_splits(fold), run.family, len(folds.held_out)
    title = (
        f"fold {fold + 1}/{count}: training {family.name} on {len(splits.train_all):,} "
        f"reviews, measuring on {len(splits.test):,}"
    )
    with run.stage(f"fold{fold + 1}", title):
        run.set_seed(run.config.seed + fold + 1)  # each fold as it would be alone
        member = run.fit(family, run.settings, f"fold{fold + 1}", data=splits)
        model = SentimentModel(member.keras_model, member.encoder)
        validation, test, short = run.raw_logits(model, family.long_reviews, splits)
        shared = member.encoder if member.encoder.kind == "ngrams" else None
        scored = fit_heads(splits, validation, test, run.verbose, short, shared)
    figures = fold_figures(scored)
    say(run, f"  fold {fold + 1}: {format_fold(figures)}")
    return figures


def final_heads(run: Run, model: SentimentModel, member) -> RunFigures:
    """The heads of the bundle, fit on its validation part. ``fit_heads`` also scores a
    test split, and this run has none: it is handed the validation part in its place,
    and what it says of it is kept as validation's (the calibration) or dropped (the
    "test" figures, which would only repeat validation's)."""
    stand_in = replace(run.splits, test=run.splits.validation)
    validation, test, short = run.raw_logits(model, run.family.long_reviews, stand_in)
    shared = member.encoder if member.encoder.kind == "ngrams" else None
    scored = run.fit_heads(validation, test, short, shared, splits=stand_in)
    scored.metrics.pop("test")
    scored.calibration["validation"] = scored.calibration.pop("test")
    scored.curves.pop("test", None)
    return scored


def fold_figures(scored: RunFigures) -> dict:
    """A fold's figures on its held-out reviews, flat: the classification figures, the
    calibration error before and after the temperature, the uncertain zone's share
    answered and their accuracy, and the stars' mean absolute error when learned."""
    test = scored.metrics["test"]
    figures = {name: test[name] for name in FOLD_FIGURES}
    figures["ece_before"] = scored.calibration["test"]["ece_before"]
    figures["ece_after"] = scored.calibration["test"]["ece_after"]
    zone = test.get("uncertain") or {}
    figures["coverage"] = zone.get("coverage")
    figures["answered_accuracy"] = zone.get("answered_accuracy")
    figures["stars_mae"] = test["stars"]["mae"] if "stars" in test else None
    rounded = {name: None if value is None else round(float(value), 6)
               for name, value in figures.items()}  # fmt: skip
    return {"reviews": test["count"], **rounded}


def summarize(per_fold: list[dict], seed: int) -> dict:
    """The card's ``cross_validation``: the folds, the seed, each fold's figures, and per
    figure their mean and sample standard deviation over the folds that have it (a zone
    that answered nothing has no answered accuracy; None when no fold has it)."""
    names = [name for name in per_fold[0] if name != "reviews"]
    mean, sd = {}, {}
    for name in names:
        values = np.array([fold[name] for fold in per_fold if fold[name] is not None], float)
        mean[name] = round(float(values.mean()), 6) if len(values) else None
        sd[name] = round(float(values.std(ddof=1)), 6) if len(values) > 1 else None
    return {"folds": len(per_fold), "seed": seed, "mean": mean, "sd": sd, "per_fold": per_fold}


def say(run: Run, line: str) -> None:
    """A line of figures, whole in a log however wide the terminal."""
    run.console.print(line, markup=False, highlight=False, soft_wrap=True)


def format_fold(figures: dict) -> str:
    """A fold's figures on one line."""
    line = f"accuracy {figures['accuracy']:.3f}"
    if figures["roc_auc"] is not None:
        line += f", ROC AUC {figures['roc_auc']:.3f}"
    line += f", ECE {figures['ece_after']:.3f}"
    if figures["coverage"] is not None:
        line += f", zone answers {figures['coverage']:.1%}"
    if figures["stars_mae"] is not None:
        line += f", stars MAE {figures['stars_mae']:.2f}"
    return line + f" ({figures['reviews']} held-out reviews)"
