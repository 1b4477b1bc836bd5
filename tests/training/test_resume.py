"""An interrupted training run goes on where it stopped: killed (SIGKILL) mid-fit or
between the ``best`` recipe's stages, resumed by the same command or by ``--resume``, it
ends with the same figures as a run never interrupted."""

import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import train_small

EPOCHS = 150


def command(archive, out, *extra):
    return [
        sys.executable, "-m", "movie_sentiment.cli", "train", "--family", "tutorial",
        "--data", str(archive), "--out", str(out), "--epochs", str(EPOCHS),
        "--batch-size", "8", "--validation-size", "20", *extra,
    ]  # fmt: skip


def kill_after_epoch(process, state, epoch: int) -> int:
    """SIGKILL ``process`` once its checkpoint says ``epoch`` epochs are done."""
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "training never got that far"
        if state.exists() and json.loads(state.read_text())["epoch"] >= epoch:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return json.loads(state.read_text())["epoch"]
        time.sleep(0.02)


def test_a_killed_run_resumes_to_the_same_figures(small_archive, tmp_path):
    whole = train_small(small_archive, tmp_path / "whole", "tutorial", epochs=EPOCHS, batch_size=8)
    out = tmp_path / "run"
    state = tmp_path / ".run.resume" / "epochs" / "tutorial" / "state.json"
    first = subprocess.Popen(command(small_archive, out), stderr=subprocess.PIPE)
    stopped = kill_after_epoch(first, state, 30)
    assert stopped < EPOCHS and not out.exists()
    again = subprocess.Popen(command(small_archive, out), stderr=subprocess.PIPE)  # same command
    assert kill_after_epoch(again, state, stopped + 30) > stopped
    finished = subprocess.run(
        [sys.executable, "-m", "movie_sentiment.cli", "train", "--resume", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert f"Going on with: {out}" in finished.stderr
    assert "Epoch 1/" not in finished.stderr  # it went on; it did not start over
    assert not (tmp_path / ".run.resume").exists()  # cleaned up once the run is whole
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == EPOCHS
    assert history == json.loads((whole.run_dir / "history.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics == json.loads((whole.run_dir / "metrics.json").read_text())


@pytest.mark.slow
def test_the_best_recipe_keeps_its_finished_stages(small_archive, tmp_path):
    """Killed after two of its members finished, ``best`` run again keeps them, trains
    the rest, and ends with the figures of a run never interrupted."""
    whole = train_small(small_archive, tmp_path / "whole", "best")
    out = tmp_path / "run"
    run = [
        sys.executable, "-m", "movie_sentiment.cli", "train", "--family", "best",
        "--data", str(small_archive), "--out", str(out), "--validation-size", "20",
    ]  # fmt: skip
    process = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stages = tmp_path / ".run.resume" / "stages"
    deadline = time.monotonic() + 300
    while len(list(stages.glob("*/state.json"))) < 2:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no stage finished"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = sorted(path.parent.name for path in stages.glob("*/state.json"))
    again = subprocess.run(run, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    for stage in kept:
        assert f"{stage}: kept from the interrupted run" in again.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics == json.loads((whole.run_dir / "metrics.json").read_text())
    card = json.loads((out / "bundle" / "card.json").read_text())
    whole_card = json.loads((whole.run_dir / "bundle" / "card.json").read_text())
    assert without_seconds(card["members"]) == without_seconds(whole_card["members"])


def without_seconds(value):
    """``value`` without its timings (``seconds`` keys), which differ between runs."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k != "seconds"}
    return value


def test_random_layers_are_restored_by_position_not_by_name():
    """Keras names seed generators from a per-process counter: a process that built other
    models first must still find the interrupted run's dropout states."""
    import keras
    import numpy as np

    from movie_sentiment.training.resume import random_state, restore_random_state

    def dropout_model():
        inputs = keras.Input((4,))
        return keras.Model(inputs, keras.layers.Dropout(0.5)(keras.layers.Dense(2)(inputs)))

    saved_model = dropout_model()
    for variable in saved_model.non_trainable_variables:
        variable.assign(np.array([7, 9], dtype=variable.dtype))
    blob = random_state(saved_model)
    dropout_model()  # moves the counter on: the next model's generator has another name
    model = dropout_model()
    states = [v for v in model.non_trainable_variables if "seed_generator" in v.path]
    assert states and states[0].path != saved_model.non_trainable_variables[0].path
    restore_random_state(blob, model)
    assert np.asarray(states[0].value).tolist() == [7, 9]


class Planted:
    """Unpickled, creates ``marker``: what a planted pickle could do with any code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_resume_state_holds_no_pickle(interrupted_run):
    """JSON, Keras weights and a Keras model only: every file of a resume folder is one
    of them, and the JSON files read back as JSON."""
    folder = interrupted_run.parent / ".run.resume"
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert files and {path.suffix for path in files} <= {".json", ".h5"}
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_text())


def test_the_random_state_round_trips_exactly():
    """The generators go on drawing exactly what they would have: Python's, NumPy's,
    Keras' global one and a model's dropout layer."""
    import random

    import keras
    import numpy as np

    from movie_sentiment.training.resume import random_state, restore_random_state

    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dropout(0.5)(inputs))
    model(np.ones((1, 4)), training=True)  # its first call sets up what it needs once
    keras.utils.set_random_seed(7)
    np.random.normal()  # a cached Gaussian in NumPy's state
    blob = random_state(model)

    def draws():
        layer = model(np.ones((1, 4)), training=True)
        return (random.random(), np.random.normal(), keras.random.uniform((2,)).tolist(),
                np.asarray(layer).tolist())  # fmt: skip

    expected = draws()
    restore_random_state(blob, model)
    assert draws() == expected


def test_a_planted_pickle_never_runs(interrupted_run, tmp_path, cli):
    """An earlier version's resume folder (``random.pickle``) is refused, by --resume and
    by the same command alike, without unpickling it: the planted pickle, which does
    create its file when unpickled, creates nothing."""
    import pickle
    import shutil

    from conftest import assert_one_line_error

    pickle.loads(pickle.dumps(Planted(tmp_path / "proof")))
    assert (tmp_path / "proof").exists()  # the payload is real
    folder = shutil.copytree(interrupted_run.parent / ".run.resume", tmp_path / ".run.resume")
    marker = tmp_path / "pwned"
    for path in folder.rglob("random.json"):
        path.unlink()
        path.with_name("random.pickle").write_bytes(pickle.dumps(Planted(marker)))
    config = json.loads((folder / "config.json").read_text())
    for arguments in (
        ["train", "--resume", tmp_path / "run"],
        ["train", "--family", "tutorial", "--data", config["data"], "--out", tmp_path / "run",
         "--epochs", "500", "--batch-size", "8", "--validation-size", "20"],
    ):  # fmt: skip
        result = cli(*arguments)
        assert_one_line_error(result, "as a pickle (random.pickle), which is never read")
        assert "start again with --force" in result.stderr
        assert not marker.exists()
    assert (folder / "config.json").exists()  # the user decides: nothing was removed
