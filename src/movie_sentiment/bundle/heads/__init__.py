"""The heads: what a bundle learns after its model, on validation, from the model's
logits, each fit and applied in one place.

* ``Temperature`` (``temperature.py``): divides the logit; the card's ``calibration``.
* ``UncertainZone`` (``uncertain.py``): the probabilities too close to call; the card's
  ``uncertain``.
* ``Stars`` (``stars.py``): a 1-10 rating; the card's ``stars`` (and the stars model).

Each has ``fit`` (training's "fit heads" stage, ``training.heads``, calls it in this
order: the zone and the stars are fit on logits the temperature calibrated), ``apply``
(``bundle.scorer`` calls it for every score), ``to_card`` / ``from_card`` and ``check`` (the
card checks its part with it), in the spirit of scikit-learn's estimators.
"""

from __future__ import annotations

from dataclasses import dataclass

from movie_sentiment.bundle.heads.stars import Stars
from movie_sentiment.bundle.heads.temperature import Temperature
from movie_sentiment.bundle.heads.uncertain import UncertainZone

__all__ = ["Heads", "Stars", "Temperature", "UncertainZone"]


@dataclass
class Heads:
    """A bundle's heads, as its card (and stars model) hold them."""

    temperature: Temperature
    zone: UncertainZone
    stars: Stars

    @classmethod
    def from_card(cls, card, stars_model: tuple | None = None) -> Heads:
        """The heads of ``card`` (None: a model with no card yet: none of them)."""
        if card is None:
            return cls(Temperature(), UncertainZone(), Stars())
        return cls(
            Temperature.from_card(card.calibration),
            UncertainZone.from_card(card.uncertain),
            Stars.from_card(card.stars, stars_model),
        )
