"""The ``movie-sentiment`` command: data, train, evaluate, predict, models.

A front end only: every command composes library calls. User mistakes
(``MovieSentimentError``) become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from movie_sentiment.errors import MovieSentimentError

app = typer.Typer(
    help="Sentiment of movie reviews: the Keras IMDB tutorials as a tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Look at the IMDB data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="IMDB aclImdb_v1.tar.gz or extracted aclImdb/ folder "
        "(default: $MOVIE_SENTIMENT_DATA, then the cache, then download).",
    ),
]


def _print(text: str = "") -> None:
    typer.echo(text)


# -- data --------------------------------------------------------------------------------
@data_app.command("info")
def data_info(data: DataOption = None) -> None:
    """Reviews per split and label, and review length percentiles (in words)."""
    import numpy as np

    from movie_sentiment.data.imdb import ImdbCache

    cache = ImdbCache.open(data)
    _print(f"Source: {cache.meta['source']}")
    _print(f"sha256: {cache.meta['sha256']}")
    _print(
        f"{'split':<6} {'reviews':>8} {'positive':>9} {'negative':>9} {'unlabeled':>10}"
        f"   words: p10   p50   p90    max"
    )
    for split in ("train", "test", "unsup"):
        arrays = cache.arrays(split, "labels", "token_offsets")
        labels = arrays["labels"]
        lengths = np.diff(arrays["token_offsets"])
        p10, p50, p90 = np.percentile(lengths, [10, 50, 90]) if len(lengths) else (0, 0, 0)
        _print(
            f"{split:<6} {len(labels):>8,} {int((labels == 1).sum()):>9,} "
            f"{int((labels == 0).sum()):>9,} {int((labels == -1).sum()):>10,}"
            f"   {p10:>10.0f} {p50:>5.0f} {p90:>5.0f} {lengths.max(initial=0):>6}"
        )


@data_app.command("show")
def data_show(
    split: Annotated[str, typer.Option(help="train, test or unsup")] = "train",
    index: Annotated[
        int, typer.Option(help="Position of the review in the split (archive order).")
    ] = 0,
    num_words: Annotated[
        int, typer.Option(help="Keep the most frequent words, as load_data.")
    ] = 10000,
    data: DataOption = None,
) -> None:
    """One review as the notebooks show it: raw text, Keras-style ids, decoded text."""
    from movie_sentiment.data.imdb import ImdbCache, _keras_ranks, decode_review
    from movie_sentiment.errors import ConfigError
    from movie_sentiment.text.tokenize import Tokenized

    cache = ImdbCache.open(data)
    arrays = cache.arrays(split)
    tokens = Tokenized(arrays["token_ids"], arrays["token_offsets"], cache.vocabulary)
    if not 0 <= index < len(tokens):
        raise ConfigError(f"--index must be from 0 to {len(tokens) - 1} for the {split} split")
    bounds = arrays["text_offsets"]
    text = arrays["text"].tobytes().decode("utf-8")[bounds[index] : bounds[index + 1]]
    ranks, ranked = _keras_ranks(cache)
    word_ids = ranks[tokens.select([index]).ids] + 3
    ids = [1] + [int(i) if i < num_words else 2 for i in word_ids]
    label = {1: "positive", 0: "negative", -1: "unlabeled"}[int(arrays["labels"][index])]
    _print(
        f"Review {split}[{index}] (id {arrays['ids'][index]}, {arrays['ratings'][index]} stars, "
        f"{label}), {len(ids)} ids with the start mark"
    )
    _print("\nRaw text:\n" + text)
    _print(f"\nEncoded (num_words={num_words}, start_char=1, oov_char=2, index_from=3):\n{ids}")
    word_index = {word: rank for rank, word in enumerate(ranked, start=1)}
    _print("\nDecoded:\n" + decode_review(ids, word_index=word_index))


# -- models ------------------------------------------------------------------------------
@app.command("models")
def models_command(
    name: Annotated[
        str | None, typer.Argument(help="A family: print its default settings as JSON.")
    ] = None,
) -> None:
    """List the model families with their parameter counts at default settings, or print
    one family's defaults (override them with `train --config FILE`)."""
    from movie_sentiment.models import families, get_family
    from movie_sentiment.text.encoder import TextEncoder

    if name is not None:
        defaults = get_family(name).defaults
        _print(
            json.dumps(
                {
                    "model": name,
                    "encoder": defaults["encoder"],
                    "model_options": defaults["model"],
                    **defaults["training"],
                },
                indent=2,
            )
        )
        return
    _print(f"{'name':<10} {'parameters':>11}  description")
    for family in families():
        settings = dict(family.defaults["encoder"])
        if family.train is not None:
            _print(f"{family.name:<10} {'members':>11}  {family.summary}")
            continue
        if settings.pop("kind", "words") != "words":
            # n-gram models have a weight per n-gram kept, so their size follows the data.
            _print(f"{family.name:<10} {'per data':>11}  {family.summary}")
            continue
        # A placeholder vocabulary as large as num_words gives the real layer sizes.
        encoder = TextEncoder(
            **settings, vocabulary_=[f"w{i}" for i in range(settings["num_words"])]
        )
        model = family.build(family.defaults["model"], encoder)
        _print(f"{family.name:<10} {model.count_params():>11,}  {family.summary}")


# -- train / evaluate --------------------------------------------------------------------
@app.command("train")
def train_command(
    model: Annotated[
        str | None,
        typer.Option(help="Model family (see `movie-sentiment models`; default tutorial)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Run folder (default: a new one under runs/).")
    ] = None,
    data: DataOption = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the family's).")] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Batch size (default: the family's).")
    ] = None,
    validation_size: Annotated[
        int | None, typer.Option(help="Reviews carved from train for validation.")
    ] = None,
    validate_on_test: Annotated[
        bool, typer.Option(help="Validate on the test split, as the MS Learn notebook does.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option(help="Seed for the split, initialization and shuffling (42).")
    ] = None,
    early_stopping: Annotated[
        int | None, typer.Option(help="Stop after this many epochs without validation-loss gain.")
    ] = None,
    checkpoint: Annotated[
        bool, typer.Option(help="Keep the best epoch (validation loss).")
    ] = False,
    config: Annotated[
        Path | None, typer.Option(help="TrainConfig as JSON; options override it.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing run folder.")] = False,
) -> None:
    """Train a model on IMDB; prints the test figures and the saved bundle's path."""
    from movie_sentiment.evaluation.metrics import format_metrics
    from movie_sentiment.training import TrainConfig, train

    base = TrainConfig.from_json(config).to_dict() if config else {}
    given = {
        "model": model,
        "out": str(out) if out else None,
        "data": str(data) if data else None,
        "epochs": epochs,
        "batch_size": batch_size,
        "validation_size": validation_size,
        "early_stopping": early_stopping,
        "seed": seed,
    }
    base.update({k: v for k, v in given.items() if v is not None})
    flags = {"validate_on_test": validate_on_test, "force": force}
    base.update({name: True for name, on in flags.items() if on})
    base.setdefault("model", "tutorial")
    result = train(TrainConfig.from_dict(base))
    if "validation" in result.metrics:
        _print(f"Validation accuracy: {result.metrics['validation']['accuracy']:.4f}")
    _print(format_metrics(result.metrics["test"]))
    _print(f"Trained in {result.seconds:.1f} s; run folder: {result.run_dir}")
    _print(f"Saved bundle: {result.bundle_dir}")


@app.command("evaluate")
def evaluate_command(
    bundle: Annotated[Path, typer.Argument(help="A run folder or a bundle folder.")],
    data: DataOption = None,
) -> None:
    """Score a saved model on the IMDB test split."""
    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.data.imdb import load_reviews
    from movie_sentiment.evaluation.metrics import classification_metrics, format_metrics

    model = SentimentModel.load(bundle)
    test = load_reviews("test", data)
    ids = model.encoder.transform(test.tokens if test.tokens is not None else test.texts)
    _print(format_metrics(classification_metrics(test.labels, model.predict_encoded(ids))))


# -- predict -----------------------------------------------------------------------------
@app.command("predict")
def predict_command(
    bundle: Annotated[Path, typer.Argument(help="A run folder or a bundle folder.")],
    texts: Annotated[list[str] | None, typer.Argument(help="Reviews to score.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Reviews in a .txt, .csv or .jsonl file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Score reviews: label and probability of positive for each."""
    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.data.files import read_texts
    from movie_sentiment.errors import InvalidInputError

    if file is not None and texts:
        raise InvalidInputError("give reviews as arguments or with --file, not both")
    reviews = read_texts(file) if file is not None else list(texts or [])
    if not reviews:
        raise InvalidInputError('no reviews given: pass "text" arguments or --file PATH')
    model = SentimentModel.load(bundle)
    for text, prediction in zip(reviews, model.predict(reviews), strict=True):
        if as_json:
            _print(json.dumps({"text": text, **prediction.to_dict()}, ensure_ascii=False))
        else:
            snippet = " ".join(text.split())
            snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
            _print(f"{prediction.label:<8} {prediction.positive_probability:.4f}  {snippet}")


def main() -> None:
    """Console entry point: one-line errors for user mistakes."""
    try:
        app()
    except MovieSentimentError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
