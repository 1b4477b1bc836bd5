"""``bundle/scorer.py``: the one scoring path, and the protocol the front ends rely on."""

from movie_sentiment.bundle import ScoringModel, SentimentModel


def test_a_sentiment_model_keeps_the_scoring_protocol(nbsvm_run):
    assert isinstance(SentimentModel.load(nbsvm_run.bundle_dir), ScoringModel)
    assert not isinstance(object(), ScoringModel)
    # the CLI's exit 1 test covers a model that gives NaN (tests/test_cli.py)


def test_an_uncertain_review_gets_the_middle_stars_by_its_side(noisy_archive, tmp_path):
    """Never 10/10 beside "uncertain": an uncertain review's stars are 5 (leaning
    negative) or 6 (leaning positive); the answered keep the stars model's. (Trained on
    the noisy archive: on the clean one validation is separable and nothing uncertain.)"""
    from conftest import train_small

    from movie_sentiment.bundle import SentimentModel

    run = train_small(noisy_archive, tmp_path / "run", "nbsvm", epochs=3)
    model = SentimentModel.load(run.bundle_dir)
    from conftest import NEGATIVE, NEUTRAL, POSITIVE

    texts = [f"{good} {bad} {plain}" for good in POSITIVE for bad in NEGATIVE for plain in NEUTRAL]
    strict = model.score(texts, target_accuracy=0.999)
    usual = model.score(texts)
    uncertain = [i for i, label in enumerate(strict.label) if label == "uncertain"]
    assert uncertain, "no review was uncertain at 99.9%"
    for i in uncertain:
        assert strict.stars[i] == (6 if strict.probability[i] >= 0.5 else 5)
    for i, label in enumerate(usual.label):
        if label != "uncertain" and usual.stars[i] is not None:
            assert (usual.stars[i] >= 7) == (label == "positive")
