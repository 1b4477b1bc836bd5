"""``movie-sentiment data info|show``: look at the IMDB data."""

from __future__ import annotations

from typing import Annotated

import typer

from movie_sentiment.cli.options import DataOption
from movie_sentiment.cli.rendering import echo


def data_info(data: DataOption = None) -> None:
    """Reviews per split and label, and review length percentiles (in words)."""
    import numpy as np

    from movie_sentiment.data.imdb import ImdbCache

    cache = ImdbCache.open(data)
    echo(f"Source: {cache.meta['source']}")
    echo(f"sha256: {cache.meta['sha256']}")
    echo(
        f"{'split':<6} {'reviews':>8} {'positive':>9} {'negative':>9} {'unlabeled':>10}"
        f"   words: p10   p50   p90    max"
    )
    for split in ("train", "test", "unsup"):
        arrays = cache.arrays(split, "labels", "token_offsets")
        labels = arrays["labels"]
        lengths = np.diff(arrays["token_offsets"])
        p10, p50, p90 = np.percentile(lengths, [10, 50, 90]) if len(lengths) else (0, 0, 0)
        echo(
            f"{split:<6} {len(labels):>8,} {int((labels == 1).sum()):>9,} "
            f"{int((labels == 0).sum()):>9,} {int((labels == -1).sum()):>10,}"
            f"   {p10:>10.0f} {p50:>5.0f} {p90:>5.0f} {lengths.max(initial=0):>6}"
        )


def data_show(
    split: Annotated[str, typer.Option(help="train, test or unsup")] = "train",
    index: Annotated[
        int, typer.Option(help="Position of the review in the split (archive order).")
    ] = 0,
    num_words: Annotated[
        int, typer.Option(help="Keep the most frequent words, as load_data.")
    ] = 10000,
    data: DataOption = None,
) -> None:
    """One review as the notebooks show it: raw text, Keras-style ids, decoded text."""
    from movie_sentiment.data.imdb import show_review

    review = show_review(split, index, data, num_words=num_words)
    label = {1: "positive", 0: "negative", -1: "unlabeled"}[review.label]
    echo(
        f"Review {split}[{index}] (id {review.review_id}, {review.rating} stars, {label}), "
        f"{len(review.ids)} ids with the start mark"
    )
    echo("\nRaw text:\n" + review.text)
    echo(f"\nEncoded (num_words={num_words}, start_char=1, oov_char=2, index_from=3):")
    echo(str(review.ids))
    echo("\nDecoded:\n" + review.decoded)
