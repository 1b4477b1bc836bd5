"""``Run``: the skeleton every training recipe shares, written once.

A run checks its folder before any work (``training.folder``), sets the seed, loads its
splits (``training.splits``), opens its resume folder (``training.resume``), and then
hands itself to its recipe (``training.recipes``), which calls back into it for each
part of the skeleton: numbered, timed stages with a progress line each (``stage``),
fitting a model that resumes after a kill (``fit``), the "fit heads" stage
(``fit_heads``), the one card builder (``card``), and the end (``save``): the run folder
with ``config.json``, the history, the bundle, metrics, plots and report, written
atomically, then the resume folder removed and a ``TrainResult`` returned.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from movie_sentiment.bundle import ModelCard, SentimentModel
from movie_sentiment.models import ModelFamily
from movie_sentiment.training import cross_validation
from movie_sentiment.training.config import TrainConfig
from movie_sentiment.training.cross_validation import CrossValidation
from movie_sentiment.training.fitting import FittedMember, fit_member
from movie_sentiment.training.folder import RUN_MARKER, is_our_run, prepare_run_dir, run_folder
from movie_sentiment.training.heads import RunFigures, fit_heads
from movie_sentiment.training.own_data import own_splits
from movie_sentiment.training.resume import Resume, load_stage, save_stage
from movie_sentiment.training.splits import Splits, load_splits


@dataclass
class TrainResult:
    run_dir: Path
    bundle_dir: Path
    metrics: dict  # {"validation": {...}, "test": {...}}
    history: dict  # Keras history: metric -> list per epoch (an ensemble: per member)
    seconds: float


LEARNED_MARGIN = 0.05  # validation accuracy within this of the majority share: not learned


class Run:
    """One training run (see the module docstring). ``family`` and ``recipe`` are the
    config's, resolved once when the config was checked."""

    HEADS_TITLE = "fit heads (temperature, uncertain zone, stars), then test once"

    def __init__(self, config: TrainConfig, inside: Run | None = None):
        """``inside``: the run this one is part of (a teacher's), which is the one to
        resume, so this one does not offer ``--resume`` for its own folder."""
        from rich.console import Console

        self.config = config
        self.family: ModelFamily = config.family_entry
        self.recipe = config.recipe_entry
        self.settings = config.resolved()
        self.verbose = verbosity(config)
        self.console = Console(stderr=True)
        self.started = time.perf_counter()
        self.stage_seconds: dict[str, float] = {}
        self._stages, self._stage, self._announce = 0, 0, True
        self.run_dir = prepare_run_dir(config)  # before any work: a wrong --out is at once
        self.set_seed(config.seed)
        self.folds = None  # cross-validation's folds (``--cv``), checked before any work
        if config.cv:
            self.folds = CrossValidation(config)
            self.splits: Splits = self.folds.final_splits()
        elif config.own_data:
            self.splits = own_splits(config)
        else:
            self.splits = load_splits(config, self.settings["training"]["validation_size"])
        for note in self.splits.notes:  # what reading the user's data skipped, said
            self.console.print(f"warning: {note}", markup=False, highlight=False, soft_wrap=True)
        # once the data is there
        self.resume = open_resume(config, self.run_dir, announce=inside is None)

    def execute(self) -> TrainResult:
        if self.folds is not None:
            return cross_validation.steps(self, self.folds)
        return self.recipe.steps(self)

    # -- stages ----------------------------------------------------------------------
    def plan(self, stages: int, announce: bool = True) -> None:
        """How many stages the recipe has, for the "Stage k/N" lines (none when not
        ``announce``: they are still timed)."""
        self._stages, self._announce = stages, announce

    @contextlib.contextmanager
    def stage(self, name: str, title: str) -> Iterator[None]:
        """A numbered stage: its progress line, its seconds in the card (``name``)."""
        self._stage += 1
        if self._announce:
            total = max(self._stages, self._stage)
            self.say(f"[bold]Stage {self._stage}/{total}[/bold]: {title}")
        start = time.perf_counter()
        yield
        self.stage_seconds[name] = round(time.perf_counter() - start, 2)

    def seconds(self, stage: str) -> float:
        return self.stage_seconds[stage]

    def say(self, text: str) -> None:
        self.console.print(text)

    def set_seed(self, seed: int) -> None:
        import keras

        keras.utils.set_random_seed(seed)

    # -- the steps recipes share -----------------------------------------------------
    def settings_of(self, family: str, **settings) -> dict:
        """The resolved settings of ``family`` trained with ``settings`` on this run's
        validation split (an ensemble member's)."""
        validation_size = self.settings["training"]["validation_size"]
        return TrainConfig(family=family, validation_size=validation_size, **settings).resolved()

    def fit(
        self,
        family: ModelFamily,
        settings: dict,
        stage: str,
        data: Splits | None = None,
        soft: tuple | None = None,
    ) -> FittedMember:
        """A model of ``family`` fit on ``data`` (default: the run's splits) with a
        checkpoint per epoch, kept whole in the resume folder once fit; or the one an
        interrupted run kept under ``stage``."""
        data = data or self.splits
        if self.resume.stage_done(stage):
            keras_model, encoder, state = load_stage(self.resume, stage)
            self.say(f"  {stage}: kept from the interrupted run")
            return FittedMember(
                keras_model, encoder, state["history"], state["epoch_kept"],
                encoder.transform(data.validation.encodable), state["initialization"],
            )  # fmt: skip
        member = fit_member(
            family, settings, data, self.verbose, checkpoints=self.resume.epochs(stage),
            before_first_save=self.resume.start, soft=soft,
        )  # fmt: skip
        save_stage(self.resume, stage, member)
        return member

    def raw_logits(
        self, model: SentimentModel, long_reviews: str, splits: Splits | None = None
    ) -> tuple:
        """The model's uncalibrated logits on validation (None when there is none or it
        is test), test, and the short validation texts (``Splits.short_validation``;
        None without validation), scored as ``SentimentModel.score`` scores; of the run's
        splits or ``splits`` (a cross-validation fold's)."""
        splits, validation, short = splits or self.splits, None, None
        if len(splits.validation) and splits.validation_source != "test":
            validation = model.raw_scores(
                splits.validation.encodable, long_reviews=long_reviews
            ).logit
        if len(splits.validation):
            short = model.raw_scores(splits.short_validation()[0], long_reviews=long_reviews).logit
        test = model.raw_scores(splits.test.encodable, long_reviews=long_reviews).logit
        return validation, test, short

    def fit_heads(
        self,
        raw_validation: np.ndarray | None,
        raw_test: np.ndarray,
        raw_short: np.ndarray | None = None,
        stars_encoder=None,
        splits: Splits | None = None,
    ) -> RunFigures:
        """The "fit heads" stage (``training.heads``): temperature, uncertain zone and
        stars fit on validation, then test scored once (of the run's splits or ``splits``).
        On a user's own data, a model that learned nothing (validation no better than
        always the larger label) is said so."""
        figures = fit_heads(
            splits or self.splits, raw_validation, raw_test, self.verbose, raw_short,
            stars_encoder,
        )  # fmt: skip
        if self.splits.sources and "validation" in figures.metrics:
            self._learned_or_say(figures.metrics["validation"]["accuracy"])
        return figures

    def _learned_or_say(self, accuracy: float) -> None:
        labels = self.splits.validation.labels
        majority = max(float(labels.mean()), 1 - float(labels.mean()))
        if accuracy <= majority + LEARNED_MARGIN:
            self.console.print(
                f"warning: {self.config.family} learned next to nothing from "
                f"{len(self.splits.fit):,} reviews (validation accuracy {accuracy:.3f}; always "
                f"the larger label: {majority:.3f}). Try --family nbsvm, or train with IMDB "
                "too: --data imdb --data FILE (docs/own-data.md)",
                markup=False, highlight=False, soft_wrap=True,
            )  # fmt: skip

    def train_other(self, family: str, out: Path, **settings) -> TrainResult:
        """Another run (a teacher), of ``family`` on this run's data and seed, into
        ``out``; it resumes as any run does."""
        config = TrainConfig(
            family=family, data=self.config.data, out=str(out), seed=self.config.seed,
            verbose=self.config.verbose, **settings,
        )  # fmt: skip
        return Run(config, inside=self).execute()

    @staticmethod
    def is_our_run(folder: Path) -> bool:
        return is_our_run(folder)

    # -- the end ---------------------------------------------------------------------
    @staticmethod
    def member_card(member: FittedMember) -> dict:
        """The card fields of a run whose bundle is one fitted model."""
        return {
            "epochs_run": len(member.history.get("loss", [])),
            "epoch_kept": member.epoch_kept,
            "initialization": member.initialization,
        }

    def card(self, model: SentimentModel, scored: RunFigures, **fields) -> ModelCard:
        """The one card builder: what every run records, and the recipe's ``fields``
        (the long-review policy each scoring member was fit and is scored under)."""
        from movie_sentiment.models import member_family

        names = list(fields.get("members") or {}) or [self.config.family]
        policies = [member_family(name).long_reviews for name in names]
        return ModelCard(
            **{
                "family": self.config.family,
                "config": self.settings,
                "metrics": scored.metrics,
                "calibration": scored.calibration,
                "data": self.splits.summary(),
                "parameters": model.keras_model.count_params(),
                "uncertain": scored.heads.zone.to_card(),
                "long_reviews": policies,
                "stars": scored.heads.stars.to_card(),
                "stage_seconds": self.stage_seconds,
                "train_seconds": round(time.perf_counter() - self.started, 2),
                **fields,
            }
        )

    def save(
        self,
        model: SentimentModel,
        scored: RunFigures,
        history: dict,
        config: dict | None = None,
        epochs: bool = True,
        folders: dict | None = None,
    ) -> TrainResult:
        """The run folder, whole or not at all: ``config.json`` (the settings, plus
        ``config``), ``history.json`` (with ``epochs``, one model's history: also as
        CSV and plots), the bundle and the rest (``save_bundle_and_figures``), and
        ``folders`` (name -> a folder to copy in, as a teacher's run). Then the resume
        folder goes."""
        from movie_sentiment.evaluation.plots import plot_history

        with run_folder(self.run_dir, self.config) as staging:
            (staging / "config.json").write_text(
                json.dumps({**self.settings, **(config or {})}, indent=2)
            )
            (staging / "history.json").write_text(json.dumps(history, indent=2))
            if epochs:
                write_history_csv(history, staging / "history.csv")
                plot_history(history, staging)
            save_bundle_and_figures(staging, model, scored, self.splits)
            for name, folder in (folders or {}).items():
                shutil.copytree(folder, staging / name, symlinks=True)
        self.resume.discard()
        seconds = time.perf_counter() - self.started
        return TrainResult(self.run_dir, self.run_dir / "bundle", scored.metrics, history, seconds)


def save_bundle_and_figures(
    staging: Path, model: SentimentModel, scored: RunFigures, splits: Splits
) -> None:
    """The bundle (with its complete card), the run marker, ``metrics.json``, the plots
    (reliability, confusion matrix, risk-coverage, stars) and ``report.html`` into the
    run's staging folder."""
    from movie_sentiment.training.report import write_report

    model.stars_model = scored.heads.stars.model
    model.card.run_id = uuid.uuid4().hex  # the proof that the run folder is ours
    model.save(staging / "bundle")
    (staging / RUN_MARKER).write_text(model.card.run_id + "\n", encoding="ascii")
    (staging / "metrics.json").write_text(json.dumps(scored.metrics, indent=2))
    if "test" in scored.metrics:  # a cross-validated run has no test split
        save_test_plots(staging, scored, splits)
    write_report(staging, model, splits.test)


def save_test_plots(staging: Path, scored: RunFigures, splits: Splits) -> None:
    """The plots of the test figures: reliability, confusion matrix, risk-coverage and
    the stars' confusion matrix."""
    from movie_sentiment.evaluation.calibration import plot_reliability
    from movie_sentiment.evaluation.plots import plot_confusion_matrix, plot_risk_coverage

    labels = splits.test.labels
    plot_reliability(labels, scored.raw_test, scored.calibrated_test, staging / "reliability.png")
    test = scored.metrics["test"]
    plot_confusion_matrix(test["confusion_matrix"], staging / "confusion_matrix.png")
    if scored.curves and scored.heads.zone:
        target = scored.heads.zone.zone["target_accuracy"]
        plot_risk_coverage(scored.curves, target, staging / "risk_coverage.png")
    if "stars" in test:
        plot_confusion_matrix(
            test["stars"]["confusion_matrix"],
            staging / "stars_confusion.png",
            [str(star) for star in test["stars"]["classes"]],
            "Stars: true (rows) and predicted (test)",
        )


def verbosity(config: TrainConfig) -> int:
    """Keras' progress: as configured, else a bar on a terminal and a line per epoch in logs."""
    return config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)


def open_resume(config: TrainConfig, run_dir: Path, announce: bool = True) -> Resume:
    """The run's resume folder (``training.resume``), found or to be made at the first
    saved epoch; ``force`` starts over. ``announce``: say where it is and how to go on."""

    def say(what: str) -> None:
        if announce and config.verbose != 0:
            print(
                f"{what}: {run_dir} (if interrupted, "
                f"`movie-sentiment train --resume {run_dir}` goes on)",
                file=sys.stderr,
            )

    given = {**asdict(config), "out": str(run_dir), "force": False, "verbose": None}
    resume = Resume(run_dir, given, lambda: say("Run folder"))
    if config.force:
        resume.discard()
    resume.check()
    if resume.started:
        say("Going on with")
    return resume


def write_history_csv(history: dict, path: Path) -> None:
    """The history as Keras' CSVLogger writes it: ``epoch`` then the metrics, a row each."""
    keys = sorted(history)
    rows = ["epoch," + ",".join(keys)]
    for epoch in range(len(history.get("loss", []))):
        rows.append(f"{epoch}," + ",".join(repr(history[k][epoch]) for k in keys))
    path.write_text("\n".join(rows) + "\n")
