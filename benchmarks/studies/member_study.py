"""Which members help the ensemble? Validation only: the test split is never scored.

Trains each candidate (a family with optional option overrides) on the same training
part (seed 42, 2,500 validation reviews carved from train), keeps its validation
probabilities, then prints each candidate's validation accuracy and the validation
accuracy of logistic-regression ensembles over candidate sets, with the weights fit by
10-fold cross-validation inside the validation split (so a set is not flattered by
weights fit on the reviews it is scored on).

    python benchmarks/studies/member_study.py \\
        --candidate nbsvm --candidate fasttext \\
        --candidate 'cnn-random=cnn:{"pretrained_vectors": null, "embedding_dim": 64}' \\
        --candidate cnn --set nbsvm,fasttext,cnn-random --set nbsvm,fasttext,cnn

Bagging (the same family from other seeds: does a second or third cnn help?):

    python benchmarks/studies/member_study.py --candidate nbsvm --candidate fasttext \\
        --candidate cnn --candidate cnn-43=cnn@43 --candidate cnn-44=cnn@44 \\
        --set nbsvm,fasttext,cnn --set nbsvm,fasttext,cnn,cnn-43,cnn-44 --suffix bagging

A learning curve (does more training data still help? it decides the ensemble's refit):

    python benchmarks/studies/member_study.py --candidate nbsvm --fit-size 17500 \\
        --suffix learning_17500
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common
import numpy as np  # noqa: E402
from _common import default_data, peak_memory_mib, write_study_results  # noqa: E402

from movie_sentiment.bundle import SentimentModel  # noqa: E402
from movie_sentiment.errors import MovieSentimentError  # noqa: E402
from movie_sentiment.evaluation.probability import accuracy, logit  # noqa: E402
from movie_sentiment.training import TrainConfig  # noqa: E402
from movie_sentiment.training.fitting import fit_member  # noqa: E402
from movie_sentiment.training.splits import load_splits  # noqa: E402

VALIDATION_SIZE = 2500
SEED = 42


def parse_candidate(text: str) -> tuple[str, str, dict, int]:
    """``label=family@seed:{json family options}``, ``family:{...}`` or ``family`` (the
    seed, for bagging the same family, defaults to 42)."""
    label, _, rest = text.partition("=") if "=" in text else (None, "", text)
    family, _, options = rest.partition(":")
    family, _, seed = family.partition("@")
    if seed and not seed.isdigit():
        raise SystemExit(f"error: --candidate {text!r}: the seed after @ must be a number")
    try:
        parsed = json.loads(options) if options else {}
    except json.JSONDecodeError as error:
        raise SystemExit(f"error: --candidate {text!r}: options are not JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise SystemExit(f"error: --candidate {text!r}: options must be a JSON object")
    return label or family, family, parsed, int(seed or SEED)


def cross_validated_accuracy(columns: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    scores = cross_val_score(LogisticRegression(C=1.0), logit(columns), labels, cv=10)
    return float(scores.mean())


def main() -> None:
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--candidate", action="append", required=True)
    parser.add_argument("--set", action="append", default=[], help="comma-separated labels")
    parser.add_argument(
        "--fit-size", type=int, help="train on this many of the 22,500 training-part reviews"
    )
    parser.add_argument(
        "--suffix",
        help="write docs/studies/member_study_SUFFIX.json (default: member_study.json)",
    )
    args = parser.parse_args()

    config = TrainConfig(family="nbsvm", data=args.data, seed=SEED)
    splits = load_splits(config, VALIDATION_SIZE)
    if args.fit_size:
        if not 0 < args.fit_size <= len(splits.fit):
            raise SystemExit(f"error: --fit-size must be within 1-{len(splits.fit)}")
        chosen = np.random.RandomState(0).permutation(len(splits.fit))[: args.fit_size]
        splits.fit = splits.fit.select(chosen)
    labels = splits.validation.labels
    probabilities, rows = {}, []
    for text in args.candidate:
        label, family, options, seed = parse_candidate(text)
        candidate = TrainConfig(
            family=family, seed=seed, validation_size=VALIDATION_SIZE, family_options=options
        )
        try:
            settings = candidate.resolved()  # unknown families or options: one-line error
        except MovieSentimentError as error:
            raise SystemExit(f"error: --candidate {text!r}: {error}") from None
        keras.utils.set_random_seed(seed)  # the split stays seed 42's
        start = time.perf_counter()
        member = fit_member(candidate.family_entry, settings, splits, verbose=0)
        seconds = time.perf_counter() - start
        scores = SentimentModel(member.keras_model, member.encoder).predict_encoded(
            member.x_validation
        )
        probabilities[label] = scores
        rows.append(
            {
                "candidate": label,
                "family": family,
                "options": options,
                "seed": seed,
                "validation_accuracy": accuracy(labels, scores),
                "epoch_kept": member.epoch_kept,
                "train_seconds": round(seconds, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    sets = []
    for text in args.set:
        names = text.split(",")
        missing = [name for name in names if name not in probabilities]
        if missing:
            raise SystemExit(f"error: --set names unknown candidates: {', '.join(missing)}")
        columns = np.column_stack([probabilities[name] for name in names])
        sets.append(
            {"members": names, "validation_accuracy_cv": cross_validated_accuracy(columns, labels)}
        )
        print(json.dumps(sets[-1]), flush=True)
    write_study_results(
        f"member_study_{args.suffix}" if args.suffix else "member_study",
        {
            "fit_reviews": len(splits.fit),
            "validation_reviews": VALIDATION_SIZE,
            "seed": SEED,
            "candidates": rows,
            "sets": sets,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    main()
