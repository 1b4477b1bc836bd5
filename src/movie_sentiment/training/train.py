"""``train(config)``: IMDB archive in, run folder with a saved model bundle out.

Steps: load the train and test splits -> carve a seeded validation split from train ->
fit the text encoder on the training reviews -> build the family's Keras model -> fit
with progress, history (CSV + JSON), optional early stopping, keeping the best epoch
-> fit the temperature on validation -> score test once -> save the bundle, metrics and
plots. ``fit_member`` and ``score_and_save`` are the steps the ensemble recipe reuses.

The run folder is written atomically: it appears complete at the end, or not at all.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data.imdb import ImdbCache, ReviewDataset, load_reviews
from movie_sentiment.errors import ConfigError, OutputExistsError
from movie_sentiment.evaluation.calibration import (
    apply_temperature,
    calibration_report,
    fit_temperature,
    plot_reliability,
)
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.evaluation.plots import plot_confusion_matrix, plot_history
from movie_sentiment.models import get_family
from movie_sentiment.paths import atomic_directory
from movie_sentiment.text.persist import make_encoder
from movie_sentiment.text.tokenize import Tokenized, tokenize_corpus
from movie_sentiment.training.callbacks import KeepBestEpoch
from movie_sentiment.training.config import TrainConfig

RUNS_DIR = Path("runs")


@dataclass
class TrainResult:
    run_dir: Path
    bundle_dir: Path
    metrics: dict  # {"validation": {...}, "test": {...}}
    history: dict  # Keras history: metric -> list per epoch
    seconds: float


def default_run_dir(model: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return RUNS_DIR / f"{model}-{stamp}"


def split_validation(size: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, validation indices): a seeded random ``count`` of ``size``."""
    if count >= size:
        raise ConfigError(f"validation_size {count} leaves no training reviews (train has {size})")
    order = np.random.RandomState(seed).permutation(size)
    return np.sort(order[count:]), np.sort(order[:count])


def encode_split(encoder, data: ReviewDataset) -> np.ndarray:
    """``data`` through ``encoder``, from its cached tokens when it has them."""
    return encoder.transform(data.tokens if data.tokens is not None else data.texts)


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
        train_tokens = self.train_all.tokens
        if train_tokens is None:
            train_tokens = tokenize_corpus(self.train_all.texts)
        return [train_tokens, ImdbCache.open(self.data).tokens("unsup")]


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

    model: object
    encoder: object
    history: dict
    epoch_kept: int
    x_validation: np.ndarray
    initialization: dict  # what the family's initialize step reported (pretraining, say)


def fit_member(
    name: str, settings: dict, splits: Splits, verbose: int, callbacks: list | None = None
) -> FittedMember:
    """Fit encoder and model of family ``name`` with resolved ``settings`` on ``splits``."""
    import keras

    training = settings["training"]
    encoder = make_encoder(settings["encoder"]).fit(
        splits.train_all.tokens if splits.train_all.tokens is not None else splits.train_all.texts
    )
    x_fit, y_fit = encode_split(encoder, splits.fit), splits.fit.labels.astype("float32")
    x_val, y_val = (
        encode_split(encoder, splits.validation),
        splits.validation.labels.astype("float32"),
    )
    has_validation = len(splits.validation) > 0
    family = get_family(name)
    model = family.build(settings["model_options"], encoder)
    initialization = {}
    if family.initialize is not None:
        initialization = (
            family.initialize(
                model, x_fit, y_fit, settings["model_options"], encoder=encoder, splits=splits
            )
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
    fit = model.fit(
        x_fit,
        y_fit,
        epochs=training["epochs"],
        batch_size=training["batch_size"],
        validation_data=(x_val, y_val) if has_validation else None,
        callbacks=callbacks,
        verbose=verbose,
    )
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    epochs_run = len(history.get("loss", []))
    kept = (
        epochs_run
        if best_epoch is None or best_epoch.best_epoch is None
        else best_epoch.best_epoch + 1
    )
    return FittedMember(model, encoder, history, kept, x_val, initialization)


def score_and_save(
    staging: Path,
    sentiment_model: SentimentModel,
    splits: Splits,
    x_validation,
    x_test,
    card: dict,
    *,
    raw_scores: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Fit the temperature on validation, score test once, and save bundle, metrics and
    plots into ``staging``. Returns the metrics. ``raw_scores``: the model's uncalibrated
    (validation, test) probabilities when the caller already has them (the ensemble
    combines its members' scores), so nothing is scored twice."""
    y_val = splits.validation.labels
    if raw_scores is not None:
        known_validation, raw_test = raw_scores
    else:
        known_validation = None
        raw_test = sentiment_model.predict_encoded(x_test, calibrated=False)
    temperature, raw_validation = 1.0, None
    if splits.validation_source == "test":
        raw_validation = raw_test  # the same reviews: score them once, fit nothing on them
    elif len(splits.validation):
        raw_validation = known_validation
        if raw_validation is None:
            raw_validation = sentiment_model.predict_encoded(x_validation, calibrated=False)
        temperature = fit_temperature(y_val, raw_validation)
    calibrated_test = apply_temperature(raw_test, temperature)
    metrics = {}
    if raw_validation is not None:
        metrics["validation"] = classification_metrics(
            y_val, apply_temperature(raw_validation, temperature)
        )
    metrics["test"] = classification_metrics(splits.test.labels, calibrated_test)
    card["metrics"] = metrics
    card["calibration"] = {
        "method": "temperature scaling fit on validation" if temperature != 1.0 else "none",
        "temperature": temperature,
        "test": calibration_report(splits.test.labels, raw_test, calibrated_test),
    }
    card["data"] = {
        "sha256": splits.train_all.checksum,
        "train_reviews": len(splits.fit),
        "validation_reviews": len(splits.validation),
        "validation_source": splits.validation_source,
        "test_reviews": len(splits.test),
    }
    card["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    sentiment_model.card = card
    sentiment_model.save(staging / "bundle")
    (staging / "metrics.json").write_text(json.dumps(metrics, indent=2))
    plot_reliability(splits.test.labels, raw_test, calibrated_test, staging / "reliability.png")
    plot_confusion_matrix(metrics["test"]["confusion_matrix"], staging / "confusion_matrix.png")
    return metrics


def verbosity(config: TrainConfig) -> int:
    """Keras' progress: as configured, else a bar on a terminal and a line per epoch in logs."""
    return config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)


def prepare_run_dir(config: TrainConfig) -> Path:
    """The run folder to write; an existing one is an error unless ``force``."""
    run_dir = Path(config.out) if config.out else default_run_dir(config.model)
    if run_dir.exists() and not config.force:
        raise OutputExistsError(f"{run_dir} already exists; pass --force to overwrite it")
    return run_dir


def train(config: TrainConfig) -> TrainResult:
    """Train ``config.model`` on IMDB and write a run folder; see the module docstring."""
    import keras

    family = get_family(config.model)
    if family.train is not None:  # a multi-stage recipe (the ensemble)
        return family.train(config)
    started = time.perf_counter()
    settings = config.resolved()
    run_dir = prepare_run_dir(config)
    keras.utils.set_random_seed(config.seed)
    splits = load_splits(config, settings["training"]["validation_size"])
    with atomic_directory(run_dir, force=config.force) as staging:
        (staging / "config.json").write_text(json.dumps(settings, indent=2))
        csv_log = keras.callbacks.CSVLogger(str(staging / "history.csv"))
        member = fit_member(config.model, settings, splits, verbosity(config), [csv_log])
        (staging / "history.json").write_text(json.dumps(member.history, indent=2))
        plot_history(member.history, staging)
        sentiment_model = SentimentModel(member.model, member.encoder)
        card = {
            "model": config.model,
            "config": settings,
            "parameters": member.model.count_params(),
            "epochs_run": len(member.history.get("loss", [])),
            "epoch_kept": member.epoch_kept,
            **({"initialization": member.initialization} if member.initialization else {}),
            "train_seconds": round(time.perf_counter() - started, 2),
        }
        metrics = score_and_save(
            staging,
            sentiment_model,
            splits,
            member.x_validation,
            encode_split(member.encoder, splits.test),
            card,
        )
    seconds = time.perf_counter() - started
    return TrainResult(run_dir, run_dir / "bundle", metrics, member.history, seconds)
