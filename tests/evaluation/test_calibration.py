import numpy as np
import pytest

from movie_sentiment.evaluation.calibration import (
    apply_temperature,
    calibration_report,
    expected_calibration_error,
    fit_temperature,
    plot_reliability,
)


def overconfident(seed=0, count=4000, temperature=3.0):
    """Labels drawn from true probabilities, and those probabilities made overconfident."""
    rng = np.random.default_rng(seed)
    true_logit = rng.normal(0, 2, count)
    labels = (rng.random(count) < 1 / (1 + np.exp(-true_logit))).astype(int)
    return labels, 1 / (1 + np.exp(-true_logit * temperature))


def test_fit_temperature_recovers_the_overconfidence():
    labels, probabilities = overconfident(temperature=3.0)
    assert fit_temperature(labels, probabilities) == pytest.approx(3.0, rel=0.15)


def test_temperature_scaling_lowers_ece_and_brier_but_keeps_decisions():
    labels, probabilities = overconfident(seed=1)
    calibrated = apply_temperature(probabilities, fit_temperature(labels, probabilities))
    report = calibration_report(labels, probabilities, calibrated)
    assert report["ece_after"] < report["ece_before"] / 2
    assert report["brier_after"] < report["brier_before"]
    np.testing.assert_array_equal(calibrated >= 0.5, probabilities >= 0.5)


def test_ece_by_hand():
    # bin of confidence 0.9 (2 reviews, 1 right) and bin 0.6 (2 reviews, 2 right)
    labels = np.array([1, 0, 1, 0])
    probabilities = np.array([0.9, 0.9, 0.6, 0.4])
    expected = 0.5 * abs(0.5 - 0.9) + 0.5 * abs(1.0 - 0.6)
    assert expected_calibration_error(labels, probabilities) == pytest.approx(expected)
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0


def test_reliability_diagram_is_a_png(tmp_path):
    labels, probabilities = overconfident(seed=2, count=500)
    path = plot_reliability(
        labels, probabilities, apply_temperature(probabilities, 3.0), tmp_path / "reliability.png"
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
