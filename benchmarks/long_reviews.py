"""Reviews longer than a model's window: truncation against chunked scoring, per family.

Each model reads a fixed window (tutorial 255 words, mslearn 499, cnn 399, an n-gram model
its feature budget over its n-gram orders). For the reviews longer than that window, and
for the longest tenth of all reviews, accuracy under each way of scoring them
(``bundle.scoring.LONG_REVIEWS``: "truncate" as the encoder alone does, "head_tail" after
Sun et al. 2019, and "mean" of overlapping chunks' logits):

* on the validation reviews (carved from train by the run's seed; the model never trained
  on them), where the default is chosen: the best accuracy on the long reviews, ties
  going to "mean" (it reads every word);
* on test, once, for truncation and for the chosen way.

An ensemble scores each member as that member's family chose ("members"); its refit
members trained on its validation reviews, so its validation figures are shown but not
used, and test compares "members" with truncation.

    python benchmarks/long_reviews.py [--data PATH] [--families tutorial,nbsvm] [--runs DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RUNS, default_data, trained_bundle, validation_part, write_results  # noqa: E402

from movie_sentiment.bundle.scoring import LONG_REVIEWS, window  # noqa: E402
from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.evaluation.probability import accuracy, sigmoid  # noqa: E402
from movie_sentiment.text.tokenize import as_tokens  # noqa: E402

FAMILIES = ["tutorial", "mslearn", "nbsvm", "fasttext", "cnn", "best"]


def model_window(model) -> int:
    """The smallest window of the bundle's members, in words."""
    members, _ = model.members()
    return min(window(m.encoder) for m in members)


def accuracies(model, tokens, labels, subsets: dict, policies) -> dict:
    """Accuracy of each policy on each subset (name -> indices) of the reviews."""
    wanted = np.unique(np.concatenate(list(subsets.values())))
    chosen = tokens.select(wanted)
    where = {index: i for i, index in enumerate(wanted.tolist())}
    result = {}
    for policy in policies:
        started = time.perf_counter()
        own = None if policy == "members" else policy  # None: each member its family's way
        logits = model.raw_scores(chosen, long_reviews=own).logit / model.temperature
        probabilities = sigmoid(logits)
        result[policy] = {
            name: round(accuracy(labels[idx], probabilities[[where[i] for i in idx]]), 4)
            for name, idx in subsets.items()
        }
        result[policy]["seconds"] = round(time.perf_counter() - started, 2)
    return result


def subsets(tokens, size: int) -> dict:
    lengths = tokens.lengths()
    longest = np.argsort(-lengths, kind="stable")[: max(1, len(lengths) // 10)]
    return {
        "longer_than_window": np.flatnonzero(lengths > size),
        "longest_decile": np.sort(longest),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--runs", type=Path, default=RUNS)
    args = parser.parse_args()
    train_all, test = load_reviews("train", args.data), load_reviews("test", args.data)
    test_tokens = as_tokens(test.encodable)
    rows = []
    for family in args.families.split(","):
        model = trained_bundle(family, args.data, args.runs)
        size = model_window(model)
        validation = validation_part(model, train_all)
        validation_tokens = as_tokens(validation.encodable)
        val_sets = subsets(validation_tokens, size)
        members = list(model.card.members) if model.card.members else []
        policies = (*LONG_REVIEWS, "members") if members else LONG_REVIEWS
        on_validation = accuracies(model, validation_tokens, validation.labels, val_sets, policies)
        if members:  # refit members saw these labels: each member keeps its own choice
            chosen = "members"
        else:
            chosen = max(
                LONG_REVIEWS,
                key=lambda p: (on_validation[p]["longer_than_window"], p == "mean"),
            )
        test_sets = subsets(test_tokens, size)
        on_test = accuracies(
            model, test_tokens, test.labels, test_sets, sorted({"truncate", chosen})
        )
        row = {
            "family": family,
            "window_words": size,
            "validation_reviews_longer": len(val_sets["longer_than_window"]),
            "test_reviews_longer": len(test_sets["longer_than_window"]),
            "validation": on_validation,
            "validation_used_for_choice": not members,
            "chosen": chosen,
            "test": on_test,
        }
        rows.append(row)
        print(
            f"{family:9s} window {size:4d}  long val {row['validation_reviews_longer']:4d} "
            f"test {row['test_reviews_longer']:5d}  "
            + "  ".join(f"{p} {on_validation[p]['longer_than_window']:.4f}" for p in LONG_REVIEWS)
            + f"  -> {chosen}: test long {on_test[chosen]['longer_than_window']:.4f} "
            f"(truncate {on_test['truncate']['longer_than_window']:.4f}), longest tenth "
            f"{on_test[chosen]['longest_decile']:.4f} "
            f"(truncate {on_test['truncate']['longest_decile']:.4f})",
            flush=True,
        )
    write_results("long_reviews", {"rows": rows})


if __name__ == "__main__":
    main()
