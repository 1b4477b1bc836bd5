"""The tutorial model trained on the real IMDB archive reaches the notebook's accuracy."""

import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data.imdb import load_data, load_reviews
from movie_sentiment.training import TrainConfig, train

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


def test_real_archive_has_the_published_counts(real_archive):
    for split, count in (("train", 25000), ("test", 25000), ("unsup", 50000)):
        reviews = load_reviews(split, real_archive)
        assert len(reviews) == count
        if split != "unsup":
            assert int(reviews.labels.sum()) == count // 2
    (x_train, y_train), (x_test, _) = load_data(real_archive, num_words=10000)
    assert len(x_train) == len(x_test) == 25000
    assert max(max(x) for x in x_train) == 9999 and x_train[0][0] == 1


def test_tutorial_reaches_the_notebook_accuracy(real_archive, tmp_path):
    result = train(
        TrainConfig(family="tutorial", data=str(real_archive), out=str(tmp_path / "run"), verbose=0)
    )
    assert result.metrics["validation"]["count"] == 10000
    assert result.metrics["test"]["count"] == 25000
    assert result.metrics["test"]["accuracy"] >= 0.865


def test_nbsvm_beats_91_percent(real_archive, tmp_path):
    result = train(
        TrainConfig(family="nbsvm", data=str(real_archive), out=str(tmp_path / "nb"), verbose=0)
    )
    assert result.metrics["test"]["count"] == 25000
    assert result.metrics["test"]["accuracy"] >= 0.91
    # Its stars are stacked on a stars model that reads nbsvm's own n-grams: the bundle
    # keeps one encoder, and the loaded stars model reads it.
    model = SentimentModel.load(result.bundle_dir)
    assert model.card.stars["method"] == "stacked" and model.card.stars["shared_encoder"]
    assert [p.name for p in (result.bundle_dir / "stars").iterdir()] == ["model.keras"]
    assert model.stars_model[1] is model.encoder
    scores = model.score(["A wonderful, moving film.", "Dull and far too long."])
    assert scores.probability[0] > 0.5 > scores.probability[1]
    for label, stars in zip(scores.label, scores.stars, strict=True):  # never contradicting
        expected = {"positive": range(7, 11), "negative": range(1, 5), "uncertain": (5, 6)}
        assert stars in expected[label], (label, stars)
