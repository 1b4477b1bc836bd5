"""Shared by the benchmark scripts: the machine they ran on, peak memory, writing results."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import movie_sentiment  # noqa: F401  (sets the default Keras backend)

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
# Closed studies (benchmarks/studies/) write beside their write-up, docs/studies.md.
STUDY_RESULTS = REPO / "docs" / "studies"
SHARED_ARCHIVE = REPO.parent / "shared" / "datasets" / "aclImdb_v1.tar.gz"


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (epochs, units)."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def run_main(main) -> None:
    """Run a benchmark's ``main``: a user's mistake the package names (data not found, a
    bad bundle) ends the run with that one line instead of a traceback."""
    from movie_sentiment.errors import MovieSentimentError

    try:
        main()
    except MovieSentimentError as error:
        raise SystemExit(f"error: {error}") from None


def default_data() -> str | None:
    """$MOVIE_SENTIMENT_DATA, else the development copy beside the repository."""
    if os.environ.get("MOVIE_SENTIMENT_DATA"):
        return os.environ["MOVIE_SENTIMENT_DATA"]
    return str(SHARED_ARCHIVE) if SHARED_ARCHIVE.exists() else None


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import keras
    import numpy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": numpy.__version__,
        "gpu": False,
    }


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_results(name: str, payload: dict, folder: Path = RESULTS) -> Path:
    """Write ``folder/NAME.json`` (the machine and the time added) and print it as one line.
    ``name`` is the script's own name, or that name and ``_SUFFIX``, so a result file
    always says which script wrote it (``tests/test_benchmarks_common.py`` checks)."""
    payload = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **payload,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload))
    return path


def write_study_results(name: str, payload: dict) -> Path:
    """``write_results`` for a closed study: its JSON goes beside its write-up."""
    return write_results(name, payload, STUDY_RESULTS)


def reviews_per_second(work, texts: list, warm_up: tuple[int, ...] = (64, 600), repeats: int = 3):
    """Reviews per second of ``work(texts)`` in steady state: warm-up calls on the first
    ``warm_up`` reviews first (they compile the small-batch and bulk paths, build lookup
    tables and thread pools, as a running service would have); then the best of
    ``repeats`` timings, so a busy moment of the machine does not count."""
    for size in warm_up:
        work(texts[:size])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


RUNS = REPO / "runs" / "benchmarks"


# Rows trained by a recipe other than the family's own: row name -> TrainConfig fields.
# "nbsvm-distilled" is what the family "fast" was before that name was retired.
RECIPE_RUNS = {"nbsvm-distilled": {"family": "nbsvm", "recipe": "distilled", "epochs": 2}}


def trained_bundle(
    family: str, data: str | None, runs: Path = RUNS, name: str | None = None, **settings
):
    """The bundle of ``family`` trained with its defaults (and ``settings``, TrainConfig
    fields) in ``runs/NAME`` (default: the family's name): loaded when that run exists,
    trained there first otherwise (``runs/`` is ignored by git)."""
    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.training import TrainConfig, train

    run = Path(runs) / (name or family)
    if family in RECIPE_RUNS:
        settings = {**RECIPE_RUNS[family], **settings}
        family = settings.pop("family")
    if not (run / "bundle" / "card.json").exists():
        print(f"training {family} into {run} ...", flush=True)
        train(TrainConfig(family=family, data=data, out=str(run), verbose=0, **settings))
    return SentimentModel.load(run)


def validation_part(model, train_all):
    """The validation reviews the bundle's run carved from train (its seed and size)."""
    from movie_sentiment.training.splits import validation_of

    _, validation = validation_of(train_all, model.card.config["training"])
    return train_all.select(validation)


def teacher_and_parts(data: str | None, runs: Path = RUNS):
    """For the distillation studies: the teacher (``best`` without its refit, in
    ``runs/best-norefit``, trained there first when absent), all of train, the training
    and validation parts as the teacher's run carved them, and the unlabeled reviews."""
    from movie_sentiment.data.imdb import load_reviews
    from movie_sentiment.training.splits import validation_of

    teacher = trained_bundle("best", data, runs, "best-norefit", family_options={"refit": False})
    train_all, unsup = load_reviews("train", data), load_reviews("unsup", data)
    fit, validation = validation_of(train_all, teacher.card.config["training"])
    return teacher, train_all, train_all.select(fit), train_all.select(validation), unsup


def epochs_by_validation_loss(fit_one_epoch, model, x_validation, labels, epochs: int, label: str):
    """Train ``epochs`` times ``fit_one_epoch()``, scoring the validation reviews with
    ``model`` after each (as ``checkpoint`` keeps a family's best epoch): the per-epoch
    figures, the epoch of lowest validation loss and its probabilities."""
    from movie_sentiment.evaluation.metrics import classification_metrics

    figures, best = [], None
    for epoch in range(1, epochs + 1):
        fit_one_epoch()
        p = model.predict(x_validation, batch_size=512, verbose=0).ravel()
        scores = classification_metrics(labels, p)
        figures.append({"epoch": epoch, "loss": scores["loss"], "accuracy": scores["accuracy"]})
        if best is None or scores["loss"] < best[0]:
            best = (scores["loss"], epoch, p)
        print(f"  {label}: epoch {epoch} {figures[-1]}", flush=True)
    return figures, best[1], best[2]
