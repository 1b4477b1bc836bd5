"""The splits of a run on a user's own labeled reviews, alone or with IMDB.

Test is the user's (``test_data``), or carved from their data: stratified by label,
``test_fraction`` of it, by the run's seed. A test text also found among the training
texts is removed from test and counted (it would measure memory, not judgement).
Validation, which the temperature, the uncertain zone and the stars are fit on, is carved
from the user's training part only (their domain, not IMDB's): ``validation_size``
reviews, or a fifth of it. With IMDB too, the model is fit on IMDB's 25,000 training
reviews and the user's, each review weighing its source's weight.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from movie_sentiment.data.imdb import ReviewDataset, load_reviews
from movie_sentiment.data.labeled import LabeledReviews, LabelOptions, read_labeled
from movie_sentiment.errors import ConfigError
from movie_sentiment.training.config import TrainConfig
from movie_sentiment.training.splits import Splits, split_validation

VALIDATION_SHARE = 0.2  # of the user's training part, when validation_size is not given


def joined(parts: list[ReviewDataset], split: str) -> ReviewDataset:
    """The reviews of ``parts`` one after another (checksum: of the parts' checksums)."""
    checksum = hashlib.sha256("".join(part.checksum for part in parts).encode()).hexdigest()
    return ReviewDataset(
        texts=[text for part in parts for text in part.texts],
        labels=np.concatenate([part.labels for part in parts]),
        ratings=np.concatenate([part.ratings for part in parts]),
        ids=np.concatenate([part.ids for part in parts]),
        split=split,
        checksum=checksum if len(parts) > 1 else parts[0].checksum,
    )


def label_options(config: TrainConfig) -> LabelOptions:
    labels = dict(config.labels)
    if labels.get("rating_scale") is not None:
        labels["rating_scale"] = tuple(labels["rating_scale"])
    return LabelOptions(**labels)


@dataclass
class OwnReviews:
    """The user's own labeled reviews, read once: every file's reviews one after another,
    each review's weight (its file's), the files as read, and what reading skipped."""

    reviews: ReviewDataset
    weights: np.ndarray
    parts: list[LabeledReviews]
    notes: list[str]


def read_own(config: TrainConfig) -> OwnReviews:
    """``config.own_data`` read with the config's label options."""
    options = label_options(config)
    parts = [read_labeled(path, options) for path in config.own_data]
    weights = config.own_weights or [1.0] * len(parts)
    notes = [f"{part.source}: {line}" for part in parts for line in part.notes]
    own = joined([part.dataset("own") for part in parts], "own")
    own_weights = np.concatenate(
        [
            np.full(len(part), weight, dtype=np.float32)
            for part, weight in zip(parts, weights, strict=True)
        ]
    )
    return OwnReviews(own, own_weights, parts, notes)


def own_splits(
    config: TrainConfig, mine: OwnReviews | None = None, held_out: np.ndarray | None = None
) -> Splits:
    """The run's splits (see the module docstring). ``held_out``: the indices of ``mine``
    (read again when not given) that are test, a cross-validation fold's; with ``config.cv``
    and none held out, the run's own splits have no test (every review is trained on)."""
    mine = mine or read_own(config)
    own, notes = mine.reviews, list(mine.notes)
    if held_out is not None or config.cv:
        held_out = np.asarray(held_out if held_out is not None else [], dtype=np.int64)
        train_idx = np.setdiff1d(np.arange(len(own)), held_out)
        test = own.select(held_out)
        test_source = {"cross_validation": config.cv, "seed": config.seed}
    elif config.test_data:
        given = read_labeled(config.test_data, label_options(config))
        notes += [f"{given.source}: {line}" for line in given.notes]
        train_idx, test = np.arange(len(own)), given.dataset("test")
        test_source = {"source": given.source, "sha256": given.checksum}
    else:
        train_idx, test_idx = _carve(own, config.test_fraction, config.seed)
        test = own.select(test_idx)
        test_source = {"carved": config.test_fraction, "seed": config.seed}
    own_train = own.select(train_idx)
    imdb = load_reviews("train", config.data) if config.imdb else None
    removed = 0
    if len(test):
        test, removed = _without(test, own_train.texts + (imdb.texts if imdb else []))
    if removed:
        notes.append(f"{removed} test reviews also among the training reviews: removed from test")
    fit_idx, val_idx = carve_validation(own_train, config.validation_size, config.seed)
    fit, fit_weights = own_train.select(fit_idx), mine.weights[train_idx][fit_idx]
    train_all = own_train
    if imdb is not None:
        imdb_texts = ReviewDataset(imdb.texts, imdb.labels, imdb.ratings, imdb.ids, "train",
                                   imdb.checksum)  # fmt: skip
        fit = joined([imdb_texts, fit], "train")
        fit_weights = np.concatenate(
            [np.full(len(imdb), config.imdb_weight, "float32"), fit_weights]
        )
        train_all = joined([imdb_texts, own_train], "train")
    parts, weights = mine.parts, config.own_weights or [1.0] * len(mine.parts)
    sources = {
        "description": " + ".join((["IMDB"] if imdb else []) + [p.source for p in parts]),
        "files": [{**part.describe(), "weight": w} for part, w in zip(parts, weights, strict=True)],
        "imdb_weight": config.imdb_weight if imdb else None,
        "test": {**test_source, "reviews": len(test), "removed_as_seen_in_training": removed},
    }
    return Splits(
        train_all, fit, own_train.select(val_idx), test, "train", config.data if imdb else None,
        imdb=imdb is not None, fit_weights=fit_weights, sources=sources, notes=notes,
    )  # fmt: skip


def _carve(own: ReviewDataset, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices: ``fraction`` of each label for test, by ``seed``."""
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(own))
    train, test = train_test_split(indices, test_size=fraction, random_state=seed,
                                   stratify=own.labels)  # fmt: skip
    return np.sort(train), np.sort(test)


def _without(test: ReviewDataset, seen: list[str]) -> tuple[ReviewDataset, int]:
    known = set(seen)
    keep = [i for i, text in enumerate(test.texts) if text not in known]
    if not keep:
        raise ConfigError("every test review is also among the training reviews")
    return test.select(keep), len(test) - len(keep)


def carve_validation(train: ReviewDataset, size: int | None, seed: int):
    """(fit, validation) indices of the user's training part."""
    count = size if size is not None else max(round(VALIDATION_SHARE * len(train)), 1)
    fit_idx, val_idx = split_validation(len(train), count, seed)
    if len(np.unique(train.labels[val_idx])) < 2:
        raise ConfigError(
            f"the validation part ({count} reviews) holds one label only: give more data "
            "or a larger --validation-size"
        )
    return fit_idx, val_idx
