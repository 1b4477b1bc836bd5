"""``movie-sentiment explain``: why each review got its score (terminal, JSON, HTML), or
with no review what a linear model learned."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from movie_sentiment.cli.interrupts import load_model
from movie_sentiment.cli.options import BundleArgument, FileOption, ReviewsArgument, TargetOption
from movie_sentiment.cli.rendering import echo, json_line, terminal_text
from movie_sentiment.cli.reviews import read_reviews, scored_rows, warn_rows
from movie_sentiment.errors import InvalidInputError, OutputExistsError

JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON object per review, with every token.")
]
HtmlOption = Annotated[
    Path | None, typer.Option("--html", help="Also write one self-contained HTML page.")
]
TopOption = Annotated[int, typer.Option("--top", min=1, help="Words listed for and against.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing --html file.")]


def explain_command(
    bundle: BundleArgument,
    texts: ReviewsArgument = None,
    file: FileOption = None,
    as_json: JsonOption = False,
    html_file: HtmlOption = None,
    top: TopOption = 10,
    target: TargetOption = None,
    force: ForceOption = False,
) -> None:
    """Why each review got its score: its words colored by what they add to the score
    (green for positive, red against), the top words each way, and the score. With no
    review: the model's most positive and negative n-grams (linear models)."""
    if html_file is not None:
        check_page_file(html_file, file, force)
    elif force:
        raise InvalidInputError("--force replaces an existing --html page; give --html FILE")
    if not texts and file is None:
        if html_file is not None or as_json:
            raise InvalidInputError("--json and --html explain reviews; give one")
        print_learned(load_model(bundle), top)
        return
    rows = read_reviews(texts, file)
    model = load_model(bundle)
    records = scored_rows(model, rows, explain=True, target=target)
    if html_file is not None:  # written first: a page that cannot be written prints nothing
        write_page(html_file, model, bundle, records)
    for record in records:
        if as_json:
            echo(json_line(record))
        else:
            print_explained(record, top)
    warn_rows(records)
    if html_file is not None:
        typer.echo(f"Wrote {terminal_text(str(html_file))}", err=True)


def write_page(html_file: Path, model, bundle: Path, records: list[dict]) -> None:
    """The explained reviews (error rows left out) as one self-contained page."""
    from movie_sentiment.bundle.record import NAMES
    from movie_sentiment.evaluation.render import explanations_page
    from movie_sentiment.storage import write_text_atomic

    items = [record for record in records if record["error"] is None]
    page = explanations_page(
        items, f"Why: {model.card.family} on {len(items)} review(s)", f"Model: {bundle}", NAMES
    )
    write_text_atomic(html_file, page)


def check_page_file(page: Path, reviews: Path | None, force: bool) -> None:
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


def _ngram_cells(pair: tuple[str, float] | None) -> tuple[str, str]:
    """An n-gram and its value as two table cells (empty when one side ran out)."""
    return ("", "") if pair is None else (terminal_text(pair[0]), f"{pair[1]:+.3f}")


def print_learned(model, count: int) -> None:
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


def _header(record: dict) -> str:
    """An explained review's first line: line, label, probability, stars, chunks."""
    header = (
        f"line {record['line']}: {record['label']}, probability of positive "
        f"{record['probability']:.4f}"
    )
    if record["stars"] is not None:
        header += f", {record['stars']}/10 stars"
    if record["chunks"] > 1:
        header += f", read in {record['chunks']} chunks"
    return header


def print_explained(record: dict, count: int) -> None:
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
    console.print(Text(_header(record), style="bold"))
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
