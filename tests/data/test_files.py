"""A user's review files: one InputRow per row, named by its line, nothing dropped."""

import json

import pytest

from movie_sentiment.data.files import InputRow, read_rows
from movie_sentiment.errors import DataNotFoundError, InvalidInputError


def texts(rows):
    return [row.text for row in rows]


def test_txt_is_one_review_per_line_and_blank_lines_are_error_rows(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("Loved it.\n\n  \r\nHated it.\r\n", encoding="utf-8")
    assert read_rows(path) == [
        InputRow(1, "Loved it."),
        InputRow(2, None, None, "the review is empty or whitespace only"),
        InputRow(3, None, None, "the review is empty or whitespace only"),
        InputRow(4, "Hated it."),
    ]


def test_a_line_ends_only_at_a_newline(tmp_path):
    """Real reviews hold U+0085 (322 of IMDB's test reviews), U+2028 and form feeds, which
    ``str.splitlines`` takes for line ends: one line must stay one review."""
    reviews = ["One\x85two", "Three\u2028four\u2029five", "Six\x0cseven\x1cand\x1d\x1e\x0b"]
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(reviews), encoding="utf-8")  # no newline after the last
    assert texts(read_rows(path)) == reviews
    lines = tmp_path / "reviews.jsonl"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reviews))
    assert texts(read_rows(lines)) == reviews


def test_csv_reads_the_text_or_review_column_and_the_id(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('id,Review\n7,"Loved it, truly."\n9,"Multi\nline"\n8,""\n', encoding="utf-8")
    assert read_rows(path) == [
        InputRow(2, "Loved it, truly.", "7"),
        InputRow(3, "Multi\nline", "9"),
        InputRow(
            5, None, "8", "the review is empty or whitespace only"
        ),  # the row after a two-line one
    ]


def test_csv_cells_of_any_size(tmp_path):
    long_review = "word " * 60_000  # 300,000 characters, over Python's 131,072 default
    path = tmp_path / "reviews.csv"
    path.write_text(f'text\n"{long_review}"\nshort\n', encoding="utf-8")
    assert texts(read_rows(path)) == [long_review, "short"]


def test_jsonl_reads_objects_or_strings_with_an_id(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "Great", "id": 4}\n"Awful"\n\n{oops\n[1]\n{"body": "x"}\n')
    rows = read_rows(path)
    assert rows[:2] == [InputRow(1, "Great", "4"), InputRow(2, "Awful")]
    assert [(row.line, row.error) for row in rows[2:]] == [
        (3, "the line is empty"),
        (4, "the line is not JSON (Expecting property name enclosed in double quotes)"),
        (5, "the review is not text but list"),
        (6, "the object has no 'text' or 'review' field"),
    ]


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_bytes("fine\ncaf\xe9 bad".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="not UTF-8 .*line 2"):
        read_rows(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.csv", "id,body\n1,x\n", "no 'text' or 'review' column"),
        ("r.csv", "", "is empty"),
        ("r.csv", "text\n", "holds no reviews"),
        ("r.csv", 'text,id\n"never closed,1\nnext,2\n', "line 3: not valid CSV"),
        ("r.csv", 'text,id\nfine,1\n"a "quote" inside",2\n', "line 3: not valid CSV"),
        ("r.csv", "text,id\nhello, world,3\n", "line 2: 3 fields where the header has 2"),
        ("r.txt", "", "holds no reviews"),
        ("r.docx", "x", "use a .txt, .csv, .jsonl file"),
    ],
)
def test_files_that_cannot_be_read_give_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        read_rows(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match="not found"):
        read_rows(tmp_path / "nope.txt")


def test_ids_are_text_and_unusable_rows_say_why(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text(
        '{"id": 5, "text": "a"}\n{"id": true, "text": "b"}\n{"id": NaN, "body": "c"}\n'
        '{"text": "\\ud800 great"}\n{"text": "x", "TEXT": "y"}\n',
        encoding="utf-8",
    )
    rows = read_rows(path)
    assert [row.id for row in rows[:3]] == ["5", "true", "NaN"]
    assert rows[3].error == "the review is not valid Unicode text" and rows[3].text is None
    assert rows[4].error.startswith("the object has more than one 'text' or 'review' field")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\ntext\nfine\n", "no header on its first line"),
        ("text,text\na,b\n", "names a column twice"),
        ("text,Review\na,b\n", "more than one 'text' or 'review' field"),
    ],
)
def test_ambiguous_csv_headers_are_refused(tmp_path, content, message):
    path = tmp_path / "r.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        read_rows(path)


def test_a_folder_is_not_a_file_of_reviews(tmp_path):
    (tmp_path / "reviews.txt").mkdir()
    with pytest.raises(InvalidInputError, match="is a folder, not a file of reviews"):
        read_rows(tmp_path / "reviews.txt")


def test_jsonl_lines_too_deep_or_too_long_to_parse_are_error_rows(tmp_path):
    """A line nested 100,000 deep (Python's parser would raise RecursionError) or holding a
    number of 5,000 digits (beyond Python's int limit) is an error row; the rest is read."""
    path = tmp_path / "reviews.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(f'"fine"\n{deep}\n{{"text": {"9" * 5000}}}\n{{"text": "also fine"}}\n')
    rows = read_rows(path)
    assert [row.text for row in rows] == ["fine", None, None, "also fine"]
    assert rows[1].error == "the line is JSON nested too deeply to read"
    assert rows[2].error.startswith("the line holds a number too long to read")
