"""``movie-sentiment train``: train a model on IMDB and print where it is.

The command only gathers the settings into a ``TrainConfig`` (checked before Keras
starts, so a mistake answers at once) and makes one call into ``training``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from movie_sentiment.cli.interrupts import start_keras
from movie_sentiment.cli.options import (
    LabelColumnOption,
    PositiveLabelOption,
    RatingColumnOption,
    RatingScaleOption,
    RatingThresholdOption,
    TextColumnOption,
    label_options,
)
from movie_sentiment.cli.rendering import echo
from movie_sentiment.errors import InvalidInputError

FamilyOption = Annotated[
    str | None,
    typer.Option(help="Model family (see `movie-sentiment families`; default tutorial)."),
]
RecipeOption = Annotated[
    str | None,
    typer.Option(help="Training recipe: single, ensemble or distilled (default: the family's)."),
]
OutOption = Annotated[
    Path | None, typer.Option(help="Run folder (default: a new one under runs/).")
]
EpochsOption = Annotated[int | None, typer.Option(help="Epochs (default: the family's).")]
BatchSizeOption = Annotated[int | None, typer.Option(help="Batch size (default: the family's).")]
ValidationSizeOption = Annotated[
    int | None, typer.Option(help="Reviews carved from train for validation.")
]
ValidationSplitOption = Annotated[
    str | None,
    typer.Option(
        help="IMDB's validation: any 'reviews' (default), or whole 'movies', none of them "
        "in the training part (as test shares none with train)."
    ),
]
ValidateOnTestOption = Annotated[
    bool, typer.Option(help="Validate on the test split, as the MS Learn notebook does.")
]
SeedOption = Annotated[
    int | None, typer.Option(help="Seed for the split, initialization and shuffling (42).")
]
EarlyStoppingOption = Annotated[
    int | None, typer.Option(help="Stop after this many epochs without validation-loss gain.")
]
CheckpointOption = Annotated[
    bool | None,
    typer.Option(
        "--checkpoint/--no-checkpoint",
        help="Keep the epoch with the lowest validation loss, or the last one "
        "(default: the family's).",
    ),
]
SentenceExamplesOption = Annotated[
    int | None,
    typer.Option(
        help="Also train on each review's last 1..N sentences, labeled as the review "
        "(0: none; default: the family's)."
    ),
]
SentenceWeightOption = Annotated[
    float | None,
    typer.Option(
        help="Weight of each such sentence example, above 0 to 1 (reviews weigh 1; "
        "default: the family's)."
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option(help="TrainConfig as JSON; options override it.")
]
ForceOption = Annotated[
    bool, typer.Option(help="Replace an existing run folder (only a run of ours).")
]
ResumeOption = Annotated[
    Path | None,
    typer.Option(
        help="Go on with an interrupted run (its run folder, as printed when it "
        "started); the same command with --out does too."
    ),
]


TrainDataOption = Annotated[
    list[str] | None,
    typer.Option(
        "--data",
        help="What to train on, repeatable: IMDB (the archive, an aclImdb/ folder, or "
        "'imdb'; the default) and/or your labeled reviews (.csv, .tsv, .jsonl, .parquet, "
        "or a folder of pos/ and neg/ .txt files). --data imdb --data mine.csv: both.",
    ),
]
WeightOption = Annotated[
    list[float] | None,
    typer.Option(
        "--weight", help="Each --data source's weight, in the same order (default 1 each)."
    ),
]
TestDataOption = Annotated[
    Path | None,
    typer.Option(help="Your own labeled test set (default: a stratified part of your data)."),
]
TestFractionOption = Annotated[
    float | None,
    typer.Option(help="The share of your data carved for test when no --test-data (0.2)."),
]
CrossValidationOption = Annotated[
    str | None,
    typer.Option(
        "--cv",
        metavar="K",
        help="Cross-validate on your data in K stratified folds (2 to 20) instead of a "
        "test split; the saved model is then trained on all of it.",
    ),
]


def train_command(
    family: FamilyOption = None,
    recipe: RecipeOption = None,
    out: OutOption = None,
    data: TrainDataOption = None,
    weight: WeightOption = None,
    test_data: TestDataOption = None,
    test_fraction: TestFractionOption = None,
    cv: CrossValidationOption = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    rating_column: RatingColumnOption = None,
    positive_label: PositiveLabelOption = None,
    rating_scale: RatingScaleOption = None,
    rating_threshold: RatingThresholdOption = None,
    epochs: EpochsOption = None,
    batch_size: BatchSizeOption = None,
    validation_size: ValidationSizeOption = None,
    validation_split: ValidationSplitOption = None,
    validate_on_test: ValidateOnTestOption = False,
    seed: SeedOption = None,
    early_stopping: EarlyStoppingOption = None,
    checkpoint: CheckpointOption = None,
    sentence_examples: SentenceExamplesOption = None,
    sentence_weight: SentenceWeightOption = None,
    config: ConfigOption = None,
    force: ForceOption = False,
    resume: ResumeOption = None,
) -> None:
    """Train a model on IMDB, your own labeled reviews, or both; prints the test figures
    and the saved bundle's path. An interrupted run goes on where it stopped with
    --resume RUN (or the same command)."""
    labels = label_options(
        text_column, label_column, rating_column, positive_label, rating_scale, rating_threshold
    )
    given = {
        "family": family,
        "recipe": recipe,
        "out": str(out) if out else None,
        **_sources(data, weight),
        "test_data": str(test_data) if test_data else None,
        "test_fraction": test_fraction,
        "cv": _folds(cv, test_fraction),
        "labels": {k: v for k, v in vars(labels).items() if v is not None} or None,
        "epochs": epochs,
        "batch_size": batch_size,
        "validation_size": validation_size,
        "validation_split": validation_split,
        "early_stopping": early_stopping,
        "seed": seed,
        "checkpoint": checkpoint,
        "sentence_examples": sentence_examples,
        "sentence_weight": sentence_weight,
    }
    flags = {"validate_on_test": validate_on_test, "force": force}
    if resume is not None:
        train_config = _resumed_config(resume, given, flags, config)
    else:
        train_config = _given_config(config, given, flags)
    _run(train_config)


def _folds(cv: str | None, test_fraction: float | None) -> int | None:
    """``--cv K`` as a whole number (read here, so "--cv x" is one line like every other
    mistake in it); with --test-fraction it is refused, whatever the fraction."""
    if cv is None:
        return None
    try:
        folds = int(cv)
    except ValueError:
        raise InvalidInputError(f"--cv must be a whole number of folds, not {cv!r}") from None
    if test_fraction is not None:
        raise InvalidInputError(
            "--cv measures on each fold in turn, so no test split is carved: "
            "give --cv or --test-fraction, not both"
        )
    return folds


def _sources(data: list[str] | None, weights: list[float] | None) -> dict:
    """The config's data settings from the --data sources (IMDB and/or own files) and
    their --weight; none given: nothing (IMDB, resolved as documented)."""
    from movie_sentiment.data.labeled import is_imdb

    if not data:
        if weights:
            raise InvalidInputError("--weight weighs the --data sources; give them too")
        return {}
    if weights and len(weights) != len(data):
        raise InvalidInputError(
            f"{len(weights)} --weight for {len(data)} --data sources: give one each, in order"
        )
    weights = weights or [1.0] * len(data)
    imdb = [(item, w) for item, w in zip(data, weights, strict=True) if is_imdb(item)]
    own = [(item, w) for item, w in zip(data, weights, strict=True) if not is_imdb(item)]
    if len(imdb) > 1:
        raise InvalidInputError("IMDB is given twice as --data; give it once")
    settings: dict = {"imdb": bool(imdb)}
    if imdb and imdb[0][0].lower() != "imdb":
        settings["data"] = imdb[0][0]
    if imdb:
        settings["imdb_weight"] = imdb[0][1]
    if own:
        settings["own_data"] = [item for item, _ in own]
        settings["own_weights"] = [w for _, w in own]
    return settings


def _resumed_config(resume: Path, given: dict, flags: dict, config: Path | None):
    """The interrupted run's own config; any other setting given is a mistake."""
    from movie_sentiment.training import TrainConfig
    from movie_sentiment.training.resume import interrupted_config

    if config is not None or any(v is not None for v in given.values()) or any(flags.values()):
        raise InvalidInputError("--resume goes on with the run's own settings; give no others")
    return TrainConfig.from_dict(interrupted_config(resume))


def _given_config(config: Path | None, given: dict, flags: dict):
    """The config file's settings, overridden by the options given."""
    from movie_sentiment.training import TrainConfig
    from movie_sentiment.training.config import read_settings

    settings = read_settings(config) if config else {}
    settings.update({name: value for name, value in given.items() if value is not None})
    settings.update({name: True for name, on in flags.items() if on})
    return TrainConfig.from_dict(settings)  # checked before Keras starts: mistakes at once


def _run(train_config) -> None:
    """The one call into training (Keras started with Ctrl-C held), then its figures."""
    from movie_sentiment.training import train

    start_keras()
    print_trained(train(train_config))


def print_trained(result) -> None:
    """A finished run's figures and where it is."""
    from movie_sentiment.evaluation.metrics import format_cross_validation

    if "validation" in result.metrics:
        echo(f"Validation accuracy: {result.metrics['validation']['accuracy']:.4f}")
    if "cross_validation" in result.metrics:  # no test split: the folds' figures instead
        echo(format_cross_validation(result.metrics["cross_validation"]))
    if "test" in result.metrics:
        _print_test(result.metrics["test"])
    echo(f"Trained in {result.seconds:.1f} s; run folder: {result.run_dir}")
    echo(f"Saved bundle: {result.bundle_dir}")
    echo(f"Report: {result.run_dir / 'report.html'}")


def _print_test(test: dict) -> None:
    """A run's test figures."""
    from movie_sentiment.evaluation.metrics import format_metrics

    echo(format_metrics(test))
    if "stars" in test:
        echo(
            f"Test stars: MAE {test['stars']['mae']:.3f} (polarity baseline "
            f"{test['stars_baseline']['mae']:.3f}), exact {test['stars']['exact']:.1%}"
        )
    if "uncertain" in test:
        echo(_uncertain_zone_line(test["uncertain"]))


def _uncertain_zone_line(zone: dict) -> str:
    """The uncertain zone's test figures on one line."""
    answered = zone["answered_accuracy"]
    line = f"Uncertain zone: {zone['coverage']:.1%} of test answered"
    if answered is not None:
        line += f" at {answered:.1%} accuracy"
    line += (
        f" (target {zone['target_accuracy']:.0%}; uncertain from {zone['band'][0]:.3f} "
        f"to {zone['band'][1]:.3f}"
    )
    if "short_band" in zone:
        line += (
            f", for texts under {zone['short_under_words']} tokens "
            f"{zone['short_band'][0]:.3f} to {zone['short_band'][1]:.3f}"
        )
    return line + ")"
