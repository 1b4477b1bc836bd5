"""The uncertain zone head: probabilities too close to the threshold to answer.

``UncertainZone`` (at the end) is the head: ``fit`` on validation, ``apply`` (each review's
label: positive, negative or uncertain), ``to_card`` / ``from_card`` (the card's
``uncertain``); the functions above it are its parts. Its vocabulary: the *zone* is the
learned table; its *bounds* at a target accuracy are the probabilities (low, high) it calls
uncertain; short texts (fewer than ``short_text_words`` tokens) have bounds of their own.

Chosen on validation at training time for a target accuracy of the answered reviews: a
review is answered when its confidence ``|p - 0.5|`` reaches ``c``, and ``c`` is the
smallest value whose answered validation reviews reach the target (so the most reviews are
answered). The card keeps the whole validation curve (``table``: confidence, accuracy of
the answered, share answered), so another target can be chosen at scoring time.

Short texts get a zone of their own (``short``): at the same confidence a model is right
less often on a one-line opinion than on a review, so texts of fewer than ``SHORT_WORDS``
tokens are answered by a table fit on short validation texts, the validation reviews'
last sentence and last two sentences, each labeled as its review (``fit_short_zone``).
Those labels are a noisy proxy (a last sentence may be neutral or turn against the
review), so on real one-liners this zone may say "uncertain" more often than needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from movie_sentiment.checks import is_number
from movie_sentiment.errors import ConfigError, InvalidInputError
from movie_sentiment.evaluation.probability import THRESHOLD, predicted_labels

DEFAULT_TARGET = 0.97
TABLE_POINTS = 200
SHORT_WORDS = 50  # texts of fewer tokens than this are scored with the short-text zone
# (chosen on validation: benchmarks/short_texts.py --zone-cutoffs; docs/accuracy.md,
# "Short texts"). A bundle keeps the limit it was fit with (``short_text_words_of``).
SHORT_SOURCE = "the validation reviews' last sentence and last two, labeled as their review"


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
    table = answered_table(labels, probabilities)
    if not table:
        return {}
    return {
        "target_accuracy": target,
        "source": "validation",
        "reviews": len(np.asarray(labels).ravel()),
        "table": table,
    }


def fit_short_zone(labels, probabilities, words) -> dict:
    """The zone's ``short`` part: the table of the short texts among ``labels`` /
    ``probabilities`` (those of fewer than ``SHORT_WORDS`` tokens by ``words``); empty when
    there are none."""
    keep = np.asarray(words).ravel() < SHORT_WORDS
    labels = np.asarray(labels).ravel()[keep]
    table = answered_table(labels, np.asarray(probabilities).ravel()[keep])
    if not table:
        return {}
    return {
        "under_words": SHORT_WORDS,
        "source": SHORT_SOURCE,
        "texts": len(labels),
        "table": table,
    }


def answered_table(labels, probabilities) -> list[list[float]]:
    """Rows (confidence threshold, accuracy of the answered, share answered) at evenly
    spaced shares answered. Each row's threshold lies halfway between the confidence of
    the last review it answers (ties included) and the next one's, and the row answering
    every review has threshold 0: new reviews as unsure as the least sure answered one
    are answered too."""
    confidence, accuracy, coverage = answered_curve(labels, probabilities)
    if not len(confidence):
        return []
    picks = np.unique(np.linspace(0, len(confidence) - 1, TABLE_POINTS).round().astype(int))
    table = []
    for k in picks:
        last = int(np.searchsorted(-confidence, -confidence[k], side="right")) - 1
        c = (confidence[last] + confidence[last + 1]) / 2 if last + 1 < len(confidence) else 0.0
        row = [round(float(c), 6), round(float(accuracy[last]), 6), round(float(coverage[last]), 6)]
        if not table or table[-1] != row:
            table.append(row)
    return table


def check_zone(zone: dict) -> None:
    """A card's ``uncertain`` part must be a target and a table (``check_table``), and so
    must its ``short`` part, with a positive ``under_words``."""
    if not zone:
        return
    target = zone.get("target_accuracy")
    if isinstance(target, bool) or not is_number(target) or not 0.5 <= target <= 1:
        raise ConfigError(f"uncertain target_accuracy must be from 0.5 to 1, not {target!r}")
    check_table(zone.get("table"), "uncertain table")
    short = zone.get("short")
    if short is not None:
        words = short.get("under_words") if isinstance(short, dict) else None
        if isinstance(words, bool) or not isinstance(words, int) or words < 1:
            raise ConfigError(
                f"uncertain short under_words must be a positive whole number, not {words!r}"
            )
        check_table(short.get("table"), "uncertain short table")


def check_table(table, what: str) -> None:
    """Rows ``[confidence, accuracy, share]`` as ``answered_table`` writes them: finite;
    a confidence from 0 to 0.5 (the band ``0.5 -+ c`` stays within [0, 1]: a larger one
    would call every review uncertain, a negative one none), an accuracy from 0 to 1, a
    share above 0 up to 1; shares rising and confidences never rising, row by row."""
    if (
        not isinstance(table, list)
        or not table
        or not all(
            isinstance(row, list) and len(row) == 3 and all(is_number(v) for v in row)
            for row in table
        )
    ):
        raise ConfigError(f"{what} must be a list of [confidence, accuracy, share] rows")
    for number, (confidence, accuracy, share) in enumerate(table):
        if not (0 <= confidence <= THRESHOLD and 0 <= accuracy <= 1 and 0 < share <= 1):
            raise ConfigError(
                f"{what} row {number} must hold a confidence from 0 to 0.5, an accuracy from "
                f"0 to 1 and a share above 0 up to 1, not {table[number]!r}"[:300]
            )
    for number in range(1, len(table)):
        if table[number][2] <= table[number - 1][2] or table[number][0] > table[number - 1][0]:
            raise ConfigError(
                f"{what} rows are out of order at row {number}: shares must rise and "
                "confidences never rise"
            )


def zone_threshold(zone: dict, target: float | None = None, table: list | None = None) -> float:
    """The confidence ``c`` answering the most validation reviews at ``target`` accuracy
    (0.5: none reach it, so every review is uncertain), by the zone's table or ``table``."""
    target = zone["target_accuracy"] if target is None else target
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0.5 <= target <= 1:
        raise InvalidInputError(f"target accuracy must be a number from 0.5 to 1, not {target!r}")
    return min((row[0] for row in (table or zone["table"]) if row[1] >= target), default=THRESHOLD)


def answered(probabilities, low, high) -> np.ndarray:
    """Which probabilities the bounds ``low`` and ``high`` (two numbers, or one of each per
    review) answer: those outside them, the bounds included. Bounds of (0, 1), where no
    confidence reached the target, answer nothing, not even a probability of exactly 0
    or 1."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    low, high = np.asarray(low), np.asarray(high)
    outside = (probabilities <= low) | (probabilities >= high)
    return outside & ~((low <= 0.0) & (high >= 1.0))


def bounds_at(zone: dict, target: float | None = None) -> tuple[float, float]:
    """Probabilities strictly inside these bounds are "uncertain" (see ``zone_threshold``)."""
    c = zone_threshold(zone, target)
    return (THRESHOLD - c, THRESHOLD + c)


def short_text_bounds_at(zone: dict, target: float | None = None) -> tuple[float, float] | None:
    """The bounds of texts of fewer than ``zone["short"]["under_words"]`` tokens, or None
    when the zone has no short part (bundles trained before it)."""
    short = zone.get("short")
    if not short:
        return None
    c = zone_threshold(zone, target, short["table"])
    return (THRESHOLD - c, THRESHOLD + c)


def short_text_words_of(zone: dict | None) -> int:
    """Texts of fewer tokens than this are short for a bundle's ``zone``: the limit its
    short part was fit with, else today's ``SHORT_WORDS``."""
    short = (zone or {}).get("short")
    return short["under_words"] if short else SHORT_WORDS


def bounds_by_length(
    zone: dict, words, target: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each text's uncertain bounds (low and high, arrays) by its token count
    ``words``: the short-text bounds for texts of fewer than the short part's
    ``under_words`` tokens, the reviews' bounds for the rest."""
    bounds, short = bounds_at(zone, target), short_text_bounds_at(zone, target)
    return length_bounds(words, bounds, short, short_text_words_of(zone))


def length_bounds(words, bounds: tuple, short: tuple | None, under_words: int):
    """Each text's bounds (low and high, arrays) by its token count ``words``: ``short``
    for texts of fewer than ``under_words`` tokens (when not None), ``bounds`` for the
    rest."""
    words = np.asarray(words).ravel()
    low, high = (np.full(len(words), bound) for bound in bounds)
    if short is not None:
        is_short = words < under_words
        low[is_short], high[is_short] = short
    return low, high


def selective_report(labels, probabilities, zone: dict, words=None) -> dict:
    """On held-out reviews: the area under the risk-coverage curve (AURC, the mean error
    of the answered over every share answered; lower is better), and the share answered
    and their accuracy at the zone's default target (short texts by the short-text zone
    when their token counts ``words`` are given)."""
    probabilities = np.asarray(probabilities, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    _, accuracy, _ = answered_curve(labels, probabilities)
    c = zone_threshold(zone)
    bands = bounds_at(zone) if words is None else bounds_by_length(zone, words)
    kept = answered(probabilities, *bands)
    hits = predicted_labels(probabilities[kept]) == labels[kept]
    report = {
        "aurc": round(float(np.mean(1 - accuracy)), 6),
        "target_accuracy": zone["target_accuracy"],
        "coverage": round(float(kept.mean()), 6),
        "answered_accuracy": round(float(hits.mean()), 6) if kept.any() else None,
        "band": [round(THRESHOLD - c, 6), round(THRESHOLD + c, 6)],
    }
    short = short_text_bounds_at(zone)
    if short is not None:
        report["short_band"] = [round(v, 6) for v in short]
        report["short_under_words"] = zone["short"]["under_words"]
    return report


def labels_for(probabilities: np.ndarray, band: tuple | None) -> list[str]:
    """positive / negative by ``THRESHOLD``; "uncertain" where ``band`` (two bounds, or
    two arrays of one bound per review) does not answer (``answered``: strictly inside it,
    or anywhere when it is (0, 1))."""
    labels = np.where(probabilities >= THRESHOLD, "positive", "negative").astype(object)
    if band is not None:
        labels[~answered(probabilities, *band)] = "uncertain"
    return labels.tolist()


@dataclass(frozen=True)
class UncertainZone:
    """The head: the card's ``uncertain`` table (empty: a bundle from before the zone,
    which calls no review uncertain)."""

    zone: dict = field(default_factory=dict)
    # Each target's confidence, worked out once per head (a head is made from the card
    # for each ``score`` call: one made then does not see the card change later).
    _thresholds: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.zone)

    @classmethod
    def fit(cls, labels, probabilities, short=None, source: str = "validation") -> UncertainZone:
        """Fit on calibrated validation ``probabilities``; ``short``: (labels,
        probabilities, token counts) of short texts, for their own bounds."""
        zone = fit_zone(labels, probabilities)
        if zone and short is not None:
            part = fit_short_zone(*short)
            if part:
                zone["short"] = part
        if zone:
            zone["source"] = source
        return cls(zone)

    @property
    def short_text_words(self) -> int:
        """Texts of fewer tokens than this are short (``short_text_words_of``)."""
        return short_text_words_of(self.zone)

    def bounds(self, target: float | None = None) -> tuple[float, float] | None:
        """The probabilities called uncertain (exclusive bounds) at ``target`` accuracy of
        the answered reviews (the card's default when None); None: no zone."""
        if not self.zone:
            if target is not None:
                raise InvalidInputError(
                    "this bundle has no uncertain zone (trained before it existed); "
                    "train it again to use target_accuracy"
                )
            return None
        c = self._threshold(target, short=False)
        return (THRESHOLD - c, THRESHOLD + c)

    def short_text_bounds(self, target: float | None = None) -> tuple[float, float] | None:
        """The bounds of short texts; None when the zone has no short part."""
        self.bounds(target)  # the same checks
        if not self.zone or not self.zone.get("short"):
            return None
        c = self._threshold(target, short=True)
        return (THRESHOLD - c, THRESHOLD + c)

    def _threshold(self, target: float | None, short: bool) -> float:
        """``zone_threshold`` of the zone's table (``short``: its short texts' table),
        remembered (by the target's type too: True is not 1 here)."""
        key = (short, type(target), target)
        if key not in self._thresholds:
            table = self.zone["short"]["table"] if short else None
            self._thresholds[key] = zone_threshold(self.zone, target, table)
        return self._thresholds[key]

    def apply(self, probabilities, words, target: float | None = None) -> list[str]:
        """Each review's label by its calibrated probability and its token count
        ``words``: uncertain inside the bounds for its length."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        bounds = None
        if self.zone:
            bounds = length_bounds(
                words, self.bounds(target), self.short_text_bounds(target), self.short_text_words
            )
        return labels_for(probabilities, bounds)

    def report(self, labels, probabilities, words=None) -> dict:
        """Held-out figures at the default target (``selective_report``)."""
        return selective_report(labels, probabilities, self.zone, words)

    def to_card(self) -> dict:
        return dict(self.zone)

    @classmethod
    def from_card(cls, zone: dict) -> UncertainZone:
        return cls(dict(zone))

    check = staticmethod(check_zone)
