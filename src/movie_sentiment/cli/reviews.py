"""Reviews in, score records out: the rows ``predict`` and ``explain`` read, scored into
one record per input row, and the warnings about rows that got no score."""

from __future__ import annotations

from pathlib import Path

from movie_sentiment.cli.interrupts import stop_if_interrupted
from movie_sentiment.cli.rendering import lines_named, warn
from movie_sentiment.errors import InvalidInputError, ModelFailedError


def read_reviews(texts: list[str] | None, file: Path | None) -> list:
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


def scored_rows(model, rows: list, explain: bool, target: float | None) -> list[dict]:
    """One output record per input row: its line (and id), its text, and the score record
    (``bundle/record.py``; the explanation too when ``explain``)."""
    from movie_sentiment.bundle.record import unscored

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
            record.update(scores.row(next(results)))
            if record["error"] is not None:
                failures.append(record["error"])
        else:
            record.update(unscored(row.error))
        records.append(record)
    stop_if_interrupted()
    if len(failures) == len(readable):  # nothing the user can change in the input: exit 1
        raise ModelFailedError(
            f"the model could not score any of the {len(readable)} reviews ({failures[0]}); "
            "the bundle is damaged: train it again"
        )
    return records


def warn_rows(records: list[dict]) -> None:
    """Say on stderr which rows got no score, and which hold no word the model knows."""
    failed = [r["line"] for r in records if r["error"] is not None]
    unknown = [r["line"] for r in records if r["error"] is None and r["no_known_words"]]
    if failed:
        warn(
            f"{len(failed)} of {len(records)} reviews not scored (see their error): line "
            f"{lines_named(failed)}"
        )
    if unknown:
        warn(
            f"{len(unknown)} review(s) hold no word the model knows, so their score is only "
            f"its prior: line {lines_named(unknown)}"
        )
