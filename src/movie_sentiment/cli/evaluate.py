"""``movie-sentiment evaluate``: a saved model's figures on the IMDB test split."""

from __future__ import annotations

from movie_sentiment.cli.interrupts import load_model
from movie_sentiment.cli.options import BundleArgument, DataOption
from movie_sentiment.cli.rendering import echo


def evaluate_command(bundle: BundleArgument, data: DataOption = None) -> None:
    """Score a saved model on the IMDB test split."""
    from movie_sentiment.data.imdb import load_reviews
    from movie_sentiment.evaluation.metrics import format_metrics

    model = load_model(bundle)
    test = load_reviews("test", data)
    echo(format_metrics(model.evaluate(test.encodable, test.labels)))
