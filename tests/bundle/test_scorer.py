"""``bundle/scorer.py``: the one scoring path, and the protocol the front ends rely on."""

from movie_sentiment.bundle import ScoringModel, SentimentModel


def test_a_sentiment_model_keeps_the_scoring_protocol(nbsvm_run):
    assert isinstance(SentimentModel.load(nbsvm_run.bundle_dir), ScoringModel)
    assert not isinstance(object(), ScoringModel)
    # the CLI's exit 1 test covers a model that gives NaN (tests/test_cli.py)
