"""The reviews of one run: all of train (for the vocabulary), the part the model is fit
on, a seeded validation part carved from train (or test, as the MS Learn notebook does),
and test. Every recipe reads its data through ``Splits``, so they all hold out the same
reviews for the same seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from movie_sentiment.data.imdb import ImdbCache, ReviewDataset, load_reviews
from movie_sentiment.errors import ConfigError
from movie_sentiment.text.tokenize import Tokenized, as_tokens
from movie_sentiment.training.config import TrainConfig


def split_validation(
    size: int, count: int, seed: int, movies: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, validation indices): a seeded random ``count`` of ``size``, or,
    given each review's movie (``movies``, none unknown), whole movies drawn in a seeded
    order until they hold ``count`` reviews (a few more: the last movie is kept whole), so
    validation shares no movie with the training part, as IMDB's test split shares none
    with train (``VALIDATION_SPLITS``)."""
    if count >= size:
        raise ConfigError(f"validation_size {count} leaves no training reviews (train has {size})")
    if movies is None or len(movies) != size or not all(movies):
        order = np.random.RandomState(seed).permutation(size)
        return np.sort(order[count:]), np.sort(order[:count])
    names, group = np.unique(np.asarray(movies), return_inverse=True)
    order = np.random.RandomState(seed).permutation(len(names))
    reviews = np.bincount(group, minlength=len(names))[order]
    chosen = order[: int(np.searchsorted(np.cumsum(reviews), count)) + 1]
    held = np.isin(group, chosen)
    if held.all():
        raise ConfigError(f"validation_size {count} takes every movie of train; give a smaller one")
    return np.flatnonzero(~held), np.flatnonzero(held)


def validation_of(train_all: ReviewDataset, training: dict) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, validation indices) of IMDB's train as a run with ``training``
    (a card's ``config["training"]``) carved them; runs from before ``validation_split``
    carved any reviews."""
    by_movie = training.get("validation_split", "reviews") == "movies"
    return split_validation(
        len(train_all),
        training["validation_size"],
        training.get("seed", 42),
        train_all.movies if by_movie else None,
    )


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
    imdb: bool = True  # IMDB among the training data (its unlabeled reviews may be read)
    fit_weights: np.ndarray | None = None  # each fit review's weight (its source's); None: 1
    sources: dict = field(default_factory=dict)  # the card's account of a user's own data
    notes: list[str] = field(default_factory=list)  # what reading the data skipped or removed
    validation_split: str = ""  # "movies": no movie in both fit and validation; "reviews"

    def unlabeled_text(self) -> list[Tokenized]:
        """The text a family may learn from without labels: all of train (labels unused)
        and ``unsup``. Never test."""
        mine = [as_tokens(self.train_all.encodable)]
        return mine + [ImdbCache.open(self.data).tokens("unsup")] if self.imdb else mine

    def short_validation(self) -> tuple[Tokenized, np.ndarray]:
        """Short validation texts, for the short-text uncertain zone: each validation
        review's last sentence and last two (when shorter than the review), labeled as
        their review (``bundle.heads.uncertain.SHORT_SOURCE``)."""
        if "short_validation" not in self.memo:
            from movie_sentiment.text.sentences import trailing_snippets
            from movie_sentiment.text.tokenize import tokenize_corpus

            snippets, sources = trailing_snippets(self.validation.texts, 2)
            labels = self.validation.labels[np.asarray(sources, dtype=np.int64)]
            self.memo["short_validation"] = (tokenize_corpus(snippets), labels)
        return self.memo["short_validation"]

    def summary(self) -> dict:
        """The card's ``data`` part: the checksum and the reviews per part, the training
        texts' length percentiles (what ``evaluate --data`` compares a user's data with),
        and for a user's own data where each part came from."""
        from movie_sentiment.evaluation.shift import length_percentiles

        return {
            "sha256": self.train_all.checksum,
            "source": "IMDB" if not self.sources else self.sources["description"],
            "train_reviews": len(self.fit),
            "validation_reviews": len(self.validation),
            "validation_source": self.validation_source,
            **({"validation_split": self.validation_split} if self.validation_split else {}),
            "test_reviews": len(self.test),
            "length_words": length_percentiles(as_tokens(self.fit.encodable).lengths()),
            **({"own": self.sources} if self.sources else {}),
        }


def load_splits(config: TrainConfig, validation_size: int) -> Splits:
    """The run's splits: validation carved from train by ``config.seed``, or test (a
    user's own data: ``own_data.own_splits``)."""
    train_all = load_reviews("train", config.data)
    test = load_reviews("test", config.data)
    if config.validate_on_test:
        return Splits(train_all, train_all, test, test, "test", config.data)
    movies = train_all.movies if config.validation_split == "movies" else None
    fit_idx, val_idx = split_validation(len(train_all), validation_size, config.seed, movies)
    by_movie = movies is not None and all(movies)
    return Splits(
        train_all,
        train_all.select(fit_idx),
        train_all.select(val_idx),
        test,
        "train",
        config.data,
        validation_split="movies" if by_movie else "reviews",
    )
