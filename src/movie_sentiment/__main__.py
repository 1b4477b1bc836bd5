"""``python -m movie_sentiment``: the ``movie-sentiment`` command."""

from movie_sentiment.cli import main

main()
