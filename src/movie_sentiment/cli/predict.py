"""``movie-sentiment predict``: score reviews, one output row per input row."""

from __future__ import annotations

from typing import Annotated

import typer

from movie_sentiment.cli.interrupts import load_model
from movie_sentiment.cli.options import BundleArgument, FileOption, ReviewsArgument, TargetOption
from movie_sentiment.cli.rendering import SNIPPET, echo, json_line, snippet
from movie_sentiment.cli.reviews import read_reviews, scored_rows, warn_rows


def predict_command(
    bundle: BundleArgument,
    texts: ReviewsArgument = None,
    file: FileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    target: TargetOption = None,
) -> None:
    """Score reviews: label (positive, negative, or uncertain), probability of positive
    and stars (1-10) for each, one output row per input row, named by its line in the
    file (or its position among the arguments). Rows that cannot be scored (empty, not
    text) are error rows, listed on stderr."""
    rows = read_reviews(texts, file)
    model = load_model(bundle)
    records = scored_rows(model, rows, explain=False, target=target)
    if as_json:
        for record in records:
            echo(json_line(record))
    else:
        print_table(records)
    warn_rows(records)


# The widest cell of each kind: "uncertain", "-12.3456", "yes", a count.
CELL_WIDTH = {str: 9, float: 8, bool: 3, int: 5}


def print_table(records: list[dict]) -> None:
    """The plain table: the line, every field of the score record (``bundle/record.py``)
    under its name, the start of the review, and last the error of a row not scored."""
    from movie_sentiment.bundle.record import FIELDS

    shown = [field for field in FIELDS if field.name != "error"]
    widths = [max(len(field.name), CELL_WIDTH[field.kind]) for field in shown]
    header = [f"{'line':>5}"] + [f"{f.name:<{w}}" for f, w in zip(shown, widths, strict=True)]
    echo("  ".join([*header, f"{'review':<{SNIPPET}}", "error"]).rstrip())
    for record in records:
        cells = [f"{record['line']:>5}"]
        for field, width in zip(shown, widths, strict=True):
            cells.append(f"{_cell(field.kind, record[field.name]):<{width}}")
        cells.append(f"{snippet(record['text'] or ''):<{SNIPPET}}")
        cells.append("-" if record["error"] is None else record["error"])
        echo("  ".join(cells))


def _cell(kind: type, value) -> str:
    """One value of the record as a table cell: ``-`` for none, yes/no, 4 decimals."""
    if value is None:
        return "-"
    if kind is bool:
        return "yes" if value else "no"
    if kind is float:
        return f"{value:.4f}"
    return str(value)
