"""Data loading: the one-time parse of the archive against later loads from the cache.

Measures, in one run on the same archive:

* cold: parse ``aclImdb_v1.tar.gz`` into a fresh cache (texts, labels, tokens);
* warm: ``load_reviews`` of the 50,000 labeled reviews (train + test) from that cache;
* warm Keras view: ``load_data(num_words=10000)`` from the cache.

Prints a table and writes benchmarks/results/data_loading.json.

    python benchmarks/data_loading.py [--data PATH] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import default_data, peak_memory_mib, write_results  # noqa: E402

from movie_sentiment.data import imdb  # noqa: E402


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MOVIE_SENTIMENT_CACHE"] = cache
        cold = timed(lambda: imdb.load_reviews("train", args.data))
        warm = [
            timed(
                lambda: (
                    imdb.load_reviews("train", args.data),
                    imdb.load_reviews("test", args.data),
                )
            )
            for _ in range(args.repeats)
        ]
        keras_view = [
            timed(lambda: imdb.load_data(args.data, num_words=10000)) for _ in range(args.repeats)
        ]
    rows = {
        "cold_parse_seconds": round(cold, 2),
        "warm_load_50k_labeled_seconds": round(statistics.median(warm), 3),
        "warm_load_data_num_words_10000_seconds": round(statistics.median(keras_view), 3),
        "cold_to_warm_ratio": round(cold / statistics.median(warm), 1),
        "reviews_per_second_warm": round(50000 / statistics.median(warm)),
    }
    print(f"{'step':<44} {'seconds':>8}")
    print(f"{'parse archive into the cache (once)':<44} {cold:>8.2f}")
    print(f"{'load 50,000 labeled reviews from the cache':<44} {statistics.median(warm):>8.3f}")
    print(
        f"{'load_data(num_words=10000) from the cache':<44} {statistics.median(keras_view):>8.3f}"
    )
    write_results(
        "data_loading", {**rows, "repeats": args.repeats, "peak_memory_mib": peak_memory_mib()}
    )


if __name__ == "__main__":
    main()
