"""Arguments and options more than one command takes, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="IMDB aclImdb_v1.tar.gz or extracted aclImdb/ folder "
        "(default: $MOVIE_SENTIMENT_DATA, then the cache, then download).",
    ),
]
BundleArgument = Annotated[Path, typer.Argument(help="A run folder or a bundle folder.")]
TargetOption = Annotated[
    float | None,
    typer.Option(
        "--target-accuracy",
        help="Accuracy wanted on the answered reviews; less sure ones are labeled "
        "uncertain (default: the bundle's, 0.97).",
    ),
]
ReviewsArgument = Annotated[list[str] | None, typer.Argument(help="Reviews to score.")]
FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="Reviews in a .txt (a line each), .csv or .jsonl file."),
]
LabeledDataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="IMDB (the archive, an aclImdb/ folder, or 'imdb'; the default: "
        "$MOVIE_SENTIMENT_DATA, the cache, the download) or your labeled reviews: a .csv, "
        ".tsv, .jsonl or .parquet file, or a folder of pos/ and neg/ .txt files.",
    ),
]
TextColumnOption = Annotated[
    str | None,
    typer.Option(help="Your data's text column (default: text, review, sentence, content, body)."),
]
LabelColumnOption = Annotated[
    str | None,
    typer.Option(help="Its label column (default: label, sentiment, polarity, class, target)."),
]
RatingColumnOption = Annotated[
    str | None,
    typer.Option(help="Its numeric rating column (default: rating, stars, score)."),
]
PositiveLabelOption = Annotated[
    str | None,
    typer.Option(help="The label value that means positive, for labels other than pos/neg, 1/0..."),
]
RatingScaleOption = Annotated[
    str | None,
    typer.Option(help="The ratings' scale as LOW,HIGH (default: the data's lowest and highest)."),
]
RatingThresholdOption = Annotated[
    float | None,
    typer.Option(help="Ratings above are positive, below negative (default: the scale's middle)."),
]


def label_options(
    text_column: str | None,
    label_column: str | None,
    rating_column: str | None,
    positive_label: str | None,
    rating_scale: str | None,
    rating_threshold: float | None,
):
    """The ``LabelOptions`` the options above give; a scale that is not LOW,HIGH is one
    error line."""
    from movie_sentiment.data.labeled import LabelOptions
    from movie_sentiment.errors import InvalidInputError

    scale = None
    if rating_scale is not None:
        try:
            low, high = (float(part) for part in rating_scale.split(","))
        except ValueError:
            raise InvalidInputError(
                f"--rating-scale must be LOW,HIGH (two numbers), not {rating_scale!r}"
            ) from None
        if not low < high:
            raise InvalidInputError(f"--rating-scale {rating_scale}: LOW must be below HIGH")
        scale = (low, high)
    return LabelOptions(
        text_column, label_column, rating_column, positive_label, scale, rating_threshold
    )
