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
    axes.plot(epochs, history[metric], "-", label=f"Training {ylabel.lower()}")
    if f"val_{metric}" in history:
        axes.plot(epochs, history[f"val_{metric}"], ":", label=f"Validation {ylabel.lower()}")
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


def plot_confusion_matrix(matrix: list[list[int]], path: Path) -> Path:
    """The 2x2 confusion matrix with counts in the cells."""
    import numpy as np
    from sklearn.metrics import ConfusionMatrixDisplay

    figure, axes = plt.subplots(figsize=(4.8, 4.2))
    ConfusionMatrixDisplay(np.asarray(matrix), display_labels=["negative", "positive"]).plot(
        ax=axes, cmap="Blues", colorbar=False, values_format="d"
    )
    axes.set_title("Confusion matrix (test)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
