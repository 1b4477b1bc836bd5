"""The ``movie-sentiment`` command: data, families, train, evaluate, predict, explain,
report, serve.

A front end only: every command composes library calls. User mistakes
(``MovieSentimentError``, and Click's usage errors such as ``--epochs abc``) become one
``error:`` line on stderr and exit code 2, never a traceback or a box.

Heavy libraries (Keras, scikit-learn) are imported inside the commands that use them, so
``--help`` answers at once.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from typer.exceptions import TyperException

from movie_sentiment.errors import (
    InvalidInputError,
    ModelFailedError,
    MovieSentimentError,
    OutputExistsError,
)

app = typer.Typer(
    help="Sentiment of movie reviews: the Keras IMDB tutorials as a tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
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
SNIPPET = 60  # characters of a review shown in the plain prediction table
# C0 controls but tab and line feed, DEL and C1 controls (a terminal acts on them all).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Set by Ctrl-C (``_on_interrupt``); while Keras starts up, Ctrl-C only sets it.
INTERRUPTED = threading.Event()
_DEFERRING = threading.Event()


def terminal_text(text: str) -> str:
    """``text`` safe for a terminal: control characters escaped (``\\x1b``), so a review
    cannot set the window title, clear the screen or write the clipboard (OSC 52)."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _print(text: str = "") -> None:
    typer.echo(terminal_text(text))


def _warn(text: str) -> None:
    typer.echo(f"warning: {terminal_text(text)}", err=True)


def _stop_if_interrupted() -> None:
    """Stop (exit 130, nothing printed) if Ctrl-C came while it could not act."""
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def _interrupts_held():
    """Ctrl-C held until the block is done, then acted on: Keras, JAX and XLA start up
    in it, and a KeyboardInterrupt raised inside them is lost in JAX's garbage-collector
    callback (the command then went on: every score printed, a whole run trained) or
    crashes the process."""
    _DEFERRING.set()
    try:
        yield
    finally:
        _DEFERRING.clear()
    _stop_if_interrupted()


def _load_model(bundle: Path):
    """``SentimentModel.load(bundle)``, Ctrl-C held meanwhile (``_interrupts_held``), as
    Keras starts up in it."""
    with _interrupts_held():
        from movie_sentiment.bundle import SentimentModel

        return SentimentModel.load(bundle)


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
    from movie_sentiment.data.imdb import show_review

    review = show_review(split, index, data, num_words=num_words)
    label = {1: "positive", 0: "negative", -1: "unlabeled"}[review.label]
    _print(
        f"Review {split}[{index}] (id {review.review_id}, {review.rating} stars, {label}), "
        f"{len(review.ids)} ids with the start mark"
    )
    _print("\nRaw text:\n" + review.text)
    _print(f"\nEncoded (num_words={num_words}, start_char=1, oov_char=2, index_from=3):")
    _print(str(review.ids))
    _print("\nDecoded:\n" + review.decoded)


# -- families ----------------------------------------------------------------------------
@app.command("families")
def families_command(
    name: Annotated[
        str | None, typer.Argument(help="A family: print its default settings as JSON.")
    ] = None,
) -> None:
    """List the model families with their parameter counts at default settings, or print
    one family's defaults (edit them, then `train --config FILE`)."""
    from movie_sentiment.models import families, get_family
    from movie_sentiment.text.encoder import TextEncoder

    if name is not None:
        family = get_family(name)
        defaults = family.defaults
        settings = {
            "family": name,
            "encoder": defaults["encoder"],
            "family_options": defaults["family_options"],
            **defaults["training"],
        }
        _print(json.dumps(settings, indent=2))
        return
    _print(f"{'name':<10} {'parameters':>11}  description")
    for family in families():
        settings = dict(family.defaults["encoder"])
        if family.recipe == "ensemble":
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
        keras_model = family.build(family.defaults["family_options"], encoder)
        _print(f"{family.name:<10} {keras_model.count_params():>11,}  {family.summary}")


# -- train / evaluate --------------------------------------------------------------------
@app.command("train")
def train_command(
    family: Annotated[
        str | None,
        typer.Option(help="Model family (see `movie-sentiment families`; default tutorial)."),
    ] = None,
    recipe: Annotated[
        str | None,
        typer.Option(
            help="Training recipe: single, ensemble or distilled (default: the family's)."
        ),
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
        bool | None,
        typer.Option(
            "--checkpoint/--no-checkpoint",
            help="Keep the epoch with the lowest validation loss, or the last one "
            "(default: the family's).",
        ),
    ] = None,
    sentence_examples: Annotated[
        int | None,
        typer.Option(
            help="Also train on each review's last 1..N sentences, labeled as the review "
            "(0: none; default: the family's)."
        ),
    ] = None,
    sentence_weight: Annotated[
        float | None,
        typer.Option(
            help="Weight of each such sentence example, above 0 to 1 (reviews weigh 1; "
            "default: the family's)."
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="TrainConfig as JSON; options override it.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace an existing run folder (only a run of ours).")
    ] = False,
    resume: Annotated[
        Path | None,
        typer.Option(
            help="Go on with an interrupted run (its run folder, as printed when it "
            "started); the same command with --out does too."
        ),
    ] = None,
) -> None:
    """Train a model on IMDB; prints the test figures and the saved bundle's path. An
    interrupted run goes on where it stopped with --resume RUN (or the same command)."""
    from movie_sentiment.training import TrainConfig, train
    from movie_sentiment.training.config import read_settings
    from movie_sentiment.training.resume import interrupted_config

    if resume is not None:
        others = [family, recipe, out, data, epochs, batch_size, validation_size, seed,
                  early_stopping, checkpoint, sentence_examples, sentence_weight,
                  config]  # fmt: skip
        others += [True] * (validate_on_test or force)
        if any(value is not None for value in others):
            raise InvalidInputError("--resume goes on with the run's own settings; give no others")
        config = TrainConfig.from_dict(interrupted_config(resume))
        _start_keras()
        _print_trained(train(config))
        return
    base = read_settings(config) if config else {}
    given = {
        "family": family,
        "recipe": recipe,
        "out": str(out) if out else None,
        "data": str(data) if data else None,
        "epochs": epochs,
        "batch_size": batch_size,
        "validation_size": validation_size,
        "early_stopping": early_stopping,
        "seed": seed,
        "checkpoint": checkpoint,
        "sentence_examples": sentence_examples,
        "sentence_weight": sentence_weight,
    }
    base.update({k: v for k, v in given.items() if v is not None})
    flags = {"validate_on_test": validate_on_test, "force": force}
    base.update({name: True for name, on in flags.items() if on})
    config = TrainConfig.from_dict(base)  # checked before Keras starts: mistakes at once
    _start_keras()
    _print_trained(train(config))


def _start_keras() -> None:
    """Import Keras (and JAX) with Ctrl-C held, so it is not lost in their start-up."""
    with _interrupts_held():
        import keras  # noqa: F401


def _print_trained(result) -> None:
    """A finished run's figures and where it is."""
    from movie_sentiment.evaluation.metrics import format_metrics

    if "validation" in result.metrics:
        _print(f"Validation accuracy: {result.metrics['validation']['accuracy']:.4f}")
    test = result.metrics["test"]
    _print(format_metrics(test))
    if "ratings" in test:
        _print(
            f"Test stars: MAE {test['ratings']['mae']:.3f} (polarity baseline "
            f"{test['ratings_baseline']['mae']:.3f}), exact {test['ratings']['exact']:.1%}"
        )
    if "uncertain" in test:
        zone = test["uncertain"]
        answered = zone["answered_accuracy"]
        _print(
            f"Uncertain zone: {zone['coverage']:.1%} of test answered"
            + (f" at {answered:.1%} accuracy" if answered is not None else "")
            + f" (target {zone['target_accuracy']:.0%}; uncertain from {zone['band'][0]:.3f} "
            + f"to {zone['band'][1]:.3f}"
            + (
                f", for texts under {zone['short_under_words']} tokens "
                f"{zone['short_band'][0]:.3f} to {zone['short_band'][1]:.3f}"
                if "short_band" in zone
                else ""
            )
            + ")"
        )
    _print(f"Trained in {result.seconds:.1f} s; run folder: {result.run_dir}")
    _print(f"Saved bundle: {result.bundle_dir}")
    _print(f"Report: {result.run_dir / 'report.html'}")


@app.command("evaluate")
def evaluate_command(
    bundle: Annotated[Path, typer.Argument(help="A run folder or a bundle folder.")],
    data: DataOption = None,
) -> None:
    """Score a saved model on the IMDB test split."""
    from movie_sentiment.data.imdb import load_reviews
    from movie_sentiment.evaluation.metrics import format_metrics

    model = _load_model(bundle)
    test = load_reviews("test", data)
    _print(format_metrics(model.evaluate(test.encodable, test.labels)))


# -- predict -----------------------------------------------------------------------------
def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 3] + "..."


def _json_line(record: dict) -> str:
    """One JSON object on one line. Text stays readable (not ASCII-escaped), except the
    characters that tools splitting on Unicode line breaks would cut a line at and the
    control characters a terminal would act on."""
    line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    for character, escaped in (("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        line = line.replace(character, escaped)
    # JSON escapes C0 controls itself; DEL and C1 controls (U+0085 among them) it keeps raw.
    return CONTROL_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", line)


def _lines_named(lines: list[int], limit: int = 10) -> str:
    listed = ", ".join(str(line) for line in lines[:limit])
    return listed + (f" and {len(lines) - limit} more" if len(lines) > limit else "")


TargetOption = Annotated[
    float | None,
    typer.Option(
        "--target-accuracy",
        help="Accuracy wanted on the answered reviews; less sure ones are labeled "
        "uncertain (default: the bundle's, 0.97).",
    ),
]


def _read_reviews(texts: list[str] | None, file: Path | None) -> list:
    """The input rows from arguments or ``--file``; an error when there is none to score."""
    from movie_sentiment.data.files import input_row, read_rows

    if file is not None and texts:
        raise InvalidInputError("give reviews as arguments or with --file, not both")
    if file is not None:
        rows = read_rows(file)
    else:
        rows = [input_row(number, text) for number, text in enumerate(texts or [], start=1)]
    if not rows:
        raise InvalidInputError('no reviews given: pass "text" arguments or --file PATH')
    if not any(row.error is None for row in rows):
        raise InvalidInputError(
            f"none of the {len(rows)} rows holds a review to score "
            f"(line {rows[0].line}: {rows[0].error})"
        )
    return rows


def _scored_rows(model, rows: list, explain: bool, target: float | None) -> list[dict]:
    """One output record per input row: its line (and id), text and score."""
    readable = [row for row in rows if row.error is None]
    scores = model.score(
        [row.text for row in readable], explain=explain, on_error="mark", target_accuracy=target
    )
    results = iter(range(len(readable)))
    records = []
    failures = []  # why the model gave a readable row no score
    for row in rows:
        record = {"line": row.line, **({"id": row.id} if row.id is not None else {})}
        record["text"] = row.text
        if row.error is None:
            scored = scores.row(next(results))
            record["label"] = scored.pop("label")
            record["positive_probability"] = scored.pop("probability")
            record.update(scored)
            if record["error"] is not None:
                failures.append(record["error"])
        else:
            record.update(
                label=None,
                positive_probability=None,
                logit=None,
                stars=None,
                chunks=0,
                no_known_words=False,
                short_text=False,
                error=row.error,
            )
        records.append(record)
    _stop_if_interrupted()
    if len(failures) == len(readable):  # nothing the user can change in the input: exit 1
        raise ModelFailedError(
            f"the model could not score any of the {len(readable)} reviews ({failures[0]}); "
            "the bundle is damaged: train it again"
        )
    return records


def _warn_rows(records: list[dict]) -> None:
    failed = [r["line"] for r in records if r["error"] is not None]
    unknown = [r["line"] for r in records if r["error"] is None and r["no_known_words"]]
    if failed:
        _warn(
            f"{len(failed)} of {len(records)} reviews not scored (see their error): line "
            f"{_lines_named(failed)}"
        )
    if unknown:
        _warn(
            f"{len(unknown)} review(s) hold no word the model knows, so their score is only "
            f"its prior: line {_lines_named(unknown)}"
        )


ReviewsArgument = Annotated[list[str] | None, typer.Argument(help="Reviews to score.")]
FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="Reviews in a .txt (a line each), .csv or .jsonl file."),
]


@app.command("predict")
def predict_command(
    bundle: Annotated[Path, typer.Argument(help="A run folder or a bundle folder.")],
    texts: ReviewsArgument = None,
    file: FileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    target: TargetOption = None,
) -> None:
    """Score reviews: label (positive, negative, or uncertain), probability of positive
    and stars (1-10) for each, one output row per input row, named by its line in the
    file (or its position among the arguments). Rows that cannot be scored (empty, not
    text) are error rows, listed on stderr."""
    rows = _read_reviews(texts, file)
    model = _load_model(bundle)
    records = _scored_rows(model, rows, explain=False, target=target)
    if not as_json:
        _print(f"{'line':>5}  {'label':<9}  {'positive':>8}  {'stars':>5}  review")
    for record in records:
        if as_json:
            _print(_json_line(record))
        elif record["error"] is not None:
            _print(f"{record['line']:>5}  {'-':<9}  {'-':>8}  {'-':>5}  error: {record['error']}")
        else:
            note = "  (no known words)" if record["no_known_words"] else ""
            stars = "-" if record["stars"] is None else str(record["stars"])
            _print(
                f"{record['line']:>5}  {record['label']:<9}  "
                f"{record['positive_probability']:>8.4f}  {stars:>5}  "
                f"{_snippet(record['text'])}{note}"
            )
    _warn_rows(records)


def _ngram_cells(pair: tuple[str, float] | None) -> tuple[str, str]:
    """An n-gram and its value as two table cells (empty when one side ran out)."""
    return ("", "") if pair is None else (terminal_text(pair[0]), f"{pair[1]:+.3f}")


def _print_learned(model, count: int) -> None:
    """The most positive and most negative n-grams of each linear part of ``model``."""
    from itertools import zip_longest

    from rich.console import Console
    from rich.table import Table

    from movie_sentiment.models import member_family

    members, _ = model.members()
    shown = 0
    console = Console()
    for member in members:
        if member.family_name is None or member_family(member.family_name).feature_values is None:
            continue
        words = model.learned_ngrams(member, count)
        per = "per n-gram"
        if words["averaged"]:
            per += ", before the average over a review's n-grams"
        table = Table(title=f"What the {member.family_name} model learned (logit {per})")
        table.add_column("most positive")
        table.add_column("", justify="right")
        table.add_column("most negative")
        table.add_column("", justify="right")
        for good, bad in zip_longest(words["positive"], words["negative"], fillvalue=None):
            table.add_row(*_ngram_cells(good), *_ngram_cells(bad))
        console.print(table)
        shown += 1
    if not shown:
        raise InvalidInputError(
            f"the {model.card.family} family is not linear, so it has no weight per n-gram "
            "to list; give a review to explain"
        )


def _print_explained(record: dict, count: int) -> None:
    """One explained review in the terminal: words colored by contribution, top lists."""
    from rich.console import Console
    from rich.text import Text

    from movie_sentiment.evaluation.render import segments, strongest, top_words

    console = Console(highlight=False)
    if record["error"] is not None:
        error = terminal_text(record["error"])
        console.print(f"line {record['line']}: error: {error}", markup=False)
        return
    explanation = record["explanation"]
    tokens = explanation["tokens"]
    header = (
        f"line {record['line']}: {record['label']}, probability of positive "
        f"{record['positive_probability']:.4f}"
    )
    if record["stars"] is not None:
        header += f", {record['stars']}/10 stars"
    if record["chunks"] > 1:
        header += f", read in {record['chunks']} chunks"
    console.print(Text(header, style="bold"))
    scale = strongest(tokens)
    text = Text()
    for piece, value in segments(record["text"], tokens):
        if value is None or abs(value) < 0.05 * scale:
            text.append(terminal_text(piece))
        else:
            strength = min(1.0, abs(value) / scale)
            color = "green" if value > 0 else "red"
            text.append(terminal_text(piece), style=f"bold {color}" if strength > 0.4 else color)
    console.print(text)
    positive, against = top_words(tokens, count)
    for title, words in (("For positive", positive), ("Against", against)):
        listed = ", ".join(f"{terminal_text(w['text'])} ({w['contribution']:+.2f})" for w in words)
        console.print(Text(f"{title}: ", style="bold") + Text(listed or "(none)"))
    console.print(
        Text(
            f"logit {explanation['logit']:+.3f} = base {explanation['base']:+.3f} + words "
            f"{explanation['logit'] - explanation['base'] - explanation['gap']:+.3f} "
            f"+ unexplained {explanation['gap']:+.3f} ({explanation['method']})",
            style="dim",
        )
    )
    console.print()


def _check_page_file(page: Path, reviews: Path | None, force: bool) -> None:
    """The ``--html`` page may replace only a page file, and only with ``--force``: never
    a folder, a device or FIFO, or the file of reviews it explains."""
    if page.is_dir():
        raise InvalidInputError(f"--html {page} is a folder; give the page a file name")
    if not page.exists() and not page.is_symlink():
        return
    if page.exists():
        if reviews is not None and reviews.exists() and page.samefile(reviews):
            raise InvalidInputError(
                f"--html {page} is the file of reviews (--file); give the page another name"
            )
        if not page.is_file():
            raise InvalidInputError(f"--html {page} is not a file; give the page a file name")
    if not force:
        raise OutputExistsError(f"{page} exists; pass --force to replace it")


@app.command("explain")
def explain_command(
    bundle: Annotated[Path, typer.Argument(help="A run folder or a bundle folder.")],
    texts: ReviewsArgument = None,
    file: FileOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per review, with every token.")
    ] = False,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Also write one self-contained HTML page.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Words listed for and against.")] = 10,
    target: TargetOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --html file.")
    ] = False,
) -> None:
    """Why each review got its score: its words colored by what they add to the score
    (green for positive, red against), the top words each way, and the score. With no
    review: the model's most positive and negative n-grams (linear models)."""
    from movie_sentiment.paths import write_text_atomic

    if html_file is not None:
        _check_page_file(html_file, file, force)
    elif force:
        raise InvalidInputError("--force replaces an existing --html page; give --html FILE")
    if not texts and file is None:
        if html_file is not None or as_json:
            raise InvalidInputError("--json and --html explain reviews; give one")
        _print_learned(_load_model(bundle), top)
        return
    rows = _read_reviews(texts, file)
    model = _load_model(bundle)
    records = _scored_rows(model, rows, explain=True, target=target)
    if html_file is not None:  # written first: a page that cannot be written prints nothing
        from movie_sentiment.evaluation.render import explanations_page

        items = [
            {**r, "probability": r["positive_probability"]} for r in records if r["error"] is None
        ]
        page = explanations_page(
            items, f"Why: {model.card.family} on {len(items)} review(s)", f"Model: {bundle}"
        )
        write_text_atomic(html_file, page)
    for record in records:
        if as_json:
            _print(_json_line(record))
        else:
            _print_explained(record, top)
    _warn_rows(records)
    if html_file is not None:
        typer.echo(f"Wrote {terminal_text(str(html_file))}", err=True)


@app.command("report")
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
    model = _load_model(run)
    path = write_report(run, model, load_reviews("test", data), f"Run: {run}")
    _print(f"Wrote {path}")


@app.command("score")
def score_command(
    bundle: Annotated[Path, typer.Argument(help="A run folder or a bundle folder.")],
    inputs: Annotated[
        list[str],
        typer.Argument(help="Files, folders or globs of .csv .tsv .jsonl .parquet .txt."),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output .parquet, .csv or .jsonl file.")
    ],
    text_column: Annotated[
        str | None, typer.Option(help="The reviews' column (default: text or review).")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option(help="A column of row ids to carry over (default: id).")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add each review's top words each way.")
    ] = False,
    target: TargetOption = None,
    engine: Annotated[
        str, typer.Option(help="local (this process) or dask (a Dask cluster).")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="With --engine dask: a scheduler address, tcp://HOST:PORT "
            "(default: a local cluster)."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="With --engine dask and no scheduler: worker processes.")
    ] = 2,
    partition_kb: Annotated[
        int,
        typer.Option(
            min=1,
            help="Partition size in KiB (8 MiB: about 6,000 IMDB reviews); smaller gives "
            "a cluster more pieces and an interrupted job less to redo.",
        ),
    ] = 8192,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the output, or a different job's parts.")
    ] = False,
) -> None:
    """Score files of reviews in a stream of partitions into one output file: one row
    per input row (its id, or file and row), with label, probability, stars, the
    uncertain and no-known-words flags, and an error for rows that cannot be scored.
    Interrupted, the same command again resumes: finished parts are kept."""
    from movie_sentiment.batch.job import Options, score_files
    from movie_sentiment.batch.output import output_lock

    if engine not in ("local", "dask"):
        raise InvalidInputError(f"unknown engine {engine!r}: use local or dask")
    if scheduler and engine != "dask":
        raise InvalidInputError("--scheduler needs --engine dask")
    # The output is taken before the model loads, so a second job says so at once.
    with output_lock(output):
        model = _load_model(bundle)  # Dask workers load their own; it loads, at least
        options = Options(explain=explain, target_accuracy=target)
        with _progress_bar("scoring") as progress:
            summary = score_files(
                model,
                bundle,
                inputs,
                output,
                text_column=text_column,
                id_column=id_column,
                options=options,
                engine=engine,
                force=force,
                partition_bytes=partition_kb * 1024,
                progress=progress,
                dask_options={"scheduler": scheduler, "workers": workers},
            )
    notes = []
    if summary.startup_seconds >= 0.5:
        notes.append(f"engine started in {summary.startup_seconds:.1f} s")
    if summary.resumed:
        notes.append(f"{summary.resumed} of {summary.partitions} parts from an earlier run")
    _print(
        f"Scored {summary.rows:,} rows ({summary.errors:,} errors) in {summary.seconds:.1f} s "
        f"({'; '.join([f'{summary.rows_per_second:,.0f} rows/s', *notes])}) -> {summary.output}"
    )
    if summary.errors:
        _warn(f"{summary.errors:,} rows could not be scored; see their error column")


@contextlib.contextmanager
def _progress_bar(what: str):
    """A progress bar on a terminal (share of the input's bytes done, rows scored and
    rows/s this run, time left); nothing otherwise. Yields ``update(done, total, rows)``."""
    import time

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    started = time.perf_counter()
    with Progress(
        TextColumn(what),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(what, total=None, rows=0, rate=0.0)

        def update(done: int, total: int, rows: int) -> None:
            rate = rows / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rows=rows, rate=rate)

        yield update


@app.command("serve")
def serve_command(
    bundles: Annotated[
        list[str], typer.Argument(help="Run or bundle folders, as PATH or NAME=PATH.")
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    max_body_bytes: Annotated[
        int, typer.Option(min=1, help="Largest request body (413 beyond).")
    ] = 1_000_000,
    max_reviews: Annotated[
        int, typer.Option(min=1, help="Reviews per request (422 beyond).")
    ] = 1000,
    max_review_chars: Annotated[
        int, typer.Option(min=1, help="Characters per review (422 beyond).")
    ] = 100_000,
    max_batch_size: Annotated[
        int,
        typer.Option(min=1, help="Reviews gathered into one model call (1: no batching)."),
    ] = 64,
    max_wait_ms: Annotated[
        float,
        typer.Option(min=0, help="How long a request waits for others to join its batch."),
    ] = 2.0,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="MOVIE_SENTIMENT_API_KEY",
            help="Require this key (X-API-Key or Authorization: Bearer) on every route but "
            "the health checks and the page; also $MOVIE_SENTIMENT_API_KEY.",
            show_envvar=False,
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="Let web pages from this origin call the API (repeatable; none by default)."
        ),
    ] = None,
    drain_seconds: Annotated[
        float,
        typer.Option(
            min=0,
            help="On SIGTERM or SIGHUP, how long requests in flight may take to finish "
            "(a hard cap: the process ends by then).",
        ),
    ] = 30.0,
    header_timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a request's headers may take to arrive (408)."),
    ] = 10.0,
    body_timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a request's body may take to arrive (408)."),
    ] = 30.0,
    max_connections: Annotated[
        int,
        typer.Option(min=1, help="Connections open at once; beyond, a new one gets a 503."),
    ] = 1000,
) -> None:
    """Serve models over HTTP: the page at /, POST /v1/score, GET /v1/models, the Open
    Inference Protocol under /v2, /metrics; the API is described at /docs and
    /openapi.json. Listens on 127.0.0.1 unless told otherwise; SIGTERM or SIGHUP drains,
    then exits."""
    import os
    import socket
    import time

    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.service import startup
    from movie_sentiment.service.app import create_app
    from movie_sentiment.service.schemas import Limits
    from movie_sentiment.service.server import allow_open_files, serve

    api_key = startup.api_key(api_key, dict(os.environ))
    origins = tuple(startup.cors_origin(origin) for origin in cors_origin or ())
    paths = startup.model_paths(bundles)
    allow_open_files(max_connections)
    try:  # a taken port is one error line, not uvicorn's traceback after loading
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise InvalidInputError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    if api_key is None and startup.open_to_others(host):
        typer.echo(
            f"warning: listening on {host} with no API key: anyone who can reach it can use "
            "the service (give --api-key or $MOVIE_SENTIMENT_API_KEY)",
            err=True,
        )
    load_seconds: dict[str, float] = {}
    models = {}
    for name, path in paths.items():
        started = time.perf_counter()
        models[name] = SentimentModel.load(path)
        load_seconds[name] = time.perf_counter() - started
    startup.check_scores(models)
    app = create_app(
        models,
        Limits(max_body_bytes, max_reviews, max_review_chars),
        api_key,
        max_batch=max_batch_size,
        max_wait_ms=max_wait_ms,
        cors_origins=origins,
        load_seconds=load_seconds,
        body_seconds=body_timeout,
    )
    serve(
        app,
        host,
        port,
        drain_seconds,
        header_seconds=header_timeout,
        max_connections=max_connections,
    )


def _on_interrupt(signum, frame) -> None:
    """Ctrl-C: remember it (``INTERRUPTED``), then raise KeyboardInterrupt as usual, unless
    Keras is starting up (``_interrupts_held`` acts on it when done)."""
    INTERRUPTED.set()
    if not _DEFERRING.is_set():
        signal.default_int_handler(signum, frame)


@contextlib.contextmanager
def _interrupts_remembered():
    """``_on_interrupt`` as the Ctrl-C handler for one command (not where Ctrl-C is
    ignored, or off the main thread, where no handler can be set)."""
    INTERRUPTED.clear()
    usual = signal.getsignal(signal.SIGINT)
    if usual is not signal.default_int_handler or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, usual)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors for user mistakes, exit code 2."""
    try:
        with _interrupts_remembered():
            code = app(args=argv, standalone_mode=False, prog_name="movie-sentiment")
    except MovieSentimentError as error:
        typer.echo(f"error: {terminal_text(' '.join(str(error).split()))}", err=True)
        sys.exit(error.exit_code)
    except TyperException as error:  # Click's usage errors: --epochs abc, --epoch
        if type(error).__name__ == "NoArgsIsHelpError":
            error.show()  # a bare command shows its help
            sys.exit(2)
        context = getattr(error, "ctx", None)
        where = context.command_path if context is not None else "movie-sentiment"
        message = " ".join(error.format_message().split())
        typer.echo(f"error: {terminal_text(message)} (see: {where} --help)", err=True)
        sys.exit(2)
    except typer.Abort:  # end of input where a prompt waited
        typer.echo("error: input ended", err=True)
        sys.exit(1)
    if code == 130:  # Typer turns Ctrl-C into exit code 130; say what happened
        typer.echo("error: interrupted (Ctrl-C)", err=True)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
