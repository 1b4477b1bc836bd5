import pytest

from movie_sentiment.data.files import read_texts
from movie_sentiment.errors import DataNotFoundError, InvalidInputError


def test_txt_is_one_review_per_line_blank_lines_skipped(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("Loved it.\n\n  \nHated it.\n", encoding="utf-8")
    assert read_texts(path) == ["Loved it.", "Hated it."]


def test_csv_reads_the_text_or_review_column(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('id,Review\n1,"Loved it, truly."\n2,"Multi\nline"\n', encoding="utf-8")
    assert read_texts(path) == ["Loved it, truly.", "Multi\nline"]


def test_jsonl_reads_objects_or_strings(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "Great"}\n"Awful"\n\n', encoding="utf-8")
    assert read_texts(path) == ["Great", "Awful"]


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_bytes("fine\ncaf\xe9 bad".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="not UTF-8 .*line 2"):
        read_texts(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.csv", "id,body\n1,x\n", "no 'text' or 'review' field"),
        ("r.csv", "text\n\n", "holds no reviews"),
        ("r.csv", 'text,id\n"",1\n', "line 2: the review is empty"),
        ("r.jsonl", '{"text": "  "}\n', "line 1: the review is empty"),
        ("r.jsonl", "{oops\n", "line 1 is not JSON"),
        ("r.txt", "\n\n", "holds no reviews"),
        ("r.docx", "x", "use a .txt, .csv, .jsonl file"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        read_texts(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match="not found"):
        read_texts(tmp_path / "nope.txt")
