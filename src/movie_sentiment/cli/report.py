"""``movie-sentiment report RUN``: write a run's report page again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from movie_sentiment.cli.interrupts import load_model
from movie_sentiment.cli.options import DataOption
from movie_sentiment.cli.rendering import echo
from movie_sentiment.errors import InvalidInputError


def report_command(
    run: Annotated[Path, typer.Argument(help="A run folder (from train).")],
    data: DataOption = None,
) -> None:
    """Write RUN/report.html: one self-contained page with the model card, the metrics,
    every plot and a few explained test reviews (right, wrong, uncertain). Train writes
    it too."""
    from movie_sentiment.data.imdb import load_reviews
    from movie_sentiment.training.report import write_report
    from movie_sentiment.training.train import is_run_folder

    if not is_run_folder(run):
        raise InvalidInputError(f"{run} is not a run folder (no config.json and bundle/ in it)")
    model = load_model(run)
    test = _own_test(run) if "own" in (model.card.data if model.card else {}) else None
    if test is None:
        test = load_reviews("test", data)
    path = write_report(run, model, test, f"Run: {run}")
    echo(f"Wrote {path}")


def _own_test(run: Path):
    """The test reviews of a run on a user's own data, read again as the run read them
    (its config.json names the files; a file no longer there is one error line)."""
    from movie_sentiment.training.config import TrainConfig, read_settings
    from movie_sentiment.training.own_data import own_splits

    config = TrainConfig.from_dict(read_settings(run / "config.json"))
    if not config.own_data:
        raise InvalidInputError(
            f"{run}/config.json does not name the data the model was trained on; "
            "train it again to report on its test reviews"
        )
    return own_splits(config).test
