"""What the stars cost in scoring: bundles side by side, with stars and without.

For each bundle given (``label=path``), reviews per second of ``score`` over the same
5,000 test reviews with stars (every column, as ``accuracy.py`` measures) and with
``stars=False``: after warm-up, ``--rounds`` rounds that time every bundle both ways in
turn, the best time of each kept, so a busy moment of the machine hits every bundle
alike and the ratios compare like with like. Made for the change that lets a
single n-gram model's rating model read the model's own features (one encoding of each
review serves both): bundles trained before it keep a rating encoder of their own.

    python benchmarks/stars_cost.py --bundle nbsvm-before=runs/stars-before/nbsvm \\
        --bundle nbsvm=runs/benchmarks/nbsvm [--data PATH] [--reviews 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import default_data, peak_memory_mib, write_results  # noqa: E402

from movie_sentiment.bundle import SentimentModel  # noqa: E402
from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.errors import MovieSentimentError  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--bundle", action="append", required=True, help="label=path")
    parser.add_argument("--reviews", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bundles = {}
    for item in args.bundle:
        label, _, path = item.partition("=")
        if not path:
            raise SystemExit(f"error: --bundle {item!r}: expected label=path")
        try:
            bundles[label] = SentimentModel.load(path)
        except MovieSentimentError as error:
            raise SystemExit(f"error: --bundle {item!r}: {error}") from None
    texts = list(load_reviews("test", args.data).texts[: args.reviews])
    for model in bundles.values():  # compile the shapes, build the lookup tables
        for size in (64, 600, len(texts)):
            model.score(texts[:size])
            model.score(texts[:size], stars=False)
    best = {(label, stars): float("inf") for label in bundles for stars in (True, False)}
    for _ in range(args.rounds):  # round-robin, so a busy moment hits every bundle alike
        for label, model in bundles.items():
            for stars in (True, False):
                started = time.perf_counter()
                model.score(texts, stars=stars)
                best[label, stars] = min(best[label, stars], time.perf_counter() - started)
    rows = {}
    for label, model in bundles.items():
        with_stars, without = len(texts) / best[label, True], len(texts) / best[label, False]
        stars = model.card.stars
        rows[label] = {
            "family": model.card.family,
            "stars_read_the_models_encoder": bool(stars.get("shared_encoder")),
            "reviews_per_second_with_stars": round(with_stars),
            "reviews_per_second_without_stars": round(without),
            "stars_share_of_scoring_time": round(1 - with_stars / without, 3),
            "stars_validation_mae_two_fold": stars.get("validation_mae_two_fold"),
            "stars_test_mae": model.card.metrics["test"].get("stars", {}).get("mae"),
        }
        print(f"{label}: {with_stars:,.0f} reviews/s with stars, {without:,.0f} without "
              f"(stars {rows[label]['stars_share_of_scoring_time']:.0%} of the time)",
              flush=True)  # fmt: skip
    write_results(
        "stars_cost",
        {
            "reviews": len(texts),
            "rounds": args.rounds,
            "bundles": rows,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    main()
