"""Short texts: accuracy on one-line opinions beside whole reviews, per family.

Every model here learned from reviews of ~230 words; people also score single sentences.
Four sets, built the same way from the validation reviews (carved from train by each
run's seed: where choices are made) and from test (scored once per final model):

* ``full``: the reviews themselves;
* ``last_sentence`` and ``last_two``: each review's last sentence, and its last two
  (``text.sentences``), labeled as the whole review. A noisy proxy: a review's last
  sentence is often neutral ("It was released in 1979.") or says the opposite of the
  review ("Still, the music is lovely."), so no model can reach 100% on them;
* ``under_50_words``: the reviews of fewer than 50 words (597 in test), real short
  reviews with their own labels.

Each single-model family is trained twice (or more): as before, and with
``sentence_examples`` N (each training review's last 1..N sentences added as examples of
their own, labeled as the review, each of weight ``sentence_weight``;
``--sentence-examples 0,1:0.5,2:0.5,3:0.3``). Per family the script
names the variant validation prefers: the best mean accuracy over the three short sets
among the variants whose ``full`` validation accuracy is within 0.2 points of the best.
Recipes (``best``, ``fast``) take each member's own setting and are trained once; their
validation figures are shown but not used (their refit members trained on those labels).

For each set: accuracy (the label by the calibrated probability's side of 0.5), and the
share answered (outside the uncertain zone).

    python benchmarks/short_texts.py [--data PATH] [--families nbsvm,best] [--runs DIR]
        [--sentence-examples 0,1:0.5,2:0.5,3:0.3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RESULTS,
    RUNS,
    default_data,
    trained_bundle,
    validation_part,
    write_results,
)

from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.models import get_family  # noqa: E402
from movie_sentiment.text.sentences import last_sentences  # noqa: E402

FAMILIES = ["tutorial", "mslearn", "nbsvm", "fasttext", "cnn", "best"]
SHORT_SETS = ("last_sentence", "last_two", "under_50_words")
SHORT_WORDS = 50
FULL_MARGIN = 0.002  # a variant may lose this much full-review validation accuracy


def short_sets(reviews) -> dict[str, tuple[list[str], np.ndarray]]:
    """The four sets (see the module docstring): name -> (texts, labels)."""
    words = np.diff(reviews.tokens.offsets)
    under = np.flatnonzero(words < SHORT_WORDS)
    return {
        "full": (reviews.texts, reviews.labels),
        "last_sentence": ([last_sentences(t, 1) for t in reviews.texts], reviews.labels),
        "last_two": ([last_sentences(t, 2) for t in reviews.texts], reviews.labels),
        "under_50_words": ([reviews.texts[i] for i in under], reviews.labels[under]),
    }


def figures(model, sets: dict) -> dict:
    """Accuracy and the share answered on each set, with the set's size."""
    result = {}
    for name, (texts, labels) in sets.items():
        scores = model.score(texts, stars=False)
        predicted = (scores.probability >= 0.5).astype(int)
        answered = np.array([label != "uncertain" for label in scores.label])
        result[name] = {
            "reviews": len(texts),
            "accuracy": round(float(np.mean(predicted == labels)), 4),
            "answered": round(float(np.mean(answered)), 4),
        }
    return result


def mean_short(figures_on: dict) -> float:
    return float(np.mean([figures_on[name]["accuracy"] for name in SHORT_SETS]))


def choose(variants: list[dict]) -> dict:
    """The variant validation prefers (see the module docstring)."""
    best_full = max(v["validation"]["full"]["accuracy"] for v in variants)
    eligible = [
        v for v in variants if v["validation"]["full"]["accuracy"] >= best_full - FULL_MARGIN
    ]
    return max(eligible, key=lambda v: mean_short(v["validation"]))


def variant_settings(spec: str) -> dict:
    """``N`` or ``N:WEIGHT`` -> the TrainConfig settings of that variant."""
    count, _, weight = spec.partition(":")
    settings = {"sentence_examples": int(count)}
    if weight:
        settings["sentence_weight"] = float(weight)
    return settings


def variant_name(family: str, settings: dict) -> str:
    name = f"{family}-sentences{settings['sentence_examples']}"
    if "sentence_weight" in settings:
        name += f"-w{settings['sentence_weight']:g}"
    return name


def line(row: dict, split: str) -> str:
    on = row[split]
    return "  ".join(f"{name} {on[name]['accuracy']:.4f}" for name in ("full", *SHORT_SETS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument(
        "--sentence-examples",
        default="0,1:0.5,2:0.5,3:0.3",
        help="the variants of each single-model family: N or N:WEIGHT, comma-separated",
    )
    args = parser.parse_args()
    counts = [variant_settings(spec) for spec in args.sentence_examples.split(",")]
    train_all, test = load_reviews("train", args.data), load_reviews("test", args.data)
    test_sets = short_sets(test)
    rows = []
    for family in args.families.split(","):
        recipe = get_family(family).recipe is not None
        variants = []
        for settings in [None] if recipe else counts:
            name = family if settings is None else variant_name(family, settings)
            count = None if settings is None else settings["sentence_examples"]
            settings = settings or {}
            model = trained_bundle(family, args.data, args.runs, name, **settings)
            validation = short_sets(validation_part(model, train_all))
            variant = {
                "family": family,
                "sentence_examples": count,
                "sentence_weight": settings.get("sentence_weight"),
                "train_seconds": model.card.train_seconds,
                "validation": figures(model, validation),
                "test": figures(model, test_sets),
            }
            variants.append(variant)
            print(f"{name:22s} validation  {line(variant, 'validation')}", flush=True)
            print(f"{'':22s} test        {line(variant, 'test')}", flush=True)
        chosen = None
        if len(variants) > 1:  # nothing to choose between otherwise
            best = choose(variants)
            chosen = {k: best[k] for k in ("sentence_examples", "sentence_weight")}
            print(f"{family}: validation chooses {chosen}", flush=True)
        rows.append({"family": family, "variants": variants, "chosen": chosen})
    write_results("short_texts", {"short_words": SHORT_WORDS, "rows": kept_rows(rows)})


def kept_rows(rows: list[dict]) -> list[dict]:
    """This run's rows after the earlier results' rows of the families it did not run, so
    the families can be measured in several runs (each row says when)."""
    import json
    from datetime import UTC, datetime

    when = datetime.now(UTC).isoformat(timespec="seconds")
    for row in rows:
        row["when"] = when
    path = RESULTS / "short_texts.json"
    earlier = json.loads(path.read_text())["rows"] if path.exists() else []
    ran = {row["family"] for row in rows}
    order = {name: i for i, name in enumerate(FAMILIES)}
    merged = [row for row in earlier if row["family"] not in ran] + rows
    return sorted(merged, key=lambda row: order.get(row["family"], len(order)))


if __name__ == "__main__":
    main()
