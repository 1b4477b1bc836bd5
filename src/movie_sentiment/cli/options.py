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
