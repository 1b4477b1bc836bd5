"""One ``train(config)`` for every model family and recipe. Importing it loads no Keras: a config is
checked, and a mistake reported, before Keras is paid for."""

from movie_sentiment.training.config import TrainConfig
from movie_sentiment.training.train import TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "train"]
