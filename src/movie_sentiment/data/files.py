"""Read reviews from a user's own file: ``.txt`` (one review per line), ``.csv`` (a
``text`` or ``review`` column), ``.jsonl`` (objects with a ``text`` or ``review`` field,
or plain JSON strings)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from movie_sentiment.errors import DataNotFoundError, InvalidInputError

TEXT_FIELDS = ("text", "review")
FORMATS = (".txt", ".csv", ".jsonl")


def _read_utf8(path: Path) -> str:
    if not path.is_file():
        raise DataNotFoundError(f"input file not found: {path}")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidInputError(
            f"{path} is not UTF-8 text (byte {error.start}, line {line}); re-save it as UTF-8"
        ) from None


def _text_field(row: dict, where: str) -> str:
    for name, value in row.items():
        if name is not None and name.strip().lower() in TEXT_FIELDS:
            return value
    raise InvalidInputError(f"{where} has no 'text' or 'review' field")


def read_texts(path: str | Path) -> list[str]:
    """The reviews in ``path``; blank lines of a ``.txt`` file are skipped, an empty review
    in a ``.csv`` or ``.jsonl`` file is an error naming its line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            f"cannot read {path.name}: use a {', '.join(FORMATS)} file (one review per line or row)"
        )
    content = _read_utf8(path)
    texts: list[str] = []
    if suffix == ".txt":
        texts = [line for line in content.splitlines() if line.strip()]
    elif suffix == ".csv":
        reader = csv.DictReader(io.StringIO(content, newline=""))
        if not reader.fieldnames:
            raise InvalidInputError(f"{path} is empty")
        for row in reader:
            text = _text_field(row, f"{path} (columns: {', '.join(reader.fieldnames)})")
            if not (text or "").strip():
                raise InvalidInputError(f"{path} line {reader.line_num}: the review is empty")
            texts.append(text)
    else:
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                raise InvalidInputError(f"{path} line {number} is not JSON: {error.msg}") from None
            text = _text_field(item, f"{path} line {number}") if isinstance(item, dict) else item
            if not isinstance(text, str) or not text.strip():
                raise InvalidInputError(f"{path} line {number}: the review is empty or not text")
            texts.append(text)
    if not texts:
        raise InvalidInputError(f"{path} holds no reviews")
    return texts
