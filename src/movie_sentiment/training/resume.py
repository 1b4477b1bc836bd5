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

Nothing in it is a pickle: settings, states and histories are JSON (``random.json``
holds the generators' states as numbers), weights are Keras' own files, and a member's
encoder is read without pickle. A resume folder is a file anyone could have planted, and
unpickling one runs whatever code it names; the folders of earlier versions, which held
``random.pickle``, are refused (start again with ``--force``), never read. A damaged
file (truncated by a full disk, edited) is one line: "the resume state of RUN is
damaged; start again with --force".
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from movie_sentiment.errors import ConfigError, InvalidDataError, MovieSentimentError

STATE = "state.json"
RANDOM = "random.json"
PICKLED_RANDOM = "random.pickle"  # what earlier versions wrote; never read


def resume_folder(run_dir: Path) -> Path:
    return Path(run_dir).parent / f".{Path(run_dir).name}.resume"


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def run_of(folder: Path) -> Path:
    """The run folder whose resume folder holds ``folder`` (``.RUN.resume/...``)."""
    for parent in (Path(folder), *Path(folder).parents):
        if parent.name.startswith(".") and parent.name.endswith(".resume"):
            return parent.parent / parent.name[1 : -len(".resume")]
    return Path(folder)


def damaged(folder: Path) -> ConfigError:
    return ConfigError(f"the resume state of {run_of(folder)} is damaged; start again with --force")


@contextlib.contextmanager
def reading_state(folder: Path) -> Iterator[None]:
    """Anything wrong with a file of the resume folder ``folder`` (missing, truncated,
    not what we wrote) is the one ``damaged`` line; our own errors pass through."""
    try:
        yield
    except MovieSentimentError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise damaged(folder) from error
    except (EOFError, RecursionError, zipfile.BadZipFile) as error:
        raise damaged(folder) from error


def read_json(path: Path, kind: type = dict):
    """A JSON file of the resume folder, which must hold a ``kind``; else ``damaged``."""
    with reading_state(path):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, kind):
        raise damaged(path)
    return data


def random_state(model) -> bytes:
    """Python's and NumPy's generators (Keras shuffles with NumPy's), Keras' global one,
    and the model's own (its dropout layers' seed generators, which ``save_weights``
    leaves out), as JSON: every part is a list of whole numbers or a float, which JSON
    keeps exactly."""
    from keras.src.random.seed_generator import global_seed_generator

    # Keras' generator first: made on first use, it draws its seed from Python's.
    keras_state = np.asarray(global_seed_generator().state.value).tolist()
    version, internal, gauss_next = random.getstate()
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
        "numpy": {
            "name": name,
            "keys": keys.tolist(),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "keras": keras_state,
        "layers": [np.asarray(v.value).tolist() for v in _seed_states(model)],
    }
    return json.dumps(state).encode()


def restore_random_state(blob: bytes, model) -> None:
    """Put back the states ``random_state`` saved; a ``ValueError``/``KeyError``/
    ``TypeError`` if ``blob`` is not such a state (``reading_state`` names it damaged)."""
    from keras.src.random.seed_generator import global_seed_generator

    state = json.loads(blob)
    # Keras' generator first, as ``random_state`` does: made on first use (a process that
    # goes on with a model that never drew from it), it would draw its seed from Python's
    # generator after that was put back, and every later draw would differ.
    keras_state = global_seed_generator().state
    python, generator = state["python"], state["numpy"]
    random.setstate((python["version"], tuple(python["internal"]), python["gauss_next"]))
    np.random.set_state(
        (
            generator["name"],
            np.asarray(generator["keys"], dtype=np.uint32),
            generator["position"],
            generator["has_gauss"],
            generator["cached_gaussian"],
        )
    )
    keras_state.assign(np.asarray(state["keras"], dtype=keras_state.dtype))
    # By position, not by path: Keras names seed generators from a per-process counter,
    # so a process that built other models first ("seed_generator_7") must still match.
    variables, layers = _seed_states(model), state["layers"]
    if len(variables) != len(layers):
        raise ConfigError(
            f"the interrupted run's model had {len(layers)} random layers, this one has "
            f"{len(variables)}; start again with --force"
        )
    for variable, value in zip(variables, layers, strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))


def _seed_states(model) -> list:
    return [v for v in model.non_trainable_variables if "seed_generator" in v.path]


def interrupted_config(run_dir: Path) -> dict:
    """The settings (``TrainConfig`` as JSON) an interrupted run started with, to go on
    in ``run_dir`` (named by its run folder, or by its resume folder)."""
    run_dir = Path(os.path.abspath(run_dir))
    if run_dir.name.startswith(".") and run_dir.name.endswith(".resume"):
        run_dir = run_of(run_dir)
    saved = resume_folder(run_dir) / "config.json"
    if not saved.exists():
        from movie_sentiment.training.folder import is_run_folder

        if is_run_folder(run_dir):
            raise ConfigError(f"{run_dir} finished; there is nothing to resume")
        if run_dir.exists():
            raise ConfigError(
                f"{run_dir} is not a movie-sentiment run and no interrupted run is beside "
                f"it (no {saved.parent.name}/{saved.name}); nothing to resume"
            )
        raise ConfigError(f"no interrupted run to resume at {run_dir} (no {saved.name} in "
                          f"{saved.parent})")  # fmt: skip
    check_not_pickled(resume_folder(run_dir))
    return {**read_json(saved), "out": str(run_dir)}


def digests(folder: Path, names: list[str]) -> dict:
    """The sha256 of each file ``names`` in ``folder``, recorded in its ``state.json`` so
    a truncated or edited file is found before a resumed run says it goes on."""
    from movie_sentiment.bundle.files import sha256_of

    return {name: sha256_of(Path(folder) / name) for name in names}


def verify_state(folder: Path) -> dict:
    """The ``state.json`` of an epoch checkpoint or stage folder, once every file it
    records is there, inside ``folder``, and unchanged; else ``damaged``."""
    from movie_sentiment.bundle.files import sha256_of

    state = read_json(Path(folder) / STATE)
    files = state.get("files")
    if not isinstance(files, dict) or not files:
        raise damaged(folder)
    root = Path(folder).resolve()
    for name, digest in files.items():
        path = Path(folder) / str(name)
        with reading_state(folder):
            inside = path.resolve().is_relative_to(root) and path.is_file()
            if not inside or sha256_of(path) != digest:
                raise damaged(folder)
    return state


def check_not_pickled(folder: Path) -> None:
    """A resume folder of an earlier version holds pickles: refused, never unpickled."""
    if any(Path(folder).rglob(PICKLED_RANDOM)):
        raise ConfigError(
            f"the resume state of {run_of(folder)} was written by an earlier version as a "
            f"pickle ({PICKLED_RANDOM}), which is never read: unpickling runs any code a "
            "file names; start again with --force"
        )


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
        """An existing folder must be this run's, of this version (no pickles), and whole.
        Where it lies says which run it is, so ``out`` is not compared (a run moved with
        its resume folder goes on)."""
        if self.started:
            check_not_pickled(self.folder)
            # Runs interrupted before recipes were chosen apart from families had none.
            earlier = read_json(self.folder / "config.json")
            # Nor a validation split: theirs was any reviews, today's default.
            earlier = {"recipe": None, "recipe_options": {}, "validation_split": "reviews",
                       **earlier}  # fmt: skip

            if {**earlier, "out": None} != {**self.config, "out": None}:
                raise ConfigError(
                    f"{self.folder} holds an interrupted run with other settings; resume it "
                    "with the same command or --resume, or pass --force to start over"
                )
            for state in sorted(self.folder.glob("*/*/" + STATE)):  # epochs/X, stages/X
                verify_state(state.parent)

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
            self.saved = read_json(state_path) if state_path.exists() else None
            if self.saved is None:
                return 0
            epoch = self.saved.get("epoch")
            if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
                raise damaged(folder)
            return epoch

        def on_train_begin(self, logs=None):
            if not self.saved:
                return
            with reading_state(folder):
                self._restore(self.model)

        def _restore(self, model) -> None:
            self.history = restore_epoch(folder, self.saved, keep_best, model)

        def on_epoch_end(self, epoch, logs=None):
            """Epoch ``epoch``'s files go to a folder of their own; ``state.json``, replaced
            last, names it, so a kill at any moment leaves one whole epoch to go on from."""
            if before_first_save is not None:
                before_first_save()
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            self.saved = save_epoch(folder, self.saved, keep_best, self.model, epoch, self.history)

    return EpochCheckpoint()


def restore_epoch(folder: Path, saved: dict, keep_best, model) -> dict:
    """Put the saved epoch back into ``model`` (and the best epoch into ``keep_best``):
    weights, optimizer, random generators; the history so far."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    if keep_best is not None and saved["best_epoch"] is not None:
        model.load_weights(_epoch_folder(folder, saved["best_folder"]) / "best.weights.h5")
        keep_best.best = float(saved["best"])
        keep_best.best_epoch = int(saved["best_epoch"])
        keep_best.best_weights = model.get_weights()
    last = _epoch_folder(folder, saved["folder"])
    model.load_weights(last / "last.weights.h5")
    restore_random_state((last / RANDOM).read_bytes(), model)
    history = saved["history"]
    if not isinstance(history, dict) or not all(
        isinstance(v, list) and len(v) == saved["epoch"] for v in history.values()
    ):
        raise damaged(folder)
    return history


def save_epoch(folder: Path, before: dict | None, keep_best, model, epoch: int, history) -> dict:
    """Epoch ``epoch``'s files in a folder of their own, then ``state.json`` (replaced
    last, it names them, so a kill at any moment leaves one whole epoch); the new state."""
    saved = folder / f"epoch-{epoch + 1:05d}"
    shutil.rmtree(saved, ignore_errors=True)  # a half-written one, from a kill
    saved.mkdir(parents=True)
    model.save_weights(saved / "last.weights.h5")
    (saved / RANDOM).write_bytes(random_state(model))
    best_folder = (before or {}).get("best_folder")
    if keep_best is not None and keep_best.best_epoch == epoch:
        model.save_weights(saved / "best.weights.h5")
        best_folder = saved.name
    files = digests(folder, [f"{saved.name}/last.weights.h5", f"{saved.name}/{RANDOM}"])
    best_file = f"{best_folder}/best.weights.h5"
    if best_folder == saved.name:
        files |= digests(folder, [best_file])
    elif best_folder is not None:
        files[best_file] = before["files"][best_file]
    state = {
        "epoch": epoch + 1,
        "folder": saved.name,
        "best_folder": best_folder,
        "history": history,
        "best": None if keep_best is None else keep_best.best,
        "best_epoch": None if keep_best is None else keep_best.best_epoch,
        "files": files,
    }
    _write(folder / STATE, json.dumps(state).encode())
    for old in folder.glob("epoch-*"):  # no longer needed
        if old.name not in (saved.name, best_folder):
            shutil.rmtree(old, ignore_errors=True)
    return state


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
    _write(folder / RANDOM, random_state(member.keras_model))
    names = ["model.keras", "encoder.json", "encoder.npz", RANDOM]
    state = {
        "history": member.history,
        "epoch_kept": member.epoch_kept,
        "initialization": member.initialization,
        "files": digests(folder, [name for name in names if (folder / name).exists()]),
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
    state = read_json(folder / STATE)
    with reading_state(folder):
        keras_model = keras.saving.load_model(folder / "model.keras", safe_mode=True)
        try:
            encoder = load_encoder(folder)
        except InvalidDataError as error:
            raise damaged(folder) from error
        restore_random_state((folder / RANDOM).read_bytes(), keras_model)
    return keras_model, encoder, state


def _epoch_folder(folder: Path, name) -> Path:
    """An epoch's folder named in ``state.json``: ``epoch-NNNNN`` inside ``folder``, never
    a path elsewhere."""
    if not isinstance(name, str) or not name.startswith("epoch-") or not name[6:].isdigit():
        raise damaged(folder)
    return folder / name
