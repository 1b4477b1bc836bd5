"""``train(config)``: IMDB archive in, run folder with a saved model bundle out.

Steps: load the train and test splits -> carve a seeded validation split from train ->
fit the text encoder on the training reviews -> build the family's Keras model -> fit
with progress, history (CSV + JSON), optional early stopping, keeping the best epoch
-> fit the temperature on validation -> score test once -> save the bundle, metrics and
plots. ``fit_member``, ``calibrate_and_score`` and ``save_run`` are the steps the
ensemble recipe (``training.ensemble``) reuses.

The run folder is written atomically: it appears complete at the end, or not at all.
It holds a marker, ``.movie-sentiment-run``, with the run's id, which its bundle's card
records too: only a folder holding both is a run of ours that ``force`` may replace.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from movie_sentiment.bundle import ModelCard, SentimentModel
from movie_sentiment.bundle.model import is_bundle
from movie_sentiment.data.imdb import ImdbCache, ReviewDataset, load_reviews
from movie_sentiment.errors import ConfigError, StorageError
from movie_sentiment.evaluation.calibration import (
    apply_temperature,
    calibration_report,
    fit_temperature,
    plot_reliability,
)
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.models import get_family
from movie_sentiment.paths import atomic_directory, check_replaceable, staging_folder
from movie_sentiment.text.persist import make_encoder
from movie_sentiment.text.tokenize import Tokenized, as_tokens
from movie_sentiment.training.config import TrainConfig

RUNS_DIR = Path("runs")
RUN_MARKER = ".movie-sentiment-run"  # holds the run id; only train writes it
_RUN_ID = re.compile(r"[0-9a-f]{32}")
CARD_READ_LIMIT = 64 * 2**20  # a card is kilobytes; more is not one of ours


@dataclass
class TrainResult:
    run_dir: Path
    bundle_dir: Path
    metrics: dict  # {"validation": {...}, "test": {...}}
    history: dict  # Keras history: metric -> list per epoch
    seconds: float


def default_run_dir(family: str) -> Path:
    """``runs/FAMILY-YYYYmmdd-HHMMSS``, with ``-2``, ``-3``... when that one exists."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = RUNS_DIR / f"{family}-{stamp}"
    number = 1
    while run_dir.exists():
        number += 1
        run_dir = RUNS_DIR / f"{family}-{stamp}-{number}"
    return run_dir


def split_validation(size: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, validation indices): a seeded random ``count`` of ``size``."""
    if count >= size:
        raise ConfigError(f"validation_size {count} leaves no training reviews (train has {size})")
    order = np.random.RandomState(seed).permutation(size)
    return np.sort(order[count:]), np.sort(order[:count])


def encode_split(encoder, data: ReviewDataset) -> np.ndarray:
    """``data`` through ``encoder``, from its cached tokens when it has them."""
    return encoder.transform(data.encodable)


@dataclass
class Splits:
    """The reviews of one run: all of train (for the vocabulary), the part the model is
    fit on, the validation part, and test."""

    train_all: ReviewDataset
    fit: ReviewDataset
    validation: ReviewDataset
    test: ReviewDataset
    validation_source: str
    data: str | Path | None = None  # the IMDB source, for families that read unlabeled text
    memo: dict = field(default_factory=dict, repr=False)  # shared work (word vectors), by key

    def unlabeled_text(self) -> list[Tokenized]:
        """The text a family may learn from without labels: all of train (labels unused)
        and ``unsup``. Never test."""
        return [as_tokens(self.train_all.encodable), ImdbCache.open(self.data).tokens("unsup")]

    def short_validation(self) -> tuple[Tokenized, np.ndarray]:
        """Short validation texts, for the short-text uncertain zone: each validation
        review's last sentence and last two (when shorter than the review), labeled as
        their review (``bundle.uncertain.SHORT_SOURCE``)."""
        if "short_validation" not in self.memo:
            from movie_sentiment.text.sentences import trailing_snippets
            from movie_sentiment.text.tokenize import tokenize_corpus

            snippets, sources = trailing_snippets(self.validation.texts, 2)
            labels = self.validation.labels[np.asarray(sources, dtype=np.int64)]
            self.memo["short_validation"] = (tokenize_corpus(snippets), labels)
        return self.memo["short_validation"]

    def summary(self) -> dict:
        """The card's ``data`` part: the archive's checksum and the reviews per part."""
        return {
            "sha256": self.train_all.checksum,
            "train_reviews": len(self.fit),
            "validation_reviews": len(self.validation),
            "validation_source": self.validation_source,
            "test_reviews": len(self.test),
        }


def load_splits(config: TrainConfig, validation_size: int) -> Splits:
    train_all = load_reviews("train", config.data)
    test = load_reviews("test", config.data)
    if config.validate_on_test:
        return Splits(train_all, train_all, test, test, "test", config.data)
    fit_idx, val_idx = split_validation(len(train_all), validation_size, config.seed)
    return Splits(
        train_all,
        train_all.select(fit_idx),
        train_all.select(val_idx),
        test,
        "train",
        config.data,
    )


@dataclass
class FittedMember:
    """One trained Keras model with its encoder, history and validation inputs."""

    keras_model: object
    encoder: object
    history: dict
    epoch_kept: int
    x_validation: np.ndarray
    initialization: dict  # what the family's initialize step reported (pretraining, say)


def fit_member(
    family_name: str,
    settings: dict,
    splits: Splits,
    verbose: int,
    callbacks: list | None = None,
    checkpoints: Path | None = None,
    before_first_save=None,
    soft: tuple | None = None,
) -> FittedMember:
    """Fit encoder and model of family ``family_name`` with resolved ``settings``. With
    ``checkpoints`` (a folder), every epoch is saved there and a fit interrupted earlier
    goes on after its last saved epoch (``training.resume``). ``soft``: (texts, targets,
    weight), more training examples with soft targets (a teacher's probabilities, for
    distillation), each weighing ``weight``; what the family derives from the training
    part (naive-Bayes ratios) counts them too."""
    import keras

    from movie_sentiment.training.callbacks import KeepBestEpoch
    from movie_sentiment.training.resume import epoch_checkpoint

    training = settings["training"]
    encoder = make_encoder(settings["encoder"]).fit(splits.train_all.encodable)
    x_fit, y_fit = encode_split(encoder, splits.fit), splits.fit.labels.astype("float32")
    x_train, y_train, weights = x_fit, y_fit, None
    if training.get("sentence_examples") and len(splits.fit):
        x_train, y_train, weights = with_sentence_examples(
            encoder, splits.fit, x_fit, y_fit, training["sentence_examples"],
            training.get("sentence_weight", 1.0),
        )  # fmt: skip
    if soft is not None:
        texts, targets, weight = soft
        x_soft, y_soft = encoder.transform(texts), np.asarray(targets, dtype="float32")
        weights = np.concatenate(
            [np.ones(len(x_train)) if weights is None else weights, np.full(len(x_soft), weight)]
        ).astype("float32")
        x_fit, y_fit = np.concatenate([x_fit, x_soft]), np.concatenate([y_fit, y_soft])
        x_train, y_train = np.concatenate([x_train, x_soft]), np.concatenate([y_train, y_soft])
    x_val, y_val = (
        encode_split(encoder, splits.validation),
        splits.validation.labels.astype("float32"),
    )
    has_validation = len(splits.validation) > 0
    family = get_family(family_name)
    options = settings["family_options"]
    keras_model = family.build(options, encoder)
    initialization = {}
    if family.initialize is not None:
        initialization = (
            family.initialize(keras_model, x_fit, y_fit, options, encoder=encoder, splits=splits)
            or {}
        )
    callbacks = list(callbacks or [])
    monitor = "val_loss" if has_validation else "loss"
    if training.get("early_stopping"):
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=training["early_stopping"], restore_best_weights=True
            )
        )
    best_epoch = KeepBestEpoch(monitor) if training["checkpoint"] else None
    if best_epoch is not None:
        callbacks.append(best_epoch)
    saved, initial_epoch = None, 0
    if checkpoints is not None:  # after KeepBestEpoch: it saves what that one decided
        saved = epoch_checkpoint(checkpoints, best_epoch, before_first_save)
        initial_epoch = saved.restore(keras_model)
        callbacks.append(saved)
    fit = keras_model.fit(
        x_train,
        y_train,
        sample_weight=weights,
        epochs=training["epochs"],
        initial_epoch=initial_epoch,
        batch_size=training["batch_size"],
        validation_data=(x_val, y_val) if has_validation else None,
        callbacks=callbacks,
        verbose=verbose,
    )
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    if saved is not None:  # every epoch, those before the interruption too
        history = saved.history
    epochs_run = len(history.get("loss", []))
    kept = (
        epochs_run
        if best_epoch is None or best_epoch.best_epoch is None
        else best_epoch.best_epoch + 1
    )
    return FittedMember(keras_model, encoder, history, kept, x_val, initialization)


def with_sentence_examples(encoder, fit: ReviewDataset, x_fit, y_fit, count: int, weight: float):
    """The training part plus each review's last 1..``count`` sentences as examples of
    their own, labeled as their review (``text.sentences.trailing_snippets``), so a model
    trained on ~230-word reviews also sees one-line opinions; with the sample weights
    (1 for reviews, ``weight`` for the snippets), or None when there are no snippets.
    What a family derives from the training part (naive-Bayes ratios) still comes from
    the reviews alone."""
    from movie_sentiment.text.sentences import trailing_snippets

    snippets, sources = trailing_snippets(fit.texts, count)
    if not snippets:
        return x_fit, y_fit, None
    x_short = encoder.transform(snippets)
    weights = np.concatenate([np.ones(len(x_fit)), np.full(len(snippets), weight)])
    x_all, y_all = np.concatenate([x_fit, x_short]), np.concatenate([y_fit, y_fit[sources]])
    return x_all, y_all, weights.astype("float32")


@dataclass
class RunFigures:
    """A model's figures at the end of a run: metrics, calibration, the uncertain zone,
    the stars model, and the test scores."""

    metrics: dict  # {"validation": {...}, "test": {...}}
    calibration: dict  # method, temperature, test report before/after
    raw_test: np.ndarray  # uncalibrated probabilities on test
    calibrated_test: np.ndarray
    uncertain: dict  # the card's uncertain zone, fit on validation
    ratings: dict  # the card's stars, fit on validation (``training.ratings``)
    rating_model: tuple | None = None  # (keras_model, encoder) the stars use, if any
    curves: dict = field(default_factory=dict)  # risk-coverage curves, for the plot


def calibrate_and_score(
    splits: Splits,
    raw_validation: np.ndarray | None,
    raw_test: np.ndarray,
    verbose: int = 0,
    raw_short: np.ndarray | None = None,
    rating_encoder=None,
) -> RunFigures:
    """From a model's uncalibrated logits on validation and test (``raw_scores``, as
    ``score`` scores): fit the temperature, the uncertain zone and the stars on validation,
    then report test once: classification metrics, the answered share and AURC, and the
    ratings' errors beside the "polarity then class median" baseline. ``raw_short``: the
    logits of ``splits.short_validation()``, for the zone of short texts;
    ``rating_encoder``: the model's encoder when the rating model may share it."""
    from movie_sentiment.bundle.uncertain import (
        answered_curve,
        fit_short_zone,
        fit_zone,
        selective_report,
    )
    from movie_sentiment.training.ratings import fit_stars

    raw_test_p = sigmoid(raw_test)
    temperature = 1.0
    source = splits.validation
    if splits.validation_source == "test":
        raw_validation = raw_test  # the same reviews: score them once, fit no temperature
    elif raw_validation is not None and len(splits.validation):
        temperature = fit_temperature(source.labels, sigmoid(raw_validation))
    calibrated_test = apply_temperature(raw_test_p, temperature)
    metrics, uncertain, ratings, curves, rating_model, star_figures = {}, {}, {}, {}, None, {}
    if raw_validation is not None and len(source):
        calibrated_validation = apply_temperature(sigmoid(raw_validation), temperature)
        metrics["validation"] = classification_metrics(source.labels, calibrated_validation)
        uncertain = fit_zone(source.labels, calibrated_validation)
        if uncertain and raw_short is not None:
            short_tokens, short_labels = splits.short_validation()
            short = fit_short_zone(
                short_labels,
                apply_temperature(sigmoid(raw_short), temperature),
                short_tokens.lengths(),
            )
            if short:
                uncertain["short"] = short
        ratings, rating_model, star_figures = fit_stars(
            splits, raw_validation / temperature, raw_test / temperature, verbose, rating_encoder
        )
        uncertain["source"] = ratings["source"] = splits.validation_source
        _, accuracy, coverage = answered_curve(source.labels, calibrated_validation)
        curves["validation"] = (accuracy, coverage)
    metrics["test"] = classification_metrics(splits.test.labels, calibrated_test)
    if uncertain:
        test_words = as_tokens(splits.test.encodable).lengths()
        metrics["test"]["uncertain"] = selective_report(
            splits.test.labels, calibrated_test, uncertain, test_words
        )
        _, accuracy, coverage = answered_curve(splits.test.labels, calibrated_test)
        curves["test"] = (accuracy, coverage)
    metrics["test"].update(star_figures)
    calibration = {
        "method": "temperature scaling fit on validation" if temperature != 1.0 else "none",
        "temperature": temperature,
        "test": calibration_report(splits.test.labels, raw_test_p, calibrated_test),
    }
    return RunFigures(
        metrics, calibration, raw_test_p, calibrated_test, uncertain, ratings, rating_model, curves
    )


def save_run(
    staging: Path, model: SentimentModel, scored: RunFigures, test_reviews: ReviewDataset
) -> None:
    """The bundle (with its complete card), ``metrics.json``, the plots (reliability,
    confusion matrix, risk-coverage, ratings) and ``report.html`` into the run's staging
    folder."""
    from movie_sentiment.evaluation.plots import plot_confusion_matrix, plot_risk_coverage
    from movie_sentiment.training.report import write_report

    model.rating_model = scored.rating_model
    model.card.run_id = uuid.uuid4().hex  # the proof that the run folder is ours
    model.save(staging / "bundle")
    (staging / RUN_MARKER).write_text(model.card.run_id + "\n", encoding="ascii")
    (staging / "metrics.json").write_text(json.dumps(scored.metrics, indent=2))
    labels = test_reviews.labels
    plot_reliability(labels, scored.raw_test, scored.calibrated_test, staging / "reliability.png")
    test = scored.metrics["test"]
    plot_confusion_matrix(test["confusion_matrix"], staging / "confusion_matrix.png")
    if scored.curves and scored.uncertain:
        plot_risk_coverage(
            scored.curves, scored.uncertain["target_accuracy"], staging / "risk_coverage.png"
        )
    if "ratings" in test:
        plot_confusion_matrix(
            test["ratings"]["confusion_matrix"],
            staging / "ratings_confusion.png",
            [str(star) for star in test["ratings"]["classes"]],
            "Stars: true (rows) and predicted (test)",
        )
    write_report(staging, model, test_reviews)


def raw_logits(
    model: SentimentModel, splits: Splits, long_reviews: str
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """The model's uncalibrated logits on validation (None when there is none), test, and
    the short validation texts (``Splits.short_validation``; None without validation),
    scored as ``SentimentModel.score`` scores (long reviews in chunks)."""
    validation = short = None
    if len(splits.validation) and splits.validation_source != "test":
        validation = model.raw_scores(splits.validation.encodable, long_reviews=long_reviews).logit
    if len(splits.validation):
        short = model.raw_scores(splits.short_validation()[0], long_reviews=long_reviews).logit
    test = model.raw_scores(splits.test.encodable, long_reviews=long_reviews).logit
    return validation, test, short


def verbosity(config: TrainConfig) -> int:
    """Keras' progress: as configured, else a bar on a terminal and a line per epoch in logs."""
    return config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` looks like a run folder (a config and one of our bundles in it):
    enough to write its report; replacing it takes proof (``is_our_run``)."""
    path = Path(path)
    return (path / "config.json").is_file() and is_bundle(path / "bundle")


def is_our_run(path: Path) -> bool:
    """Whether ``train`` wrote the folder ``path``: its ``RUN_MARKER`` and its bundle's card
    hold the same run id. File names prove nothing (a user's app folder may hold a
    ``config.json`` and a ``bundle/``); runs written before the marker existed are not
    replaced either."""
    run_id = _small_file(Path(path) / RUN_MARKER, 100)
    card = _small_file(Path(path) / "bundle" / "card.json", CARD_READ_LIMIT)
    if run_id is None or card is None or not _RUN_ID.fullmatch(run_id.strip()):
        return False
    try:
        card = json.loads(card)
    except (ValueError, RecursionError):
        return False
    return isinstance(card, dict) and card.get("run_id") == run_id.strip()


def _small_file(path: Path, limit: int) -> str | None:
    """The text of a regular file (not a link, FIFO or device) of at most ``limit``
    bytes; None otherwise."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        with open(path, "rb") as file:
            data = file.read(limit + 1)
        return None if len(data) > limit else data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def run_folder(run_dir: Path, config: TrainConfig):
    """The atomic staging of a run folder: replaces only a run of ours, with ``force``."""
    return atomic_directory(run_dir, config.force, is_our_run, "run")


def prepare_run_dir(config: TrainConfig) -> Path:
    """The run folder to write, checked before any work: an existing one is an error
    unless ``force``, and ``force`` replaces only a run of ours; its parent must be
    writable."""
    # normpath: "run/bundle/.." is the run folder itself, not a path through it
    run_dir = Path(os.path.normpath(config.out)) if config.out else default_run_dir(config.family)
    check_replaceable(run_dir, config.force, is_our_run, "run")
    # Can we write there at all? Probed in the nearest folder that exists, so a mistake
    # found later (missing data) leaves no empty folder behind.
    existing = run_dir.parent.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise StorageError(f"cannot write to {run_dir.parent}: {existing} is not a folder")
    staging_folder(existing, run_dir.name).rmdir()
    return run_dir


def train(config: TrainConfig) -> TrainResult:
    """Train ``config.family`` on IMDB and write a run folder; see the module docstring."""
    import keras

    family = get_family(config.family)
    if family.recipe is not None:  # a multi-stage recipe (the ensemble)
        from movie_sentiment.training.distil import train_distilled
        from movie_sentiment.training.ensemble import train_ensemble

        recipes = {"ensemble": train_ensemble, "distil": train_distilled}
        return recipes[family.recipe](config)
    started = time.perf_counter()
    settings = config.resolved()
    run_dir = prepare_run_dir(config)
    keras.utils.set_random_seed(config.seed)
    splits = load_splits(config, settings["training"]["validation_size"])
    resume = open_resume(config, run_dir)  # once the data is there: nothing written before
    with run_folder(run_dir, config) as staging:
        (staging / "config.json").write_text(json.dumps(settings, indent=2))
        member = fit_member(
            config.family,
            settings,
            splits,
            verbosity(config),
            checkpoints=resume.epochs(config.family),
            before_first_save=resume.start,
        )
        scored = score_and_save(config, settings, splits, member, staging, started)
    resume.discard()
    seconds = time.perf_counter() - started
    return TrainResult(run_dir, run_dir / "bundle", scored.metrics, member.history, seconds)


def score_and_save(
    config: TrainConfig,
    settings: dict,
    splits: Splits,
    member: FittedMember,
    staging: Path,
    started: float,
    stage_seconds: dict | None = None,
) -> RunFigures:
    """A trained single model's end of run: its history and plots, validation and test
    scored once (``calibrate_and_score``), its card, and the bundle and report saved in
    the run's ``staging`` folder."""
    from movie_sentiment.evaluation.plots import plot_history

    (staging / "history.json").write_text(json.dumps(member.history, indent=2))
    write_history_csv(member.history, staging / "history.csv")
    plot_history(member.history, staging)
    model = SentimentModel(member.keras_model, member.encoder)
    validation, test, short = raw_logits(model, splits, get_family(config.family).long_reviews)
    # A single n-gram model's rating model reads its features: one encoding scores both.
    shared = member.encoder if member.encoder.kind == "ngrams" else None
    scored = calibrate_and_score(splits, validation, test, verbosity(config), short, shared)
    model.card = ModelCard(
        family=config.family,
        config=settings,
        metrics=scored.metrics,
        calibration=scored.calibration,
        data=splits.summary(),
        parameters=member.keras_model.count_params(),
        epochs_run=len(member.history.get("loss", [])),
        epoch_kept=member.epoch_kept,
        initialization=member.initialization,
        uncertain=scored.uncertain,
        ratings=scored.ratings,
        stage_seconds=stage_seconds or {},
        train_seconds=round(time.perf_counter() - started, 2),
    )
    save_run(staging, model, scored, splits.test)
    return scored


def open_resume(config: TrainConfig, run_dir: Path):
    """The run's resume folder (``training.resume``), found or to be made at the first
    saved epoch; ``force`` starts over."""
    from dataclasses import asdict

    from movie_sentiment.training.resume import Resume

    def announce(what: str) -> None:
        if config.verbose != 0:
            print(
                f"{what}: {run_dir} (if interrupted, "
                f"`movie-sentiment train --resume {run_dir}` goes on)",
                file=sys.stderr,
            )

    given = {**asdict(config), "out": str(run_dir), "force": False, "verbose": None}
    resume = Resume(run_dir, given, lambda: announce("Run folder"))
    if config.force:
        resume.discard()
    resume.check()
    if resume.started:
        announce("Going on with")
    return resume


def write_history_csv(history: dict, path: Path) -> None:
    """The history as Keras' CSVLogger writes it: ``epoch`` then the metrics, a row each."""
    keys = sorted(history)
    rows = ["epoch," + ",".join(keys)]
    for epoch in range(len(history.get("loss", []))):
        rows.append(f"{epoch}," + ",".join(repr(history[k][epoch]) for k in keys))
    path.write_text("\n".join(rows) + "\n")
