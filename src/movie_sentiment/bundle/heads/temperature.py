"""The temperature head: one number ``T`` that divides the model's logit, fit on
validation by the least log loss (``evaluation.calibration``: temperature scaling, Guo et
al. 2017). It never moves a review across 0.5, so accuracy is unchanged; the uncertain
zone and the stars are fit on logits it has calibrated. The card keeps it in
``calibration``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movie_sentiment.checks import is_number
from movie_sentiment.errors import ConfigError
from movie_sentiment.evaluation.calibration import TEMPERATURE_BOUNDS, fit_temperature
from movie_sentiment.evaluation.probability import sigmoid

FIT = "temperature scaling fit on validation"


@dataclass(frozen=True)
class Temperature:
    """Divide logits by ``value`` (1.0: uncalibrated)."""

    value: float = 1.0

    @classmethod
    def fit(cls, labels, logits) -> Temperature:
        """The temperature with the least log loss of ``labels`` given raw ``logits``."""
        return cls(fit_temperature(labels, sigmoid(np.asarray(logits, dtype=np.float64))))

    def apply(self, logits) -> np.ndarray:
        """Calibrated logits."""
        return np.asarray(logits, dtype=np.float64) / self.value

    def to_card(self) -> dict:
        """The card's ``calibration`` (its ``test`` report is added by training)."""
        return {"method": FIT if self.value != 1.0 else "none", "temperature": self.value}

    @classmethod
    def from_card(cls, calibration: dict) -> Temperature:
        return cls(float(calibration.get("temperature", 1.0)))

    @staticmethod
    def check(calibration: dict) -> None:
        """The temperature must be one a fit can choose (``TEMPERATURE_BOUNDS``, give or
        take rounding); 1.0 when there is none (uncalibrated)."""
        temperature = calibration.get("temperature", 1.0)
        low, high = TEMPERATURE_BOUNDS
        if not is_number(temperature) or not low * (1 - 1e-6) <= temperature <= high * (1 + 1e-6):
            raise ConfigError(
                f"calibration temperature must be a number from {low} to {high} (the range "
                f"training fits it in), not {temperature!r}"[:300]
            )
        method = calibration.get("method", "")
        if not isinstance(method, str):
            raise ConfigError(f"calibration method must be a string, not {method!r}"[:200])
