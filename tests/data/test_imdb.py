"""The IMDB loader: resolution order, parsing, cache, raw view and Keras view."""

import json
import shutil
import tarfile

import keras
import numpy as np
import pytest
from keras.src.datasets import imdb as keras_imdb

from movie_sentiment.data import imdb
from movie_sentiment.errors import ConfigError, DataNotFoundError, InvalidDataError


def test_resolve_prefers_explicit_path_then_environment_then_cache(
    small_archive, tmp_path, monkeypatch, isolated_cache
):
    other = shutil.copy(small_archive, tmp_path / "other.tar.gz")
    monkeypatch.setenv(imdb.DATA_ENV, str(other))
    assert imdb.resolve_archive(small_archive) == small_archive
    assert str(imdb.resolve_archive()) == str(other)
    monkeypatch.delenv(imdb.DATA_ENV)
    cached = shutil.copy(small_archive, isolated_cache / imdb.ARCHIVE_NAME)
    assert str(imdb.resolve_archive(download=False)) == str(cached)


def test_missing_data_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(DataNotFoundError, match="given as the data path"):
        imdb.resolve_archive(tmp_path / "nope.tar.gz")
    monkeypatch.setenv(imdb.DATA_ENV, str(tmp_path / "gone"))
    with pytest.raises(DataNotFoundError, match="MOVIE_SENTIMENT_DATA"):
        imdb.resolve_archive()
    monkeypatch.delenv(imdb.DATA_ENV)
    with pytest.raises(DataNotFoundError, match="--data"):
        imdb.resolve_archive(download=False)


def test_raw_view_has_texts_labels_ratings_ids(small_archive):
    train = imdb.load_reviews("train", small_archive)
    assert len(train) == 80
    assert train.labels.tolist() == [1] * 40 + [0] * 40
    assert set(train.ratings[:40].tolist()) <= {7, 8, 9, 10}
    assert set(train.ratings[40:].tolist()) <= {1, 2, 3, 4}
    assert train.ids[:3].tolist() == [0, 1, 2]
    assert "<br /><br />" in train.texts[0]  # raw text, untouched
    with tarfile.open(small_archive) as archive:
        member = archive.getmember(f"aclImdb/train/pos/0_{train.ratings[0]}.txt")
        assert archive.extractfile(member).read().decode() == train.texts[0]
    unsup = imdb.load_reviews("unsup", small_archive)
    assert len(unsup) == 10 and set(unsup.labels.tolist()) == {-1}
    assert set(unsup.ratings.tolist()) == {0}


def test_extracted_folder_reads_the_same_as_the_archive(small_archive, tmp_path):
    with tarfile.open(small_archive) as archive:
        archive.extractall(tmp_path, filter="data")
    from_folder = imdb.load_reviews("test", tmp_path / "aclImdb")
    from_archive = imdb.load_reviews("test", small_archive)
    assert from_folder.texts == from_archive.texts
    assert from_folder.ratings.tolist() == from_archive.ratings.tolist()
    # the folder containing aclImdb/ works too
    assert imdb.load_reviews("test", tmp_path).texts == from_archive.texts


def test_a_changed_folder_is_parsed_again(small_archive, tmp_path):
    with tarfile.open(small_archive) as archive:
        archive.extractall(tmp_path, filter="data")
    assert len(imdb.load_reviews("test", tmp_path / "aclImdb")) == 80
    (tmp_path / "aclImdb" / "test" / "pos" / "999_10.txt").write_text("A new great review.")
    again = imdb.load_reviews("test", tmp_path / "aclImdb")
    assert len(again) == 81 and "A new great review." in again.texts


def test_second_load_reads_the_cache_without_parsing(small_archive, monkeypatch):
    first = imdb.load_reviews("train", small_archive)

    def no_parsing(*args, **kwargs):
        raise AssertionError("the archive was parsed again")

    monkeypatch.setattr(imdb, "read_reviews", no_parsing)
    again = imdb.load_reviews("train", small_archive)
    assert again.texts == first.texts
    assert again.checksum == first.checksum and len(first.checksum) == 64


def test_corrupt_archive_is_a_clear_error(tmp_path):
    broken = tmp_path / "aclImdb_v1.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08 this is not really gzip")
    with pytest.raises(InvalidDataError, match="not a readable IMDB tar archive"):
        imdb.load_reviews("train", broken)


def test_archive_without_reviews_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz") as archive:
        archive.add(__file__, arcname="aclImdb/README")
    with pytest.raises(InvalidDataError, match="no labeled reviews"):
        imdb.load_reviews("train", empty)


def test_unknown_split_is_a_clear_error(small_archive):
    with pytest.raises(ConfigError, match="unknown split 'dev'"):
        imdb.load_reviews("dev", small_archive)


# -- Keras view: compared element by element with keras.datasets.imdb itself -------------
@pytest.fixture
def keras_files(small_archive, tmp_path, monkeypatch):
    """Our data written as Keras' imdb.npz and imdb_word_index.json, and Keras' get_file
    pointed at them (it would check its pinned hash and delete our file otherwise)."""
    arrays = imdb.keras_arrays(small_archive)
    npz = tmp_path / "imdb.npz"
    np.savez(npz, **arrays)
    index = tmp_path / "imdb_word_index.json"
    index.write_text(json.dumps(imdb.get_word_index(small_archive)))
    files = {"imdb.npz": npz, "imdb_word_index.json": index}
    monkeypatch.setattr(keras_imdb, "get_file", lambda fname, **kwargs: str(files[fname]))
    return small_archive


ARGUMENT_SETS = [
    {},
    {"num_words": 10},
    {"num_words": 15, "skip_top": 3},
    {"maxlen": 30},
    {"seed": 7, "start_char": None},
    {"num_words": 12, "oov_char": None},
    {"index_from": 0, "start_char": 2, "oov_char": 3, "num_words": 20},
    {"maxlen": 25, "num_words": 18, "skip_top": 5, "oov_char": None, "seed": 1},
]


@pytest.mark.parametrize("arguments", ARGUMENT_SETS, ids=lambda a: repr(a))
def test_load_data_matches_keras_element_by_element(keras_files, arguments):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(keras_files, **arguments)
    (k_train, ky_train), (k_test, ky_test) = keras.datasets.imdb.load_data(**arguments)
    assert len(x_train) == len(k_train) > 0 and len(x_test) == len(k_test) > 0
    assert x_train.dtype == object and x_test.dtype == object
    for ours, theirs in zip(
        list(x_train) + list(x_test), list(k_train) + list(k_test), strict=True
    ):
        assert ours == theirs
    np.testing.assert_array_equal(y_train, ky_train)
    np.testing.assert_array_equal(y_test, ky_test)


def test_too_small_maxlen_fails_like_keras(keras_files):
    with pytest.raises(ConfigError, match="no sequence was kept"):
        imdb.load_data(keras_files, maxlen=2)
    with pytest.raises(ValueError, match="no sequence was kept"):
        keras.datasets.imdb.load_data(maxlen=2)


def test_word_index_ranks_words_by_frequency_over_labeled_reviews(small_archive):
    from collections import Counter

    from movie_sentiment.text.tokenize import tokenize

    index = imdb.get_word_index(small_archive)
    texts = imdb.load_reviews("train", small_archive).texts
    texts += imdb.load_reviews("test", small_archive).texts
    counts = Counter(word for text in texts for word in tokenize(text))
    assert set(index) == set(counts)
    by_rank = sorted(index, key=index.get)
    assert by_rank == sorted(counts, key=lambda word: (-counts[word], word))
    assert sorted(index.values()) == list(range(1, len(index) + 1))


def test_decode_review_shows_the_tutorial_markers(keras_files):
    (x_train, _), _ = imdb.load_data(keras_files, num_words=10)
    decoded = imdb.decode_review(x_train[0], keras_files)
    assert decoded.startswith("<START> ")
    assert "<UNK>" in decoded  # words beyond num_words
    assert imdb.decode_review([0, 1, 2, 3], keras_files) == "<PAD> <START> <UNK> <UNUSED>"


def test_show_review_gives_the_keras_view_of_one_review(keras_files):
    review = imdb.show_review("train", 3, keras_files, num_words=12)
    assert review.ids == keras_ids_in_archive_order(keras_files, num_words=12)[3]
    assert review.ids[0] == 1 and max(review.ids) < 12
    assert review.decoded == imdb.decode_review(review.ids, keras_files)
    assert review.label == 1 and 7 <= review.rating <= 10  # train/pos comes first
    assert review.text == imdb.load_reviews("train", keras_files).texts[3]
    with pytest.raises(ConfigError, match="index must be from 0 to 79"):
        imdb.show_review("train", 80, keras_files)


def keras_ids_in_archive_order(archive, num_words):
    """What keras.datasets.imdb.load_data computes from imdb.npz for each train review,
    without its shuffle: start mark, ranks + 3, ranks past num_words as 2."""
    ranks = imdb.keras_arrays(archive)["x_train"]
    return [[1] + [r + 3 if r + 3 < num_words else 2 for r in ids] for ids in ranks]


def test_an_unwritable_cache_is_one_clear_error(small_archive, tmp_path, monkeypatch):
    from conftest import unwritable_folder

    from movie_sentiment.errors import StorageError

    monkeypatch.setenv("MOVIE_SENTIMENT_CACHE", str(unwritable_folder(tmp_path) / "cache"))
    with pytest.raises(StorageError, match="cannot create the folder .*MOVIE_SENTIMENT_CACHE"):
        imdb.load_reviews("train", small_archive)


def test_staging_of_a_killed_parse_is_removed_by_the_next_one(small_archive, isolated_cache):
    import os
    import time

    parsed = isolated_cache / "parsed"
    parsed.mkdir()
    old = parsed / ".parse-abc123_z"  # left by an earlier version, a day old
    (old / "partial").mkdir(parents=True)
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    recent = parsed / ".parse-def456_y"  # an earlier version's parse, maybe still running
    recent.mkdir()
    imdb.load_reviews("train", small_archive)
    assert not old.exists() and recent.exists()
