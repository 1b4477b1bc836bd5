"""The stars head on a validation split of whole movies against one of any reviews.

IMDB's test split shares no movie with train, but a validation split of any reviews
shares them with the training part: the rating model and the sentiment model have read
other reviews of the very movies validation holds, so the stars' stacker, fit there,
trusts them more than test will bear (nbsvm: validation MAE 1.014, test 1.088). This trains
each family both ways (``validation_split`` "reviews" and "movies", everything else the
family's defaults, seed 42) and prints, side by side, the stars' validation MAE (two-fold,
what chose the method), their test MAE (reported once per configuration, never used to
choose), the "polarity then class median" baseline and the test accuracy.

    python benchmarks/stars.py [--families nbsvm best] [--splits reviews movies] [--data PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RUNS, default_data, run_main, trained_bundle, write_results  # noqa: E402

GOAL_MAE = 1.05  # issue 22: test MAE at most this for nbsvm and best


def figures(model) -> dict:
    card = model.card
    test = card.metrics["test"]
    stars = card.stars
    return {
        "validation_split": card.data.get("validation_split", "reviews"),
        "validation_reviews": card.data["validation_reviews"],
        "stars_method": stars.get("method"),
        "validation_mae_two_fold": stars.get("validation_mae_two_fold"),
        "test_mae": test["stars"]["mae"],
        "test_within_one": test["stars"]["within_one"],
        "baseline_test_mae": test["stars_baseline"]["mae"],
        "test_accuracy": round(test["accuracy"], 5),
        "train_seconds": card.train_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--families", nargs="+", default=["nbsvm", "best"])
    parser.add_argument("--splits", nargs="+", default=["reviews", "movies"])
    parser.add_argument("--runs", type=Path, default=RUNS)
    args = parser.parse_args()
    rows = {}
    for family in args.families:
        for split in args.splits:
            name = f"stars-{family}-{split}"
            model = trained_bundle(family, args.data, args.runs, name, validation_split=split)
            rows[name] = {"family": family, **figures(model)}
            row = rows[name]
            chosen = row["validation_mae_two_fold"] or {}
            print(
                f"{family:8} {split:8} validation MAE (two-fold) "
                f"{min(chosen.values()) if chosen else float('nan'):.3f} ({row['stars_method']}), "
                f"test MAE {row['test_mae']:.3f} (baseline {row['baseline_test_mae']:.3f}, "
                f"goal <= {GOAL_MAE}), test accuracy {row['test_accuracy']:.4f}",
                flush=True,
            )
    write_results("stars", {"goal_test_mae": GOAL_MAE, "rows": rows})


if __name__ == "__main__":
    run_main(main)
