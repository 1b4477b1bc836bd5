"""The uncertain zone: probabilities too close to the threshold to answer.

Chosen on validation at training time for a target accuracy of the answered reviews: a
review is answered when its confidence ``|p - 0.5|`` reaches ``c``, and ``c`` is the
smallest value whose answered validation reviews reach the target (so the most reviews are
answered). The card keeps the whole validation curve (``table``: confidence, accuracy of
the answered, share answered), so another target can be chosen at scoring time.
"""

from __future__ import annotations

import numpy as np

from movie_sentiment.errors import ConfigError, InvalidInputError
from movie_sentiment.evaluation.scores import THRESHOLD, predicted_labels

DEFAULT_TARGET = 0.97
TABLE_POINTS = 200


def answered_curve(labels, probabilities) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(confidence, accuracy of the answered, share answered) when answering the k most
    confident reviews, k = 1..n."""
    labels = np.asarray(labels).ravel()
    probabilities = np.asarray(probabilities, dtype=np.float64).ravel()
    confidence = np.abs(probabilities - THRESHOLD)
    order = np.argsort(-confidence, kind="stable")
    correct = (predicted_labels(probabilities) == labels)[order]
    answered = np.arange(1, len(labels) + 1)
    return confidence[order], np.cumsum(correct) / answered, answered / len(labels)


def fit_zone(labels, probabilities, target: float = DEFAULT_TARGET) -> dict:
    """The card's ``uncertain`` part from validation labels and calibrated probabilities."""
    confidence, accuracy, coverage = answered_curve(labels, probabilities)
    if not len(confidence):
        return {}
    # Rows at evenly spaced shares answered. Each row's threshold lies halfway between the
    # confidence of the last review it answers (ties included) and the next one's, and the
    # row answering every review has threshold 0: new reviews as unsure as validation's
    # least sure answered one are answered too.
    picks = np.unique(np.linspace(0, len(confidence) - 1, TABLE_POINTS).round().astype(int))
    table = []
    for k in picks:
        last = int(np.searchsorted(-confidence, -confidence[k], side="right")) - 1
        c = (confidence[last] + confidence[last + 1]) / 2 if last + 1 < len(confidence) else 0.0
        row = [round(float(c), 6), round(float(accuracy[last]), 6), round(float(coverage[last]), 6)]
        if not table or table[-1] != row:
            table.append(row)
    return {
        "target_accuracy": target,
        "source": "validation",
        "reviews": len(confidence),
        "table": table,
    }


def check_zone(zone: dict) -> None:
    """A card's ``uncertain`` part must be a target and a table of number triples."""
    if not zone:
        return
    target, table = zone.get("target_accuracy"), zone.get("table")
    if not isinstance(target, int | float) or not 0.5 <= target <= 1:
        raise ConfigError(f"uncertain target_accuracy must be from 0.5 to 1, not {target!r}")
    if (
        not isinstance(table, list)
        or not table
        or not all(
            isinstance(row, list) and len(row) == 3 and all(isinstance(v, int | float) for v in row)
            for row in table
        )
    ):
        raise ConfigError("uncertain table must be a list of [confidence, accuracy, share] rows")


def zone_threshold(zone: dict, target: float | None = None) -> float:
    """The confidence ``c`` answering the most validation reviews at ``target`` accuracy
    (0.5: none reach it, so every review is uncertain)."""
    target = zone["target_accuracy"] if target is None else target
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0.5 <= target <= 1:
        raise InvalidInputError(f"target accuracy must be a number from 0.5 to 1, not {target!r}")
    reaching = [row for row in zone["table"] if row[1] >= target]
    if not reaching:
        return THRESHOLD
    return min(row[0] for row in reaching)


def uncertain_band(zone: dict, target: float | None = None) -> tuple[float, float]:
    """Probabilities strictly inside this band are "uncertain" (see ``zone_threshold``)."""
    c = zone_threshold(zone, target)
    return (THRESHOLD - c, THRESHOLD + c)


def selective_report(labels, probabilities, zone: dict) -> dict:
    """On held-out reviews: the area under the risk-coverage curve (AURC, the mean error
    of the answered over every share answered; lower is better), and the share answered
    and their accuracy at the zone's default target."""
    confidence, accuracy, coverage = answered_curve(labels, probabilities)
    c = zone_threshold(zone)
    answered = np.abs(np.asarray(probabilities) - THRESHOLD) >= c
    labels = np.asarray(labels).ravel()
    hits = predicted_labels(np.asarray(probabilities)[answered]) == labels[answered]
    return {
        "aurc": round(float(np.mean(1 - accuracy)), 6),
        "target_accuracy": zone["target_accuracy"],
        "coverage": round(float(answered.mean()), 6),
        "answered_accuracy": round(float(hits.mean()), 6) if answered.any() else None,
        "band": [round(THRESHOLD - c, 6), round(THRESHOLD + c, 6)],
    }
