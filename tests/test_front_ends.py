"""Every front end carries every field of the score record (``bundle/record.py``) under
its one name, with the library's values: the library (``Scores.row``, ``Prediction``), the
CLI's table and ``--json``, the ``explain --html`` page, ``/v1/score``, V2 ``infer``, and
batch output in Parquet, CSV and JSONL. Adding a field to ``record.FIELDS`` is then one
change, and a front end that does not carry it fails here."""

import csv
import dataclasses
import json
import socket
import threading
import time
from html.parser import HTMLParser

import httpx
import pytest
import uvicorn

from movie_sentiment.bundle import Prediction, SentimentModel
from movie_sentiment.bundle.record import FIELD, NAMES
from movie_sentiment.service.app import create_app

REVIEWS = ["wonderful superb brilliant film", "awful boring worst waste"]


@pytest.fixture(scope="module")
def library_rows(nbsvm_run) -> list[dict]:
    """What the library says of ``REVIEWS``: the values every front end must carry."""
    return SentimentModel.load(nbsvm_run.bundle_dir).score(REVIEWS).rows()


def assert_same_record(record: dict, expected: dict) -> None:
    """``record`` holds every field under its name, with the library's value (floats to
    the precision a front end keeps: FP32 in V2, text in CSV)."""
    assert set(NAMES) <= set(record), f"missing: {set(NAMES) - set(record)}"
    for name in NAMES:
        if FIELD[name].kind is float and expected[name] is not None:
            assert float(record[name]) == pytest.approx(expected[name], rel=1e-6), name
        else:
            assert record[name] == expected[name], name


def test_the_record_has_one_name_per_idea():
    assert len(set(NAMES)) == len(NAMES)
    assert "positive_probability" not in NAMES and "probability" in NAMES


def test_the_library(nbsvm_run, library_rows):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    assert [tuple(row) for row in library_rows] == [NAMES] * len(REVIEWS)
    assert [field.name for field in dataclasses.fields(Prediction)] == list(NAMES)
    for prediction, expected in zip(model.predict(REVIEWS), library_rows, strict=True):
        assert_same_record(prediction.to_dict(), expected)
    assert library_rows[0]["stars"] is not None  # the toy nbsvm has a stars model


def test_the_cli_table_and_json(cli, nbsvm_run, library_rows):
    lines = cli("predict", nbsvm_run.bundle_dir, *REVIEWS, "--json").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [list(r) for r in records] == [["line", "text", *NAMES]] * len(REVIEWS)
    for record, expected in zip(records, library_rows, strict=True):
        assert_same_record(record, expected)
    explained = cli("explain", nbsvm_run.bundle_dir, REVIEWS[0], "--json").stdout
    assert list(json.loads(explained)) == ["line", "text", *NAMES, "explanation"]
    table = cli("predict", nbsvm_run.bundle_dir, *REVIEWS).stdout.splitlines()
    header = table[0].split()
    assert header == ["line", *(n for n in NAMES if n != "error"), "review", "error"]
    first = table[1].split()
    assert first[header.index("label")] == library_rows[0]["label"]
    assert float(first[header.index("probability")]) == pytest.approx(
        library_rows[0]["probability"], abs=1e-4
    )
    assert first[-1] == "-"  # no error


class _RecordsOnPage(HTMLParser):
    """The ``data-`` attributes of each review section of a page."""

    def __init__(self):
        super().__init__()
        self.records: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            data = {k[5:]: json.loads(v) for k, v in attrs if k.startswith("data-")}
            self.records.append(data)


def test_the_html_page(cli, nbsvm_run, library_rows, tmp_path):
    page = tmp_path / "why.html"
    assert cli("explain", nbsvm_run.bundle_dir, *REVIEWS, "--html", page).returncode == 0
    parser = _RecordsOnPage()
    parser.feed(page.read_text(encoding="utf-8"))
    assert len(parser.records) == len(REVIEWS)
    for record, expected in zip(parser.records, library_rows, strict=True):
        assert list(record) == list(NAMES)
        assert_same_record(record, expected)


@pytest.fixture(scope="module")
def service(nbsvm_run):
    """The service over the toy nbsvm, on a real uvicorn server on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app({"nbsvm": SentimentModel.load(nbsvm_run.bundle_dir)})
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while not server.started or client.get("/v2/health/ready").status_code != 200:
                assert time.monotonic() < deadline, "the service did not get ready"
                time.sleep(0.05)
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_v1_score(service, library_rows):
    scores = service.post("/v1/score", json={"reviews": REVIEWS}).json()["scores"]
    for record, expected in zip(scores, library_rows, strict=True):
        assert list(record) == [*NAMES, "explanation"]
        assert_same_record(record, expected)
    spec = service.get("/openapi.json").json()["components"]["schemas"]["ReviewScore"]
    assert list(spec["properties"]) == [*NAMES, "explanation"]


def test_v2_infer(service, library_rows):
    metadata = service.get("/v2/models/nbsvm").json()
    assert [output["name"] for output in metadata["outputs"]] == list(NAMES)
    request = {"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": REVIEWS}]}
    outputs = service.post("/v2/models/nbsvm/infer", json=request).json()["outputs"]
    assert [output["name"] for output in outputs] == list(NAMES)
    columns = {output["name"]: output["data"] for output in outputs}
    for number, expected in enumerate(library_rows):
        record = {name: columns[name][number] for name in NAMES}
        record["error"] = record["error"] or None  # a tensor has no null: "" for none
        assert_same_record(record, expected)


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl"])
def test_batch_output(cli, nbsvm_run, library_rows, tmp_path, suffix):
    source = tmp_path / "reviews.csv"
    source.write_text("text\n" + "".join(f"{text}\n" for text in REVIEWS), encoding="utf-8")
    output = tmp_path / f"scored.{suffix}"
    result = cli("score", nbsvm_run.bundle_dir, source, "--output", output)
    assert result.returncode == 0, result.stderr
    if suffix == "parquet":
        import pyarrow.parquet as pq

        records = pq.read_table(output).to_pylist()
    elif suffix == "jsonl":
        records = [json.loads(line) for line in output.read_text().splitlines()]
    else:
        records = list(csv.DictReader(output.open(encoding="utf-8")))
        records = [_typed(record) for record in records]
    for record, expected in zip(records, library_rows, strict=True):
        assert list(record) == ["file", "row", *NAMES]
        assert_same_record(record, expected)


def _typed(record: dict) -> dict:
    """A CSV row's record fields back in their kinds (CSV holds text; empty for none)."""
    typed = dict(record)
    for name in NAMES:
        value, kind = record[name], FIELD[name].kind
        if value == "":
            typed[name] = None
        elif kind is bool:
            typed[name] = value.lower() == "true"
        else:
            typed[name] = kind(value)
    return typed
