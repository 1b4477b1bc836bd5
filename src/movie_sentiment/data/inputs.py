"""Inputs of a batch job: found, cut into partitions, and read one partition at a time.

Formats: ``.csv`` / ``.tsv`` (a ``text`` or ``review`` column, or ``--text-column``; an
optional ``id`` column, or ``--id-column``), ``.jsonl`` (objects with such fields, or
plain JSON strings), ``.parquet`` (columns likewise) and ``.txt`` (one review a line).

A partition is a byte range of a text file or a run of row groups of a Parquet file,
planned before any scoring so the local and the Dask engine cut the same way and a job
resumed later finds the same partitions. Text files are cut only where a record ends: a
line end outside any quoted field for CSV (reviews hold newlines inside quotes, which a
plain block split would cut through; the quote count before a line end tells, since an
escaped quote is doubled), any line end for JSONL and text. Reading a partition yields
one row per record, never dropping one: a record without a usable review (empty, not
text, not JSON) carries its error instead.
"""

from __future__ import annotations

import csv
import glob
import io
import itertools
from dataclasses import asdict, dataclass, field
from pathlib import Path

from movie_sentiment.data.files import (
    ID_FIELD,
    TEXT_FIELDS,
    field_named,
    id_text,
    input_row,
    json_line,
)
from movie_sentiment.errors import DataNotFoundError, InvalidInputError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet", ".txt": "txt"}
PARTITION_BYTES = 8 * 2**20  # about 6,000 reviews of IMDB's length
BLOCK = 16 * 2**20  # bytes scanned at a time when planning


def find_inputs(given: list[str]) -> list[Path]:
    """Files, folders (their files of the known formats, recursively) and globs, in the
    order given, each file once."""
    found: list[Path] = []
    for item in given:
        path = Path(item)
        if path.is_file():
            if path.suffix.lower() not in FORMATS:
                raise InvalidInputError(
                    f"cannot read {path}: inputs are {', '.join(FORMATS)} files"
                )
            matches = [path]
        elif path.is_dir():
            matches = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS
            )
            if not matches:
                raise DataNotFoundError(f"{path} holds no {', '.join(FORMATS)} files")
        else:
            matches = sorted(
                Path(p)
                for p in glob.glob(item, recursive=True)
                if Path(p).is_file() and Path(p).suffix.lower() in FORMATS
            )
            if not matches:
                raise DataNotFoundError(f"no input file matches {item}")
        for match in matches:
            if match.resolve() not in {f.resolve() for f in found}:
                found.append(match)
    return found


@dataclass(frozen=True)
class Columns:
    """Where a tabular file keeps its reviews and ids (``id`` None: it has none), and the
    other columns read beside them (``extra``: a labeled file's label or rating)."""

    text: str | None = None
    id: str | None = None
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class Partition:
    """One piece of one input: bytes ``[start, stop)`` of a text file, or row groups
    ``[start, stop)`` of a Parquet file. ``size`` is its bytes (for progress); ``path`` is
    absolute, so a worker started elsewhere finds it."""

    index: int
    file: int
    path: str
    format: str
    start: int
    stop: int
    size: int
    columns: Columns
    header: list[str] | None = None  # a CSV file's column names

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Partition:
        columns = data["columns"]
        return cls(
            **{**data, "columns": Columns(**{**columns, "extra": tuple(columns.get("extra", ()))})}
        )


# -- planning ------------------------------------------------------------------------------
def plan(
    paths: list[Path],
    text_column: str | None = None,
    id_column: str | None = None,
    partition_bytes: int = PARTITION_BYTES,
    extra_columns: tuple[str, ...] = (),
) -> list[Partition]:
    """The partitions of every input, in order. ``extra_columns`` are read beside the text
    (the caller has checked that the tables have them: ``column_names``)."""
    partitions: list[Partition] = []
    for number, path in enumerate(paths):
        kind = FORMATS[path.suffix.lower()]
        header = None
        if kind == "parquet":
            columns = _columns(path, _parquet_names(path), text_column, id_column, extra_columns)
            _check_parquet_text(path, columns.text)
            pieces = _parquet_pieces(path, partition_bytes)
        elif kind in ("csv", "tsv"):
            header, first = _text_header(path, kind)
            columns = _columns(path, header, text_column, id_column, extra_columns)
            pieces = _text_pieces(path, kind, first, partition_bytes)
        else:  # JSONL fields are found per object; a text file has no columns
            columns = (
                Columns(text_column, id_column, extra_columns) if kind == "jsonl" else Columns()
            )
            pieces = _text_pieces(path, kind, 0, partition_bytes)
        for start, stop, size in pieces:
            partitions.append(
                Partition(
                    len(partitions),
                    number,
                    str(path.resolve()),
                    kind,
                    start,
                    stop,
                    size,
                    columns,
                    header,
                )
            )
    return partitions


def _columns(
    path: Path,
    names: list[str],
    text: str | None,
    row_id: str | None,
    extra: tuple[str, ...] = (),
) -> Columns:
    """The text and id columns of a table: as asked, else ``text``/``review`` and ``id``."""
    for wanted, what in ((text, "text"), (row_id, "id")):
        if wanted is not None and wanted not in names:
            raise InvalidInputError(
                f"{path} has no column {wanted!r} (the --{what}-column); "
                f"columns: {', '.join(names)}"
            )
    table = {name: i for i, name in enumerate(names)}
    try:
        text = text or field_named(table, TEXT_FIELDS)
        row_id = row_id or field_named(table, (ID_FIELD,))
    except ValueError as error:
        raise InvalidInputError(f"{path} has {error}; choose with --text-column") from None
    if text is None:
        raise InvalidInputError(
            f"{path} has no 'text' or 'review' column (columns: {', '.join(names)}); "
            "choose one with --text-column"
        )
    return Columns(text, row_id, extra)


def column_names(path: Path) -> list[str] | None:
    """The columns of a CSV, TSV or Parquet file, the fields of a JSONL file's first
    object, None for a text file (one review a line) or a JSONL file of plain strings."""
    kind = FORMATS[path.suffix.lower()]
    if kind == "parquet":
        return _parquet_names(path)
    if kind in ("csv", "tsv"):
        return _text_header(path, kind)[0]
    if kind == "jsonl":
        with open(path, encoding="utf-8-sig", errors="surrogateescape") as file:
            for line in file:
                if line.strip():
                    item, _ = json_line(line)
                    if not isinstance(item, dict):
                        return None
                    return [k for k in item if isinstance(k, str)]
    return None


def _text_header(path: Path, kind: str) -> tuple[list[str], int]:
    """A CSV/TSV file's column names and the byte where its records start."""
    with open(path, "rb") as file:
        first = file.readline()
    if not first.strip():
        raise InvalidInputError(f"{path} has no header on its first line (column names)")
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text; re-save it as UTF-8") from None
    header = next(csv.reader([line], delimiter="\t" if kind == "tsv" else ","))
    if len(set(header)) != len(header):
        raise InvalidInputError(f"{path} names a column twice: {', '.join(header)}")
    return header, len(first)


def _text_pieces(path: Path, kind: str, first: int, target: int) -> list[tuple[int, int, int]]:
    """Byte ranges from ``first`` of about ``target`` bytes, each ending where a record
    ends (see the module docstring)."""
    size = path.stat().st_size
    quoted = kind in ("csv", "tsv")
    cuts = [first]
    with open(path, "rb") as file:
        file.seek(first)
        block_start, block = first, file.read(BLOCK)
        quotes = 0  # quotes in [first, block_start): outside quotes at ``first``
        wanted = first + target
        while wanted < size and block:
            if wanted >= block_start + len(block):  # on to the block holding ``wanted``
                quotes += block.count(b'"') if quoted else 0
                block_start += len(block)
                block = file.read(BLOCK)
                continue
            cut = _record_end(block, wanted - block_start, quotes, quoted)
            if cut is None:  # the block ends inside a record: look on in the next
                wanted = block_start + len(block)
                continue
            if block_start + cut < size:
                cuts.append(block_start + cut)
            wanted = block_start + cut + target
        if quoted:  # the quotes must pair up by the end, or a quoted field never ends
            while block:
                quotes += block.count(b'"')
                block = file.read(BLOCK)
            if quotes % 2:
                raise InvalidInputError(
                    f"{path} has a quoted field that never ends (an odd number of quote "
                    "characters); check its quotes"
                )
    cuts.append(size)
    return [(a, b, b - a) for a, b in itertools.pairwise(cuts) if b > a]


def _record_end(block: bytes, offset: int, quotes_before: int, quoted: bool) -> int | None:
    """The position just after the first line end at or after ``offset`` in ``block``
    outside quotes (``quotes_before``: quotes before the block); None if there is none."""
    parity = (quotes_before + (block.count(b'"', 0, offset) if quoted else 0)) % 2
    search = offset
    while (end := block.find(b"\n", search)) >= 0:
        if quoted:
            parity = (parity + block.count(b'"', search, end)) % 2
        if parity == 0:
            return end + 1
        search = end + 1
    return None


def _parquet_names(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path).names
    except Exception as error:  # pyarrow's errors: not Parquet, damaged
        raise InvalidInputError(f"{path} is not a readable Parquet file ({error})") from None


def _check_parquet_text(path: Path, column: str) -> None:
    """The reviews' column must hold text: a column of numbers is the wrong column (or a
    wrong file), refused before anything is scored rather than one error per row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = pq.read_schema(path).field(column).type
    values = kind.value_type if pa.types.is_dictionary(kind) else kind  # pandas' categories
    string_view = getattr(pa.types, "is_string_view", lambda _: False)  # pyarrow 16 and later
    text_types = (pa.types.is_string, pa.types.is_large_string, string_view, pa.types.is_null)
    if not any(is_text(values) for is_text in text_types):
        raise InvalidInputError(
            f"{path}: column {column!r} holds {kind}, not text; choose the reviews' column "
            "with --text-column"
        )


def _parquet_pieces(path: Path, target: int) -> list[tuple[int, int, int]]:
    """Runs of whole row groups of about ``target`` bytes (a row group is never split)."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    pieces, start, size = [], 0, 0
    for group in range(metadata.num_row_groups):
        size += metadata.row_group(group).total_byte_size
        if size >= target or group == metadata.num_row_groups - 1:
            pieces.append((start, group + 1, size))
            start, size = group + 1, 0
    return pieces


# -- reading ------------------------------------------------------------------------------
@dataclass
class Rows:
    """One partition's records: review text (None with an error), id, error."""

    texts: list[str | None]
    ids: list[str | None]
    errors: list[str | None]
    extras: list[tuple] = field(default_factory=list)  # the Columns.extra values, in order

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text, row_id=None, error: str | None = None, extra: tuple = ()) -> None:
        if error is None:
            row = input_row(0, text, row_id)
            text, row_id, error = row.text, row.id, row.error
        row_id = id_text(row_id)
        if row_id is not None:  # shown as text even when its bytes were not UTF-8
            row_id = row_id.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        self.texts.append(text)
        self.ids.append(row_id)
        self.errors.append(error)
        self.extras.append(extra)


def read_partition(part: Partition) -> Rows:
    """Every record of ``part``, in order, one row each."""
    rows = Rows([], [], [])
    if part.format == "parquet":
        _read_parquet(part, rows)
        return rows
    with open(part.path, "rb") as file:
        file.seek(part.start)
        raw = file.read(part.stop - part.start)
    if part.start == 0 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    # Bytes that are not UTF-8 become lone surrogates: that row's review is "not valid
    # Unicode text", an error row, and the rest of the file is scored.
    content = raw.decode("utf-8", errors="surrogateescape")
    if part.format in ("csv", "tsv"):
        _read_csv(part, content, rows)
    else:
        lines = content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            line = line[:-1] if line.endswith("\r") else line
            if part.format == "txt":
                rows.add(line)
            else:
                _read_json_line(part, line, rows)
    return rows


def _read_csv(part: Partition, content: str, rows: Rows) -> None:
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(
        io.StringIO(content, newline=""),
        delimiter="\t" if part.format == "tsv" else ",",
        strict=True,
    )
    header = part.header or []
    text_at = header.index(part.columns.text)
    id_at = header.index(part.columns.id) if part.columns.id else None
    extra_at = [header.index(name) for name in part.columns.extra]
    try:
        for record in reader:
            if not record:
                rows.add(None, error="the line is empty")
            elif len(record) != len(header):
                rows.add(
                    None,
                    error=f"{len(record)} fields where the header has {len(header)} "
                    "(quote fields that hold commas)",
                )
            else:
                rows.add(
                    record[text_at],
                    record[id_at] if id_at is not None else None,
                    extra=tuple(record[i] for i in extra_at),
                )
    except csv.Error as error:
        raise InvalidInputError(
            f"{part.path}: not valid CSV near byte {part.start} ({error}); check its quotes"
        ) from None


def _read_json_line(part: Partition, line: str, rows: Rows) -> None:
    if not line.strip():
        rows.add(None, error="the line is empty")
        return
    item, error = json_line(line)
    if error is not None:
        rows.add(None, error=error)
        return
    if not isinstance(item, dict):  # a plain JSON string is the review itself
        rows.add(item)
        return
    try:
        text_key = part.columns.text or field_named(item, TEXT_FIELDS)
        id_key = part.columns.id or field_named(item, (ID_FIELD,))
    except ValueError as error:
        rows.add(None, error=f"the object has {error}")
        return
    row_id = item.get(id_key) if id_key else None
    extra = tuple(item.get(name) for name in part.columns.extra)
    if text_key is None or text_key not in item:
        error = f"the object has no {text_key or 'text'!r} field"
        rows.add(None, id_text(row_id), error, extra)
        return
    rows.add(item[text_key], row_id, extra=extra)


def _read_parquet(part: Partition, rows: Rows) -> None:
    import pyarrow.parquet as pq

    wanted = list(dict.fromkeys(c for c in (part.columns.text, part.columns.id) if c))
    wanted += [c for c in part.columns.extra if c not in wanted]
    table = pq.ParquetFile(part.path).read_row_groups(
        list(range(part.start, part.stop)), columns=wanted
    )
    texts = table.column(part.columns.text).to_pylist()
    ids = table.column(part.columns.id).to_pylist() if part.columns.id else [None] * len(texts)
    extras = zip(*(table.column(c).to_pylist() for c in part.columns.extra), strict=True)
    if not part.columns.extra:
        extras = itertools.repeat(())
    for text, row_id, extra in zip(texts, ids, extras, strict=False):
        rows.add(text, row_id, extra=tuple(extra))
