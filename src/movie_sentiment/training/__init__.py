"""One ``train(config)`` for every model family."""

from movie_sentiment.training.config import TrainConfig
from movie_sentiment.training.train import TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "train"]
