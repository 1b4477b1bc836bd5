"""Start-up: how long a user waits for one command, in a fresh process each time.

Measured side by side in one run, round-robin (so a busy moment of the machine hits all
of them alike), the median of ``--repeats`` runs each:

* ``python -c "import keras"`` on the JAX backend: the floor every Keras tool pays;
* ``python -c "import movie_sentiment"``;
* ``movie-sentiment --help``;
* ``movie-sentiment predict BUNDLE "one review"`` with the tutorial and the nbsvm bundles.

Goals (issue 8): ``predict`` of one review with nbsvm within 1.0 s of the bare
``import keras``; ``--help`` under 0.5 s. The bundles are trained here on the real archive
(about 40 s) unless ``--bundles DIR`` points at a folder holding ``tutorial/`` and
``nbsvm/`` run folders.

``--baseline SRC --baseline-bundles DIR`` times ``predict`` of an earlier version too, in
the same round-robin: SRC is that checkout's ``src/`` folder (put first on PYTHONPATH) and
DIR holds ``tutorial/`` and ``nbsvm/`` runs trained by it.

    python benchmarks/startup.py [--repeats 5] [--data PATH] [--bundles DIR]
                                 [--baseline SRC --baseline-bundles DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import default_data, write_results  # noqa: E402

REVIEW = "A quiet, beautifully acted film that stays with you."


def timed(command: list[str], env: dict) -> float:
    """Wall seconds of one run of ``command`` in a fresh process."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return seconds


def train_bundles(data: str, folder: Path) -> None:
    from movie_sentiment.training import TrainConfig, train

    for family in ("tutorial", "nbsvm"):
        if not (folder / family / "bundle").exists():
            train(TrainConfig(family=family, data=data, out=str(folder / family), verbose=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--bundles", type=Path, help="folder with tutorial/ and nbsvm/ runs")
    parser.add_argument("--baseline", type=Path, help="an earlier version's src/ folder")
    parser.add_argument("--baseline-bundles", type=Path, help="runs trained by --baseline")
    args = parser.parse_args()
    if (args.baseline is None) != (args.baseline_bundles is None):
        parser.error("--baseline and --baseline-bundles go together")

    scratch = tempfile.TemporaryDirectory(prefix="startup-")
    bundles = args.bundles or Path(scratch.name)
    train_bundles(args.data, bundles)

    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    cli = [sys.executable, "-m", "movie_sentiment.cli"]
    commands = {
        "import keras": [sys.executable, "-c", "import keras"],
        "import movie_sentiment": [sys.executable, "-c", "import movie_sentiment"],
        "--help": [*cli, "--help"],
        "predict tutorial": [*cli, "predict", str(bundles / "tutorial"), REVIEW],
        "predict nbsvm": [*cli, "predict", str(bundles / "nbsvm"), REVIEW],
    }
    envs = {name: env for name in commands}
    if args.baseline is not None:
        baseline_env = {**env, "PYTHONPATH": str(args.baseline.resolve())}
        for family in ("tutorial", "nbsvm"):
            name = f"predict {family} (baseline)"
            commands[name] = [*cli, "predict", str(args.baseline_bundles / family), REVIEW]
            envs[name] = baseline_env
    for name, command in commands.items():  # warm the file system cache once
        timed(command, envs[name])
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():
            runs[name].append(timed(command, envs[name]))
    medians = {name: round(statistics.median(times), 3) for name, times in runs.items()}
    keras_floor = medians["import keras"]
    over_keras = {
        name: round(medians[name] - keras_floor, 3) for name in commands if "predict" in name
    }

    print(f"{'command':<24} {'median s':>9} {'min s':>7} {'max s':>7}  over import keras")
    for name, times in runs.items():
        extra = f"{over_keras[name]:+.2f} s" if name in over_keras else ""
        print(f"{name:<24} {medians[name]:>9.2f} {min(times):>7.2f} {max(times):>7.2f}  {extra}")
    goals = {
        "predict_nbsvm_within_1s_of_import_keras": over_keras["predict nbsvm"] <= 1.0,
        "help_under_half_a_second": medians["--help"] < 0.5,
    }
    print("goals:", ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in goals.items()))
    write_results(
        "startup",
        {
            "repeats": args.repeats,
            "baseline_src": str(args.baseline) if args.baseline else None,
            "review": REVIEW,
            "median_seconds": medians,
            "all_seconds": {name: [round(t, 3) for t in times] for name, times in runs.items()},
            "predict_over_import_keras_seconds": over_keras,
            "goals": goals,
        },
    )
    scratch.cleanup()


if __name__ == "__main__":
    main()
