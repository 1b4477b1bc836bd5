"""What the batch tests share: the small archive's nbsvm model, loaded once per module."""

import pytest

from movie_sentiment.bundle import SentimentModel


@pytest.fixture(scope="module")
def model(nbsvm_run):
    return SentimentModel.load(nbsvm_run.bundle_dir)
