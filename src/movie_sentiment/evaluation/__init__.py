"""Metrics, plots and reports for a trained model."""

from movie_sentiment.evaluation.metrics import classification_metrics, format_metrics

__all__ = ["classification_metrics", "format_metrics"]
