"""Classification metrics from labels and predicted probabilities of positive.

Loss and accuracy are the two figures the notebooks print from ``model.evaluate``;
precision, recall, F1, ROC AUC and the confusion matrix come from scikit-learn.
"""

from __future__ import annotations

import numpy as np

from movie_sentiment.evaluation.probability import EPSILON, predicted_labels


def classification_metrics(labels, probabilities) -> dict:
    """Accuracy, binary cross-entropy loss, precision, recall, F1, ROC AUC and the
    confusion matrix ``[[true neg, false pos], [false neg, true pos]]``."""
    from sklearn import metrics

    labels = np.asarray(labels).astype(np.int64).ravel()
    probabilities = np.asarray(probabilities, dtype=np.float64).ravel()
    predicted = predicted_labels(probabilities)
    clipped = np.clip(probabilities, EPSILON, 1 - EPSILON)  # Keras' epsilon, so losses match
    both_classes = len(np.unique(labels)) == 2
    return {
        "count": int(len(labels)),
        "accuracy": float(metrics.accuracy_score(labels, predicted)),
        "loss": float(metrics.log_loss(labels, clipped, labels=[0, 1])),
        "precision": float(metrics.precision_score(labels, predicted, zero_division=0)),
        "recall": float(metrics.recall_score(labels, predicted, zero_division=0)),
        "f1": float(metrics.f1_score(labels, predicted, zero_division=0)),
        "roc_auc": float(metrics.roc_auc_score(labels, probabilities)) if both_classes else None,
        "confusion_matrix": metrics.confusion_matrix(labels, predicted, labels=[0, 1]).tolist(),
    }


def format_metrics(figures: dict, title: str = "Test") -> str:
    """The figures as lines a person reads, the notebooks' two first."""
    (tn, fp), (fn, tp) = figures["confusion_matrix"]
    auc = figures["roc_auc"]
    lines = [
        f"{title} loss: {figures['loss']:.4f}",
        f"{title} accuracy: {figures['accuracy']:.4f}",
        f"{title} precision: {figures['precision']:.4f}  recall: {figures['recall']:.4f}  "
        f"F1: {figures['f1']:.4f}  ROC AUC: {'n/a' if auc is None else f'{auc:.4f}'}",
        f"{title} confusion matrix (rows true neg/pos, columns predicted neg/pos): "
        f"[[{tn}, {fp}], [{fn}, {tp}]]",
    ]
    return "\n".join(lines)
