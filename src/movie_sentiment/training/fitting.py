"""Fitting one Keras model of a family: its encoder on all of train, the family's
initialize hook, Keras' fit with progress, early stopping, the best epoch kept, and a
checkpoint per epoch when the run can resume (``training.resume``). Every recipe fits
its models here: the single model, each ensemble member, the distilled student."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movie_sentiment.data.imdb import ReviewDataset
from movie_sentiment.models import ModelFamily
from movie_sentiment.text.persist import make_encoder
from movie_sentiment.training.splits import Splits, encode_split


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
    family: ModelFamily,
    settings: dict,
    splits: Splits,
    verbose: int,
    callbacks: list | None = None,
    checkpoints: Path | None = None,
    before_first_save=None,
    soft: tuple | None = None,
) -> FittedMember:
    """Fit encoder and model of ``family`` (resolved once, by the run) with its resolved
    ``settings``. With ``checkpoints`` (a folder), every epoch is saved there and a fit
    interrupted earlier goes on after its last saved epoch (``training.resume``).
    ``soft``: a teacher's probabilities as more examples (``training_examples``); what
    the family derives from the training part (naive-Bayes ratios) counts them too."""
    import keras

    from movie_sentiment.training.callbacks import KeepBestEpoch
    from movie_sentiment.training.resume import epoch_checkpoint

    training = settings["training"]
    encoder = make_encoder(settings["encoder"]).fit(splits.train_all.encodable)
    x_fit, y_fit, x_train, y_train, weights = training_examples(encoder, splits, training, soft)
    x_val, y_val = (
        encode_split(encoder, splits.validation),
        splits.validation.labels.astype("float32"),
    )
    has_validation = len(splits.validation) > 0
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


def training_examples(encoder, splits: Splits, training: dict, soft: tuple | None) -> tuple:
    """(x_fit, y_fit, x_train, y_train, weights): the examples the family's initialize
    step derives from (the reviews and any soft targets) and those Keras fits on (plus
    sentence examples), with sample weights (None: all weigh 1; a user's own data: each
    review its source's, ``Splits.fit_weights``). ``soft``: (texts,
    targets, weight), a teacher's probabilities as more examples, each weighing
    ``weight``."""
    x_fit, y_fit = encode_split(encoder, splits.fit), splits.fit.labels.astype("float32")
    x_train, y_train, weights = x_fit, y_fit, None
    if training.get("sentence_examples") and len(splits.fit):
        x_train, y_train, weights = with_sentence_examples(
            encoder, splits.fit, x_fit, y_fit, training["sentence_examples"],
            training.get("sentence_weight", 1.0),
        )  # fmt: skip
    if splits.fit_weights is not None:  # each review weighs its source's weight
        weights = np.ones(len(x_train), dtype="float32") if weights is None else weights
        weights[: len(x_fit)] *= splits.fit_weights
    if soft is not None:
        texts, targets, weight = soft
        x_soft, y_soft = encoder.transform(texts), np.asarray(targets, dtype="float32")
        weights = np.concatenate(
            [np.ones(len(x_train)) if weights is None else weights, np.full(len(x_soft), weight)]
        ).astype("float32")
        x_fit, y_fit = np.concatenate([x_fit, x_soft]), np.concatenate([y_fit, y_soft])
        x_train, y_train = np.concatenate([x_train, x_soft]), np.concatenate([y_train, y_soft])
    return x_fit, y_fit, x_train, y_train, weights


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
