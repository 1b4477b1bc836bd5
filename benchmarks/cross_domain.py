"""Another domain than IMDB's, built from IMDB without shipping anyone's text: short reviews.

The short-review domain: each review cut to its last sentence or two (one or two at
random), labeled by its rating alone (a `rating` column, 1-4 negative and 7-10 positive
as the threshold of the 1-10 scale's middle splits them), so a user's file of short
rated reviews is what the models meet. Files go to ``runs/cross-domain/`` (ignored by
git, never committed): ``short_test.csv`` from 5,000 of IMDB's test reviews and
``short_N.csv`` for N = 500, 2,000 and 10,000 labeled examples from 10,000 other test
reviews (balanced). Both come from the test split so that no short review's full text
is among IMDB's training reviews: drawn from train, a model trained on IMDB and the
short file together would have read each short review whole, and its own test and
validation figures would flatter it (a first run did: 0.88 on its own test, 0.79 here).

Measured, per family, each model evaluated on the short test set with `movie-sentiment
evaluate --data` (accuracy, the uncertain zone's share answered and their accuracy, the
stars' MAE): the model trained on IMDB alone (its defaults, `runs/benchmarks/`; also on
IMDB's own test split), and for each N the model trained with `train --data` on the N
short reviews alone and on IMDB and them combined (weight 1 each: no weight is chosen by
these figures). Each run's own test (a fifth of the short file, carved by the run) and
validation figures are kept beside them.

    python benchmarks/cross_domain.py [--data PATH] [--families nbsvm,tutorial]
                                      [--sizes 500,2000,10000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import REPO, RUNS, default_data, trained_bundle, write_results  # noqa: E402

from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.text.sentences import last_sentences  # noqa: E402

FOLDER = REPO / "runs" / "cross-domain"
SIZES = (500, 2000, 10_000)
TEST_SIZE = 5000


def short_rows(reviews, indices: list[int], rng: random.Random) -> list[dict]:
    return [
        {"text": last_sentences(reviews.texts[i], rng.choice((1, 2))),
         "rating": int(reviews.ratings[i])}
        for i in indices
    ]  # fmt: skip


def balanced(labels, count: int, rng: random.Random) -> list[int]:
    """``count`` indices, half of each label, in a shuffled order."""
    chosen = []
    for label in (0, 1):
        pool = [i for i, value in enumerate(labels) if value == label]
        chosen += rng.sample(pool, count // 2)
    rng.shuffle(chosen)
    return chosen


def write_csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=["text", "rating"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def build(data: str | None) -> dict[str, Path]:
    """The short-review files (see the module docstring), the same for the same archive."""
    rng = random.Random(0)
    test = load_reviews("test", data)
    order = balanced(test.labels.tolist(), TEST_SIZE + max(SIZES), rng)
    held, pool = order[:TEST_SIZE], order[TEST_SIZE:]
    files = {"short_test": write_csv(FOLDER / "short_test.csv", short_rows(test, held, rng))}
    for size in SIZES:  # the smaller sets are the start of the larger: nested samples
        files[f"short_{size}"] = write_csv(
            FOLDER / f"short_{size}.csv", short_rows(test, pool[:size], rng)
        )
    return files


def evaluate(run: Path, data: Path | str) -> dict:
    """``movie-sentiment evaluate RUN --data DATA --json``'s figures."""
    result = subprocess.run(
        [sys.executable, "-m", "movie_sentiment", "evaluate", str(run), "--data", str(data),
         "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def trained_on(family: str, files: list, out: Path, data: str | None) -> Path:
    """A run of ``family`` (its defaults) trained with ``train --data`` on ``files``."""
    sources = [str(f) if f != "imdb" else (data or "imdb") for f in files]
    command = [sys.executable, "-m", "movie_sentiment", "train", "--family", family,
               "--out", str(out), "--force"]  # fmt: skip
    for source in sources:
        command += ["--data", source]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return out


def summary(figures: dict) -> dict:
    zone, stars = figures["uncertain"], figures.get("stars") or {}
    return {
        "accuracy": round(figures["accuracy"], 4),
        "answered": round(zone["coverage"], 4),
        "answered_accuracy": zone["answered_accuracy"] and round(zone["answered_accuracy"], 4),
        "stars_mae": stars.get("mae") and round(stars["mae"], 3),
        "unknown_words": round(figures["shift"]["unknown_word_share"], 4),
        "short_texts": round(figures["shift"]["short_share"], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--families", default="nbsvm,tutorial")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    files = build(args.data)
    print(f"short-review files in {FOLDER}", flush=True)
    results = {}
    for family in args.families.split(","):
        trained_bundle(family, args.data, args.runs)
        run = Path(args.runs) / family
        results[family] = {
            "imdb_alone": {
                "imdb_test": summary(evaluate(run, args.data)),
                "short_test": summary(evaluate(run, files["short_test"])),
            }
        }
        print(f"{family}: {results[family]}", flush=True)
        for size in (int(n) for n in args.sizes.split(",")):
            short = files[f"short_{size}"]
            for name, sources in (("alone", [short]), ("with_imdb", ["imdb", short])):
                out = FOLDER / "runs" / f"{family}-{size}-{name}"
                run = trained_on(family, sources, out, args.data)
                card = json.loads((run / "bundle" / "card.json").read_text())
                results[family][f"{name}_{size}"] = {
                    "short_test": summary(evaluate(run, files["short_test"])),
                    "own_test_accuracy": round(card["metrics"]["test"]["accuracy"], 4),
                    "validation_accuracy": round(card["metrics"]["validation"]["accuracy"], 4),
                }
                print(f"{family}, {name}, N={size}: {results[family][f'{name}_{size}']}",
                      flush=True)  # fmt: skip
    write_results(
        "cross_domain",
        {
            "settings": {"sizes": SIZES, "test_size": TEST_SIZE, "labels": "rating > 5.5"},
            "families": results,
        },
    )


if __name__ == "__main__":
    main()
