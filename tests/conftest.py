"""Shared fixtures: an isolated cache per test, small IMDB-layout archives built on the
spot, models trained once per session on them, the real archive when it is present, the
command line run in-process, and a headless Chromium.

Nothing a test does may touch the user's own folders: before any test module is imported
(and so before Keras or matplotlib are), every cache and config folder those libraries or
ours use is pointed into one temporary folder for the session.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

SESSION_HOME = Path(tempfile.mkdtemp(prefix="movie-sentiment-tests-"))
# Read before the environment is changed below.
DATA_FROM_ENV = os.environ.get("MOVIE_SENTIMENT_DATA")
for _name, _folder in (
    ("MOVIE_SENTIMENT_CACHE", "cache"),
    ("KERAS_HOME", "keras"),
    ("MPLCONFIGDIR", "matplotlib"),
    ("XDG_CACHE_HOME", "xdg-cache"),
):
    os.environ[_name] = str(SESSION_HOME / _folder)
os.environ.pop("MOVIE_SENTIMENT_DATA", None)

import movie_sentiment  # noqa: E402, F401  (sets the default Keras backend before tests import keras)

REPO = Path(__file__).resolve().parents[1]
REAL_ARCHIVE_CANDIDATES = [REPO.parent / "shared" / "datasets" / "aclImdb_v1.tar.gz"]

POSITIVE = "great wonderful superb loved brilliant moving best excellent fun".split()
NEGATIVE = "awful boring worst terrible waste dull poor bad stupid".split()
NEUTRAL = "the a film movie plot actor scene it was and of to story director".split()


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SESSION_HOME, ignore_errors=True)


def make_review(rng: random.Random, label: int) -> str:
    """A review whose words lean to its label, with the markup real reviews have."""
    lean = POSITIVE if label == 1 else NEGATIVE
    words = [
        rng.choice(lean) if rng.random() < 0.4 else rng.choice(NEUTRAL)
        for _ in range(rng.randint(5, 60))
    ]
    words[0] = words[0].capitalize()
    cut = rng.randint(1, len(words) - 1)
    return " ".join(words[:cut]) + ".<br /><br />" + " ".join(words[cut:]) + " &amp; more!"


def build_archive(
    path: Path,
    per_label: int = 40,
    unsup: int = 10,
    seed: int = 0,
    mislabeled: float = 0.0,
    movies: int = 0,
) -> Path:
    """A ``.tar.gz`` with the aclImdb layout: train/test pos/neg (ID_RATING.txt) and unsup.
    ``mislabeled``: the share of reviews whose words lean to the other label (a model
    can then overfit them). ``movies``: that many movies per split and folder, named in
    ``urls_{pos,neg}.txt`` as the real archive does (review i: movie i % movies); 0: no
    urls files."""
    rng = random.Random(seed)
    with tarfile.open(path, "w:gz") as archive:

        def add(name: str, text: str) -> None:
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))

        add("aclImdb/README", "test archive\n")
        for split in ("train", "test"):
            for folder, label in (("pos", 1), ("neg", 0)):
                for review_id in range(per_label):
                    rating = rng.randint(7, 10) if label else rng.randint(1, 4)
                    lean = 1 - label if rng.random() < mislabeled else label
                    add(
                        f"aclImdb/{split}/{folder}/{review_id}_{rating}.txt",
                        make_review(rng, lean),
                    )
                if movies:
                    title = "tt1{:06d}" if split == "test" else "tt0{:06d}"
                    lines = [
                        f"http://www.imdb.com/title/{title.format(i % movies)}/usercomments"
                        for i in range(per_label)
                    ]
                    add(f"aclImdb/{split}/urls_{folder}.txt", "\n".join(lines) + "\n")
        for review_id in range(unsup):
            add(f"aclImdb/train/unsup/{review_id}_0.txt", make_review(rng, rng.randint(0, 1)))
    return path


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own cache and no data path from the environment."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MOVIE_SENTIMENT_CACHE", str(cache))
    monkeypatch.delenv("MOVIE_SENTIMENT_DATA", raising=False)
    return cache


@pytest.fixture(scope="session")
def small_archive(tmp_path_factory) -> Path:
    """An 80 + 80 labeled-review archive (plus 10 unlabeled), built once per session."""
    return build_archive(tmp_path_factory.mktemp("archive") / "aclImdb_v1.tar.gz")


@pytest.fixture(scope="session")
def noisy_archive(tmp_path_factory) -> Path:
    """Like ``small_archive`` but 30% of the reviews lean to the other label: models
    overfit it within a few epochs, so the best epoch is not the last."""
    folder = tmp_path_factory.mktemp("noisy-archive")
    return build_archive(folder / "aclImdb_v1.tar.gz", mislabeled=0.3)


def train_small(archive: Path, out: Path, family: str, **settings):
    """A model of ``family`` trained quietly on a small archive (20 validation reviews)."""
    from movie_sentiment.training import TrainConfig, train

    config = {"validation_size": 20, "verbose": 0, **settings}
    return train(TrainConfig(family=family, data=str(archive), out=str(out), **config))


@pytest.fixture(scope="session")
def tutorial_run(small_archive, tmp_path_factory):
    """The tutorial model trained once per session on the small archive (it learns its
    words: 40 epochs of batch 8). Tests must not change its folder."""
    out = tmp_path_factory.mktemp("shared-runs") / "tutorial"
    return train_small(small_archive, out, "tutorial", **SMALL_SETTINGS["tutorial"])


@pytest.fixture(scope="session")
def nbsvm_run(small_archive, tmp_path_factory):
    """The nbsvm model trained once per session on the small archive."""
    out = tmp_path_factory.mktemp("shared-runs") / "nbsvm"
    return train_small(small_archive, out, "nbsvm", **SMALL_SETTINGS["nbsvm"])


# Settings under which every family learns the small archive in a few seconds.
SMALL_SETTINGS = {
    "tutorial": dict(epochs=40, batch_size=8),
    "mslearn": dict(epochs=10, batch_size=8, encoder={"maxlen": 60}),
    "nbsvm": dict(epochs=3),
    "fasttext": dict(epochs=10, batch_size=8),
    "cnn": dict(epochs=4, batch_size=8, encoder={"maxlen": 60}),
    "ensemble": dict(validation_size=30),
}
# Runs of a recipe other than the family's own, by recipe name.
SMALL_RECIPE_SETTINGS = {
    # nbsvm taught by a teacher (best, no refit) it trains first
    "distilled": dict(family="nbsvm", recipe="distilled", validation_size=30, epochs=3),
}


@pytest.fixture(scope="session")
def family_run(small_archive, tmp_path_factory, tutorial_run, nbsvm_run):
    """``family_run(name)``: that family trained once per session on the small archive
    under ``SMALL_SETTINGS`` (or a recipe's run under ``SMALL_RECIPE_SETTINGS``);
    ``.stderr`` holds what training printed there."""
    import contextlib

    runs = {"tutorial": tutorial_run, "nbsvm": nbsvm_run}

    def get(name: str):
        if name not in runs:
            out = tmp_path_factory.mktemp("shared-runs") / name
            with contextlib.redirect_stderr(io.StringIO()) as printed:
                settings = dict(SMALL_SETTINGS.get(name) or SMALL_RECIPE_SETTINGS[name])
                family = settings.pop("family", name)
                runs[name] = train_small(small_archive, out, family, **settings)
            runs[name].stderr = printed.getvalue()
        return runs[name]

    return get


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's package) driven by Playwright, one per test module
    (Playwright's sync API keeps an event loop running in this thread while it is open,
    where ``asyncio.run`` would then refuse to start)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip(
            "needs Debian's chromium package (apt-get install chromium); .ci/run installs it"
        )
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def real_archive_path() -> Path:
    """The real IMDB archive: $MOVIE_SENTIMENT_DATA, else ../shared/datasets beside the repo."""
    candidates = [Path(DATA_FROM_ENV)] if DATA_FROM_ENV else []
    for candidate in candidates + REAL_ARCHIVE_CANDIDATES:
        if candidate.exists():
            return candidate
    pytest.skip(
        "real IMDB archive absent: set MOVIE_SENTIMENT_DATA or put it in ../shared/datasets"
    )


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory) -> Path:
    """One parse of the real archive shared by all real-data tests of a session."""
    return tmp_path_factory.mktemp("real-cache")


@pytest.fixture
def real_archive(real_archive_path, real_cache, monkeypatch) -> Path:
    """The real archive, with the session's shared cache in use."""
    monkeypatch.setenv("MOVIE_SENTIMENT_CACHE", str(real_cache))
    return real_archive_path


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


@pytest.fixture
def cli(capsys):
    """Run ``movie-sentiment ARGS`` in this process (the real entry point, exit code and
    output; only the Python start-up is shared), returning code, stdout and stderr."""
    from movie_sentiment.cli import main

    def run(*args) -> CliResult:
        capsys.readouterr()
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def assert_one_line_error(result, fragment: str) -> None:
    """Exit code 2 and stderr exactly one line, ``error: ...`` naming the problem."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and fragment in result.stderr, result.stderr


def snapshot(*folders: Path) -> dict:
    """Every file and folder under ``folders`` with its size and content digest, to show
    that an operation changed nothing."""
    import hashlib

    state = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                state[str(path)] = (path.stat().st_size, hashlib.sha1(path.read_bytes()).digest())
            else:
                state[str(path)] = "folder"
    return state


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create anything in: ``/sys`` for root (permissions do
    not stop root), else a folder without write permission."""
    if os.geteuid() == 0:
        return Path("/sys/kernel")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests import helpers from here


@pytest.fixture(scope="session")
def interrupted_run(small_archive, tmp_path_factory) -> Path:
    """The run folder (not there) of a tutorial run killed (SIGKILL) once two epochs were
    saved: its resume folder ``.run.resume`` lies beside it. Copy it before changing it."""
    import signal
    import subprocess
    import time

    folder = tmp_path_factory.mktemp("interrupted")
    out = folder / "run"
    command = [
        sys.executable, "-m", "movie_sentiment.cli", "train", "--family", "tutorial",
        "--data", str(small_archive), "--out", str(out), "--epochs", "500",
        "--batch-size", "8", "--validation-size", "20",
    ]  # fmt: skip
    environment = {**os.environ, "MOVIE_SENTIMENT_CACHE": str(folder / "cache")}
    process = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE)
    state = folder / ".run.resume" / "epochs" / "tutorial" / "state.json"
    deadline = time.monotonic() + 180
    while not (state.exists() and json.loads(state.read_text())["epoch"] >= 2):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "training never saved two epochs"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()
    return out
