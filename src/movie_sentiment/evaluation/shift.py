"""How different a user's reviews are from the ones a model learned from, and what the
figures measured on them tell the user to do.

A model trained on IMDB's long reviews loses 15 to 20 points on one-sentence reviews from
another site, and its uncertain zone then answers few of them; unknown words and short
texts are what usually tells why. The summary compares length percentiles (in tokens)
with the training data's, and gives the share of unknown words and of short texts; the
advice says plainly what a drop, a quiet zone or many unknown words mean.
"""

from __future__ import annotations

import numpy as np

PERCENTILES = (10, 50, 90)
ACCURACY_DROP = 0.05  # below the model's own test accuracy by more than this: said
LOW_COVERAGE = 0.5  # an uncertain zone answering less than this share: said
MANY_UNKNOWN = 0.10  # a share of unknown words above this: said
MOSTLY_SHORT = 0.5  # a share of short texts above this: said
TRAIN_HINT = (
    "train on this data (train --data FILE), or with it and IMDB combined "
    "(train --data imdb --data FILE)"
)


def length_percentiles(words) -> dict[str, int]:
    """The 10th, 50th and 90th percentile of the texts' lengths in tokens."""
    words = np.asarray(words, dtype=np.float64)
    if not len(words):
        return {}
    values = np.percentile(words, PERCENTILES)
    return {f"p{p}": int(round(v)) for p, v in zip(PERCENTILES, values, strict=True)}


def data_shift(words, unknown, short_words: int, training: dict | None = None) -> dict:
    """The summary of how these texts differ: ``words`` their lengths in tokens,
    ``unknown`` how many of those tokens the model's vocabulary lacks, ``short_words``
    the length under which a text is short, ``training`` the training data's
    ``length_percentiles`` (None when the card does not record them)."""
    words = np.asarray(words, dtype=np.int64)
    unknown = np.asarray(unknown, dtype=np.int64)
    total = int(words.sum())
    return {
        "texts": int(len(words)),
        "length_words": length_percentiles(words),
        "training_length_words": training,
        "unknown_word_share": float(unknown.sum() / total) if total else 0.0,
        "short_share": float((words < short_words).mean()) if len(words) else 0.0,
        "short_words": int(short_words),
    }


def advice(
    figures: dict,
    shift: dict,
    reference_accuracy: float | None,
    reference: str = "on its own test split",
) -> list[str]:
    """Plain sentences on what the figures measured on a user's data mean, each with
    what to do; none when nothing stands out. ``reference``: where the model's own
    ``reference_accuracy`` was measured."""
    said = []
    accuracy = figures.get("accuracy")
    if reference_accuracy is not None and accuracy is not None:
        drop = reference_accuracy - accuracy
        if drop > ACCURACY_DROP:
            said.append(
                f"Accuracy here is {accuracy:.3f}, {100 * drop:.1f} points below the model's "
                f"{reference} ({reference_accuracy:.3f}): {TRAIN_HINT}."
            )
    coverage = (figures.get("uncertain") or {}).get("coverage")
    if coverage is not None and coverage < LOW_COVERAGE:
        said.append(
            f"The uncertain zone answers only {100 * coverage:.0f}% of these reviews (the rest "
            f"are labeled uncertain): the model is unsure of this kind of text; {TRAIN_HINT}."
        )
    if shift["unknown_word_share"] > MANY_UNKNOWN:
        said.append(
            f"{100 * shift['unknown_word_share']:.0f}% of the words are unknown to the model "
            f"(it ignores them): {TRAIN_HINT}."
        )
    if shift["short_share"] > MOSTLY_SHORT:
        said.append(
            f"{100 * shift['short_share']:.0f}% of the texts are shorter than "
            f"{shift['short_words']} words, where the model is less sure than on full reviews."
        )
    return said


def format_shift(shift: dict) -> str:
    """The summary as lines a person reads."""
    lengths = shift["length_words"]
    line = "Length in words (10th/50th/90th percentile): " + "/".join(
        str(lengths.get(f"p{p}", "-")) for p in PERCENTILES
    )
    training = shift.get("training_length_words")
    if training:
        line += " (training data: " + "/".join(str(training[f"p{p}"]) for p in PERCENTILES) + ")"
    return "\n".join(
        [
            line,
            f"Unknown words: {100 * shift['unknown_word_share']:.1f}%  "
            f"Short texts (under {shift['short_words']} words): {100 * shift['short_share']:.1f}%",
        ]
    )
