"""Probabilities, labels and logits: the one threshold and the one logit everything uses.

NumPy only, so the bundle can use them without loading scikit-learn or SciPy.
"""

from __future__ import annotations

import numpy as np

THRESHOLD = 0.5  # a probability of positive at or above this is a positive label
EPSILON = 1e-7  # Keras' epsilon: probabilities are kept this far from 0 and 1


def predicted_labels(probabilities) -> np.ndarray:
    """1 (positive) where the probability of positive reaches ``THRESHOLD``, else 0."""
    return (np.asarray(probabilities) >= THRESHOLD).astype(np.int64)


def accuracy(labels, probabilities) -> float:
    """Share of reviews whose predicted label is their label."""
    labels = np.asarray(labels).ravel()
    return float(np.mean(predicted_labels(probabilities).ravel() == labels))


def logit(probabilities, precision=np.float64) -> np.ndarray:
    """``log(p / (1 - p))`` in float64, p first kept ``EPSILON`` away from 0 and 1 at
    ``precision``: ``np.float32`` reproduces what a Keras model computes (the saved
    ensemble's ``ProbabilityToLogit`` turns a saturated 1.0 into 1 - 1e-7 rounded to
    float32, logit 15.94, where float64 gives 16.12)."""
    p = np.asarray(probabilities, dtype=precision)
    p = np.clip(p, precision(EPSILON), precision(1 - EPSILON)).astype(np.float64)
    return np.log(p) - np.log1p(-p)


def sigmoid(logits) -> np.ndarray:
    """``1 / (1 + e^-z)``, the inverse of ``logit``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
