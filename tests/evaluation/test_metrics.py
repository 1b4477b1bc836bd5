import math

import numpy as np
import pytest

from movie_sentiment.evaluation.metrics import classification_metrics, format_metrics
from movie_sentiment.evaluation.plots import plot_confusion_matrix, plot_history


def test_metrics_by_hand():
    labels = [1, 1, 0, 0, 1]
    probabilities = [0.9, 0.4, 0.2, 0.6, 0.8]
    figures = classification_metrics(labels, probabilities)
    assert figures["accuracy"] == pytest.approx(3 / 5)
    assert figures["precision"] == pytest.approx(2 / 3)
    assert figures["recall"] == pytest.approx(2 / 3)
    assert figures["f1"] == pytest.approx(2 / 3)
    assert figures["confusion_matrix"] == [[1, 1], [1, 2]]
    expected_loss = -np.mean(
        [math.log(0.9), math.log(0.4), math.log(0.8), math.log(0.4), math.log(0.8)]
    )
    assert figures["loss"] == pytest.approx(expected_loss)
    assert figures["roc_auc"] == pytest.approx(5 / 6)


def test_metrics_match_keras_loss_and_accuracy():
    import keras

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200).astype("float32")
    probabilities = rng.random(200).astype("float32")
    figures = classification_metrics(labels, probabilities)
    keras_loss = float(keras.losses.binary_crossentropy(labels, probabilities))
    assert figures["loss"] == pytest.approx(keras_loss, rel=1e-4)
    assert figures["accuracy"] == pytest.approx(float(np.mean((probabilities >= 0.5) == labels)))


def test_format_prints_the_notebook_lines():
    text = format_metrics(classification_metrics([1, 0], [0.8, 0.3]))
    assert "Test loss: " in text and "Test accuracy: 1.0000" in text


def test_plots_are_png_files(tmp_path):
    history = {
        "accuracy": [0.6, 0.8],
        "val_accuracy": [0.6, 0.7],
        "loss": [0.7, 0.4],
        "val_loss": [0.7, 0.5],
    }
    paths = plot_history(history, tmp_path)
    paths.append(plot_confusion_matrix([[5, 1], [2, 7]], tmp_path / "confusion_matrix.png"))
    assert [p.name for p in paths] == ["accuracy.png", "loss.png", "confusion_matrix.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
