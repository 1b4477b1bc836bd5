"""``train(config)``: IMDB archive in, run folder with a saved model bundle out.

Steps: load the train and test splits -> carve a seeded validation split from train ->
fit the text encoder on the training reviews -> build the family's Keras model -> fit
with progress, history (CSV + JSON), optional early stopping, keeping the best epoch
-> score validation and test once -> save the bundle, metrics and plots.

The run folder is written atomically: it appears complete at the end, or not at all.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data.imdb import ReviewDataset, load_reviews
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


def _encode(encoder, data: ReviewDataset) -> np.ndarray:
    return encoder.transform(data.tokens if data.tokens is not None else data.texts)


def train(config: TrainConfig) -> TrainResult:
    """Train ``config.model`` on IMDB and write a run folder; see the module docstring."""
    import keras

    started = time.perf_counter()
    settings = config.resolved()
    training = settings["training"]
    run_dir = Path(config.out) if config.out else default_run_dir(config.model)
    if run_dir.exists() and not config.force:
        raise OutputExistsError(f"{run_dir} already exists; pass --force to overwrite it")
    verbose = config.verbose if config.verbose is not None else (1 if sys.stdout.isatty() else 2)

    keras.utils.set_random_seed(config.seed)
    train_all = load_reviews("train", config.data)
    test = load_reviews("test", config.data)
    encoder = make_encoder(settings["encoder"]).fit(
        train_all.tokens if train_all.tokens is not None else train_all.texts
    )
    if config.validate_on_test:
        fit_part, validation = train_all, test
    else:
        fit_idx, val_idx = split_validation(
            len(train_all), training["validation_size"], config.seed
        )
        fit_part, validation = train_all.select(fit_idx), train_all.select(val_idx)
    x_fit, y_fit = _encode(encoder, fit_part), fit_part.labels.astype("float32")
    x_val, y_val = _encode(encoder, validation), validation.labels.astype("float32")
    has_validation = len(validation) > 0

    family = get_family(config.model)
    model = family.build(settings["model_options"], encoder)
    if family.initialize is not None:
        family.initialize(model, x_fit, y_fit, settings["model_options"])
    with atomic_directory(run_dir, force=config.force) as staging:
        (staging / "config.json").write_text(json.dumps(settings, indent=2))
        callbacks = [keras.callbacks.CSVLogger(str(staging / "history.csv"))]
        monitor = "val_loss" if has_validation else "loss"
        if config.early_stopping:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=monitor, patience=config.early_stopping, restore_best_weights=True
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
        history = {name: [float(v) for v in values] for name, values in fit.history.items()}
        (staging / "history.json").write_text(json.dumps(history, indent=2))

        sentiment_model = SentimentModel(model, encoder)
        raw_test = sentiment_model.predict_encoded(_encode(encoder, test), calibrated=False)
        temperature, raw_validation = 1.0, None
        if config.validate_on_test:
            raw_validation = raw_test  # the same reviews: score them once, fit nothing on them
        elif has_validation:
            raw_validation = sentiment_model.predict_encoded(x_val, calibrated=False)
            temperature = fit_temperature(y_val, raw_validation)
        calibrated_test = apply_temperature(raw_test, temperature)
        metrics = {}
        if has_validation:
            metrics["validation"] = classification_metrics(
                y_val, apply_temperature(raw_validation, temperature)
            )
        metrics["test"] = classification_metrics(test.labels, calibrated_test)
        calibration = {
            "method": "temperature scaling fit on validation" if temperature != 1.0 else "none",
            "temperature": temperature,
            "test": calibration_report(test.labels, raw_test, calibrated_test),
        }
        plot_reliability(test.labels, raw_test, calibrated_test, staging / "reliability.png")
        seconds = time.perf_counter() - started
        sentiment_model.card = {
            "model": config.model,
            "config": settings,
            "data": {
                "sha256": train_all.checksum,
                "train_reviews": len(fit_part),
                "validation_reviews": len(validation),
                "validation_source": "test" if config.validate_on_test else "train",
                "test_reviews": len(test),
            },
            "metrics": metrics,
            "calibration": calibration,
            "parameters": model.count_params(),
            "epochs_run": len(history.get("loss", [])),
            "epoch_kept": len(history.get("loss", []))
            if best_epoch is None or best_epoch.best_epoch is None
            else best_epoch.best_epoch + 1,
            "train_seconds": round(seconds, 2),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        sentiment_model.save(staging / "bundle")
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=2))
        plot_history(history, staging)
        plot_confusion_matrix(metrics["test"]["confusion_matrix"], staging / "confusion_matrix.png")
    return TrainResult(run_dir, run_dir / "bundle", metrics, history, seconds)
