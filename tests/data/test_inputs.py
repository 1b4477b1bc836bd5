"""Batch inputs: found, cut into partitions only where records end, read whole."""

import csv
import json

import pytest

from movie_sentiment.data.inputs import find_inputs, plan, read_partition
from movie_sentiment.errors import DataNotFoundError, InvalidInputError

TRICKY = [
    "plain review",
    'a "quoted" word, and a comma',
    "line one\nline two, still the same review",
    'ends in a quote "',
    "",  # an empty review: an error row, kept
    "tab\there ünïcødé 🎬",
]


def write_csv(path, texts, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(["id", "text"])
        for number, text in enumerate(texts):
            writer.writerow([f"r{number}", text])
    return path


def read_all(partitions):
    texts, ids, errors = [], [], []
    for part in partitions:
        rows = read_partition(part)
        texts += rows.texts
        ids += rows.ids
        errors += rows.errors
    return texts, ids, errors


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_csv_is_cut_only_between_records(tmp_path, delimiter):
    """Partitions of 40 bytes fall inside quoted newlines and quotes all the time; every
    record still comes back whole, once, in order."""
    texts = TRICKY * 30
    path = write_csv(tmp_path / ("r.csv" if delimiter == "," else "r.tsv"), texts, delimiter)
    partitions = plan([path], partition_bytes=40)
    assert len(partitions) > 20
    got, ids, errors = read_all(partitions)
    expected = [t if t else None for t in texts]
    assert got == expected
    assert ids == [f"r{n}" for n in range(len(texts))]
    assert errors == [None if t else "the review is empty or whitespace only" for t in texts]


def test_jsonl_and_txt_are_cut_at_line_ends(tmp_path):
    jsonl = tmp_path / "r.jsonl"
    lines = [json.dumps({"id": n, "review": t}) for n, t in enumerate(TRICKY * 20)]
    lines += ["not json", json.dumps({"text": 5}), json.dumps("a plain string review")]
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    txt = tmp_path / "r.txt"
    txt.write_text("first\r\nsecond\n\nfourth", encoding="utf-8")
    got, ids, errors = read_all(plan([jsonl, txt], partition_bytes=50))
    assert got[:6] == [t if t else None for t in TRICKY]
    assert ids[:3] == ["0", "1", "2"]
    assert errors[-7:-4] == [
        "the line is not JSON (Expecting value)",
        "the review is not text but int",
        None,
    ]
    assert got[-5] == "a plain string review"
    assert got[-4:] == ["first", "second", None, "fourth"]


def test_parquet_partitions_are_runs_of_row_groups(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "r.parquet"
    texts = [f"review {n}" for n in range(1000)] + [None]
    table = pa.table({"review_id": [str(n) for n in range(1001)], "body": texts})
    pq.write_table(table, path, row_group_size=100)
    partitions = plan([path], text_column="body", id_column="review_id", partition_bytes=1)
    assert len(partitions) == 11
    got, ids, errors = read_all(partitions)
    assert got[:1000] == texts[:1000] and ids[1000] == "1000"
    assert errors[1000] == "the review is not text but NoneType"


def test_inputs_are_files_folders_and_globs(tmp_path):
    (tmp_path / "a").mkdir()
    first = write_csv(tmp_path / "a" / "1.csv", ["x"])
    second = write_csv(tmp_path / "a" / "2.csv", ["y"])
    (tmp_path / "a" / "notes.md").write_text("not an input")
    assert find_inputs([str(tmp_path / "a")]) == [first, second]
    assert find_inputs([str(tmp_path / "a" / "*.csv"), str(first)]) == [first, second]
    with pytest.raises(DataNotFoundError, match="no input file matches"):
        find_inputs([str(tmp_path / "*.parquet")])
    with pytest.raises(InvalidInputError, match="inputs are .csv"):
        find_inputs([str(tmp_path / "a" / "notes.md")])


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,body\n1,fine\n")
    with pytest.raises(InvalidInputError, match="no 'text' or 'review' column .columns: id, body"):
        plan([path])
    with pytest.raises(InvalidInputError, match="no column 'words' .the --text-column"):
        plan([path], text_column="words")
    partitions = plan([path], text_column="body")
    assert read_partition(partitions[0]).texts == ["fine"]


def test_rows_keep_their_number_of_fields_check(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('id,text\n1,fine\n2,too,many\n3,"ok"\n')
    rows = read_partition(plan([path])[0])
    assert rows.texts == ["fine", None, "ok"]
    assert rows.errors[1] == "3 fields where the header has 2 (quote fields that hold commas)"


def test_jsonl_lines_too_deep_or_too_long_to_parse_are_error_rows(tmp_path):
    path = tmp_path / "r.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(f'{{"text": "fine"}}\n{deep}\n{{"text": {"9" * 5000}}}\n')
    rows = read_partition(plan([path])[0])
    assert rows.texts == ["fine", None, None]
    assert rows.errors[1] == "the line is JSON nested too deeply to read"
    assert rows.errors[2].startswith("the line holds a number too long to read")


@pytest.mark.parametrize(
    ("values", "named"), [([1], "int64"), ([1.5], "double"), ([True], "bool"), ([b"x"], "binary")]
)
def test_a_parquet_text_column_of_another_type_is_named_with_its_type(tmp_path, values, named):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": values}), path)
    with pytest.raises(InvalidInputError, match=f"column 'text' holds {named}, not text"):
        plan([path])
    pq.write_table(pa.table({"id": ["a"], "text": pa.array([None], pa.string())}), path)
    assert read_partition(plan([path])[0]).errors == ["the review is not text but NoneType"]
    categories = pa.array(["great fun"]).dictionary_encode()  # pandas' category columns
    pq.write_table(pa.table({"id": ["a"], "text": categories}), path)
    assert read_partition(plan([path])[0]).texts == ["great fun"]
