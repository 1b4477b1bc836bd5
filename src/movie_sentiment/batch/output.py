"""A batch job's output: one Parquet part per partition, then the output file.

Everything goes through a folder beside the output, ``OUTPUT.parts/``: ``job.json`` (what
the job is and its partitions) and ``part-NNNNNN.parquet``, each written to a temporary
name and renamed, so a part exists whole or not at all. The job is resumed by running it
again: the parts that exist are kept and only the others are scored. Once every part is
there they are streamed, in order, into a temporary file renamed to the output (Parquet,
CSV or JSONL by its extension), and the folder is removed. A part holds its partition's
rows with their place (``file``, ``row`` within the partition); the output numbers rows
within each input file.

One job at a time writes an output: it holds ``OUTPUT.lock`` (``paths.exclusive_lock``)
from before it reads the parts folder until the output is in place, and a second job
for the same output stops at once, touching nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from movie_sentiment.errors import InvalidInputError, OutputExistsError
from movie_sentiment.storage import exclusive_lock, storage_errors

OUTPUT_FORMATS = (".parquet", ".csv", ".jsonl")
JOB_FILE = "job.json"


def parts_folder(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


def part_path(parts: Path, index: int) -> Path:
    return parts / f"part-{index:06d}.parquet"


def lock_path(output: Path) -> Path:
    return output.with_name(output.name + ".lock")


@contextlib.contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """Hold the output for one job (see the module docstring); the output is checked
    first, so a mistake in its name is named as such, not as a lock it cannot take.
    Taking it also shows the output's folder can be written, before any work."""
    output = Path(output)
    check_output(output)
    with exclusive_lock(
        lock_path(output),
        f"another job is writing {output}; wait for it to finish (or stop it), then run this again",
    ):
        yield


def without_own_parts(output: Path, inputs: list[Path]) -> list[Path]:
    """The inputs but this job's own parts: an output written into a folder it scores
    keeps its parts there, which a resumed run must not take for more reviews."""
    parts = parts_folder(output).resolve()
    return [path for path in inputs if parts not in path.resolve().parents]


def check_not_an_input(output: Path, inputs: list[Path]) -> None:
    """An output that is one of the inputs (the same file by any name: a link, a hard
    link) would be replaced by the scores: refused, with or without ``--force``."""
    try:
        written = output.stat()
    except OSError:
        return  # not there yet: it cannot be an input
    for path in inputs:
        if os.path.samestat(written, path.stat()):
            raise InvalidInputError(
                f"the output {output} is the input {path}; write the scores to another file"
            )


def check_output(output: Path) -> None:
    if output.suffix.lower() not in OUTPUT_FORMATS:
        raise InvalidInputError(
            f"cannot write {output.name}: the output is a {', '.join(OUTPUT_FORMATS)} file"
        )
    if output.is_dir():
        raise InvalidInputError(f"{output} is a folder; name the output file")
    if not output.parent.exists():
        raise InvalidInputError(f"the output's folder {output.parent} does not exist")


def earlier_plan(output: Path, job: dict, force: bool) -> list | None:
    """The partitions an earlier, unfinished run of this same ``job`` planned (None: there
    is none). The parts of a different job, or a finished output, are not touched unless
    ``force``; a folder in the parts folder's place that is not one is never touched."""
    check_parts_folder(output)
    manifest = parts_folder(output) / JOB_FILE
    if manifest.exists() and not force:
        earlier = _read_manifest(manifest)
        if earlier is not None and earlier.get("job") == job:
            return earlier["partitions"]
        raise InvalidInputError(
            f"{parts_folder(output)} holds the parts of a different job (other inputs, model "
            "or options) or a damaged job.json; run that job again to finish it, or pass "
            "--force to start over"
        )
    if output.exists() and not force:
        raise InvalidInputError(f"{output} exists; pass --force to replace it")
    return None


def _read_manifest(manifest: Path) -> dict | None:
    """An earlier job's ``job.json``; None when it is damaged (a job killed as it wrote
    it cannot be, since it is renamed into place, but a disk can lose it)."""
    try:
        earlier = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(earlier, dict) or not isinstance(earlier.get("partitions"), list):
        return None
    return earlier


def check_parts_folder(output: Path) -> None:
    """What stands where the parts go must be a parts folder of a job (its ``job.json``)."""
    parts = parts_folder(output)
    if parts.is_symlink() or (parts.exists() and not (parts / JOB_FILE).is_file()):
        raise OutputExistsError(
            f"{parts} is in the way and is not a job's parts folder; move it, then run again"
        )


def start_job(output: Path, job: dict, partitions: list[dict]) -> Path:
    """A fresh parts folder holding the job and its plan."""
    check_parts_folder(output)
    parts = parts_folder(output)
    with storage_errors(parts):
        if parts.exists():
            shutil.rmtree(parts)
        parts.mkdir()
    write_atomically(parts / JOB_FILE, json.dumps({"job": job, "partitions": partitions}))
    return parts


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def write_part(parts: Path, index: int, table) -> None:
    """A partition's rows (a pyarrow table), whole or not at all."""
    import pyarrow.parquet as pq

    final = part_path(parts, index)
    temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    pq.write_table(table, temporary)
    os.replace(temporary, final)


def error_rows(table) -> int:
    """Rows of a part (a pyarrow table) that could not be scored."""
    return table.num_rows - table.column("error").null_count


def finished(parts: Path, count: int) -> set[int]:
    return {i for i in range(count) if part_path(parts, i).exists()}


def commit(parts: Path, partitions: list, output: Path) -> tuple[int, int]:
    """Every part, in order, into ``output`` (through a temporary file); the row numbers
    counted within each input file. Returns the rows written and how many are errors."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = output.suffix.lower()
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    rows_before: dict[int, int] = {}  # rows of each input file's earlier partitions
    writer = None
    total = errors = 0
    try:
        with open(temporary, "wb") as sink:
            for part in partitions:
                table = pq.read_table(part_path(parts, part.index))
                offset = rows_before.get(part.file, 0)
                rows_before[part.file] = offset + table.num_rows
                row = pa.compute.add(table.column("row"), offset)
                table = table.set_column(table.schema.get_field_index("row"), "row", row)
                total += table.num_rows
                errors += error_rows(table)
                if kind == ".parquet":
                    if writer is None:
                        writer = pq.ParquetWriter(sink, table.schema)
                    writer.write_table(table)
                elif kind == ".csv":
                    table.to_pandas().to_csv(sink, index=False, header=writer is None)
                    writer = True
                else:
                    for record in table.to_pylist():
                        sink.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            if kind == ".parquet" and writer is not None:
                writer.close()
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    shutil.rmtree(parts)
    return total, errors
