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
Recipes (``best``, ``nbsvm-distilled``) take each member's own setting and are trained once; their
validation figures are shown but not used (``best``'s refit members trained on those
labels).

For each set: accuracy (the label by the calibrated probability's side of 0.5), and the
share answered (outside the uncertain zone; texts under
``bundle.uncertain.SHORT_WORDS`` tokens by the bundle's short-text zone when it has one)
with their accuracy.

    python benchmarks/short_texts.py [--data PATH] [--families nbsvm,best] [--runs DIR]
        [--sentence-examples 0,1:0.5,2:0.5,3:0.3] [--suffix zone]

``--sentence-examples default --runs DIR`` reads each family's default bundle in
``DIR/FAMILY`` (``accuracy.py --keep DIR``) and measures it once. ``--zone-cutoffs
15,20,...`` sweeps, on validation only, how short a text must be for the short-text
uncertain zone (``bundle.uncertain.SHORT_WORDS``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RECIPE_RUNS,
    RESULTS,
    RUNS,
    default_data,
    trained_bundle,
    validation_part,
    write_results,
)

from movie_sentiment.bundle.heads.uncertain import answered as answered_by  # noqa: E402
from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.models import get_family  # noqa: E402
from movie_sentiment.text.sentences import last_sentences  # noqa: E402

FAMILIES = ["tutorial", "mslearn", "nbsvm", "fasttext", "cnn", "best", "nbsvm-distilled"]
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
        right = predicted == labels
        result[name] = {
            "reviews": len(texts),
            "accuracy": round(float(np.mean(right)), 4),
            "answered": round(float(np.mean(answered)), 4),
            "answered_accuracy": share_right(right, answered),
        }
        if scores.short_text_band is not None:  # as before it: the reviews' band for all
            before = answered_by(scores.probability, *scores.uncertain_band)
            result[name]["answered_by_reviews_zone"] = round(float(np.mean(before)), 4)
            result[name]["their_accuracy_by_reviews_zone"] = share_right(right, before)
    return result


def share_right(right: np.ndarray, answered: np.ndarray) -> float | None:
    return round(float(np.mean(right[answered])), 4) if answered.any() else None


def mean_short(figures_on: dict) -> float:
    return float(np.mean([figures_on[name]["accuracy"] for name in SHORT_SETS]))


def choose(variants: list[dict]) -> dict:
    """The variant validation prefers (see the module docstring)."""
    best_full = max(v["validation"]["full"]["accuracy"] for v in variants)
    eligible = [
        v for v in variants if v["validation"]["full"]["accuracy"] >= best_full - FULL_MARGIN
    ]
    return max(eligible, key=lambda v: mean_short(v["validation"]))


def variant_settings(spec: str) -> dict | None:
    """``N`` or ``N:WEIGHT`` (default 1) -> the TrainConfig settings of that variant, both
    given, so a family's own defaults never decide what a variant's name says;
    ``default`` -> None: the family's defaults, in ``RUNS/FAMILY`` (where
    ``accuracy.py --keep`` leaves them)."""
    if spec == "default":
        return None
    count, _, weight = spec.partition(":")
    settings = {"sentence_examples": int(count)}
    if settings["sentence_examples"]:
        settings["sentence_weight"] = float(weight or 1.0)
    return settings


def variant_name(family: str, settings: dict) -> str:
    name = f"{family}-sentences{settings['sentence_examples']}"
    if settings["sentence_examples"]:
        name += f"-w{settings['sentence_weight']:g}"
    return name


def line(row: dict, split: str) -> str:
    """Accuracy per set, then the share answered (their accuracy)."""
    on = row[split]

    def answered(figures_on: dict) -> str:
        their = figures_on["answered_accuracy"]
        return f"{figures_on['answered']:.0%} ({their:.3f})" if their is not None else "0%"

    return "  ".join(
        f"{name} {on[name]['accuracy']:.4f} [{answered(on[name])}]"
        for name in ("full", *SHORT_SETS)
    )


def cutoff_sweep(families: list[str], runs: Path, data: str, cutoffs: list[int]) -> None:
    """How long a text may be for the short-text zone, chosen on validation only: per
    default bundle in ``runs/FAMILY`` and cutoff, the short zone fit (as training fits
    it) on the validation reviews' last one and two sentences under the cutoff, then the
    share of each validation short set answered, with their accuracy. Writes
    ``results/short_texts_zone_cutoffs.json``."""
    from movie_sentiment.bundle.heads.uncertain import (
        answered_table,
        bounds_by_length,
        short_text_bounds_at,
    )
    from movie_sentiment.text.sentences import trailing_snippets
    from movie_sentiment.text.tokenize import tokenize_corpus

    train_all = load_reviews("train", data)
    rows = []
    for family in families:
        model = trained_bundle(family, data, runs)
        validation = validation_part(model, train_all)
        snippets, sources = trailing_snippets(validation.texts, 2)
        labels = validation.labels[np.asarray(sources, dtype=np.int64)]
        words = tokenize_corpus(snippets).lengths()
        probabilities = model.score(snippets, stars=False).probability
        sets = short_sets(validation)
        scored = {
            name: (model.score(texts, stars=False).probability, tokenize_corpus(texts).lengths())
            for name, (texts, _) in sets.items()
            if name in SHORT_SETS
        }
        for cutoff in cutoffs:
            keep = words < cutoff
            short = {
                "under_words": cutoff,
                "table": answered_table(labels[keep], probabilities[keep]),
            }
            zone = {**model.card.uncertain, "short": short}  # as scoring reads a card's zone
            short_c = 0.5 - short_text_bounds_at(zone)[0]
            row = {"family": family, "cutoff": cutoff, "short_confidence": round(short_c, 4)}
            for name, (p, lengths) in scored.items():
                answered = answered_by(p, *bounds_by_length(zone, lengths))
                right = (p >= 0.5) == sets[name][1]
                row[name] = {
                    "answered": round(float(answered.mean()), 4),
                    "answered_accuracy": share_right(right, answered),
                }
            rows.append(row)
            print(
                f"{family:10s} under {cutoff:3d}: "
                + "  ".join(
                    f"{n} {row[n]['answered']:.2f} ({row[n]['answered_accuracy']})"
                    for n in SHORT_SETS
                ),
                flush=True,
            )
    summary = {}
    for cutoff in cutoffs:
        pairs = [r[n] for r in rows if r["cutoff"] == cutoff for n in SHORT_SETS]
        accuracies = [f["answered_accuracy"] for f in pairs if f["answered_accuracy"] is not None]
        summary[cutoff] = {
            "mean_answered": round(float(np.mean([f["answered"] for f in pairs])), 4),
            "mean_answered_accuracy": round(float(np.mean(accuracies)), 4),
        }
        print(f"under {cutoff}: {summary[cutoff]}", flush=True)
    write_results("short_texts_zone_cutoffs", {"rows": rows, "summary": summary})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument(
        "--sentence-examples",
        default="0,1:0.5,2:0.5,3:0.3",
        help="the variants of each single-model family: N or N:WEIGHT, or default (the "
        "family's defaults, in RUNS/FAMILY), comma-separated",
    )
    parser.add_argument(
        "--suffix",
        help="write results/short_texts_SUFFIX.json (default: short_texts.json); its rows "
        "of other families stay",
    )
    parser.add_argument(
        "--zone-cutoffs",
        help="instead: sweep the short-text zone's length cutoff (e.g. 15,20,25,30,40,50) "
        "over the default bundles in RUNS/FAMILY, on validation only",
    )
    args = parser.parse_args()
    if args.zone_cutoffs:
        cutoffs = [int(c) for c in args.zone_cutoffs.split(",")]
        cutoff_sweep(args.families.split(","), args.runs, args.data, cutoffs)
        return
    counts = [variant_settings(spec) for spec in args.sentence_examples.split(",")]
    train_all, test = load_reviews("train", args.data), load_reviews("test", args.data)
    test_sets = short_sets(test)
    rows = []
    for family in args.families.split(","):
        recipe = family in RECIPE_RUNS or get_family(family).recipe is not None
        variants = []
        for settings in [None] if recipe else counts:
            name = family if settings is None else variant_name(family, settings)
            settings = settings or {}
            model = trained_bundle(family, args.data, args.runs, name, **settings)
            training = {} if recipe else model.card.config["training"]
            validation = short_sets(validation_part(model, train_all))
            variant = {
                "family": family,
                "sentence_examples": training.get("sentence_examples"),
                "sentence_weight": training.get("sentence_weight"),
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
    name = f"short_texts_{args.suffix}" if args.suffix else "short_texts"
    write_results(name, {"short_words": SHORT_WORDS, "rows": kept_rows(rows, name)})


def kept_rows(rows: list[dict], results: str) -> list[dict]:
    """This run's rows after the earlier results' rows of the families it did not run, so
    the families can be measured in several runs (each row says when)."""
    import json
    from datetime import UTC, datetime

    when = datetime.now(UTC).isoformat(timespec="seconds")
    for row in rows:
        row["when"] = when
    path = RESULTS / f"{results}.json"
    earlier = json.loads(path.read_text())["rows"] if path.exists() else []
    ran = {row["family"] for row in rows}
    order = {name: i for i, name in enumerate(FAMILIES)}
    merged = [row for row in earlier if row["family"] not in ran] + rows
    return sorted(merged, key=lambda row: order.get(row["family"], len(order)))


if __name__ == "__main__":
    main()
