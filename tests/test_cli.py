"""The command line: a few runs as a user runs them (a real process, real exit codes), and
the rest of its behaviour through the same entry point in this process."""

import json
import os
import subprocess
import sys

import pytest
from conftest import assert_one_line_error


def run_process(*args, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "movie_sentiment.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_train_then_predict_as_separate_processes(small_archive, tmp_path):
    out = tmp_path / "run"
    trained = run_process(
        "train", "--family", "nbsvm", "--data", small_archive, "--out", out,
        "--validation-size", "20", "--epochs", "3",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    lines = trained.stdout.strip().splitlines()  # Keras' epoch lines, then ours
    assert any(line.startswith("Validation accuracy: ") for line in lines)
    assert any(line.startswith("Test accuracy: 1.0000") for line in lines)
    assert lines[-2:] == [f"Saved bundle: {out / 'bundle'}", f"Report: {out / 'report.html'}"]
    assert any(line.startswith("Test stars: MAE ") for line in lines)
    assert any(line.startswith("Uncertain zone: ") for line in lines)
    assert (out / "report.html").is_file()
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("wonderful superb film\n\nawful boring waste\n", encoding="utf-8")
    predicted = run_process("predict", out, "--file", reviews, "--json")
    assert predicted.returncode == 0, predicted.stderr
    rows = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [(r["line"], r["label"]) for r in rows] == [(1, "positive"), (2, None), (3, "negative")]
    assert rows[1]["error"] == "the review is empty or whitespace only"
    assert predicted.stderr.strip() == (
        "warning: 1 of 3 reviews not scored (see their error): line 2"
    )


def test_help_needs_no_heavy_imports():
    result = run_process("--help")
    assert result.returncode == 0 and "train" in result.stdout and "predict" in result.stdout


def test_python_dash_m_runs_the_command():
    """``python -m movie_sentiment`` is the same command as ``movie-sentiment``."""
    result = subprocess.run(
        [sys.executable, "-m", "movie_sentiment", "families", "tutorial"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["family"] == "tutorial"


def test_train_prints_figures_and_honours_checkpoint(cli, small_archive, tmp_path):
    out = tmp_path / "run"
    result = cli(
        "train", "--family", "tutorial", "--data", small_archive, "--out", out,
        "--epochs", "3", "--validation-size", "20", "--no-checkpoint",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Test accuracy: 0." in result.stdout or "Test accuracy: 1." in result.stdout
    card = json.loads((out / "bundle" / "card.json").read_text())
    assert card["config"]["training"]["checkpoint"] is False  # the family default is True
    assert card["epoch_kept"] == card["epochs_run"] == 3


def test_evaluate_scores_the_test_split(cli, tutorial_run, small_archive):
    result = cli("evaluate", tutorial_run.run_dir, "--data", small_archive)
    assert result.returncode == 0, result.stderr
    card = json.loads((tutorial_run.bundle_dir / "card.json").read_text())
    expected = f"Test accuracy: {card['metrics']['test']['accuracy']:.4f}"
    assert expected in result.stdout.splitlines()
    assert "ROC AUC" in result.stdout


def test_predict_names_every_input_row(cli, tutorial_run, tmp_path):
    result = cli(
        "predict", tutorial_run.bundle_dir,
        "wonderful superb brilliant film", "   ", "zzyzx qwerty", "awful boring worst waste",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    header = table[0].split()  # the score record's fields (bundle/record.py), by name
    assert header[:3] == ["line", "label", "probability"] and header[-2:] == ["review", "error"]
    assert table[1].split()[:2] == ["1", "positive"] and table[1].endswith("  -")
    assert table[2].split()[:4] == ["2", "-", "-", "-"]
    assert table[2].endswith("the review is empty or whitespace only")
    unknown = table[3].split()
    assert unknown[0] == "3" and unknown[header.index("no_known_words")] == "yes"
    assert table[4].split()[:2] == ["4", "negative"]
    assert result.stderr.splitlines() == [
        "warning: 1 of 4 reviews not scored (see their error): line 2",
        "warning: 1 review(s) hold no word the model knows, so their score is only its "
        "prior: line 3",
    ]


def test_predict_json_round_trips_through_its_own_reader(cli, tutorial_run, tmp_path):
    """The tool's own --json output (reviews holding U+2028 and U+0085) is valid JSONL that
    --file reads back, one row per line."""
    reviews = tmp_path / "in.jsonl"
    texts = ["wonderful\u2028superb film", "awful\x85boring"]
    reviews.write_text(
        "".join(json.dumps({"text": t, "id": f"r{i}"}) + "\n" for i, t in enumerate(texts))
    )
    first = cli("predict", tutorial_run.bundle_dir, "--file", reviews, "--json")
    assert first.returncode == 0, first.stderr
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    assert [(r["line"], r["id"], r["text"]) for r in rows] == [
        (1, "r0", texts[0]),
        (2, "r1", texts[1]),
    ]
    output = tmp_path / "out.jsonl"
    output.write_text(first.stdout, encoding="utf-8")
    second = cli("predict", tutorial_run.bundle_dir, "--file", output, "--json")
    assert [json.loads(line)["probability"] for line in second.stdout.splitlines()] == [
        r["probability"] for r in rows
    ]


def test_data_info_and_show(cli, small_archive):
    info = cli("data", "info", "--data", small_archive)
    assert info.returncode == 0, info.stderr
    counts = {line.split()[0]: line.split()[1:5] for line in info.stdout.splitlines()[3:]}
    assert counts == {
        "train": ["80", "40", "40", "0"],
        "test": ["80", "40", "40", "0"],
        "unsup": ["10", "0", "0", "10"],
    }
    shown = cli("data", "show", "--split", "train", "--index", "0", "--data", small_archive)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Review train[0] (id 0, ")
    assert "Raw text:" in shown.stdout and "Decoded:\n<START> " in shown.stdout


def test_families_prints_defaults_that_train_accepts(cli, tmp_path, small_archive):
    listing = cli("families").stdout
    assert "160,289" in listing.split("tutorial")[1].split("\n")[0]
    assert "576,305" in listing.split("mslearn")[1].split("\n")[0]
    defaults = json.loads(cli("families", "mslearn").stdout)
    assert defaults["family"] == "mslearn" and defaults["epochs"] == 5
    defaults.update(epochs=1, validation_size=20, encoder={**defaults["encoder"], "maxlen": 40})
    config = tmp_path / "mslearn.json"
    config.write_text(json.dumps(defaults))
    # Options given on the command line win; the rest comes from the file, not defaults.
    result = cli("train", "--config", config, "--data", small_archive, "--out", tmp_path / "r",
                 "--seed", "7")  # fmt: skip
    assert result.returncode == 0, result.stderr
    used = json.loads((tmp_path / "r" / "config.json").read_text())
    assert used["family"] == "mslearn" and used["training"]["seed"] == 7
    assert used["encoder"]["maxlen"] == 40 and used["training"]["epochs"] == 1
    assert used["training"]["validation_size"] == 20


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["families", "bert"], "unknown model family 'bert'"),
        (["train", "--epochs", "abc"], "Invalid value for '--epochs'"),
        (["train", "--epoch", "3"], "No such option: --epoch"),
    ],
)
def test_usage_mistakes_are_one_line_errors(cli, args, fragment):
    assert_one_line_error(cli(*args), fragment)


def as_at_a_terminal() -> None:
    """In the child, before it starts: Ctrl-C as a terminal gives it. A command started in
    the background of a shell without job control (``cmd &`` in a script) inherits SIGINT
    ignored, and then rightly ignores it; the Ctrl-C tests must not depend on how pytest
    itself was started."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_training_leaves_only_its_resume_state(small_archive, tmp_path):
    import signal

    out = tmp_path / "runs" / "run"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "movie_sentiment.cli", "train", "--data", str(small_archive),
            "--out", str(out), "--epochs", "500", "--batch-size", "2", "--validation-size", "20",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=as_at_a_terminal,
    )  # fmt: skip
    for line in process.stdout:  # Keras prints a line per epoch when not on a terminal
        if line.startswith("Epoch 3/"):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.splitlines() == [
        f"Run folder: {out} (if interrupted, `movie-sentiment train --resume {out}` goes on)",
        "error: interrupted (Ctrl-C)",
    ]
    # No run and no staging left: only what --resume needs, hidden beside it.
    assert list((tmp_path / "runs").iterdir()) == [tmp_path / "runs" / ".run.resume"]


def test_explain_colors_words_and_lists_the_top_ones(cli, nbsvm_run):
    result = cli(
        "explain", nbsvm_run.bundle_dir, "wonderful superb film, awful ending", "--top", "3"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("line 1: ") and "probability of positive" in lines[0]
    assert "stars" in lines[0]
    assert "wonderful superb film, awful ending" in result.stdout  # the review, as written
    positive = next(line for line in lines if line.startswith("For positive: "))
    against = next(line for line in lines if line.startswith("Against: "))
    assert "wonderful" in positive and "awful" in against
    assert "(exact)" in result.stdout


def test_explain_json_tokens_add_up_to_the_logit(cli, tutorial_run):
    text = "A wonderful film.<br />Superb &amp; moving!"
    result = cli("explain", tutorial_run.bundle_dir, text, "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    explanation = record["explanation"]
    assert [t["text"] for t in explanation["tokens"]] == [
        "A", "wonderful", "film", "Superb", "moving"
    ]  # fmt: skip
    assert all(text[t["start"] : t["end"]] == t["text"] for t in explanation["tokens"])
    total = explanation["base"] + sum(t["contribution"] for t in explanation["tokens"])
    assert total + explanation["gap"] == pytest.approx(record["logit"], abs=1e-6)
    assert explanation["method"].startswith("integrated gradients")


def test_explain_html_is_one_page_that_shows_markup_as_text(cli, nbsvm_run, tmp_path):
    page = tmp_path / "why.html"
    hostile = 'wonderful <script>alert("x")</script> <img src=x onerror="alert(1)"> film'
    result = cli("explain", nbsvm_run.bundle_dir, hostile, "--html", page)
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html  # escaped, so shown, not run
    assert "&lt;script&gt;" in html and 'title="+' in html
    assert "http" not in html  # self-contained: nothing fetched from elsewhere


def test_explain_without_text_lists_what_a_linear_model_learned(cli, nbsvm_run, tutorial_run):
    learned = cli("explain", nbsvm_run.bundle_dir, "--top", "5")
    assert learned.returncode == 0, learned.stderr
    assert "most positive" in learned.stdout and "most negative" in learned.stdout
    assert_one_line_error(
        cli("explain", tutorial_run.bundle_dir),
        "the tutorial family is not linear, so it has no weight per n-gram to list",
    )


def test_predict_shows_stars_and_honours_the_target_accuracy(cli, nbsvm_run):
    texts = ["wonderful superb film", "awful boring waste"]
    strict = cli("predict", nbsvm_run.bundle_dir, *texts, "--json", "--target-accuracy", "1")
    loose = cli("predict", nbsvm_run.bundle_dir, *texts, "--json", "--target-accuracy", "0.5")
    assert strict.returncode == loose.returncode == 0
    rows = [json.loads(line) for line in loose.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["positive", "negative"]
    assert rows[0]["stars"] >= 7 and rows[1]["stars"] <= 4
    assert all(r["chunks"] == 1 for r in rows)
    assert_one_line_error(
        cli("predict", nbsvm_run.bundle_dir, "fine", "--target-accuracy", "3"),
        "target accuracy must be a number from 0.5 to 1, not 3.0",
    )


def test_report_rewrites_the_run_page(cli, nbsvm_run, small_archive, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(nbsvm_run.run_dir, run)
    (run / "report.html").unlink()
    result = cli("report", run, "--data", small_archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote {run / 'report.html'}"
    page = (run / "report.html").read_text(encoding="utf-8")
    assert "nbsvm run report" in page and page.count("data:image/png;base64,") == 6


HOSTILE = (
    "wonderful film \x1b]0;owned\x07\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07 superb\r\x9b31m\x7f\x00 end"
)


def test_control_characters_in_a_review_reach_the_terminal_escaped(cli, nbsvm_run, tmp_path):
    """ESC sequences (window title, clear screen, OSC 52 clipboard), C0 and C1 controls and
    a carriage return in a review are shown escaped by predict and explain, never sent."""
    reviews = tmp_path / "r.jsonl"
    reviews.write_text(json.dumps({"text": HOSTILE}) + "\n", encoding="utf-8")
    for args in (
        ["predict", nbsvm_run.bundle_dir, HOSTILE],
        ["predict", nbsvm_run.bundle_dir, "--file", reviews],
        ["explain", nbsvm_run.bundle_dir, HOSTILE],
        ["explain", nbsvm_run.bundle_dir, "--file", reviews],
    ):
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        shown = result.stdout + result.stderr
        assert not any(ord(c) < 32 and c not in "\n" or 0x7F <= ord(c) <= 0x9F for c in shown)
        assert "\\x1b]0;owned\\x07" in shown and "\\x1b]52;c;" in shown
        assert "\\x9b31m" in shown or args[0] == "predict"  # the table shows 60 characters
    explained = cli("explain", nbsvm_run.bundle_dir, HOSTILE).stdout
    assert "superb\\x0d\\x9b31m\\x7f\\x00 end" in explained


def test_json_output_escapes_every_control_character_and_round_trips(cli, nbsvm_run):
    for command in ("predict", "explain"):
        result = cli(command, nbsvm_run.bundle_dir, HOSTILE, "--json")
        assert result.returncode == 0, result.stderr
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in result.stdout.strip())
        assert json.loads(result.stdout)["text"] == HOSTILE


def test_predict_exits_1_when_the_model_scores_no_review(cli, nbsvm_run, tmp_path):
    """A bundle whose weights overflow every score (finite, so it loads) leaves each row
    without a number: one error line that blames the model, exit 1, no table."""
    import numpy as np

    from movie_sentiment.bundle import SentimentModel

    model = SentimentModel.load(nbsvm_run.bundle_dir)
    model.keras_model.set_weights([np.full_like(w, 1e38) for w in model.keras_model.get_weights()])
    model.save(tmp_path / "overflowing")
    for command in ("predict", "explain"):
        result = cli(command, tmp_path / "overflowing", "great film", "awful")
        assert result.returncode == 1 and result.stdout == ""
        last = result.stderr.splitlines()[-1]
        assert last.startswith("error: the model could not score any of the 2 reviews")
        assert "got no number from the model" in last
    assert [line for line in result.stderr.splitlines() if line.startswith("error")] == [last]
    reviews = tmp_path / "r.txt"
    reviews.write_text("\ngreat film\n")  # an empty line is the input's; the rest the model's
    with_blank = cli("predict", tmp_path / "overflowing", "--file", reviews)
    assert with_blank.returncode == 1 and with_blank.stderr == (
        "error: the model could not score any of the 1 reviews (review got no number from "
        "the model (NaN): its weights are damaged); the bundle is damaged: train it again\n"
    )


@pytest.mark.parametrize("command", ["predict", "train"])
def test_ctrl_c_while_keras_starts_stops_the_command(command, nbsvm_run, small_archive, tmp_path):
    """Ctrl-C in the first seconds (imports, model load: JAX's garbage-collector callback
    used to swallow it, and predict printed every score, train trained a whole run)
    ends with 130, one line, and no score or run."""
    import signal
    import time

    arguments = {
        "predict": ["predict", nbsvm_run.bundle_dir, "great film", "awful film"],
        "train": ["train", "--family", "nbsvm", "--data", small_archive, "--out",
                  tmp_path / "run", "--validation-size", "20"],
    }[command]  # fmt: skip
    for delay in (0.3, 0.6, 0.9, 1.2, 1.6):
        process = subprocess.Popen(
            [sys.executable, "-m", "movie_sentiment.cli", *map(str, arguments)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=as_at_a_terminal,
        )  # fmt: skip
        time.sleep(delay)
        if process.poll() is not None:  # a fast machine finished first: nothing to stop
            continue
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
        assert (process.returncode, stdout) == (130, ""), (delay, stderr)
        lines = [line for line in stderr.splitlines() if not line.startswith("Run folder: ")]
        assert lines == ["error: interrupted (Ctrl-C)"], delay  # (train says where it runs)
        assert not (tmp_path / "run").exists()


def test_explain_html_replaces_a_page_only_with_force(cli, nbsvm_run, tmp_path):
    page = tmp_path / "notes.html"
    page.write_text("my notes")
    refused = cli("explain", nbsvm_run.bundle_dir, "great film", "--html", page)
    assert_one_line_error(refused, "notes.html exists; pass --force to replace it")
    assert page.read_text() == "my notes"
    replaced = cli("explain", nbsvm_run.bundle_dir, "great film", "--html", page, "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert page.read_text().lower().startswith("<!doctype html>")


def test_train_reuses_a_runs_own_config(cli, nbsvm_run, small_archive, tmp_path):
    result = cli(
        "train", "--config", nbsvm_run.run_dir / "config.json", "--data", small_archive,
        "--out", tmp_path / "again",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    again = json.loads((tmp_path / "again" / "config.json").read_text())
    assert again == json.loads((nbsvm_run.run_dir / "config.json").read_text())
