"""How faithful and how fast our explanations are, against random tokens, leave-one-out
occlusion and LIME, per family, side by side in one run.

Faithfulness as ERASER defines it (DeYoung et al. 2020). Each method ranks a review's
tokens by how much they support the predicted label; for k = 1, 5, 10, 20% of the tokens:

* comprehensiveness: the drop in the predicted label's probability when the top k% tokens
  are removed from the review (higher: the method found what the model relied on);
* sufficiency: the drop when only the top k% tokens are kept (lower is better);

each averaged over k (the area over the k bins, as ERASER's AOPC) and over the reviews.

Methods:
* ours: ``SentimentModel.score(..., explain=True)`` contributions (exact for nbsvm and
  fasttext, integrated gradients for the networks, members' weighted for the ensemble);
* random: a random order (the floor);
* occlusion: each token's leave-one-out drop in the predicted probability;
* LIME: ``lime.lime_text.LimeTextExplainer`` at its defaults (5,000 samples, words split
  on ``\\W+``, bag of words) as ktrain users get it, a weight for every word; a token's
  weight is that of the LIME word(s) inside it.

Milliseconds per explanation: one review at a time, median over the reviews.
Ours, random and occlusion run on ``--reviews`` test reviews (1,000); LIME, at about a
second or more per review, on the first ``--lime-reviews`` of them (100), where every
method is also reported, so the comparison with LIME is on the same reviews.

    python benchmarks/explain.py [--data PATH] [--families nbsvm,cnn] [--runs DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RUNS, default_data, trained_bundle, write_results  # noqa: E402

from movie_sentiment.data.imdb import load_reviews  # noqa: E402

FAMILIES = ["tutorial", "mslearn", "nbsvm", "fasttext", "cnn", "best"]
BINS = (0.01, 0.05, 0.10, 0.20)
_LIME_WORD = re.compile(r"\w+")  # LIME's words: the text split on \W+


def probabilities(model, texts: list[str]) -> np.ndarray:
    """Probability of positive; a text left with no characters is scored as "." (no
    words: the model's prior)."""
    texts = [t if t.strip() else "." for t in texts]
    return model.score(texts).probability


def without(text: str, spans: list[tuple[int, int]], drop: set[int]) -> str:
    """The text with the tokens at positions ``drop`` deleted."""
    pieces, position = [], 0
    for i in sorted(drop):
        start, end = spans[i]
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    return " ".join(p for p in pieces if p)


def only(text: str, spans: list[tuple[int, int]], keep: set[int]) -> str:
    return " ".join(text[spans[i][0] : spans[i][1]] for i in sorted(keep))


def eraser(model, text: str, spans, support: np.ndarray, p_pred: float, positive: bool):
    """Comprehensiveness and sufficiency (averaged over ``BINS``) of one ranking."""
    order = np.argsort(-support, kind="stable")
    variants = []
    for share in BINS:
        top = set(order[: max(1, int(round(share * len(spans))))].tolist())
        variants += [without(text, spans, top), only(text, spans, top)]
    scored = probabilities(model, variants)
    scored = scored if positive else 1 - scored
    comprehensiveness = p_pred - scored[0::2]
    sufficiency = p_pred - scored[1::2]
    return float(comprehensiveness.mean()), float(sufficiency.mean())


def occlusion(model, text: str, spans, p_pred: float, positive: bool) -> np.ndarray:
    dropped = probabilities(model, [without(text, spans, {i}) for i in range(len(spans))])
    dropped = dropped if positive else 1 - dropped
    return p_pred - dropped


def lime_support(explainer, model, text: str, spans, positive: bool) -> np.ndarray:
    words = {m.group(0) for m in _LIME_WORD.finditer(text)}
    explanation = explainer.explain_instance(
        text,
        lambda batch: np.column_stack([1 - (p := probabilities(model, list(batch))), p]),
        labels=(1,),
        num_features=max(1, len(words)),
        num_samples=5000,
    )
    weight = dict(explanation.as_list(label=1))
    support = np.zeros(len(spans))
    for match in _LIME_WORD.finditer(text):
        if match.group(0) in weight:
            for i, (start, end) in enumerate(spans):
                if start < match.end() and match.start() < end:
                    support[i] += weight[match.group(0)]
    return support if positive else -support


def family_rows(model, texts: list[str], lime_count: int, seed: int) -> dict:
    from lime.lime_text import LimeTextExplainer

    explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=seed)
    rng = np.random.default_rng(seed)
    figures = {m: {"comprehensiveness": [], "sufficiency": [], "ms": []} for m in METHODS}
    gaps = []
    for number, text in enumerate(texts):
        started = time.perf_counter()
        scores = model.score([text], explain=True)
        ours_ms = 1000 * (time.perf_counter() - started)
        explanation = scores.explanation[0]
        spans = [(t.start, t.end) for t in explanation.tokens]
        if not spans:
            continue
        positive = scores.probability[0] >= 0.5
        p_pred = float(scores.probability[0] if positive else 1 - scores.probability[0])
        sign = 1.0 if positive else -1.0
        gaps.append(abs(explanation.gap) / max(abs(explanation.logit - explanation.base), 1e-9))
        rankings = {
            "ours": (sign * np.array([t.contribution for t in explanation.tokens]), ours_ms),
            "random": (rng.permutation(len(spans)).astype(float), 0.0),
        }
        started = time.perf_counter()
        occluded = occlusion(model, text, spans, p_pred, positive)
        rankings["occlusion"] = (occluded, 1000 * (time.perf_counter() - started))
        if number < lime_count:
            started = time.perf_counter()
            supported = lime_support(explainer, model, text, spans, positive)
            rankings["lime"] = (supported, 1000 * (time.perf_counter() - started))
        for method, (support, ms) in rankings.items():
            comprehensiveness, sufficiency = eraser(model, text, spans, support, p_pred, positive)
            figures[method]["comprehensiveness"].append(comprehensiveness)
            figures[method]["sufficiency"].append(sufficiency)
            figures[method]["ms"].append(ms)
        if (number + 1) % 100 == 0:
            print(f"  {number + 1} reviews", flush=True)
    return figures, gaps


METHODS = ("ours", "random", "occlusion", "lime")


def summary(figures: dict, count: int | None = None) -> dict:
    """Means over the first ``count`` reviews (all when None) of each method."""
    result = {}
    for method, values in figures.items():
        if not values["comprehensiveness"]:
            continue
        n = len(values["comprehensiveness"]) if count is None else count
        result[method] = {
            "reviews": min(n, len(values["comprehensiveness"])),
            "comprehensiveness": round(float(np.mean(values["comprehensiveness"][:n])), 4),
            "sufficiency": round(float(np.mean(values["sufficiency"][:n])), 4),
            "ms_per_explanation": round(float(np.median(values["ms"][:n])), 1),
        }
    return result


def merged(rows: list[dict]) -> list[dict]:
    """This run's rows, and the rows of families it did not measure from the last results
    (so one family can be measured again alone); each row says when it was measured."""
    import json
    from datetime import UTC, datetime

    from _common import RESULTS

    now = datetime.now(UTC).isoformat(timespec="seconds")
    for row in rows:
        row.setdefault("measured", now)
    path = RESULTS / "explain.json"
    earlier = json.loads(path.read_text())["rows"] if path.exists() else []
    mine = {row["family"] for row in rows}
    kept = [row for row in earlier if row["family"] not in mine]
    order = {name: i for i, name in enumerate(FAMILIES)}
    return sorted(kept + rows, key=lambda row: order.get(row["family"], len(order)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--lime-reviews", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    test = load_reviews("test", args.data)
    chosen = np.random.default_rng(args.seed).choice(len(test), args.reviews, replace=False)
    texts = [test.texts[i] for i in chosen]
    rows = []
    for family in args.families.split(","):
        model = trained_bundle(family, args.data, args.runs)
        model.score(texts[:2], explain=True)  # compile once, outside the timings
        print(f"{family}: explaining {len(texts)} reviews ...", flush=True)
        figures, gaps = family_rows(model, texts, args.lime_reviews, args.seed)
        everything = summary({m: v for m, v in figures.items() if m != "lime"})
        same_as_lime = summary(figures, args.lime_reviews)
        row = {
            "family": family,
            "method": model.score(texts[:1], explain=True).explanation[0].method,
            "completeness_gap": {
                "median": round(float(np.median(gaps)), 4),
                "p95": round(float(np.percentile(gaps, 95)), 4),
            },
            "all_reviews": everything,
            "lime_reviews": same_as_lime,
        }
        rows.append(row)
        lime = same_as_lime.get("lime", {})
        ours = same_as_lime["ours"]
        print(
            f"{family}: comprehensiveness ours {everything['ours']['comprehensiveness']:.3f} "
            f"occlusion {everything['occlusion']['comprehensiveness']:.3f} random "
            f"{everything['random']['comprehensiveness']:.3f} | on LIME's "
            f"{ours['reviews']}: ours {ours['comprehensiveness']:.3f} LIME "
            f"{lime.get('comprehensiveness', float('nan')):.3f} | ms ours "
            f"{everything['ours']['ms_per_explanation']:.1f} occlusion "
            f"{everything['occlusion']['ms_per_explanation']:.1f} LIME "
            f"{lime.get('ms_per_explanation', float('nan')):.1f}",
            flush=True,
        )
        write_results("explain", {"reviews": len(texts), "rows": merged(rows)})


if __name__ == "__main__":
    main()
