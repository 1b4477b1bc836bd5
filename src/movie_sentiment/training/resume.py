"""Resuming an interrupted run: ``train --resume RUN``, or the same command again.

While a run trains, ``.RUN.resume/`` beside its run folder holds what it has finished:
the settings it runs with (``config.json``), each finished stage of a recipe
(``stages/NAME/``: a member's model, encoder and history, and the random states after
it), and, for the model being fit, a checkpoint after every epoch (``epochs/NAME/``:
weights with the optimizer's state, the history so far, the best epoch's weights, and the
random number generators' states). A ``state.json`` written last (by rename) marks each
as whole, so a kill at any moment leaves the last whole one. A resumed run picks up after the last
finished epoch or stage with the same random state, so it ends with the same model and
figures as a run that was never interrupted. The folder is removed once the run folder
is complete.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
from pathlib import Path

import numpy as np

from movie_sentiment.errors import ConfigError

STATE = "state.json"


def resume_folder(run_dir: Path) -> Path:
    return Path(run_dir).parent / f".{Path(run_dir).name}.resume"


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def random_state(model) -> bytes:
    """Python's and NumPy's generators (Keras shuffles with NumPy's), Keras' global one,
    and the model's own (its dropout layers' seed generators, which ``save_weights``
    leaves out)."""
    from keras.src.random.seed_generator import global_seed_generator

    keras_state = np.asarray(global_seed_generator().state.value)
    layers = {v.path: np.asarray(v.value) for v in _seed_states(model)}
    return pickle.dumps((random.getstate(), np.random.get_state(), keras_state, layers))


def restore_random_state(blob: bytes, model) -> None:
    from keras.src.random.seed_generator import global_seed_generator

    python_state, numpy_state, keras_state, layers = pickle.loads(blob)
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    global_seed_generator().state.assign(keras_state)
    # By position, not by path: Keras names seed generators from a per-process counter,
    # so a process that built other models first ("seed_generator_7") must still match.
    variables = _seed_states(model)
    if len(variables) != len(layers):
        raise ConfigError(
            f"the interrupted run's model had {len(layers)} random layers, this one has "
            f"{len(variables)}; start again with --force"
        )
    for variable, state in zip(variables, layers.values(), strict=True):
        variable.assign(state)


def _seed_states(model) -> list:
    return [v for v in model.non_trainable_variables if "seed_generator" in v.path]


def interrupted_config(run_dir: Path) -> dict:
    """The settings (``TrainConfig`` as JSON) an interrupted run started with."""
    saved = resume_folder(run_dir) / "config.json"
    if not saved.exists():
        if Path(run_dir).exists():
            raise ConfigError(f"{run_dir} finished; there is nothing to resume")
        raise ConfigError(f"no interrupted run to resume at {run_dir} (no {saved.name} in "
                          f"{saved.parent})")  # fmt: skip
    return json.loads(saved.read_text())


class Resume:
    """The resume folder of one run (see the module docstring). It is made when the
    first epoch is saved, so a run that fails before (a setting that cannot work) leaves
    nothing behind."""

    def __init__(self, run_dir: Path, config: dict, announce=None):
        self.run_dir = Path(run_dir)
        self.folder = resume_folder(run_dir)
        self.config = config
        self.announce = announce  # told once, when the folder is made

    @property
    def started(self) -> bool:
        return (self.folder / "config.json").exists()

    def check(self) -> None:
        """An existing folder must be this run's."""
        if self.started:
            earlier = json.loads((self.folder / "config.json").read_text())
            if earlier != self.config:
                raise ConfigError(
                    f"{self.folder} holds an interrupted run with other settings; resume it "
                    "with the same command or --resume, or pass --force to start over"
                )

    def start(self) -> None:
        if not self.started:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write(self.folder / "config.json", json.dumps(self.config).encode())
            if self.announce:
                self.announce()

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def epochs(self, name: str) -> Path:
        return self.folder / "epochs" / name

    def stage(self, name: str) -> Path:
        return self.folder / "stages" / name

    def stage_done(self, name: str) -> bool:
        return (self.stage(name) / STATE).exists()


def epoch_checkpoint(folder: Path, keep_best, before_first_save=None):
    """A Keras callback that saves ``folder``'s checkpoint after every epoch (calling
    ``before_first_save`` first); ``restore`` says the epoch to start from."""
    import keras

    class EpochCheckpoint(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history: dict[str, list[float]] = {}
            self.saved: dict | None = None

        def restore(self, model) -> int:
            """The epoch to start from (0: nothing saved); the state itself is put back
            in ``on_train_begin``, after ``fit``'s own set-up has drawn from NumPy's
            generator (it takes a first batch to build the model), as the interrupted
            run's did before its first epoch."""
            state_path = folder / STATE
            self.saved = json.loads(state_path.read_text()) if state_path.exists() else None
            return self.saved["epoch"] if self.saved else 0

        def on_train_begin(self, logs=None):
            if not self.saved:
                return
            model = self.model
            if model.optimizer is not None and not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            if keep_best is not None and self.saved["best_epoch"] is not None:
                model.load_weights(folder / self.saved["best_folder"] / "best.weights.h5")
                keep_best.best = self.saved["best"]
                keep_best.best_epoch = self.saved["best_epoch"]
                keep_best.best_weights = model.get_weights()
            last = folder / self.saved["folder"]
            model.load_weights(last / "last.weights.h5")
            restore_random_state((last / "random.pickle").read_bytes(), model)
            self.history = self.saved["history"]

        def on_epoch_end(self, epoch, logs=None):
            """Epoch ``epoch``'s files go to a folder of their own; ``state.json``, replaced
            last, names it, so a kill at any moment leaves one whole epoch to go on from."""
            if before_first_save is not None:
                before_first_save()
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            saved = folder / f"epoch-{epoch + 1:05d}"
            shutil.rmtree(saved, ignore_errors=True)  # a half-written one, from a kill
            saved.mkdir(parents=True)
            self.model.save_weights(saved / "last.weights.h5")
            (saved / "random.pickle").write_bytes(random_state(self.model))
            best_folder = (self.saved or {}).get("best_folder")
            if keep_best is not None and keep_best.best_epoch == epoch:
                self.model.save_weights(saved / "best.weights.h5")
                best_folder = saved.name
            self.saved = {
                "epoch": epoch + 1,
                "folder": saved.name,
                "best_folder": best_folder,
                "history": self.history,
                "best": None if keep_best is None else keep_best.best,
                "best_epoch": None if keep_best is None else keep_best.best_epoch,
            }
            _write(folder / STATE, json.dumps(self.saved).encode())
            for old in folder.glob("epoch-*"):  # no longer needed
                if old.name not in (saved.name, best_folder):
                    shutil.rmtree(old, ignore_errors=True)

    return EpochCheckpoint()


def save_stage(resume: Resume, name: str, member) -> None:
    """A finished member (``FittedMember``) and the random states after it, whole or not
    at all (``state.json`` last)."""
    from movie_sentiment.text.persist import save_encoder

    resume.start()
    folder = resume.stage(name)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    member.keras_model.save(folder / "model.keras")
    save_encoder(member.encoder, folder)
    _write(folder / "random.pickle", random_state(member.keras_model))
    state = {
        "history": member.history,
        "epoch_kept": member.epoch_kept,
        "initialization": member.initialization,
    }
    _write(folder / STATE, json.dumps(state).encode())
    shutil.rmtree(resume.folder / "epochs" / name, ignore_errors=True)


def load_stage(resume: Resume, name: str) -> tuple:
    """(keras model, encoder, state) of a finished member; the random states are set to
    what they were right after it, as the interrupted run had them."""
    import keras

    import movie_sentiment.models.layers  # noqa: F401  (registers our layers with Keras)
    from movie_sentiment.text.persist import load_encoder

    folder = resume.stage(name)
    keras_model = keras.saving.load_model(folder / "model.keras")
    encoder = load_encoder(folder)
    restore_random_state((folder / "random.pickle").read_bytes(), keras_model)
    return keras_model, encoder, json.loads((folder / STATE).read_text())
