"""The score record: the one list of fields every front end gives for a scored review.

``FIELDS`` is the single definition. Everything that shows a score derives from it: the
library's ``Scores.row`` and ``Prediction`` (bundle/), the service's ``ReviewScore`` and
the V2 protocol's outputs (service/), the batch job's Arrow schema and so its Parquet,
CSV and JSONL columns (batch/), and the command line's table, ``--json`` lines and
``--html`` page (cli/). Adding a field is one change here, plus the column that computes
it in ``Scores``; ``tests/test_front_ends.py`` checks that every front end carries every
field under its one name.

A front end adds only what is about its own input or form, never a score: the CLI's
``line``/``id``/``text``, the batch job's ``file``/``row``/``id``, the service's model
name, and ``explanation`` where one was asked for (its shape is each form's own: tokens
in JSON, the top words in a batch cell, colored words in the terminal).

How a value is computed (the temperature, the uncertain zone, the stars) is not this
module's business: it names and describes the columns only.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

# NumPy dtype kind of a column holding a field's Python kind as it is.
_DTYPE_KINDS = {float: "f", int: "i", bool: "b", str: "U"}


@dataclass(frozen=True)
class Field:
    """One field of the score record. ``kind`` is its Python type (str, float, int or
    bool); ``nullable``: None where a review was not scored (or the model has no such
    value); ``arrow``: its Arrow type name in batch output; ``missing``: its value for a
    review that could not be scored."""

    name: str
    kind: type
    description: str
    nullable: bool
    arrow: str
    missing: object = None

    def plain(self, value):
        """``value`` as a plain Python value of this field's kind (a NumPy scalar
        converted; NaN, the columns' "not scored", as None)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if self.kind is float and math.isnan(float(value)):
            return None
        return self.kind(value)

    def plain_list(self, column, count: int) -> list:
        """``[plain(v) for v in column]`` (``missing`` for each of ``count`` values when the
        column is None), without a Python call per value for a NumPy column of the
        field's own kind: ``tolist`` gives the same Python values."""
        if column is None:
            return [self.missing] * count
        if isinstance(column, np.ndarray) and column.dtype.kind == _DTYPE_KINDS[self.kind]:
            values = column.tolist()
            if self.kind is float:
                return [None if value != value else value for value in values]  # NaN
            return values
        return [self.plain(value) for value in column]


FIELDS: tuple[Field, ...] = (
    Field("label", str, "positive, negative or uncertain; null when not scored", True, "string"),
    Field("probability", float, "Calibrated probability of positive", True, "float64"),
    Field("logit", float, "Calibrated logit, log(p / (1 - p))", True, "float64"),
    Field(
        "stars",
        int,
        "Predicted rating, 1-10; null for a model without a stars model, or a review "
        "with no known words",
        True,
        "int8",
    ),
    Field(
        "uncertain",
        bool,
        "The probability is inside the model's uncertain zone, so the label is uncertain",
        False,
        "bool",
        False,
    ),
    Field(
        "short_text",
        bool,
        "Fewer tokens than the model's short-text limit (50 by default): labeled by its "
        "short-text uncertain zone",
        False,
        "bool",
        False,
    ),
    Field(
        "no_known_words",
        bool,
        "None of its words is in the model's vocabulary: the score is only the model's prior",
        False,
        "bool",
        False,
    ),
    Field("chunks", int, "Windows the review was read in (0: not scored)", False, "int32", 0),
    Field("error", str, "Why this review could not be scored; null when scored", True, "string"),
)
NAMES: tuple[str, ...] = tuple(field.name for field in FIELDS)
FIELD = {field.name: field for field in FIELDS}


def unscored(error: str) -> dict:
    """The record of a review that could not be scored, ``error`` saying why."""
    return {field.name: field.missing for field in FIELDS} | {"error": error}


def record_class(name: str, module: str, doc: str) -> type:
    """A frozen dataclass with the record's fields in order (``Prediction``), so the
    library's type cannot lack a field the others carry."""
    annotations = [
        (field.name, field.kind | None if field.nullable else field.kind) for field in FIELDS
    ]
    made = dataclasses.make_dataclass(name, annotations, frozen=True)
    made.__doc__ = doc
    made.__module__ = module
    made.to_dict = lambda self: dataclasses.asdict(self)
    return made
