"""Should a rating model read long reviews the way its model does? Validation decides.

A single n-gram model's rating model reads the model's own n-grams, and ``score`` reuses
the model's encoding for it when both cut long reviews into chunks alike. The rating model
averages chunks ("mean"); nbsvm does too, fastText reads a long review's head and tail, so
fastText's reviews are encoded twice. This study fits fastText's stacked stars (as
``training.ratings.fit_stars`` does, on its trained bundle's calibrated logits) with the
rating model reading long reviews each way, and prints the two-fold validation MAE that
would choose between them (test MAE beside, not for choosing).

    python benchmarks/studies/stars_chunks_study.py [--data PATH]
        [--bundle runs/benchmarks/fasttext]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common
from _common import RUNS, default_data, peak_memory_mib, write_study_results  # noqa: E402

from movie_sentiment.bundle import SentimentModel, scoring  # noqa: E402
from movie_sentiment.bundle.scoring import window  # noqa: E402
from movie_sentiment.text.tokenize import as_tokens  # noqa: E402
from movie_sentiment.training import TrainConfig  # noqa: E402
from movie_sentiment.training import ratings as training_ratings  # noqa: E402
from movie_sentiment.training.splits import load_splits  # noqa: E402


def main() -> None:
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--bundle", default=str(RUNS / "fasttext"))
    args = parser.parse_args()
    model = SentimentModel.load(args.bundle)
    training = model.card.config["training"]
    config = TrainConfig(family=model.card.family, data=args.data, seed=training.get("seed", 42))
    splits = load_splits(config, training["validation_size"])
    validation = model.raw_scores(splits.validation.encodable).logit / model.temperature
    test = model.raw_scores(splits.test.encodable).logit / model.temperature
    size = window(model.encoder)
    longer = float((as_tokens(splits.validation.encodable).lengths() > size).mean())
    print(f"window {size} tokens; validation reviews longer: {longer:.1%}", flush=True)
    chunks = scoring.make_chunks
    rows = {}
    for policy in ("mean", "head_tail"):
        # The rating model's chunking (always "mean" in the product), swapped for the study.
        scoring.make_chunks = lambda reviews, encoder, _, policy=policy: chunks(
            reviews, encoder, policy
        )
        try:
            keras.utils.set_random_seed(42)
            ratings, _, figures = training_ratings.fit_stars(
                splits, validation, test, encoder=model.encoder
            )
        finally:
            scoring.make_chunks = chunks
        rows[policy] = {
            "validation_mae_two_fold": ratings["validation_mae_two_fold"],
            "test_mae": figures["ratings"]["mae"],
        }
        print(f"{policy}: {rows[policy]}", flush=True)
    write_study_results(
        "stars_chunks_study",
        {
            "bundle": model.card.family,
            "window_tokens": size,
            "validation_longer_share": round(longer, 4),
            "rating_model_reading_long_reviews": rows,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    main()
