"""``python -m movie_sentiment.cli``: the ``movie-sentiment`` command."""

from movie_sentiment.cli import main

main()
