"""A trained model as one folder: Keras model + text encoder + model card."""

from movie_sentiment.bundle.card import ModelCard
from movie_sentiment.bundle.model import Prediction, SentimentModel
from movie_sentiment.bundle.scorer import ScoringModel

__all__ = ["ModelCard", "Prediction", "ScoringModel", "SentimentModel"]
