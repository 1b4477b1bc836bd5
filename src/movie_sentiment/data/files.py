"""Read reviews from a user's own file, one ``InputRow`` per row of the file.

Formats: ``.txt`` (one review per line), ``.csv`` (a ``text`` or ``review`` column, an
optional ``id`` column), ``.jsonl`` (objects with a ``text`` or ``review`` field and an
optional ``id``, or plain JSON strings).

A line is what ends in ``\\n`` (or ``\\r\\n``): review text may hold U+0085, U+2028 or a
form feed, which ``str.splitlines`` would take for line ends. Every row of the file
gives exactly one ``InputRow``, named by its line; a row that holds no usable review
(empty, not text, not JSON) carries an ``error`` instead of being dropped, so results
can always be matched to inputs. A file that cannot be read as its format at all (not
UTF-8, broken CSV quoting) is an ``InvalidInputError`` naming the line.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from movie_sentiment.errors import DataNotFoundError, InvalidInputError

TEXT_FIELDS = ("text", "review")
ID_FIELD = "id"
FORMATS = (".txt", ".csv", ".jsonl")
# Python's csv module refuses fields over 131,072 characters by default; a review pasted
# with a whole article in it is still a review.
CSV_FIELD_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class InputRow:
    """One row of an input file: where it starts, its review, or why it has none."""

    line: int  # line of the file the row starts on (1 = first)
    text: str | None
    id: str | None = None  # the row's id column or field, when the file has one
    error: str | None = None  # why the row cannot be scored; text is None then


def _read_utf8(path: Path) -> str:
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder, not a file of reviews")
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


def _lines(content: str) -> list[str]:
    """Lines ended by ``\\n`` (a ``\\r`` before it dropped); no line after a final end."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def id_text(value) -> str | None:
    """An id as text: strings as they are, other JSON values as JSON (``5``, ``true``)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def input_row(line: int, text, row_id=None) -> InputRow:
    """One input row, or its error: a review must be text (valid Unicode), not blank."""
    row_id = id_text(row_id)
    if not isinstance(text, str):
        return InputRow(line, None, row_id, f"the review is not text but {type(text).__name__}")
    if not text.strip():
        return InputRow(line, None, row_id, "the review is empty or whitespace only")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON, undecodable argv)
        return InputRow(line, None, row_id, "the review is not valid Unicode text")
    return InputRow(line, text, row_id)


def field_named(row, names: tuple[str, ...]) -> str | None:
    """The key of ``row`` that is one of ``names``, ignoring case and spaces; two such
    keys are ambiguous (``ValueError``)."""
    found = [k for k in row if isinstance(k, str) and k.strip().lower() in names]
    if len(found) > 1:
        raise ValueError(f"more than one {' or '.join(repr(n) for n in names)} field: {found}")
    return found[0] if found else None


def json_line(line: str) -> tuple[object, str | None]:
    """One JSONL line's value, or None and why it cannot be read (not JSON, nested too
    deeply for the parser, a whole number of thousands of digits): an error row, never
    an exception that stops the file."""
    try:
        return json.loads(line), None
    except json.JSONDecodeError as error:
        return None, f"the line is not JSON ({error.msg})"
    except RecursionError:
        return None, "the line is JSON nested too deeply to read"
    except ValueError as error:  # Python's limit on the digits of an int
        return None, f"the line holds a number too long to read ({str(error).split(':')[0]})"


def _read_txt(content: str) -> list[InputRow]:
    return [input_row(number, line) for number, line in enumerate(_lines(content), start=1)]


def _read_jsonl(content: str) -> list[InputRow]:
    rows = []
    for number, line in enumerate(_lines(content), start=1):
        if not line.strip():
            rows.append(InputRow(number, None, None, "the line is empty"))
            continue
        item, error = json_line(line)
        if error is not None:
            rows.append(InputRow(number, None, None, error))
            continue
        if not isinstance(item, dict):  # a plain JSON string is the review itself
            rows.append(input_row(number, item))
            continue
        try:
            key, id_key = field_named(item, TEXT_FIELDS), field_named(item, (ID_FIELD,))
        except ValueError as error:
            rows.append(InputRow(number, None, None, f"the object has {error}"))
            continue
        row_id = id_text(item.get(id_key)) if id_key else None
        if key is None:
            rows.append(
                InputRow(number, None, row_id, "the object has no 'text' or 'review' field")
            )
            continue
        rows.append(input_row(number, item[key], row_id))
    return rows


def _read_csv(path: Path, content: str) -> list[InputRow]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    # strict: an unterminated or stray quote is an error, not rows merged silently
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    rows: list[InputRow] = []
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInputError(f"{path} is empty")
        if not header:
            raise InvalidInputError(f"{path} has no header on its first line (column names)")
        columns = {name: i for i, name in enumerate(header)}
        if len(columns) != len(header):
            raise InvalidInputError(f"{path} names a column twice: {', '.join(header)}")
        try:
            text_key, id_key = field_named(columns, TEXT_FIELDS), field_named(columns, (ID_FIELD,))
        except ValueError as error:
            raise InvalidInputError(f"{path} has {error}") from None
        if text_key is None:
            raise InvalidInputError(
                f"{path} has no 'text' or 'review' column (columns: {', '.join(header)})"
            )
        text_at, id_at = columns[text_key], columns.get(id_key)
        start = reader.line_num + 1
        for record in reader:
            if record and len(record) != len(header):
                raise InvalidInputError(
                    f"{path} line {start}: {len(record)} fields where the header has "
                    f"{len(header)} (quote fields that hold commas)"
                )
            if record:
                row_id = record[id_at] if id_at is not None else None
                rows.append(input_row(start, record[text_at], row_id))
            else:
                rows.append(InputRow(start, None, None, "the line is empty"))
            start = reader.line_num + 1
    except csv.Error as error:
        raise InvalidInputError(
            f"{path} line {reader.line_num}: not valid CSV ({error}); check its quotes"
        ) from None
    return rows


def read_rows(path: str | Path) -> list[InputRow]:
    """Every row of the review file at ``path`` (see the module docstring)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            f"cannot read {path.name}: use a {', '.join(FORMATS)} file (one review per line or row)"
        )
    content = _read_utf8(path)
    if suffix == ".txt":
        rows = _read_txt(content)
    elif suffix == ".csv":
        rows = _read_csv(path, content)
    else:
        rows = _read_jsonl(content)
    if not rows:
        raise InvalidInputError(f"{path} holds no reviews")
    return rows
