"""The command line as a user runs it: a real process, real files, real exit codes."""

import json
import os
import subprocess
import sys

import pytest


def run(*args, env_extra=None, check_ok=True):
    env = {**os.environ, **(env_extra or {})}
    result = subprocess.run(
        [sys.executable, "-m", "movie_sentiment.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if check_ok:
        assert result.returncode == 0, result.stderr
    return result


def assert_one_line_error(result, fragment):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def trained_run(small_archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    result = run(
        "train",
        "--model",
        "tutorial",
        "--data",
        small_archive,
        "--out",
        out,
        "--epochs",
        "2",
        "--validation-size",
        "20",
    )
    return out, result


def test_train_prints_test_figures_and_bundle_path(trained_run):
    out, result = trained_run
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("Test accuracy: 0.") for line in lines)
    assert lines[-1] == f"Saved bundle: {out / 'bundle'}"
    assert (out / "bundle" / "model.keras").is_file()


def test_train_refuses_to_overwrite_a_run(trained_run, small_archive):
    out, _ = trained_run
    before = (out / "bundle" / "card.json").read_text()
    result = run("train", "--data", small_archive, "--out", out, "--epochs", "1", check_ok=False)
    assert_one_line_error(result, "already exists; pass --force")
    assert (out / "bundle" / "card.json").read_text() == before


def test_evaluate_and_predict(trained_run, small_archive, tmp_path):
    out, _ = trained_run
    evaluated = run("evaluate", out, "--data", small_archive)
    assert "Test accuracy: " in evaluated.stdout and "ROC AUC" in evaluated.stdout
    predicted = run("predict", out / "bundle", "A wonderful film", "Awful and boring", "--json")
    rows = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [row["text"] for row in rows] == ["A wonderful film", "Awful and boring"]
    assert all(row["label"] in {"positive", "negative"} for row in rows)
    assert all(0.0 <= row["positive_probability"] <= 1.0 for row in rows)
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("text\nGreat fun\nDull and poor\n", encoding="utf-8")
    from_file = run("predict", out, "--file", reviews)
    assert len(from_file.stdout.strip().splitlines()) == 2


def test_data_info_and_show(small_archive):
    info = run("data", "info", "--data", small_archive)
    assert "train" in info.stdout and "40" in info.stdout and "unsup" in info.stdout
    shown = run("data", "show", "--split", "train", "--index", "0", "--data", small_archive)
    assert "Raw text:" in shown.stdout and "Encoded" in shown.stdout
    assert "Decoded:\n<START> " in shown.stdout


def test_models_prints_a_family_defaults_that_train_accepts(tmp_path, small_archive):
    defaults = json.loads(run("models", "nbsvm").stdout)
    assert defaults["encoder"]["ngram_range"] == [1, 3] and defaults["epochs"] == 1
    from movie_sentiment.training import TrainConfig

    config = {k: v for k, v in defaults.items() if k in TrainConfig.__dataclass_fields__}
    assert TrainConfig.from_dict(config).resolved()["model_options"]["alpha"] == 1.0
    assert_one_line_error(run("models", "bert", check_ok=False), "unknown model 'bert'")


def test_train_config_file_is_not_overridden_by_option_defaults(tmp_path, small_archive):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "model": "mslearn",
                "epochs": 1,
                "seed": 7,
                "encoder": {"maxlen": 40},
                "validation_size": 20,
            }
        )
    )
    run("train", "--config", config, "--data", small_archive, "--out", tmp_path / "run")
    used = json.loads((tmp_path / "run" / "config.json").read_text())
    assert used["model"] == "mslearn" and used["training"]["seed"] == 7
    assert used["encoder"]["maxlen"] == 40 and used["training"]["epochs"] == 1


def test_models_lists_families_with_parameter_counts():
    listing = run("models").stdout
    assert "tutorial" in listing and "160,289" in listing
    assert "mslearn" in listing and "576,305" in listing


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--model", "bert"], "unknown model 'bert'"),
        (["train", "--data", "/nonexistent/aclImdb_v1.tar.gz"], "IMDB data not found"),
        (["predict", "/nonexistent/bundle", "hello"], "no model bundle"),
        (["evaluate", "/nonexistent/bundle"], "no model bundle"),
        (["data", "info", "--data", "/nonexistent.tar.gz"], "IMDB data not found"),
    ],
)
def test_user_mistakes_are_one_line_errors(args, fragment):
    assert_one_line_error(run(*args, check_ok=False), fragment)


def test_prediction_input_mistakes_are_one_line_errors(trained_run, tmp_path):
    out, _ = trained_run
    assert_one_line_error(run("predict", out, "   ", check_ok=False), "review 1 is empty")
    assert_one_line_error(run("predict", out, check_ok=False), "no reviews given")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("tr\xe8s bien".encode("latin-1"))
    assert_one_line_error(run("predict", out, "--file", latin, check_ok=False), "not UTF-8")
    not_bundle = tmp_path / "folder"
    not_bundle.mkdir()
    assert_one_line_error(run("predict", not_bundle, "hi", check_ok=False), "not a movie-sentiment")


def test_missing_data_without_download_points_at_the_options(tmp_path):
    # No --data, no environment variable, empty cache: the download is the only way left;
    # a bad official URL must still end in one line, not a traceback.
    result = run(
        "data",
        "info",
        check_ok=False,
        env_extra={"MOVIE_SENTIMENT_DATA": str(tmp_path / "missing.tar.gz")},
    )
    assert_one_line_error(result, "MOVIE_SENTIMENT_DATA")
