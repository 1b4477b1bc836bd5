"""``train(config)``: IMDB archive in, run folder with a saved model bundle out.

The run (``training.run.Run``: folder, splits, resume, stages, heads, card, save) hands
itself to the config's recipe (``training.recipes``: ``single``, ``ensemble``,
``distilled``), which does its own steps in between.
"""

from __future__ import annotations

from movie_sentiment.training.config import TrainConfig
from movie_sentiment.training.folder import is_run_folder
from movie_sentiment.training.run import Run, TrainResult

__all__ = ["TrainResult", "is_run_folder", "train"]  # is_run_folder: the CLI's report


def train(config: TrainConfig) -> TrainResult:
    """Train ``config.family`` with ``config``'s recipe on IMDB and write a run folder."""
    return Run(config).execute()
