"""Every user mistake the command line can meet, as one table: each row must end in exit
code 2, exactly one ``error:`` line naming the problem, and no file changed (neither the
user's files nor the bundles the command read).

Rows build what they need in the test's own folder (``tmp``) from two bundles trained once
per session on a small archive. The command runs in this process through the real entry
point (``cli.main``), with the working folder set to ``tmp``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_line_error, snapshot, unwritable_folder


@dataclass
class Setup:
    tmp: Path
    archive: Path
    tutorial: Path  # a tutorial bundle (words), read-only
    nbsvm: Path  # an nbsvm bundle (n-grams), read-only
    monkeypatch: pytest.MonkeyPatch
    request: pytest.FixtureRequest  # for fixtures only some rows need (built on first use)
    later: list = field(default_factory=list)  # undone after the row: processes, chattr

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def config(self, settings: dict) -> Path:
        return self.write("config.json", json.dumps(settings))

    def bundle_copy(self, which: str = "tutorial", checksums: bool = False) -> Path:
        """A copy of a bundle to change. Without ``checksums`` its card records none, as
        the cards before them did: rows that edit a file then meet the content checks
        such bundles rely on (with checksums, any edit is "edited or damaged")."""
        bundle = Path(shutil.copytree(getattr(self, which), self.tmp / f"{which}-copy"))
        if not checksums:
            card = json.loads((bundle / "card.json").read_text())
            card.pop("files", None)
            (bundle / "card.json").write_text(json.dumps(card))
        return bundle

    def resume_copy(self, change) -> Path:
        """The run folder (not there) of a copy of an interrupted run's resume folder,
        changed by ``change(resume_folder)``."""
        interrupted = self.request.getfixturevalue("interrupted_run")
        folder = self.tmp / ".run.resume"
        shutil.copytree(interrupted.parent / ".run.resume", folder)
        change(folder)
        return self.tmp / "run"

    def edited_card(self, **changes) -> Path:
        bundle = self.bundle_copy()
        card = json.loads((bundle / "card.json").read_text())
        for key, value in changes.items():
            if key == "temperature":
                card["calibration"]["temperature"] = value
            else:
                card[key] = value
        (bundle / "card.json").write_text(json.dumps(card))
        return bundle

    def edited_encoder(self, **changes) -> Path:
        bundle = self.bundle_copy()
        encoder = json.loads((bundle / "encoder.json").read_text())
        encoder.update(changes)
        (bundle / "encoder.json").write_text(json.dumps(encoder))
        return bundle


def swapped_encoder(s: Setup) -> Path:
    bundle = s.bundle_copy()
    shutil.copy(s.nbsvm / "encoder.json", bundle / "encoder.json")
    shutil.copy(s.nbsvm / "encoder.npz", bundle / "encoder.npz")
    return bundle


def smaller_vocabulary(s: Setup) -> Path:
    bundle = s.bundle_copy()
    encoder = json.loads((bundle / "encoder.json").read_text())
    encoder["vocabulary_"] = encoder["vocabulary_"][:-3]
    (bundle / "encoder.json").write_text(json.dumps(encoder))
    return bundle


def truncated_npz(s: Setup) -> Path:
    bundle = s.bundle_copy("nbsvm")
    data = (bundle / "encoder.npz").read_bytes()
    (bundle / "encoder.npz").write_bytes(data[: len(data) // 2])
    return bundle


def missing_npz(s: Setup) -> Path:
    bundle = s.bundle_copy("nbsvm")
    (bundle / "encoder.npz").unlink()
    return bundle


def nan_weights(s: Setup) -> Path:
    """A bundle whose model.keras holds NaN weights (a damaged or badly edited file)."""
    from movie_sentiment.bundle import SentimentModel

    model = SentimentModel.load(s.tutorial)
    weights = model.keras_model.get_weights()
    weights[0] = np.full_like(weights[0], np.nan)
    model.keras_model.set_weights(weights)
    bundle = s.tmp / "nan"
    model.save(bundle)
    return bundle


def overflowing_weights(s: Setup) -> Path:
    """An nbsvm bundle whose weights are finite but so large that every logit overflows:
    it loads, and every score is NaN."""
    from movie_sentiment.bundle import SentimentModel

    model = SentimentModel.load(s.nbsvm)
    weights = [np.full_like(w, 3e38) for w in model.keras_model.get_weights()]
    model.keras_model.set_weights(weights)
    bundle = s.tmp / "overflowing"
    model.save(bundle)
    return bundle


def swapped_tables(s: Setup) -> Path:
    bundle = s.bundle_copy("nbsvm")
    tables = dict(np.load(bundle / "encoder.npz"))
    tables["table_0"], tables["table_1"] = tables["table_1"], tables["table_0"]
    np.savez(bundle / "encoder.npz", **tables)
    return bundle


def truncated(pattern: str):
    """A change to a resume folder: every file matching ``pattern`` cut to half."""

    def change(folder: Path) -> None:
        for path in folder.glob(pattern):
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return change


class Planted:
    """A pickle that creates ``marker`` when unpickled (as an attacker's would run code)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def pickled_state(s: Setup):
    """A change to a resume folder: its random states as the pickles earlier versions
    wrote, each one planted to create ``pwned`` in the row's folder if it ever ran."""
    import pickle

    def change(folder: Path) -> None:
        for path in folder.glob("**/random.json"):
            path.unlink()
            path.with_name("random.pickle").write_bytes(pickle.dumps(Planted(s.tmp / "pwned")))

    return change


def card_text(s: Setup, text: str) -> Path:
    bundle = s.bundle_copy()
    (bundle / "card.json").write_text(text)
    return bundle


def swapped_words(s: Setup) -> Path:
    bundle = s.bundle_copy(checksums=True)
    encoder = json.loads((bundle / "encoder.json").read_text())
    words = encoder["vocabulary_"]
    words[3], words[4] = words[4], words[3]
    (bundle / "encoder.json").write_text(json.dumps(encoder))
    return bundle


def planted_file(s: Setup, name: str, make) -> Path:
    bundle = s.bundle_copy(checksums=True)
    (bundle / name).unlink()
    make(bundle / name)
    return bundle


def run_with_card(s: Setup, **changes) -> Path:
    run = a_run(s)
    card = json.loads((run / "bundle" / "card.json").read_text())
    card.update(changes)
    (run / "bundle" / "card.json").write_text(json.dumps(card))
    return run


def make_folder(path: Path) -> Path:
    path.mkdir()
    return path


def a_run(s: Setup, name: str = "run") -> Path:
    """A copy of the tutorial's run folder (one of ours, so --force may replace it)."""
    return Path(shutil.copytree(s.tutorial.parent, s.tmp / name))


def lookalike_run(s: Setup) -> Path:
    """A user's app folder that holds a run's config.json and bundle/ (copied from a run),
    but not the marker that only train writes."""
    folder = a_run(s, "myapp")
    (folder / ".movie-sentiment-run").unlink()
    (folder / "app.py").write_text("print('my app')")
    return folder


def other_marker(s: Setup) -> Path:
    """A run whose marker names another run than its card does."""
    folder = a_run(s)
    (folder / ".movie-sentiment-run").write_text("0" * 32 + "\n")
    return folder


def immutable_folder(s: Setup) -> Path:
    """A folder marked immutable (chattr +i): not even root may create anything in it."""
    folder = make_folder(s.tmp / "frozen")
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("chattr +i is not possible here (needs root and a file system with it)")
    s.later.append(lambda: subprocess.run(["chattr", "-i", str(folder)], check=True))
    return folder


def read_only_folder(s: Setup) -> Path:
    """A folder without write permission (chmod 555), which stops everyone but root."""
    folder = make_folder(s.tmp / "read-only")
    folder.chmod(0o555)
    s.later.append(lambda: folder.chmod(0o755))
    if os.access(folder, os.W_OK):
        pytest.skip("running as root, whom permissions do not stop (immutable-folder rows test it)")
    return folder


def lock_held(s: Setup, output: Path) -> Path:
    """``output``'s lock held by another process (a score job writing it), until the row ends."""
    from movie_sentiment.batch.output import lock_path

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from movie_sentiment.storage import exclusive_lock\n"
            "with exclusive_lock(sys.argv[1], 'busy'):\n"
            "    print('held', flush=True)\n"
            "    sys.stdin.read()\n",
            str(lock_path(output)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    s.later.append(lambda: (holder.stdin.close(), holder.wait(timeout=30)))
    assert holder.stdout.readline() == "held\n"
    return output


def numbers_parquet(s: Setup) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = s.tmp / "r.parquet"
    pq.write_table(pa.table({"text": [1, 2, 3]}), path)
    return path


def linked(s: Setup, target: Path, name: str, hard: bool = False) -> Path:
    link = s.tmp / name
    os.link(target, link) if hard else link.symlink_to(target.name)
    return link


DEEP_JSON = "[" * 100_000 + "]" * 100_000
LONG_NUMBER = "1" * 5000  # beyond Python's 4,300 digits for int(str)


def older_columns_parts(s: Setup, reviews: Path, output: Path) -> Path:
    """``output``'s parts folder as the version before the score record left it: this
    very job, but its parts without the columns the record added (``short_text``)."""
    from movie_sentiment.batch.job import Options, job_identity

    job = job_identity(s.nbsvm, [reviews], None, None, Options())
    del job["columns"]
    make_folder(output.parent / f"{output.name}.parts")
    s.write(f"{output.name}.parts/job.json", json.dumps({"job": job, "partitions": []}))
    return output


def user_folder(s: Setup) -> Path:
    folder = s.tmp / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("years of work")
    return folder


# (id, arguments built from the setup, fragment of the one error line)
def labeled_csv(count: int, labels=("pos", "neg"), extra: str = "") -> str:
    """A CSV of ``count`` made-up labeled reviews (``extra``: more lines at its end)."""
    rows = [f'"Review {i}: {("a warm, funny film", "a dull, slow film")[i % 2]}.",{labels[i % 2]}'
            for i in range(count)]  # fmt: skip
    return "text,label\n" + "\n".join(rows) + "\n" + extra


ROWS = [
    # -- data ---------------------------------------------------------------------------
    ("data-missing", lambda s: ["data", "info", "--data", s.tmp / "no.tar.gz"], "IMDB data not found"),
    (
        "data-env-missing",
        lambda s: (s.monkeypatch.setenv("MOVIE_SENTIMENT_DATA", str(s.tmp / "gone.tar.gz")), ["data", "info"])[1],
        "(from $MOVIE_SENTIMENT_DATA)",
    ),
    ("data-not-archive", lambda s: ["data", "info", "--data", s.write("a.tar.gz", b"\x1f\x8b junk")], "not a readable IMDB tar archive"),
    ("show-index", lambda s: ["data", "show", "--index", "999", "--data", s.archive], "index must be from 0 to 79"),
    ("show-split", lambda s: ["data", "show", "--split", "dev", "--data", s.archive], "unknown split 'dev'"),
    ("show-num-words", lambda s: ["data", "show", "--num-words", "0", "--data", s.archive], "num_words must be"),
    (
        "cache-unwritable",
        lambda s: (s.monkeypatch.setenv("MOVIE_SENTIMENT_CACHE", str(unwritable_folder(s.tmp) / "c")), ["data", "info", "--data", s.archive])[1],
        "cannot create the folder",
    ),
    # -- families -------------------------------------------------------------------------
    ("families-unknown", lambda s: ["families", "bert"], "unknown model family 'bert'"),
    # -- train: options -------------------------------------------------------------------
    ("train-unknown-family", lambda s: ["train", "--family", "bert"], "unknown model family 'bert'"),
    ("train-epochs-text", lambda s: ["train", "--epochs", "abc"], "Invalid value for '--epochs'"),
    ("train-no-such-option", lambda s: ["train", "--epoch", "3"], "No such option: --epoch"),
    ("train-epochs-zero", lambda s: ["train", "--epochs", "0"], "epochs must be a positive whole number"),
    ("train-seed-negative", lambda s: ["train", "--seed", "-5"], "seed must be from 0 to 4294967295"),
    ("train-seed-huge", lambda s: ["train", "--seed", "4294967296"], "seed must be from 0 to 4294967295"),
    ("best-epochs", lambda s: ["train", "--family", "best", "--epochs", "3"], "member family's own epochs"),
    ("train-sentences-many", lambda s: ["train", "--sentence-examples", "11"], "sentence_examples must be from 0 to 10"),
    ("train-sentence-weight", lambda s: ["train", "--sentence-weight", "0"], "sentence_weight must be above 0"),
    ("best-batch-size", lambda s: ["train", "--family", "best", "--batch-size", "8"], "own batch_size"),
    ("best-early-stopping", lambda s: ["train", "--family", "best", "--early-stopping", "2"], "own early_stopping"),
    ("best-checkpoint", lambda s: ["train", "--family", "best", "--no-checkpoint"], "own checkpoint"),
    ("best-on-test", lambda s: ["train", "--family", "best", "--validate-on-test"], "cannot validate on test"),
    (
        "test-checkpoint",
        lambda s: ["train", "--family", "mslearn", "--validate-on-test", "--checkpoint"],
        "would choose the epoch by test-set loss",
    ),
    ("test-early-stopping", lambda s: ["train", "--validate-on-test", "--early-stopping", "2"], "test-set loss"),
    ("data-for-train-missing", lambda s: ["train", "--data", s.tmp / "none.tar.gz"], "IMDB data not found"),
    (
        "validation-too-large",
        lambda s: ["train", "--data", s.archive, "--validation-size", "80", "--out", s.tmp / "r"],
        "leaves no training reviews",
    ),
    # -- train: config files --------------------------------------------------------------
    ("config-missing", lambda s: ["train", "--config", s.tmp / "none.json"], "training config not found"),
    ("config-not-json", lambda s: ["train", "--config", s.write("c.json", "{epochs: 3")], "cannot read training config"),
    ("config-list", lambda s: ["train", "--config", s.write("c.json", "[1]")], "must be a JSON object"),
    ("config-epochs-bool", lambda s: ["train", "--config", s.config({"epochs": True})], "epochs must be a whole number or null, not True"),
    ("config-force-text", lambda s: ["train", "--config", s.config({"force": "false"})], "force must be true or false, not 'false'"),
    ("config-seed-text", lambda s: ["train", "--config", s.config({"seed": "abc"})], "seed must be a whole number, not 'abc'"),
    ("config-encoder-text", lambda s: ["train", "--config", s.config({"encoder": "x"})], "encoder must be an object, not 'x'"),
    ("config-encoder-key", lambda s: ["train", "--config", s.config({"encoder": {"maxlne": 10}})], "unknown words encoder settings: maxlne"),
    ("config-encoder-learned", lambda s: ["train", "--config", s.config({"encoder": {"vocabulary_": []}})], "learned by fit"),
    ("config-option-type", lambda s: ["train", "--config", s.config({"family_options": {"hidden_units": "16"}})], "hidden_units must be a whole number"),
    ("config-member-training-key", lambda s: ["train", "--config", s.config({"family": "best", "family_options": {"member_training": {"cnn": {"encoder": {}}}}})], "member_training['cnn'] cannot set encoder"),
    ("config-member-training-value", lambda s: ["train", "--config", s.config({"family": "best", "family_options": {"member_training": {"cnn": {"epochs": 0}}}})], "member_training['cnn']: epochs must be a positive whole number"),
    ("config-option-key", lambda s: ["train", "--config", s.config({"family_options": {"units": 3}})], "unknown tutorial options: units"),
    ("config-unknown-key", lambda s: ["train", "--config", s.config({"epoch": 3})], "unknown training settings: epoch"),
    ("config-learning-rate", lambda s: ["train", "--config", s.config({"family": "nbsvm", "family_options": {"learning_rate": 0}})], "learning_rate must be above 0"),
    ("config-dropout", lambda s: ["train", "--config", s.config({"family": "fasttext", "family_options": {"dropout": 2}})], "dropout must be from 0 up to"),
    ("config-alpha", lambda s: ["train", "--config", s.config({"family": "nbsvm", "family_options": {"alpha": -1.0}})], "alpha must be above 0"),
    ("config-filters", lambda s: ["train", "--config", s.config({"family": "cnn", "family_options": {"filters": 0}})], "filters must be a whole number of 1 or more"),
    ("config-huge-number", lambda s: ["train", "--config", s.write("c.json", '{"family": "nbsvm", "family_options": {"l2": 1' + "0" * 400 + "}}")], "l2 must be a number"),
    ("config-integer-5000-digits", lambda s: ["train", "--config", s.write("c.json", '{"epochs": ' + "9" * 5000 + "}")], "it holds a whole number of more than 4,300 digits"),
    ("config-run-twice", lambda s: ["train", "--config", s.config({"family": "nbsvm", "epochs": 2, "training": {"epochs": 3}})], "give 'epochs' twice"),
    ("config-oov", lambda s: ["train", "--config", s.config({"encoder": {"oov_char": -1}})], "oov_char must be from 1 to index_from"),
    ("config-folder", lambda s: ["train", "--config", s.tmp], "is a folder, not a JSON file"),
    ("cnn-kernel-too-long", lambda s: ["train", "--family", "cnn", "--data", s.archive, "--out", s.tmp / "r", "--validation-size", "20", "--config", s.config({"encoder": {"maxlen": 3}, "family_options": {"pretrained_vectors": None}})], "kernel_size 5 is longer than the reviews"),
    ("config-refit-text", lambda s: ["train", "--config", s.config({"family": "best", "family_options": {"refit": "no"}})], "refit must be true or false"),
    ("distilled-teacher-number", lambda s: ["train", "--config", s.config({"family": "nbsvm", "recipe": "distilled", "recipe_options": {"teacher": 5}})], "teacher must be null (train one) or the path"),
    ("distilled-unlabeled-weight", lambda s: ["train", "--recipe", "distilled", "--config", s.config({"family": "nbsvm", "recipe_options": {"unlabeled_weight": 0}})], "unlabeled_weight must be above 0"),
    ("distilled-on-test", lambda s: ["train", "--family", "nbsvm", "--recipe", "distilled", "--validate-on-test"], "the distilled recipe learns from a teacher that never saw the validation labels and is judged on them; it needs validation_size above 0"),
    ("distilled-teacher-missing", lambda s: ["train", "--data", s.archive, "--out", s.tmp / "r", "--validation-size", "20", "--recipe", "distilled", "--config", s.config({"family": "nbsvm", "recipe_options": {"teacher": str(s.tmp / "none")}})], "no model bundle at"),
    # the nbsvm bundle held out 20 validation reviews, not 30
    ("distilled-teacher-split", lambda s: ["train", "--data", s.archive, "--out", s.tmp / "r", "--validation-size", "30", "--config", s.config({"family": "nbsvm", "recipe": "distilled", "recipe_options": {"teacher": str(s.nbsvm)}})], "did not hold out this run's validation reviews (seed 42, 30 reviews)"),
    # -- train: recipes, and the family name that became one ------------------------------
    ("family-fast-retired", lambda s: ["train", "--family", "fast"], "family 'fast' is now the distilled recipe: --family nbsvm --recipe distilled --epochs 2"),
    ("config-family-fast-retired", lambda s: ["train", "--config", s.config({"family": "fast", "family_options": {"teacher": None}})], "family 'fast' is now the distilled recipe"),
    ("recipe-unknown", lambda s: ["train", "--recipe", "bagging"], "unknown training recipe 'bagging'; choose one of: single, ensemble, distilled"),
    ("recipe-ensemble-for-single-family", lambda s: ["train", "--family", "nbsvm", "--recipe", "ensemble"], "the ensemble recipe trains the family that names it (--family ensemble), not nbsvm"),
    ("recipe-single-for-ensemble", lambda s: ["train", "--family", "best", "--recipe", "single"], "family best is trained by the ensemble recipe, not single"),
    ("recipe-option-unknown", lambda s: ["train", "--config", s.config({"family": "nbsvm", "recipe": "distilled", "recipe_options": {"teachr": None}})], "unknown distilled recipe options: teachr"),
    ("recipe-options-of-single", lambda s: ["train", "--config", s.config({"family": "nbsvm", "recipe_options": {"teacher": None}})], "unknown single recipe options: teacher"),
    ("recipe-options-not-a-mapping", lambda s: ["train", "--config", s.config({"recipe": "distilled", "recipe_options": [1]})], "recipe_options must be"),
    # -- train: where it writes -----------------------------------------------------------
    # --force is offered only where it would be accepted: not for a user's folder
    ("out-exists", lambda s: ["train", "--out", user_folder(s), "--data", s.archive], "is not a movie-sentiment run; --force replaces only those"),
    ("out-exists-empty", lambda s: ["train", "--out", make_folder(s.tmp / "empty"), "--data", s.archive], "empty already exists; pass --force to overwrite it"),
    (
        "out-force-not-ours",
        lambda s: ["train", "--out", user_folder(s), "--force", "--data", s.archive],
        "is not a movie-sentiment run;",
    ),
    ("out-bundle-not-run", lambda s: ["train", "--out", s.bundle_copy(), "--force", "--data", s.archive], "is not a movie-sentiment run;"),
    ("out-force-lookalike", lambda s: ["train", "--out", lookalike_run(s), "--force", "--data", s.archive], "is not a movie-sentiment run;"),
    ("out-force-other-marker", lambda s: ["train", "--out", other_marker(s), "--force", "--data", s.archive], "is not a movie-sentiment run;"),
    ("out-proc", lambda s: ["train", "--out", "/proc/x/run", "--data", s.archive], "cannot write to /proc"),
    ("out-immutable", lambda s: ["train", "--out", immutable_folder(s) / "run", "--data", s.archive], "cannot write to"),
    ("out-read-only", lambda s: ["train", "--out", read_only_folder(s) / "run", "--data", s.archive], "cannot write to"),
    ("out-link", lambda s: (lambda run: ((s.tmp / "link").symlink_to(run), ["train", "--out", s.tmp / "link", "--force"])[1])(a_run(s)), "is a link"),
    ("out-name-too-long", lambda s: ["train", "--out", s.tmp / ("r" * 250), "--data", s.archive], "File name too long"),
    ("cache-is-a-file", lambda s: (s.monkeypatch.setenv("MOVIE_SENTIMENT_CACHE", str(s.write("cachefile", "x"))), ["data", "info", "--data", s.archive])[1], "cannot create the folder"),
    ("out-is-a-file", lambda s: ["train", "--out", s.write("notes.txt", "x"), "--force"], "is not a folder"),
    ("out-unwritable", lambda s: ["train", "--out", unwritable_folder(s.tmp) / "run", "--data", s.archive], "cannot write to"),
    (
        "working-folder-unwritable",
        lambda s: (s.monkeypatch.chdir(unwritable_folder(s.tmp)), ["train", "--data", s.archive])[1],
        "cannot write to",
    ),
    # -- evaluate / predict: bundles ------------------------------------------------------
    ("evaluate-no-bundle", lambda s: ["evaluate", s.tmp / "nothing"], "no model bundle"),
    # -- evaluate: a user's own labeled reviews ----------------------------------------------
    ("own-no-label-column", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", "text\nfine\n" * 60)], "has no label column"),
    ("own-one-label", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(60, ("pos", "pos")))], "has one label only"),
    ("own-mixed-kinds", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(60, extra="x,1\ny,0\n"))], "mixes label kinds"),
    ("own-empty-file", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", "")], "is empty"),
    ("own-ten-rows", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(10))], "has 10 labeled reviews; at least 50"),
    ("own-only-duplicates", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(2) + labeled_csv(2)[11:] * 40)], "has 2 labeled reviews"),
    ("own-unknown-pair", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(60, ("good", "bad")))], "say which is positive with --positive-label"),
    (
        "own-outside-scale",
        lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(60, ("11", "2")).replace("text,label", "text,rating")), "--rating-scale", "1,10"],
        "outside the scale 1-10",
    ),
    ("own-scale-text", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(60)), "--rating-scale", "1-10"], "--rating-scale must be LOW,HIGH"),
    ("own-scale-backwards", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(60)), "--rating-scale", "10,1"], "LOW must be below HIGH"),
    ("own-label-column-missing", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.csv", labeled_csv(60)), "--label-column", "verdict"], "has no column 'verdict'"),
    ("own-plain-text", lambda s: ["evaluate", s.nbsvm, "--data", s.write("r.txt", "fine\n" * 60)], "cannot read labels from r.txt"),
    ("own-data-missing", lambda s: ["evaluate", s.nbsvm, "--data", s.tmp / "mine.csv"], "data not found"),
    # -- train: a user's own labeled reviews -------------------------------------------------
    ("train-weight-count", lambda s: ["train", "--data", s.write("m.csv", labeled_csv(60)), "--weight", "1", "--weight", "2"], "2 --weight for 1 --data sources"),
    ("train-weight-alone", lambda s: ["train", "--weight", "2"], "--weight weighs the --data sources"),
    ("train-imdb-twice", lambda s: ["train", "--data", "imdb", "--data", s.archive], "IMDB is given twice"),
    ("train-own-ten-rows", lambda s: ["train", "--family", "nbsvm", "--data", s.write("m.csv", labeled_csv(10)), "--out", s.tmp / "r"], "has 10 labeled reviews"),
    ("train-own-one-label", lambda s: ["train", "--family", "nbsvm", "--data", s.write("m.csv", labeled_csv(60, ("pos", "pos"))), "--out", s.tmp / "r"], "has one label only"),
    ("train-own-missing", lambda s: ["train", "--family", "nbsvm", "--data", s.tmp / "none.csv", "--out", s.tmp / "r"], "data not found"),
    ("train-test-fraction", lambda s: ["train", "--data", s.write("m.csv", labeled_csv(60)), "--test-fraction", "0.9"], "test_fraction must be above 0"),
    ("train-own-distilled", lambda s: ["train", "--family", "nbsvm", "--recipe", "distilled", "--data", s.write("m.csv", labeled_csv(60))], "train with IMDB too"),
    ("train-test-data-alone", lambda s: ["train", "--test-data", s.write("t.csv", labeled_csv(60))], "test_data and labels are for your own data"),
    ("train-own-scale-text", lambda s: ["train", "--data", s.write("m.csv", labeled_csv(60)), "--rating-scale", "x"], "--rating-scale must be LOW,HIGH"),
    # -- train --cv K: cross-validation on a user's own labeled reviews ---------------------
    ("train-cv-one", lambda s: ["train", "--family", "nbsvm", "--data", s.write("m.csv", labeled_csv(60)), "--cv", "1"], "cv must be from 2 to 20 folds, not 1"),
    ("train-cv-many", lambda s: ["train", "--family", "nbsvm", "--data", s.write("m.csv", labeled_csv(60)), "--cv", "21"], "cv must be from 2 to 20 folds, not 21"),
    ("train-cv-text", lambda s: ["train", "--family", "nbsvm", "--data", s.write("m.csv", labeled_csv(60)), "--cv", "x"], "--cv must be a whole number of folds, not 'x'"),
    ("train-cv-imdb-only", lambda s: ["train", "--family", "nbsvm", "--data", "imdb", "--cv", "5"], "cv folds your own labeled reviews"),
    ("train-cv-test-data", lambda s: ["train", "--data", s.write("m.csv", labeled_csv(60)), "--test-data", s.write("t.csv", labeled_csv(60)), "--cv", "5"], "give --cv or --test-data, not both"),
    ("train-cv-test-fraction", lambda s: ["train", "--data", s.write("m.csv", labeled_csv(60)), "--test-fraction", "0.2", "--cv", "5"], "give --cv or --test-fraction, not both"),
    ("train-cv-recipe", lambda s: ["train", "--family", "nbsvm", "--recipe", "distilled", "--data", "imdb", "--data", s.write("m.csv", labeled_csv(60)), "--cv", "3"], "cv trains one model per fold with the single recipe, not distilled"),
    ("train-cv-fold-validation-one-label", lambda s: ["train", "--family", "nbsvm", "--data", s.write("m.csv", labeled_csv(60)), "--cv", "3", "--validation-size", "1", "--out", s.tmp / "r"], "the validation part (1 reviews) holds one label only"),
    (
        "train-cv-more-than-smaller-label",
        lambda s: ["train", "--family", "nbsvm", "--data", s.write("m.csv", labeled_csv(60, ("pos", "pos"), '"A dull film.",neg\n"A slow film.",neg\n"A bad one.",neg\n')), "--cv", "5", "--out", s.tmp / "r"],
        "--cv 5 needs at least 5 reviews of each label; the smaller label has 3",
    ),
    ("predict-no-bundle", lambda s: ["predict", s.tmp / "nothing", "hi"], "no model bundle"),
    ("predict-not-bundle", lambda s: ["predict", s.tmp, "hi"], "not a movie-sentiment model bundle"),
    ("card-version-text", lambda s: ["predict", s.edited_card(format_version="x"), "hi"], "format_version must be a whole number"),
    ("card-newer", lambda s: ["predict", s.edited_card(format_version=99), "hi"], "newer movie-sentiment"),
    ("card-temperature-text", lambda s: ["predict", s.edited_card(temperature="hot"), "hi"], "calibration temperature must be a number from 0.05 to 20"),
    ("card-temperature-huge", lambda s: ["predict", s.edited_card(temperature=1e308), "hi"], "calibration temperature must be a number from 0.05 to 20"),
    ("card-temperature-tiny", lambda s: ["predict", s.edited_card(temperature=1e-320), "hi"], "calibration temperature must be a number from 0.05 to 20"),
    ("card-uncertain-nan", lambda s: ["predict", s.edited_card(uncertain={"target_accuracy": 0.97, "table": [[float("nan"), 1, 1]]}), "hi"], "card.json is not a usable model card: it holds NaN"),
    ("card-uncertain-outside", lambda s: ["predict", s.edited_card(uncertain={"target_accuracy": 0.97, "table": [[0.7, 1, 1]]}), "hi"], "uncertain table row 0 must hold a confidence from 0 to 0.5"),
    ("card-uncertain-order", lambda s: ["predict", s.edited_card(uncertain={"target_accuracy": 0.97, "table": [[0.1, 1, 0.5], [0.3, 1, 1]]}), "hi"], "uncertain table rows are out of order at row 1"),
    ("card-metrics-text", lambda s: ["predict", s.edited_card(metrics={"test": {"accuracy": "high"}}), "hi"], "metrics test accuracy must be a number, not 'high'"),
    ("serve-card-metrics-text", lambda s: ["serve", s.edited_card(metrics={"validation": {"accuracy": [1, "x"]}})], "metrics validation accuracy must be a number, not 'x'"),
    ("report-card-wrong-types", lambda s: ["report", run_with_card(s, metrics={"test": {"loss": "low"}})], "metrics test loss must be a number, not 'low'"),
    ("card-stars-nan", lambda s: ["predict", s.edited_card(stars={"negative_cuts": [1, 2, float("inf")], "positive_cuts": [1, 2, 3]}), "hi"], "it holds Infinity"),
    ("card-integer-5000-digits", lambda s: ["predict", card_text(s, '{"format": "movie-sentiment-bundle", "family": "tutorial", "parameters": ' + "7" * 5000 + "}"), "hi"], "card.json is damaged: it holds a whole number of more than 4,300 digits"),
    ("card-fifo", lambda s: ["predict", planted_file(s, "card.json", os.mkfifo), "hi"], "card.json is a FIFO, not a regular file"),
    ("bundle-link-outside", lambda s: ["predict", planted_file(s, "encoder.json", lambda p: p.symlink_to(s.write("elsewhere.json", '{"kind": "words"}'))), "hi"], "encoder.json links outside the bundle"),
    ("bundle-dev-zero", lambda s: ["predict", planted_file(s, "model.keras", lambda p: p.symlink_to("/dev/zero")), "hi"], "model.keras links outside the bundle (to /dev/zero)"),
    ("bundle-words-swapped", lambda s: ["predict", swapped_words(s), "hi"], "encoder.json was edited or damaged after the bundle was saved"),
    ("card-foreign", lambda s: ["predict", s.edited_card(format="other"), "hi"], "foreign format"),
    ("encoder-json-damaged", lambda s: ["predict", s.edited_encoder(num_words="many"), "hi"], "num_words must be a whole number"),
    ("encoder-swapped", lambda s: ["predict", swapped_encoder(s), "hi"], "the files come from different models"),
    ("encoder-vocabulary", lambda s: ["predict", smaller_vocabulary(s), "hi"], "vocabulary of"),
    ("encoder-maxlen", lambda s: ["predict", s.edited_encoder(maxlen=100), "hi"], "gives reviews of 100 ids"),
    ("encoder-npz-truncated", lambda s: ["predict", truncated_npz(s), "hi"], "encoder.npz is damaged or truncated"),
    ("encoder-npz-missing", lambda s: ["predict", missing_npz(s), "hi"], "n-gram tables are missing"),
    ("encoder-npz-swapped", lambda s: ["predict", swapped_tables(s), "hi"], "table does not match the word list"),
    ("encoder-special-ids", lambda s: ["predict", s.edited_encoder(start_char=999999), "hi"], "start_char must be from 1 to index_from"),
    ("encoder-kind-list", lambda s: ["predict", s.edited_encoder(kind=["x"]), "hi"], "unknown encoder kind ['x']"),
    ("card-no-family", lambda s: (lambda b: ((b / "card.json").write_text('{"format": "movie-sentiment-bundle", "format_version": 2}'), ["predict", b, "hi"])[1])(s.bundle_copy()), "model card settings lack family"),
    ("card-deep", lambda s: (lambda b: ((b / "card.json").write_text("[" * 100000 + "]" * 100000), ["predict", b, "hi"])[1])(s.bundle_copy()), "nested too deeply"),
    (
        "model-damaged",
        lambda s: (lambda b: ((b / "model.keras").write_bytes(b"\x00" * 500), ["predict", b, "hi"])[1])(s.bundle_copy()),
        "model.keras is damaged or truncated",
    ),
    ("model-nan", lambda s: ["predict", nan_weights(s), "hi"], "weights that are not numbers"),
    ("card-uncertain-table", lambda s: ["predict", s.edited_card(uncertain={"target_accuracy": 0.97, "table": "x"}), "hi"], "uncertain table must be a list"),
    ("card-uncertain-target", lambda s: ["predict", s.edited_card(uncertain={"target_accuracy": 2, "table": [[0, 1, 1]]}), "hi"], "uncertain target_accuracy must be from 0.5 to 1"),
    ("card-stars-cuts", lambda s: ["predict", s.edited_card(stars={"negative_cuts": [1], "positive_cuts": [1, 2, 3]}), "hi"], "stars negative_cuts must be three ascending numbers"),
    ("card-stars-shared-text", lambda s: ["predict", s.edited_card(stars={"shared_encoder": "false", "negative_cuts": [1, 2, 3], "positive_cuts": [1, 2, 3]}), "hi"], "stars shared_encoder must be true or false"),
    ("card-stars-shared-no-model", lambda s: ["predict", s.edited_card(stars={"method": "stacked", "shared_encoder": True, "stack": {"coef": [[0.0] * 9] * 8, "intercept": [0.0] * 8}, "negative_cuts": [1, 2, 3], "positive_cuts": [1, 2, 3]}), "hi"], "stars/model.keras, which is missing"),
    # -- predict: input -------------------------------------------------------------------
    ("predict-nothing", lambda s: ["predict", s.tutorial], "no reviews given"),
    ("predict-both", lambda s: ["predict", s.tutorial, "hi", "--file", s.write("r.txt", "x\n")], "not both"),
    ("file-missing", lambda s: ["predict", s.tutorial, "--file", s.tmp / "r.txt"], "input file not found"),
    ("file-latin1", lambda s: ["predict", s.tutorial, "--file", s.write("r.txt", "tr\xe8s".encode("latin-1"))], "not UTF-8"),
    ("file-folder", lambda s: ["predict", s.tutorial, "--file", make_folder(s.tmp / "dir.txt")], "is a folder, not a file of reviews"),
    ("file-only-bad-unicode", lambda s: ["predict", s.tutorial, "--file", s.write("r.jsonl", '{"text": "\\ud800"}\n')], "not valid Unicode"),
    ("csv-two-text-columns", lambda s: ["predict", s.tutorial, "--file", s.write("r.csv", "text,review\na,b\n")], "more than one"),
    ("file-format", lambda s: ["predict", s.tutorial, "--file", s.write("r.docx", "x")], "use a .txt, .csv, .jsonl file"),
    ("file-empty", lambda s: ["predict", s.tutorial, "--file", s.write("r.txt", "")], "holds no reviews"),
    ("file-blank-lines", lambda s: ["predict", s.tutorial, "--file", s.write("r.txt", "\n \n")], "none of the 2 rows holds a review"),
    ("jsonl-deep-only", lambda s: ["predict", s.tutorial, "--file", s.write("r.jsonl", DEEP_JSON + "\n")], "(line 1: the line is JSON nested too deeply to read)"),
    ("jsonl-long-number-only", lambda s: ["predict", s.tutorial, "--file", s.write("r.jsonl", '{"text": ' + LONG_NUMBER + "}\n")], "(line 1: the line holds a number too long to read"),
    ("csv-no-text", lambda s: ["predict", s.tutorial, "--file", s.write("r.csv", "id,body\n1,x\n")], "no 'text' or 'review' column"),
    ("csv-open-quote", lambda s: ["predict", s.tutorial, "--file", s.write("r.csv", 'text\n"open\nrest\n')], "not valid CSV"),
    ("predict-target-high", lambda s: ["predict", s.tutorial, "hi", "--target-accuracy", "1.5"], "target accuracy must be a number from 0.5 to 1, not 1.5"),
    ("predict-target-text", lambda s: ["predict", s.tutorial, "hi", "--target-accuracy", "high"], "Invalid value for '--target-accuracy'"),
    ("serve-no-bundle", lambda s: ["serve", s.tmp / "nothing"], "no model bundle"),
    ("serve-same-name", lambda s: ["serve", f"a={s.nbsvm}", f"a={s.tutorial}"], "the name 'a' is given to two models ("),
    ("serve-same-folder-name", lambda s: ["serve", s.nbsvm, s.nbsvm.parent], "two models are named 'nbsvm' ("),
    ("serve-name-with-slash", lambda s: ["serve", f"a/b={s.nbsvm}"], "model name 'a/b' cannot be part of a URL"),
    ("serve-name-empty", lambda s: ["serve", f"={s.nbsvm}"], "model name '' cannot be part of a URL"),
    ("serve-name-stats", lambda s: ["serve", f"stats={s.nbsvm}"], "a model may not be named 'stats' (/v2/models/stats is the statistics route)"),
    ("serve-empty-key", lambda s: ["serve", s.nbsvm, "--api-key", " "], "the API key is empty"),
    ("serve-empty-env-key", lambda s: (s.monkeypatch.setenv("MOVIE_SENTIMENT_API_KEY", ""), ["serve", s.nbsvm])[1], "$MOVIE_SENTIMENT_API_KEY is set but empty; set a key in it or unset it"),
    ("serve-blank-env-key", lambda s: (s.monkeypatch.setenv("MOVIE_SENTIMENT_API_KEY", "  "), ["serve", s.nbsvm])[1], "$MOVIE_SENTIMENT_API_KEY is set but empty"),
    ("serve-cors-path", lambda s: ["serve", s.nbsvm, "--cors-origin", "https://reviews.example/app"], "(an origin has no path, query or user)"),
    ("serve-cors-scheme", lambda s: ["serve", s.nbsvm, "--cors-origin", "reviews.example"], "--cors-origin 'reviews.example' is not an origin like https://host"),
    ("serve-cors-port", lambda s: ["serve", s.nbsvm, "--cors-origin", "https://reviews.example:http"], "is not an origin like"),
    ("serve-max-connections", lambda s: ["serve", s.nbsvm, "--max-connections", 10**9], "open files; this process may open at most"),
    ("serve-nan-model", lambda s: ["serve", overflowing_weights(s), "--port", 0], "model 'overflowing' cannot be served: a test review got no number from the model (NaN)"),
    ("serve-port", lambda s: ["serve", s.nbsvm, "--port", "70000"], "'--port': Input should be less than or equal to 65535"),
    ("serve-max-wait-negative", lambda s: ["serve", s.nbsvm, "--max-wait-ms", "-1", "--workers", "2"], "'--max-wait-ms': Input should be greater than or equal to 0"),
    ("serve-max-wait-text", lambda s: ["serve", s.nbsvm, "--max-wait-ms", "soon"], "'--max-wait-ms': Input should be a valid number"),
    ("report-not-run", lambda s: ["report", s.tmp], "is not a run folder"),
    ("train-resume-nothing", lambda s: ["train", "--resume", s.tmp / "run"], "no interrupted run to resume at"),
    ("train-resume-not-a-run", lambda s: ["train", "--resume", user_folder(s)], "thesis is not a movie-sentiment run and no interrupted run is beside it"),
    ("train-resume-a-file", lambda s: ["train", "--resume", s.write("notes.txt", "x")], "notes.txt is not a movie-sentiment run"),
    ("train-resume-finished", lambda s: ["train", "--resume", a_run(s)], "finished; there is nothing to resume"),
    ("resume-config-truncated", lambda s: ["train", "--resume", s.resume_copy(truncated("config.json"))], "/run is damaged; start again with --force"),
    ("resume-state-truncated", lambda s: ["train", "--resume", s.resume_copy(truncated("epochs/tutorial/state.json"))], "/run is damaged; start again with --force"),
    ("resume-weights-truncated", lambda s: ["train", "--resume", s.resume_copy(truncated("epochs/tutorial/epoch-*/last.weights.h5"))], "/run is damaged; start again with --force"),
    ("resume-random-truncated", lambda s: ["train", "--resume", s.resume_copy(truncated("epochs/tutorial/epoch-*/random.json"))], "/run is damaged; start again with --force"),
    ("resume-old-pickle", lambda s: ["train", "--resume", s.resume_copy(pickled_state(s))], "as a pickle (random.pickle), which is never read"),
    ("train-resume-and-options", lambda s: ["train", "--resume", s.tmp / "run", "--epochs", "3"], "--resume goes on with the run's own settings; give no others"),
    # -- score ------------------------------------------------------------------------------
    ("score-no-input", lambda s: ["score", s.nbsvm, s.tmp / "none.csv", "-o", "out.parquet"], "no input file matches"),
    ("score-input-format", lambda s: ["score", s.nbsvm, s.write("r.md", "hi"), "-o", "out.parquet"], "inputs are .csv, .tsv, .jsonl, .parquet, .txt files"),
    ("score-empty-folder", lambda s: ["score", s.nbsvm, s.tmp, "-o", "out.parquet"], "holds no .csv"),
    ("score-output-format", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.xlsx"], "the output is a .parquet, .csv, .jsonl file"),
    ("score-output-exists", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", s.write("out.csv", "mine")], "out.csv exists; pass --force to replace it"),
    ("score-output-folder", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", s.tmp / "nowhere" / "out.csv"], "does not exist"),
    ("score-no-text-column", lambda s: ["score", s.nbsvm, s.write("r.csv", "id,body\n1,x\n"), "-o", "out.csv"], "no 'text' or 'review' column (columns: id, body); choose one with --text-column"),
    ("score-text-column", lambda s: ["score", s.nbsvm, s.write("r.csv", "id,body\n1,x\n"), "-o", "out.csv", "--text-column", "words"], "has no column 'words' (the --text-column)"),
    ("score-open-quote", lambda s: ["score", s.nbsvm, s.write("r.csv", 'text\n"open\nrest\n'), "-o", "out.csv"], "a quoted field that never ends"),
    ("score-only-header", lambda s: ["score", s.nbsvm, s.write("r.csv", "text\n"), "-o", "out.csv"], "the inputs hold no reviews"),
    ("score-output-is-input", lambda s: ["score", s.nbsvm, s.write("r.csv", "text\nhi\n"), "-o", "r.csv", "--force"], "the output r.csv is the input"),
    ("score-output-is-input-symlink", lambda s: ["score", s.nbsvm, s.write("r.csv", "text\nhi\n"), "-o", linked(s, s.tmp / "r.csv", "out.csv"), "--force"], "is the input"),
    ("score-output-is-input-hardlink", lambda s: ["score", s.nbsvm, s.write("r.csv", "text\nhi\n"), "-o", linked(s, s.tmp / "r.csv", "out.csv", hard=True), "--force"], "is the input"),
    ("score-output-is-input-folder", lambda s: ["score", s.nbsvm, (s.write("r.txt", "hi\n"), s.tmp)[1], "-o", s.write("out.csv", "text\nmine\n"), "--force"], "is the input"),
    ("score-busy", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", lock_held(s, s.tmp / "out.csv")], "another job is writing"),
    ("score-busy-force", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", lock_held(s, s.tmp / "out.csv"), "--force"], "another job is writing"),
    ("score-lock-name-taken", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", (s.write("out.csv.lock", "my notes"), "out.csv")[1]], "out.csv.lock is in the way and is not a lock of ours"),
    ("score-parquet-numbers", lambda s: ["score", s.nbsvm, numbers_parquet(s), "-o", "out.csv"], "column 'text' holds int64, not text"),
    ("score-parts-not-ours", lambda s: (make_folder(s.tmp / "out.csv.parts"), ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv", "--force"])[1], "is in the way and is not a job's parts folder"),
    ("score-parts-not-ours-no-force", lambda s: (make_folder(s.tmp / "out.csv.parts"), ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", s.write("out.csv", "mine")])[1], "is in the way and is not a job's parts folder"),
    ("score-parts-older-columns", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", older_columns_parts(s, s.tmp / "r.txt", s.tmp / "out.csv")], "holds the parts of a different job"),
    ("score-parts-damaged", lambda s: (make_folder(s.tmp / "out.csv.parts"), s.write("out.csv.parts/job.json", '{"job": '), ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv"])[2], "or a damaged job.json"),
    ("score-proc", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "/proc/out.csv"], "cannot write to /proc"),
    ("score-unwritable", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", unwritable_folder(s.tmp) / "out.csv"], "cannot write to"),
    ("score-immutable", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", immutable_folder(s) / "out.csv"], "cannot write to"),
    ("score-read-only", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", read_only_folder(s) / "out.csv"], "cannot write to"),
    ("score-engine", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv", "--engine", "spark"], "unknown engine 'spark': use local or dask"),
    ("score-scheduler-local", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --engine dask"),
    ("score-jobs-zero", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv", "--jobs", "0"], "--jobs must be 1 or more, not 0"),
    ("score-jobs-dask", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv", "--engine", "dask", "--jobs", "2"], "--jobs is for --engine local; the dask engine has --workers"),
    ("score-no-scheduler", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    ("score-card-fifo", lambda s: ["score", planted_file(s, "card.json", os.mkfifo), s.write("r.txt", "hi\n"), "-o", "out.csv"], "card.json is a FIFO, not a regular file"),
    ("score-partition", lambda s: ["score", s.nbsvm, s.write("r.txt", "hi\n"), "-o", "out.csv", "--partition-kb", "0"], "'--partition-kb': Input should be greater than or equal to 1"),
    # -- explain ----------------------------------------------------------------------------
    ("explain-json-no-text", lambda s: ["explain", s.nbsvm, "--json"], "--json and --html explain reviews; give one"),
    ("explain-not-linear", lambda s: ["explain", s.tutorial], "not linear"),
    ("explain-top-zero", lambda s: ["explain", s.nbsvm, "hi", "--top", "0"], "'--top': Input should be greater than or equal to 1"),
    ("explain-html-unwritable", lambda s: ["explain", s.nbsvm, "hi", "--html", "/sys/kernel/why.html"], "cannot write"),
    ("explain-html-proc", lambda s: ["explain", s.nbsvm, "hi", "--html", "/proc/why.html"], "cannot write to /proc"),
    ("explain-html-proc-folder", lambda s: ["explain", s.nbsvm, "hi", "--html", "/proc/x/why.html"], "cannot write to /proc/x"),
    ("explain-html-immutable", lambda s: ["explain", s.nbsvm, "hi", "--html", immutable_folder(s) / "why.html"], "cannot write to"),
    ("explain-html-folder", lambda s: ["explain", s.nbsvm, "hi", "--html", s.tmp], "is a folder"),
    ("explain-html-exists", lambda s: ["explain", s.nbsvm, "hi", "--html", s.write("notes.html", "mine")], "notes.html exists; pass --force to replace it"),
    ("explain-html-is-input", lambda s: ["explain", s.nbsvm, "--file", s.write("r.txt", "hi\n"), "--html", "r.txt", "--force"], "is the file of reviews (--file)"),
    ("explain-html-device", lambda s: ["explain", s.nbsvm, "hi", "--html", "/dev/null", "--force"], "is not a file"),
    ("explain-force-alone", lambda s: ["explain", s.nbsvm, "hi", "--force"], "give --html FILE"),
    ("csv-fields", lambda s: ["predict", s.tutorial, "--file", s.write("r.csv", "text,id\nhi, there,1\n")], "3 fields where the header has 2"),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "fragment"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_mistake_is_one_error_line_and_changes_nothing(
    arguments, fragment, cli, tmp_path, small_archive, tutorial_run, nbsvm_run, monkeypatch, request
):
    monkeypatch.chdir(tmp_path)
    setup = Setup(
        tmp_path, small_archive, tutorial_run.bundle_dir, nbsvm_run.bundle_dir, monkeypatch,
        request,
    )  # fmt: skip
    try:
        args = arguments(setup)
        watched = (tmp_path, tutorial_run.run_dir, nbsvm_run.run_dir)
        before = snapshot(*watched)
        result = cli(*args)
        assert_one_line_error(result, fragment)
        assert snapshot(*watched) == before
        assert result.stdout == ""
    finally:
        for undo in setup.later:
            undo()


def test_every_row_has_a_unique_name():
    names = [row[0] for row in ROWS]
    assert len(names) == len(set(names))
