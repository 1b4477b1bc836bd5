"""A fast start: scoring and the CLI's help must not pay for libraries they do not use.

Each check runs in a fresh interpreter, as a user's ``movie-sentiment predict`` does.
(How long the imports take is measured by ``benchmarks/startup.py``, not asserted here.)
"""

import subprocess
import sys

import pytest

HEAVY = ("sklearn", "scipy", "matplotlib", "pandas", "keras", "jax", "h5py")


def loaded_after(statement: str) -> list[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    "statement",
    [
        "import movie_sentiment",
        "import movie_sentiment.cli",  # --help answers without Keras
        "import movie_sentiment.bundle",  # Keras comes with the first load
        "import movie_sentiment.training",  # a config mistake is reported before Keras
        "import movie_sentiment.models",  # `families NAME` prints defaults without Keras
        "import movie_sentiment.data.imdb",
        "import movie_sentiment.text",
        "from movie_sentiment.training import TrainConfig; TrainConfig(family='best')",
    ],
)
def test_importing_loads_no_heavy_library(statement):
    assert loaded_after(statement) == []


def test_loading_and_scoring_a_bundle_loads_nothing_keras_does_not(nbsvm_run, tutorial_run):
    """Keras 3 itself imports scikit-learn, SciPy, pandas and matplotlib; scoring must add
    nothing to that."""
    statement = (
        "from movie_sentiment.bundle import SentimentModel\n"
        f"SentimentModel.load({str(nbsvm_run.bundle_dir)!r}).predict(['A fine film.'])\n"
        f"SentimentModel.load({str(tutorial_run.bundle_dir)!r}).predict(['A fine film.'])"
    )
    ours = set(loaded_after(statement))
    assert {"keras", "jax"} <= ours <= set(loaded_after("import movie_sentiment, keras"))
