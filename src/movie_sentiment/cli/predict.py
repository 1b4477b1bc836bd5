"""``movie-sentiment predict``: score reviews, one output row per input row."""

from __future__ import annotations

from typing import Annotated

import typer

from movie_sentiment.cli.interrupts import load_model
from movie_sentiment.cli.options import BundleArgument, FileOption, ReviewsArgument, TargetOption
from movie_sentiment.cli.rendering import echo, json_line, snippet
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


def print_table(records: list[dict]) -> None:
    """The plain table: line, label, probability of positive, stars and the review."""
    echo(f"{'line':>5}  {'label':<9}  {'positive':>8}  {'stars':>5}  review")
    for record in records:
        if record["error"] is not None:
            echo(f"{record['line']:>5}  {'-':<9}  {'-':>8}  {'-':>5}  error: {record['error']}")
            continue
        note = "  (no known words)" if record["no_known_words"] else ""
        stars = "-" if record["stars"] is None else str(record["stars"])
        echo(
            f"{record['line']:>5}  {record['label']:<9}  "
            f"{record['positive_probability']:>8.4f}  {stars:>5}  "
            f"{snippet(record['text'])}{note}"
        )
