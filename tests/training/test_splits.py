"""The run's splits: IMDB's validation is any reviews by default, or whole movies (none
in the training part, as the archive's test split shares none with train)."""

import numpy as np
import pytest

from movie_sentiment.data.imdb import load_reviews
from movie_sentiment.errors import ConfigError
from movie_sentiment.training import TrainConfig
from movie_sentiment.training.splits import load_splits, split_validation
from tests.conftest import build_archive


@pytest.fixture(scope="module")
def movie_archive(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("movies") / "aclImdb_v1.tar.gz", movies=7)


def test_the_archive_names_each_reviews_movie(movie_archive):
    train, test = load_reviews("train", movie_archive), load_reviews("test", movie_archive)
    assert all(m.startswith("tt") for m in train.movies)
    assert len(set(train.movies)) == 7 and len(set(test.movies)) == 7
    assert not set(train.movies) & set(test.movies)
    # review i of each folder is movie i % 7, as its urls_*.txt line i says
    assert train.movies[train.ids == 8][0] == "tt0000001"


def test_validation_holds_whole_movies_none_in_the_training_part(movie_archive):
    splits = load_splits(TrainConfig(data=str(movie_archive), validation_split="movies"), 20)
    fit, validation = set(splits.fit.movies), set(splits.validation.movies)
    assert not fit & validation
    assert len(splits.validation) >= 20 and len(splits.fit) + len(splits.validation) == 80
    assert splits.summary()["validation_split"] == "movies"
    again = load_splits(TrainConfig(data=str(movie_archive), validation_split="movies"), 20)
    assert list(again.validation.ids) == list(splits.validation.ids)  # seeded


def test_reviews_split_and_archives_without_movies_split_any_reviews(movie_archive, small_archive):
    splits = load_splits(TrainConfig(data=str(movie_archive)), 20)  # the default
    assert len(splits.validation) == 20 and splits.validation_split == "reviews"
    plain = load_splits(TrainConfig(data=str(small_archive), validation_split="movies"), 20)
    assert len(plain.validation) == 20 and plain.summary()["validation_split"] == "reviews"


def test_split_by_movie_is_disjoint_and_refuses_taking_every_movie():
    movies = np.array(["a", "a", "b", "c", "c", "c", "d"])
    fit, held = split_validation(7, 2, 0, movies)
    assert not set(movies[fit]) & set(movies[held]) and len(held) >= 2
    with pytest.raises(ConfigError, match="takes every movie"):
        split_validation(7, 6, 0, np.array(["a"] * 6 + ["b"]))


def test_an_unknown_validation_split_is_one_line():
    with pytest.raises(ConfigError, match="validation_split must be one of movies, reviews"):
        TrainConfig(validation_split="films")
