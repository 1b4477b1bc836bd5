"""Accuracy leaderboard: every model family, the two seed models, and a scikit-learn
reference, trained and scored in one run on the same splits.

For each row: validation accuracy (2,500 or 10,000 reviews carved from train, seed 42;
what every choice was made on), test accuracy (scored once), training seconds (end to
end, per stage for the ensemble), scoring throughput (raw text in, every column of
``score`` out: label, probability, stars; one process, reviews per second), bundle size
on disk, the expected calibration error (15 bins) on test after temperature scaling fit
on validation, the stars' errors on test beside the "polarity then class median"
baseline of the same model, and the uncertain zone's share of test answered at 97%
target accuracy with the area under the risk-coverage curve.

The scikit-learn reference is TfidfVectorizer(word uni+bigrams, sublinear tf) +
LogisticRegression, with C chosen on the same 2,500 validation reviews.

    python benchmarks/accuracy.py [--data PATH] [--families nbsvm,best] [--throughput 5000]
        [--keep runs/benchmarks]

``--keep DIR`` keeps each family's run in ``DIR/FAMILY`` (replacing one there), so other
benchmarks (``short_texts.py --runs DIR --sentence-examples default``) read the same
bundles; by default the runs go to a temporary folder.

A run of some families keeps the other rows of ``results/accuracy.json`` (each row says
when it was measured).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RECIPE_RUNS,
    RESULTS,
    default_data,
    peak_memory_mib,
    reviews_per_second,
    write_results,
)

from movie_sentiment.bundle import SentimentModel  # noqa: E402
from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.evaluation.calibration import expected_calibration_error  # noqa: E402
from movie_sentiment.evaluation.probability import accuracy  # noqa: E402
from movie_sentiment.training import TrainConfig, train  # noqa: E402
from movie_sentiment.training.splits import validation_of  # noqa: E402

FAMILIES = ["tutorial", "mslearn", "nbsvm", "fasttext", "cnn", "best", "nbsvm-distilled"]


def folder_megabytes(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1)


def family_row(name: str, data: str, scratch: Path, texts: list[str]) -> dict:
    out = str(scratch / name)
    settings = RECIPE_RUNS.get(name, {"family": name})
    result = train(TrainConfig(data=data, out=out, verbose=0, force=True, **settings))
    model = SentimentModel.load(result.bundle_dir)
    card = model.card
    row = {
        "model": name,
        "validation_accuracy": card.metrics["validation"]["accuracy"],
        "test_accuracy": card.metrics["test"]["accuracy"],
        "train_seconds": round(result.seconds, 1),
        # the whole scoring call: labels, probabilities, stars, the uncertain zone
        "reviews_per_second": round(reviews_per_second(model.score, texts)),
        "bundle_mb": folder_megabytes(result.bundle_dir),
        "ece_before": card.calibration["test"]["ece_before"],
        "ece": card.calibration["test"]["ece_after"],
        "brier": card.calibration["test"]["brier_after"],
        "stars_method": card.stars.get("method"),
        "stars": {
            k: card.metrics["test"]["stars"][k] for k in ("mae", "rmse", "exact", "within_one")
        },
        "stars_baseline": card.metrics["test"]["ratings_baseline"],
        "uncertain": {
            k: card.metrics["test"]["uncertain"][k]
            for k in ("target_accuracy", "coverage", "answered_accuracy", "aurc")
        },
    }
    if card.members:
        row["stage_seconds"] = card.stage_seconds
        row["members"] = card.members
    return row


def sklearn_row(data: str, texts: list[str], scratch: Path) -> dict:
    """TF-IDF uni+bigrams + logistic regression, C chosen on the validation split."""
    import pickle

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    start = time.perf_counter()
    train_all, test = load_reviews("train", data), load_reviews("test", data)
    # the families' validation: 2,500 reviews, seed 42
    fit_idx, val_idx = validation_of(train_all, {"validation_size": 2500, "seed": 42})
    fit_texts = [train_all.texts[i] for i in fit_idx]
    val_texts = [train_all.texts[i] for i in val_idx]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_fit = vectorizer.fit_transform(fit_texts)
    x_val = vectorizer.transform(val_texts)
    scores = {}
    for c in (1.0, 4.0, 16.0, 64.0):
        classifier = LogisticRegression(C=c, max_iter=1000).fit(x_fit, train_all.labels[fit_idx])
        scores[c] = (classifier.score(x_val, train_all.labels[val_idx]), classifier)
    best_c = max(scores, key=lambda c: scores[c][0])
    pipeline = make_pipeline(vectorizer, scores[best_c][1])
    seconds = time.perf_counter() - start
    probabilities = pipeline.predict_proba(test.texts)[:, 1]
    path = scratch / "sklearn.pkl"
    path.write_bytes(pickle.dumps(pipeline))
    return {
        "model": f"sklearn tfidf 1-2gram + LR (C={best_c:g})",
        "validation_accuracy": scores[best_c][0],
        "test_accuracy": accuracy(test.labels, probabilities),
        "train_seconds": round(seconds, 1),
        "reviews_per_second": round(reviews_per_second(lambda t: pipeline.predict_proba(t), texts)),
        "bundle_mb": round(path.stat().st_size / 2**20, 1),
        "ece": expected_calibration_error(test.labels, probabilities),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--throughput", type=int, default=5000, help="reviews to time scoring on")
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep each family's run in KEEP/FAMILY")
    args = parser.parse_args()
    texts = load_reviews("test", args.data).texts[: args.throughput]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        runs = args.keep or Path(scratch)
        for name in args.families.split(","):
            print(f"training {name} ...", flush=True)
            rows.append(family_row(name, args.data, runs, texts))
            print(f"  {rows[-1]}", flush=True)
        if not args.no_sklearn:
            print("training the scikit-learn reference ...", flush=True)
            rows.append(sklearn_row(args.data, texts, Path(scratch)))
    print(
        f"\n{'model':<38} {'val acc':>8} {'test acc':>8} {'train s':>8} {'reviews/s':>9} "
        f"{'MB':>6} {'ECE':>6} {'stars MAE':>9} {'(base)':>6} {'answered':>8} {'AURC':>6}"
    )
    for row in sorted(rows, key=lambda r: -r["test_accuracy"]):
        stars = row.get("stars", {}).get("mae", float("nan"))
        baseline = row.get("stars_baseline", {}).get("mae", float("nan"))
        coverage = row.get("uncertain", {}).get("coverage", float("nan"))
        aurc = row.get("uncertain", {}).get("aurc", float("nan"))
        print(
            f"{row['model']:<38} {row['validation_accuracy']:>8.4f} {row['test_accuracy']:>8.4f} "
            f"{row['train_seconds']:>8.1f} {row['reviews_per_second']:>9,} "
            f"{row['bundle_mb']:>6.1f} {row['ece']:>6.3f} {stars:>9.3f} {baseline:>6.3f} "
            f"{coverage:>8.3f} {aurc:>6.4f}"
        )
    write_results("accuracy", {"rows": kept_rows(rows), "peak_memory_mib": peak_memory_mib()})


def kept_rows(rows: list[dict]) -> list[dict]:
    """This run's rows and the earlier results' rows of the models it did not run, so a
    changed family is measured again alone (each row says when it was measured)."""
    import json
    from datetime import UTC, datetime

    when = datetime.now(UTC).isoformat(timespec="seconds")
    for row in rows:
        row["when"] = when
    path = RESULTS / "accuracy.json"
    earlier = json.loads(path.read_text()) if path.exists() else {"rows": []}
    ran = {row["model"] for row in rows}
    kept = [
        {**row, "when": row.get("when", earlier.get("when"))}
        for row in earlier["rows"]
        if row["model"] not in ran
    ]
    return sorted(kept + rows, key=lambda row: -row["test_accuracy"])


if __name__ == "__main__":
    main()
