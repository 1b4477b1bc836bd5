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


def format_measured(figures: dict, title: str = "Test") -> str:
    """``bundle.measure``'s figures as lines: the classification figures first, then the
    calibration, the uncertain zone, the stars and how the data differs, then advice."""
    from movie_sentiment.evaluation.shift import format_shift

    lines = [format_metrics(figures, title)]
    if figures.get("not_scored"):
        lines.append(f"{title}: {figures['not_scored']} reviews could not be scored")
    calibration = figures["calibration"]
    lines.append(
        f"{title} calibration error (ECE): {calibration['ece_before']:.4f} before the "
        f"temperature, {calibration['ece_after']:.4f} after"
    )
    zone = figures["uncertain"]
    answered = zone["answered_accuracy"]
    lines.append(
        f"Uncertain zone: {zone['coverage']:.1%} answered"
        + (f" at {answered:.1%} accuracy" if answered is not None else "")
    )
    stars = figures.get("stars")
    if stars and stars["mae"] is not None:
        lines.append(
            f"{title} stars: MAE {stars['mae']:.3f}, exact {stars['exact']:.1%} "
            f"({stars['count']} rated reviews)"
        )
    lines.append(format_shift(figures["shift"]))
    lines.extend(f"note: {line}" for line in figures.get("advice", []))
    return "\n".join(lines)


def format_cross_validation(summary: dict) -> str:
    """A card's ``cross_validation`` (``training.cross_validation``) on one line: each
    figure's mean over the folds, plus or minus its standard deviation."""
    mean, sd = summary["mean"], summary["sd"]

    def spread(name: str, form: str) -> str:
        deviation = f" +- {sd[name]:{form}}" if sd[name] is not None else ""
        return f"{mean[name]:{form}}{deviation}"

    extras = []
    if mean["roc_auc"] is not None:
        extras.append(f"ROC AUC {spread('roc_auc', '.3f')}")
    extras.append(f"ECE {spread('ece_after', '.3f')}")
    if mean["coverage"] is not None:
        zone = f"zone answers {spread('coverage', '.1%')}"
        if mean["answered_accuracy"] is not None:
            zone += f" at {mean['answered_accuracy']:.1%}"
        extras.append(zone)
    if mean["stars_mae"] is not None:
        extras.append(f"stars MAE {spread('stars_mae', '.2f')}")
    return (
        f"Cross-validation: accuracy {spread('accuracy', '.3f')} over {summary['folds']} "
        f"folds ({', '.join(extras)})"
    )
