"""``movie-sentiment evaluate``: a saved model's figures on IMDB's test split or on a
user's own labeled reviews, with how different those are and what to do about it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from movie_sentiment.cli.interrupts import load_model
from movie_sentiment.cli.options import (
    BundleArgument,
    LabelColumnOption,
    LabeledDataOption,
    PositiveLabelOption,
    RatingColumnOption,
    RatingScaleOption,
    RatingThresholdOption,
    TextColumnOption,
    label_options,
)
from movie_sentiment.cli.rendering import echo, warn

ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Write the evaluation page here (default for your own data: the run "
        "folder's evaluations/NAME.html).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")]
EVALUATIONS = "evaluations"


def evaluate_command(
    bundle: BundleArgument,
    data: LabeledDataOption = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    rating_column: RatingColumnOption = None,
    positive_label: PositiveLabelOption = None,
    rating_scale: RatingScaleOption = None,
    rating_threshold: RatingThresholdOption = None,
    report: ReportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure a saved model on IMDB's test split, or on your own labeled reviews
    (--data FILE): accuracy, P/R/F1, AUC, calibration, uncertain zone, stars, and how
    different the data is from what the model learned."""
    from movie_sentiment.bundle.measure import measure
    from movie_sentiment.data.labeled import is_imdb, read_labeled
    from movie_sentiment.evaluation.metrics import format_measured

    options = label_options(
        text_column, label_column, rating_column, positive_label, rating_scale, rating_threshold
    )
    model = load_model(bundle)
    if is_imdb(data):
        from movie_sentiment.data.imdb import load_reviews

        reviews = load_reviews("test", None if str(data).lower() == "imdb" else data)
        described = {"source": "IMDB test split", "sha256": reviews.checksum, "notes": []}
        title = "Test"
    else:
        labeled = read_labeled(data, options)
        for line in labeled.notes:
            warn(line)
        reviews = labeled.dataset("own")
        described = {**labeled.describe(), "notes": labeled.notes}
        title = data.name
        if report is None and (bundle / "bundle").is_dir():  # a run folder
            report = bundle / EVALUATIONS / f"{data.stem}.html"
    rated = reviews.ratings if (reviews.ratings > 0).any() else None
    figures = measure(model, reviews.texts, reviews.labels, rated)
    if as_json:
        echo(json.dumps({"data": described, **figures}, allow_nan=False))
    else:
        echo(format_measured(figures, title))
    if report is not None:
        from movie_sentiment.training.report import write_evaluation

        report.parent.mkdir(parents=True, exist_ok=True)
        path = write_evaluation(report, model, figures, described, reviews)
        if not as_json:
            echo(f"Evaluation page: {path}")
