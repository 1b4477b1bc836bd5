"""Scoring throughput side by side with the peers: ours against fastText and scikit-learn.

All on the same 25,000 IMDB test reviews as raw text, one process, in one run:

- fastText (the ``fasttext`` package), trained here on the 25,000 training reviews
  (supervised, word bigrams, dim 50, 5 epochs): its C++ ``predict`` over the reviews,
  plus the lower-casing and punctuation splitting in Python it needs first;
- scikit-learn TF-IDF word 1-2-grams + LogisticRegression, trained here: ``predict_proba``;
- ours: ``SentimentModel.score`` (stars on) of each family given, trained into
  ``--runs`` (``runs/benchmarks``, ignored by git) unless a run is already there.

Timing: a warm-up call per scorer, then ``--rounds`` rounds that time every scorer in
turn (round-robin, so a busy moment of the machine hits all alike); the best round of
each is kept. Ratios are each scorer's rate over fastText's. The machine's load average
is recorded beside them (2 cores shared with other work), and ours are compared on every
review with the plain Keras path (no NumPy twins, one thread): the largest differences.

    python benchmarks/throughput.py [--data PATH] [--families nbsvm,tutorial]
        [--runs runs/benchmarks] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RUNS,
    default_data,
    peak_memory_mib,
    run_main,
    trained_bundle,
    write_results,
)

from movie_sentiment.data.imdb import load_reviews  # noqa: E402

# fastText's own examples prepare text this way: lower case, punctuation split off.
_PUNCTUATION = re.compile(r"([.!?,'/()\"<>;:])")


def fasttext_lines(texts) -> list[str]:
    """Reviews as fastText reads them: one line each, lower case, punctuation apart."""
    return [_PUNCTUATION.sub(r" \1 ", text.lower()).replace("\n", " ") for text in texts]


def fasttext_scorer(train, folder: Path):
    """fastText trained on ``train``; the scorer returns P(positive) of raw texts."""
    import fasttext

    path = folder / "fasttext-train.txt"
    lines = fasttext_lines(train.texts)
    order = np.random.default_rng(42).permutation(len(lines))  # it reads in file order
    with path.open("w", encoding="utf-8") as file:
        for i in order:
            file.write(f"__label__{int(train.labels[i])} {lines[i]}\n")
    model = fasttext.train_supervised(
        str(path), wordNgrams=2, dim=50, epoch=5, lr=0.5, verbose=0, thread=2, seed=42
    )

    def score(texts):
        # k=1: fasttext-wheel 0.9.2 under NumPy 2 repeats the first probability for k > 1.
        labels, probabilities = model.predict(fasttext_lines(texts), k=1)
        top = np.concatenate(probabilities)
        positive = np.array([label[0] == "__label__1" for label in labels])
        return np.where(positive, top, 1 - top)

    return score


def sklearn_scorer(train):
    """TF-IDF word 1-2-grams (sublinear tf, min_df 2) + LogisticRegression (C=16)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(C=16.0, max_iter=1000),
    ).fit(list(train.texts), train.labels)
    return lambda texts: pipeline.predict_proba(texts)[:, 1]


def ours_scorer(model):
    return lambda texts: model.score(texts).probability


def keras_path_differences(model, texts: list[str]) -> dict:
    """How far ``score`` is from the plain Keras path on every review (no NumPy twins,
    one thread): the largest probability and logit differences, and how many stars and
    labels differ (the speed work must change nothing a user sees)."""
    import movie_sentiment.bundle.scorer as scorer
    import movie_sentiment.bundle.scoring as scoring

    fast = model.score(texts)
    twin_of, block = scoring.twin_of, scorer.SCORE_BLOCK
    scoring.twin_of, scorer.SCORE_BLOCK = (lambda keras_model: None), len(texts) + 1
    try:
        plain = model.score(texts)
    finally:
        scoring.twin_of, scorer.SCORE_BLOCK = twin_of, block
    return {
        "max_probability_difference": float(np.max(np.abs(fast.probability - plain.probability))),
        "max_logit_difference": float(np.max(np.abs(fast.logit - plain.logit))),
        "stars_differing": sum(a != b for a, b in zip(fast.stars, plain.stars, strict=True)),
        "labels_differing": sum(a != b for a, b in zip(fast.label, plain.label, strict=True)),
    }


def best_rates(scorers: dict, texts: list[str], rounds: int) -> tuple[dict, dict]:
    """Reviews per second of each scorer (best of ``rounds`` round-robin) and its test
    probabilities (from the last round)."""
    for score in scorers.values():  # warm-up: compile, build tables, start pools
        score(texts[:64])
        score(texts[:2000])
    best = dict.fromkeys(scorers, float("inf"))
    probabilities = {}
    for round_number in range(rounds):
        for name, score in scorers.items():
            started = time.perf_counter()
            probabilities[name] = np.asarray(score(texts))
            best[name] = min(best[name], time.perf_counter() - started)
        so_far = ", ".join(f"{name} {len(texts) / best[name]:,.0f}/s" for name in scorers)
        print(f"round {round_number + 1}: {so_far}", flush=True)
    return {name: len(texts) / seconds for name, seconds in best.items()}, probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--families", default="nbsvm,tutorial")
    parser.add_argument("--runs", type=Path, default=RUNS, help="trained runs, one per family")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    train, test = load_reviews("train", args.data), load_reviews("test", args.data)
    texts, labels = list(test.texts), np.asarray(test.labels)
    scorers, models = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        scorers["fastText"] = fasttext_scorer(train, Path(scratch))
    scorers["scikit-learn TF-IDF 1-2 + LR"] = sklearn_scorer(train)
    for family in args.families.split(","):
        models[f"ours, {family}"] = trained_bundle(family, args.data, args.runs)
        scorers[f"ours, {family}"] = ours_scorer(models[f"ours, {family}"])

    load = os.getloadavg()
    rates, probabilities = best_rates(scorers, texts, args.rounds)
    load = [round(max(a, b), 2) for a, b in zip(load, os.getloadavg(), strict=True)]
    peer = rates["fastText"]
    rows = {
        name: {
            "reviews_per_second": round(rate),
            "over_fasttext": round(rate / peer, 2),
            "test_accuracy": round(float(np.mean((probabilities[name] >= 0.5) == labels)), 4),
        }
        for name, rate in rates.items()
    }
    for name, model in models.items():
        rows[name]["against_keras_path"] = keras_path_differences(model, texts)
        print(f"{name} against the plain Keras path: {rows[name]['against_keras_path']}")
    print(f"{'scorer':<32} {'reviews/s':>10} {'x fastText':>10} {'accuracy':>9}")
    for name, row in rows.items():
        print(f"{name:<32} {row['reviews_per_second']:>10,} {row['over_fasttext']:>10.2f} "
              f"{row['test_accuracy']:>9.4f}")  # fmt: skip
    write_results(
        "throughput",
        {
            "reviews": len(texts),
            "rounds": args.rounds,
            "load_average": load,  # 1, 5, 15 minutes: the higher of before and after timing
            "scorers": rows,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    run_main(main)
