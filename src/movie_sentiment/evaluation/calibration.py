"""Calibration: temperature scaling fit on validation, and how well probabilities match
outcomes (expected calibration error, Brier score, reliability diagram).

Temperature scaling (Guo et al. 2017) divides the model's logit by one number ``T``
chosen to minimize the validation log loss; it never changes which side of 0.5 a review
falls on, so accuracy is unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from movie_sentiment.evaluation.probability import logit, predicted_labels, sigmoid


def apply_temperature(probabilities, temperature: float) -> np.ndarray:
    """Probabilities with the logit divided by ``temperature``."""
    return sigmoid(logit(probabilities) / temperature)


# The temperatures a fit may choose (and so a card may hold): below 0.05 every review is
# scored 0 or 1, above 20 every one 0.5 give or take a little.
TEMPERATURE_BOUNDS = (0.05, 20.0)


def fit_temperature(labels, probabilities) -> float:
    """The temperature (within ``TEMPERATURE_BOUNDS``) that minimizes the log loss on
    these labels."""
    from scipy.optimize import minimize_scalar

    labels = np.asarray(labels, dtype=np.float64).ravel()
    logits = logit(probabilities)

    def log_loss(log_temperature: float) -> float:
        z = logits / np.exp(log_temperature)
        # log(1 + e^-z) for positives, log(1 + e^z) for negatives, computed stably
        return float(np.mean(np.logaddexp(0.0, -z) * labels + np.logaddexp(0.0, z) * (1 - labels)))

    result = minimize_scalar(log_loss, bounds=tuple(np.log(TEMPERATURE_BOUNDS)), method="bounded")
    return float(np.exp(result.x))


def expected_calibration_error(labels, probabilities, bins: int = 15) -> float:
    """ECE over ``bins`` equal-width bins of confidence (the predicted class's probability):
    the bin-size-weighted mean gap between confidence and accuracy."""
    labels = np.asarray(labels).ravel()
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    predicted = predicted_labels(p)
    confidence = np.where(predicted == 1, p, 1 - p)
    correct = (predicted == labels).astype(np.float64)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(total)


def calibration_report(labels, before, after) -> dict:
    """ECE (15 bins) and Brier score before and after calibration."""
    from sklearn.metrics import brier_score_loss

    return {
        "ece_before": expected_calibration_error(labels, before),
        "ece_after": expected_calibration_error(labels, after),
        "brier_before": float(brier_score_loss(labels, before)),
        "brier_after": float(brier_score_loss(labels, after)),
    }


def plot_reliability(labels, before, after, path: Path, bins: int = 15) -> Path:
    """Reliability diagram: observed share of positives against predicted probability."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = np.asarray(labels).ravel()
    figure, axes = plt.subplots(figsize=(5.2, 5.0))
    axes.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    edges = np.linspace(0, 1, bins + 1)
    for name, p, style in (("before", before, "o-"), ("after", after, "s-")):
        p = np.asarray(p).ravel()
        which = np.minimum(np.digitize(p, edges) - 1, bins - 1)
        xs, ys = [], []
        for b in range(bins):
            members = which == b
            if members.any():
                xs.append(p[members].mean())
                ys.append(labels[members].mean())
        ece = expected_calibration_error(labels, p, bins)
        axes.plot(xs, ys, style, label=f"{name} temperature scaling (ECE {ece:.3f})")
    axes.set_xlabel("Predicted probability of positive")
    axes.set_ylabel("Share of positive reviews")
    axes.set_title("Reliability diagram (test)")
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
