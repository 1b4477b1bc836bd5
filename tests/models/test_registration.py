"""Registering a family is the documented way to add one (docs/adding-a-family.md): a
family registered with ``register_family`` trains, saves, loads and scores through the
same calls as the built-in ones, a family module another package declares as an entry
point is found by name, and a wrong definition is one ``ConfigError`` naming it."""

import json
import os
import subprocess
import sys

import pytest
from conftest import train_small

import movie_sentiment.models as models
from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data.imdb import load_reviews
from movie_sentiment.errors import ConfigError, UnknownFamilyError
from movie_sentiment.evaluation.metrics import classification_metrics
from movie_sentiment.models import get_family, register_family

TOY_DEFAULTS = {
    "encoder": {"num_words": 2000, "maxlen": 64, "padding": "post", "truncating": "post"},
    "family_options": {"embedding_dim": 8},
    "training": {"epochs": 30, "batch_size": 8, "checkpoint": True},
}


def build_toy(options, encoder):
    """Embedding, average, sigmoid: the smallest model that learns the small archive."""
    import keras

    from movie_sentiment.models.compile import compile_binary

    keras_model = keras.Sequential(
        [
            keras.Input(shape=(encoder.maxlen,), dtype="int32"),
            keras.layers.Embedding(encoder.vocabulary_size, options["embedding_dim"]),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="toy",
    )
    return compile_binary(keras_model, learning_rate=0.01)


@pytest.fixture
def registry(monkeypatch):
    """The registry as it is, restored after the test (a toy family must not leak into
    the contract tests, which check every registered family)."""
    monkeypatch.setattr(models, "_REGISTRY", dict(models._REGISTRY))
    monkeypatch.setattr(models, "_plugins_loaded", False)
    return models._REGISTRY


def test_a_registered_family_trains_and_scores_through_the_normal_path(
    registry, small_archive, tmp_path, cli
):
    family = register_family(
        "toy", summary="a toy: embedding average", defaults=TOY_DEFAULTS, build=build_toy
    )
    assert get_family("toy") is family
    listed = cli("families")
    assert listed.returncode == 0 and "toy" in listed.stdout

    result = train_small(small_archive, tmp_path / "toy-run", "toy")
    model = SentimentModel.load(result.bundle_dir)
    assert model.card.family == "toy" and model.family is family
    assert model.card.config["family_options"] == {"embedding_dim": 8}
    test = load_reviews("test", small_archive)
    probabilities = model.predict_proba(test.texts)
    assert classification_metrics(test.labels, probabilities)["accuracy"] >= 0.9
    scores = model.score(test.texts[:4])
    assert list(scores.probability) == pytest.approx(list(probabilities[:4]))
    assert all(1 <= stars <= 10 for stars in scores.stars)  # the stars model rides along

    assert (result.run_dir / "report.html").exists()  # no explain hook: no examples in it
    predicted = cli("predict", str(result.run_dir), test.texts[0])
    assert predicted.returncode == 0, predicted.stderr


PLUGIN_MODULE = """
NAME = "toy_plugin"
SUMMARY = "a family from another package"
DEFAULTS = {defaults!r}
LONG_REVIEWS = "truncate"


def build(options, encoder):
    import keras

    from movie_sentiment.models.compile import compile_binary

    keras_model = keras.Sequential(
        [
            keras.Input(shape=(encoder.maxlen,), dtype="int32"),
            keras.layers.Embedding(encoder.vocabulary_size, options["embedding_dim"]),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name=NAME,
    )
    return compile_binary(keras_model, learning_rate=0.01)
"""


def install_plugin(folder):
    """What ``pip install`` of a package declaring ``[project.entry-points.
    "movie_sentiment.families"]`` leaves on the path: its module and its dist-info."""
    (folder / "toy_plugin_family.py").write_text(PLUGIN_MODULE.format(defaults=TOY_DEFAULTS))
    info = folder / "toy_plugin_family-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin-family\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[movie_sentiment.families]\ntoy_plugin = toy_plugin_family\n"
    )


def test_a_family_module_declared_as_an_entry_point_is_found_by_name(
    registry, tmp_path, monkeypatch
):
    install_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "toy_plugin_family", raising=False)

    family = get_family("toy_plugin")
    assert family.summary == "a family from another package"
    assert family.long_reviews == "truncate"
    assert "toy_plugin" in {family.name for family in models.families()}


def test_the_command_line_trains_and_scores_an_entry_point_family(small_archive, tmp_path):
    """Fresh processes, as a user's: nothing registers the family but its entry point."""
    install_plugin(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}

    def run(*args):
        command = [sys.executable, "-m", "movie_sentiment.cli", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)

    run_dir = tmp_path / "run"
    trained = run(
        "train", "--family", "toy_plugin", "--data", small_archive, "--out", run_dir,
        "--validation-size", 20,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    scored = run("predict", run_dir, "--json", "wonderful superb film")
    assert scored.returncode == 0, scored.stderr
    row = json.loads(scored.stdout.splitlines()[0])
    assert row["label"] in ("positive", "negative", "uncertain") and row["error"] is None
    card = json.loads((run_dir / "bundle" / "card.json").read_text())
    assert card["family"] == "toy_plugin"


def test_a_broken_entry_point_is_one_error_naming_it(registry, tmp_path, monkeypatch):
    info = tmp_path / "broken_family-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-family\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[movie_sentiment.families]\nbroken = no_such_module_here\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="'broken' .entry point 'no_such_module_here'. cannot"):
        get_family("broken")


def toy(**changes):
    return {"summary": "toy", "defaults": TOY_DEFAULTS, "build": build_toy, **changes}


# Each mistake in a family's definition: one ConfigError naming it, and nothing registered.
BAD_REGISTRATIONS = [
    ("taken name", "nbsvm", toy(), "'nbsvm' is already registered"),
    ("taken alias", "toy", toy(aliases=("best",)), "'best' is already registered"),
    ("at sign", "toy@2", toy(), "without '@'"),
    ("empty name", "", toy(), "non-empty word"),
    ("missing section", "toy", toy(defaults={"encoder": {}, "family_options": {}}), "training"),
    ("section not a dict", "toy", toy(defaults={**TOY_DEFAULTS, "encoder": []}), "encoder"),
    ("build not callable", "toy", toy(build="keras"), "build must be callable"),
    ("unknown long-review way", "toy", toy(long_reviews="all"), "long_reviews must be one of"),
]


@pytest.mark.parametrize(
    ("name", "arguments", "fragment"),
    [row[1:] for row in BAD_REGISTRATIONS],
    ids=[row[0] for row in BAD_REGISTRATIONS],
)
def test_bad_registration_is_one_error(registry, name, arguments, fragment):
    before = dict(registry)
    with pytest.raises(ConfigError, match=fragment):
        register_family(name, **arguments)
    assert registry == before


def test_an_unknown_name_still_lists_the_known_families(registry):
    with pytest.raises(UnknownFamilyError, match="choose one of: .*nbsvm"):
        get_family("no-such-family")
