"""Labeled reviews from a user's own files, to train and evaluate on them.

Formats: the ones ``score`` reads, with the same readers and strictness (CSV, TSV, JSONL,
Parquet: ``data/inputs.py``), and a folder laid out like aclImdb: one sub-folder of
``.txt`` reviews per label (``pos/`` and ``neg/``, or any two names with
``positive_label``); file names ``<id>_<rating>.txt`` give ratings as aclImdb's do.

Labels are binary, read from a label column (``0/1``, ``pos/neg``, ``positive/negative``,
``true/false`` in any case, or any two values with ``positive_label``), or come from a
rating column: a number on a scale (given, or the data's lowest and highest), positive
above a threshold (the scale's middle unless given), negative below it, neutral (and not
used) when equal. A file with both keeps the label and the rating (for the stars).

Nothing is dropped silently: a row without a usable review, label or rating, a duplicate
text (kept once), or a text given two labels (kept in none) is counted by reason, and
``LabeledReviews.notes`` says each count with the first line it happened on. A file that
cannot give a binary sentiment at all (no label column, one label only, labels of two
kinds mixed, ratings outside the given scale, too few reviews) is one
``InvalidInputError`` naming the problem.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from movie_sentiment.data.files import input_row
from movie_sentiment.data.imdb import ReviewDataset
from movie_sentiment.data.inputs import FORMATS, column_names, find_inputs, plan, read_partition
from movie_sentiment.errors import DataNotFoundError, InvalidInputError

TEXT_COLUMNS = ("text", "review", "sentence", "content", "body")
LABEL_COLUMNS = ("label", "sentiment", "polarity", "class", "target")
RATING_COLUMNS = ("rating", "stars", "score")
# the known spellings of a binary label, (positive, negative), compared in lower case
KNOWN_PAIRS = (("1", "0"), ("pos", "neg"), ("positive", "negative"), ("true", "false"))
MINIMUM_REVIEWS = 50  # below this, neither a model nor a figure says anything
RATED_FILE = re.compile(r"^\d+_(\d+)\.txt$")  # aclImdb: <id>_<rating>.txt
SKIPPED_FOLDERS = ("unsup",)  # aclImdb's unlabeled reviews beside pos/ and neg/


@dataclass(frozen=True)
class LabelOptions:
    """How to read the labels (every field optional: the usual columns are detected)."""

    text_column: str | None = None
    label_column: str | None = None
    rating_column: str | None = None
    positive_label: str | None = None
    rating_scale: tuple[float, float] | None = None  # lowest, highest
    rating_threshold: float | None = None  # positive above, negative below


@dataclass
class LabeledReviews:
    """Reviews with binary labels (1 positive, 0 negative) and, when given, ratings."""

    texts: list[str]
    labels: np.ndarray
    lines: np.ndarray  # where each review came from: its line (a folder's: file number)
    source: str
    checksum: str  # sha256 of the file (a folder: of its label folders' files)
    columns: dict[str, str | None]  # text, label, rating: the ones used
    label_names: dict[str, str]  # positive, negative: as the data spells them
    ratings: np.ndarray | None = None  # on ``scale``; NaN where a row has none
    scale: tuple[float, float] | None = None
    skipped: Counter = field(default_factory=Counter)  # reason -> rows
    notes: list[str] = field(default_factory=list)  # one line each, for the user

    def __len__(self) -> int:
        return len(self.texts)

    def balance(self) -> float:
        """The share of positive reviews."""
        return float(self.labels.mean()) if len(self) else 0.0

    def select(self, indices) -> LabeledReviews:
        """The reviews at ``indices``, in that order (counts and notes kept)."""
        indices = np.asarray(indices, dtype=np.int64)
        ratings = None if self.ratings is None else self.ratings[indices]
        return replace(
            self,
            texts=[self.texts[i] for i in indices.tolist()],
            labels=self.labels[indices],
            lines=self.lines[indices],
            ratings=ratings,
        )

    def dataset(self, split: str) -> ReviewDataset:
        """The reviews as the ``ReviewDataset`` training and evaluation read. Ratings on
        another scale are mapped linearly onto IMDB's 1-10 and rounded (the card keeps
        the scale); 0 where a review has none, as for IMDB's unlabeled reviews."""
        ratings = np.zeros(len(self), dtype=np.int64)
        if self.ratings is not None and self.scale is not None:
            low, high = self.scale
            rated = ~np.isnan(self.ratings)
            stars = 1 + 9 * (self.ratings[rated] - low) / (high - low)
            ratings[rated] = np.clip(np.rint(stars), 1, 10).astype(np.int64)
        return ReviewDataset(
            texts=list(self.texts),
            labels=self.labels.astype(np.int64),
            ratings=ratings,
            ids=self.lines.astype(np.int64),
            split=split,
            checksum=self.checksum,
        )

    def describe(self) -> dict:
        """What a card records about the data: source, checksum, sizes, balance, columns."""
        return {
            "source": self.source,
            "sha256": self.checksum,
            "reviews": len(self),
            "positive_share": round(self.balance(), 4),
            "columns": dict(self.columns),
            "label_names": dict(self.label_names),
            "rating_scale": list(self.scale) if self.scale else None,
            "skipped": dict(self.skipped),
        }


def is_imdb(path: str | Path | None) -> bool:
    """Whether ``--data`` names IMDB (none given, ``imdb``, the ``.tar.gz`` archive, or an
    extracted ``aclImdb/`` folder with ``train/`` and ``test/``) rather than a user's data."""
    if path is None or str(path).lower() == "imdb":
        return True
    path = Path(path)
    if path.is_dir():
        return (path / "train").is_dir() and (path / "test").is_dir()
    return path.name.lower().endswith((".tar.gz", ".tgz"))


# -- reading ------------------------------------------------------------------------------
@dataclass
class _Raw:
    """What a file gave before labels are read: one entry per row with a usable text."""

    texts: list[str] = field(default_factory=list)
    labels: list = field(default_factory=list)
    ratings: list = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    first: dict[str, int] = field(default_factory=dict)  # reason -> first line

    def skip(self, reason: str, line: int) -> None:
        self.skipped[reason] += 1
        self.first.setdefault(reason, line)


def read_labeled(
    path: str | Path,
    options: LabelOptions | None = None,
    *,
    minimum: int = MINIMUM_REVIEWS,
) -> LabeledReviews:
    """The labeled reviews of the file or folder at ``path`` (see the module docstring)."""
    options = options or LabelOptions()
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError(f"data not found: {path}")
    if path.is_dir():
        raw, columns, checksum = _read_folder(path, options)
    else:
        raw, columns, checksum = _read_table(path, options)
    reviews = _deduplicated(_labeled(path, raw, columns, checksum, options))
    if len(reviews) < minimum:
        raise InvalidInputError(
            f"{path} has {len(reviews)} labeled review{'s' * (len(reviews) != 1)}; at least "
            f"{minimum} are needed to train or measure anything"
        )
    return reviews


def _read_table(path: Path, options: LabelOptions) -> tuple[_Raw, dict, str]:
    if path.suffix.lower() not in FORMATS or path.suffix.lower() == ".txt":
        raise InvalidInputError(
            f"cannot read labels from {path.name}: use a .csv, .tsv, .jsonl or .parquet file "
            "with a text and a label column, or a folder of pos/ and neg/ reviews"
        )
    if path.stat().st_size == 0:
        raise InvalidInputError(f"{path} is empty")
    names = column_names(path)
    if names is None:
        raise InvalidInputError(
            f"{path} holds plain reviews without labels: give objects with a text and a label"
        )
    columns = _choose_columns(path, names, options)
    extra = tuple(c for c in (columns["label"], columns["rating"]) if c)
    raw = _Raw()
    (found,) = find_inputs([str(path)])
    for part in plan([found], columns["text"], None, extra_columns=extra):
        rows = read_partition(part)
        start = len(raw.lines) + sum(raw.skipped.values())
        records = zip(rows.texts, rows.errors, rows.extras, strict=True)
        for number, (text, error, values) in enumerate(records):
            line = start + number + 1  # the row's number (1 = first row after a header)
            if error is not None:
                raw.skip(error, line)
                continue
            label = values[0] if columns["label"] else None
            rating = values[-1] if columns["rating"] else None
            raw.texts.append(text)
            raw.labels.append(label)
            raw.ratings.append(rating)
            raw.lines.append(line)
    return raw, columns, _sha256([path])


def _choose_columns(path: Path, names: list[str], options: LabelOptions) -> dict:
    """The text, label and rating columns: as given, else the usual names (one of each)."""
    chosen = {}
    for role, given, usual in (
        ("text", options.text_column, TEXT_COLUMNS),
        ("label", options.label_column, LABEL_COLUMNS),
        ("rating", options.rating_column, RATING_COLUMNS),
    ):
        if given is not None:
            if given not in names:
                raise InvalidInputError(
                    f"{path} has no column {given!r} (the --{role}-column); "
                    f"columns: {', '.join(names)}"
                )
            chosen[role] = given
            continue
        found = [n for n in names if n.strip().lower() in usual]
        if len(found) > 1:
            raise InvalidInputError(
                f"{path} has more than one {role} column ({', '.join(found)}); "
                f"choose one with --{role}-column"
            )
        chosen[role] = found[0] if found else None
    if chosen["text"] is None:
        raise InvalidInputError(
            f"{path} has no text column (columns: {', '.join(names)}); name it with --text-column"
        )
    if chosen["label"] is None and chosen["rating"] is None:
        raise InvalidInputError(
            f"{path} has no label column (columns: {', '.join(names)}); name it with "
            "--label-column, or a numeric scale with --rating-column"
        )
    return chosen


def _read_folder(path: Path, options: LabelOptions) -> tuple[_Raw, dict, str]:
    """One sub-folder of ``.txt`` reviews per label; aclImdb's names give ratings."""
    folders = sorted(
        p
        for p in path.iterdir()
        if p.is_dir() and p.name not in SKIPPED_FOLDERS and any(p.glob("*.txt"))
    )
    if not folders:
        raise InvalidInputError(
            f"{path} has no label folders: give one folder of .txt reviews per label "
            "(pos/ and neg/, as aclImdb), or a .csv, .tsv, .jsonl or .parquet file"
        )
    files = [(folder.name, f) for folder in folders for f in sorted(folder.glob("*.txt"))]
    rated = all(RATED_FILE.match(f.name) for _, f in files)
    raw = _Raw()
    for number, (label, file) in enumerate(files, start=1):
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raw.skip("the file is not UTF-8 text", number)
            continue
        row = input_row(number, text)
        if row.error is not None:
            raw.skip(row.error, number)
            continue
        raw.texts.append(row.text)
        raw.labels.append(label)
        raw.ratings.append(RATED_FILE.match(file.name).group(1) if rated else None)
        raw.lines.append(number)
    columns = {"text": "files", "label": "folder names", "rating": "file names" if rated else None}
    return raw, columns, _sha256([f for _, f in files], root=path)


def _sha256(files: list[Path], root: Path | None = None) -> str:
    digest = hashlib.sha256()
    for file in files:
        if root is not None:  # a folder: the names say the labels, so they count too
            digest.update(str(file.relative_to(root)).encode("utf-8") + b"\0")
        with open(file, "rb") as handle:
            while chunk := handle.read(2**20):
                digest.update(chunk)
    return digest.hexdigest()


# -- labels -------------------------------------------------------------------------------
def _labeled(
    path: Path, raw: _Raw, columns: dict, checksum: str, options: LabelOptions
) -> LabeledReviews:
    """Binary labels (and ratings) for the rows of ``raw``; unusable rows counted."""
    if not raw.texts:
        raise InvalidInputError(f"{path} holds no reviews")
    ratings, scale, unrated = None, None, 0
    if columns["rating"]:
        # with a label column, a row without a rating still teaches the label
        ratings, scale, unrated = _ratings(path, raw, options, counted=not columns["label"])
    if columns["label"]:
        labels, names = _binary_labels(path, raw, options.positive_label)
    else:
        labels, names = _labels_from_ratings(path, raw, ratings, scale, options.rating_threshold)
    keep = np.flatnonzero(labels >= 0)
    reviews = LabeledReviews(
        texts=[raw.texts[i] for i in keep.tolist()],
        labels=labels[keep].astype(np.int8),
        lines=np.asarray(raw.lines, dtype=np.int64)[keep],
        source=str(path),
        checksum=checksum,
        columns=columns,
        label_names=names,
        ratings=None if ratings is None else ratings[keep],
        scale=scale,
        skipped=raw.skipped,
    )
    reviews.notes = [
        f"{count} row{'s' * (count != 1)} skipped: {reason} (first: row {raw.first[reason]})"
        for reason, count in raw.skipped.items()
    ]
    if unrated:
        reviews.notes.append(f"{unrated} labeled rows have no numeric rating (no stars learned)")
    return reviews


def _spelling(value) -> str | None:
    """A label as compared: lower-case text; whole numbers without ``.0``; None if blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip().lower()
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        text = text[:-2]
    return text or None


def _binary_labels(path: Path, raw: _Raw, positive: str | None) -> tuple[np.ndarray, dict]:
    """1/0 per row, -1 for a missing or unknown label (counted in ``raw``)."""
    spelled = [_spelling(v) for v in raw.labels]
    seen = Counter(s for s in spelled if s is not None)
    pair = _label_pair(path, seen, positive)
    labels = np.full(len(spelled), -1, dtype=np.int64)
    for i, value in enumerate(spelled):
        if value is None:
            raw.skip("no label", raw.lines[i])
        elif value == pair[0]:
            labels[i] = 1
        elif value == pair[1]:
            labels[i] = 0
        else:
            raw.skip(f"label {value!r} is neither {pair[0]!r} nor {pair[1]!r}", raw.lines[i])
    return labels, {"positive": pair[0], "negative": pair[1]}


def _label_pair(path: Path, seen: Counter, positive: str | None) -> tuple[str, str]:
    """The (positive, negative) spelling of the labels ``seen`` (see the module docstring)."""
    values = ", ".join(repr(v) for v in sorted(seen)[:6]) + (", ..." if len(seen) > 6 else "")
    if not seen:
        raise InvalidInputError(f"{path}: no row has a label")
    if positive is not None:
        positive = _spelling(positive)
        others = sorted(set(seen) - {positive})
        if positive not in seen:
            raise InvalidInputError(
                f"{path}: no row has the label {positive!r} given as --positive-label "
                f"(labels: {values})"
            )
        if len(others) != 1:
            raise InvalidInputError(
                f"{path} has labels {values}: binary labels need exactly two values "
                "(for a numeric scale use --rating-column)"
            )
        return positive, others[0]
    kinds = [pair for pair in KNOWN_PAIRS if set(pair) & set(seen)]
    if len(kinds) > 1:
        raise InvalidInputError(
            f"{path} mixes label kinds ({values}): use one spelling, e.g. "
            f"{' / '.join(kinds[0])}, throughout"
        )
    if len(seen) == 1:
        raise InvalidInputError(
            f"{path} has one label only ({values}): training needs positive and negative reviews"
        )
    if kinds and set(kinds[0]) <= set(seen):
        return kinds[0]
    if len(seen) == 2 and not kinds:
        raise InvalidInputError(
            f"{path} has labels {values}: say which is positive with --positive-label"
        )
    raise InvalidInputError(
        f"{path} has labels {values}: binary labels need exactly two values "
        "(for a numeric scale use --rating-column)"
    )


def _ratings(
    path: Path, raw: _Raw, options: LabelOptions, counted: bool
) -> tuple[np.ndarray, tuple, int]:
    """Each row's rating (NaN: none or not a number, skipped when ``counted``), the
    scale, and how many rows have no rating."""
    ratings = np.full(len(raw.texts), np.nan)
    for i, value in enumerate(raw.ratings):
        number = _number(value)
        if number is not None:
            ratings[i] = number
        elif counted:
            missing = _spelling(value) is None
            raw.skip("no rating" if missing else "a rating that is not a number", raw.lines[i])
    rated = ratings[~np.isnan(ratings)]
    if not len(rated):
        raise InvalidInputError(f"{path}: no row has a numeric rating")
    if options.rating_scale is not None:
        low, high = options.rating_scale
        outside = np.flatnonzero((ratings < low) | (ratings > high))
        if len(outside):
            first = raw.lines[int(outside[0])]
            raise InvalidInputError(
                f"{path}: {len(outside)} rating{'s' * (len(outside) != 1)} outside the scale "
                f"{low:g}-{high:g} (first: {ratings[outside[0]]:g} on row {first})"
            )
        return ratings, (float(low), float(high)), len(ratings) - len(rated)
    low, high = float(rated.min()), float(rated.max())
    if low == high:
        raise InvalidInputError(f"{path}: every rating is {low:g}; a scale needs two values")
    return ratings, (low, high), len(ratings) - len(rated)


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _labels_from_ratings(
    path: Path, raw: _Raw, ratings: np.ndarray, scale: tuple, threshold: float | None
) -> tuple[np.ndarray, dict]:
    """Positive above the threshold (the scale's middle unless given), negative below;
    a rating on the threshold is neutral: counted, not used."""
    middle = (scale[0] + scale[1]) / 2 if threshold is None else float(threshold)
    labels = np.where(ratings > middle, 1, np.where(ratings < middle, 0, -1))
    labels[np.isnan(ratings)] = -1
    for i in np.flatnonzero(ratings == middle).tolist():
        raw.skip(f"a neutral rating ({middle:g}, the threshold)", raw.lines[i])
    if not ((labels == 1).any() and (labels == 0).any()):
        raise InvalidInputError(
            f"{path}: every rating is on one side of the threshold {middle:g}: training needs "
            "positive and negative reviews (set it with --rating-threshold)"
        )
    return labels, {"positive": f"rating > {middle:g}", "negative": f"rating < {middle:g}"}


def _deduplicated(reviews: LabeledReviews) -> LabeledReviews:
    """Each text once: a copy with the same label is dropped, a text given both labels is
    dropped in every copy (it cannot teach either). Counted in the notes."""
    first_label: dict[str, int] = {}
    conflicting: set[str] = set()
    for text, label in zip(reviews.texts, reviews.labels.tolist(), strict=True):
        if first_label.setdefault(text, label) != label:
            conflicting.add(text)
    keep, seen = [], set()
    for i, text in enumerate(reviews.texts):
        if text not in conflicting and text not in seen:
            seen.add(text)
            keep.append(i)
    if len(keep) == len(reviews):
        return reviews
    kept = reviews.select(keep)
    kept.skipped, kept.notes = Counter(reviews.skipped), list(reviews.notes)
    both = sum(1 for text in reviews.texts if text in conflicting)
    copies = len(reviews) - len(keep) - both
    if both:
        kept.skipped["text given both labels"] += both
        kept.notes.append(f"{both} rows skipped: the same text given both labels")
    if copies:
        kept.skipped["duplicate text"] += copies
        kept.notes.append(f"{copies} duplicate rows skipped (each text kept once)")
    return kept


# -- splits -------------------------------------------------------------------------------
def carve_test(
    reviews: LabeledReviews, fraction: float, seed: int
) -> tuple[LabeledReviews, LabeledReviews]:
    """A stratified test split of ``fraction`` (train, test), the same for the same seed."""
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(reviews))
    train, test = train_test_split(
        indices, test_size=fraction, random_state=seed, stratify=reviews.labels
    )
    return reviews.select(np.sort(train)), reviews.select(np.sort(test))


def without_overlap(test: LabeledReviews, train: LabeledReviews) -> tuple[LabeledReviews, int]:
    """``test`` without the texts that are also in ``train``, and how many were removed."""
    seen = set(train.texts)
    keep = [i for i, text in enumerate(test.texts) if text not in seen]
    return test.select(keep), len(test) - len(keep)
