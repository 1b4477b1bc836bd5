"""PNG charts: the notebooks' training/validation accuracy and loss per epoch, and the
confusion matrix. Matplotlib's Agg backend, so no screen is needed."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def _curve(history: dict, metric: str, title: str, ylabel: str, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    epochs = range(1, len(history[metric]) + 1)
    marker = "o" if len(history[metric]) < 3 else None  # one epoch is a point, not a line
    axes.plot(epochs, history[metric], "-", marker=marker, label=f"Training {ylabel.lower()}")
    if f"val_{metric}" in history:
        axes.plot(
            epochs,
            history[f"val_{metric}"],
            ":",
            marker=marker,
            label=f"Validation {ylabel.lower()}",
        )
    axes.set_title(title)
    axes.set_xlabel("Epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def plot_history(history: dict, folder: Path) -> list[Path]:
    """``accuracy.png`` and ``loss.png`` in ``folder``, as the notebooks draw them."""
    folder = Path(folder)
    return [
        _curve(
            history,
            "accuracy",
            "Training and Validation Accuracy",
            "Accuracy",
            folder / "accuracy.png",
        ),
        _curve(history, "loss", "Training and Validation Loss", "Loss", folder / "loss.png"),
    ]


def plot_confusion_matrix(
    matrix: list[list[int]],
    path: Path,
    labels: list[str] | None = None,
    title: str = "Confusion matrix (test)",
) -> Path:
    """A confusion matrix with counts in the cells (rows true, columns predicted)."""
    import numpy as np
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = labels or ["negative", "positive"]
    size = 4.2 + 0.35 * max(0, len(labels) - 2)
    figure, axes = plt.subplots(figsize=(size + 0.6, size))
    ConfusionMatrixDisplay(np.asarray(matrix), display_labels=labels).plot(
        ax=axes, cmap="Blues", colorbar=False, values_format="d"
    )
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def plot_risk_coverage(curves: dict, target: float, path: Path) -> Path:
    """Accuracy of the answered reviews against the share answered, one line per split
    (``curves``: name -> (accuracy, coverage) arrays), the target accuracy dashed."""
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    for name, (accuracy, coverage) in curves.items():
        axes.plot(coverage, accuracy, label=name)
    axes.axhline(target, linestyle="--", color="grey", label=f"target {target:.0%}")
    axes.set_title("Risk-coverage: accuracy of the answered reviews")
    axes.set_xlabel("Share of reviews answered (the rest uncertain)")
    axes.set_ylabel("Accuracy of the answered")
    axes.set_xlim(0, 1)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
