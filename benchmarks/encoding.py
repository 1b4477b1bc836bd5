"""Text encoding speed: raw review text in, model input ids out, one process.

The hot path of training, serving and batch scoring. Times, on the same test reviews in
one run (best of 3, after a warm-up call):

- tokenize: normalize (HTML, entities, case) + word tokens + word ids (``tokenize_corpus``,
  split by Arrow kernels on two threads);
- tokenize, reference: the same tokens one regular-expression match at a time
  (``tests/text/reference_tokenizer.py``, the tokenizer before it was vectorized; tokens
  only, no ids), which ``tokenize_corpus`` must equal token for token;
- words: ``TextEncoder.transform`` to padded ids (the seed models and the cnn);
- ngrams 1-2 / 1-3: ``NgramEncoder.transform`` to padded n-gram ids (fasttext, nbsvm);
- reference: scikit-learn's ``CountVectorizer(ngram_range=(1, 3), min_df=2, binary=True)``
  ``transform``, fitted on the same training reviews (its own tokenizer, so the feature
  counts differ a little; both are printed), the usual Python tool for the same job; the
  ratio is ours over theirs (above 1: we are faster).

    python benchmarks/encoding.py [--data PATH] [--reviews 10000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    default_data,
    peak_memory_mib,
    reviews_per_second,
    write_results,
)

from movie_sentiment.data.imdb import load_reviews  # noqa: E402
from movie_sentiment.text.encoder import TextEncoder  # noqa: E402
from movie_sentiment.text.ngrams import NgramEncoder  # noqa: E402
from movie_sentiment.text.tokenize import tokenize_corpus  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "text"))
import reference_tokenizer  # noqa: E402


def main() -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--reviews", type=int, default=10000, help="test reviews to encode")
    args = parser.parse_args()

    train = load_reviews("train", args.data)
    texts = load_reviews("test", args.data).texts[: args.reviews]
    words = TextEncoder(num_words=30000, maxlen=400).fit(train.tokens)
    bigrams = NgramEncoder(ngram_range=(1, 2), min_df=2).fit(train.tokens)
    trigrams = NgramEncoder(ngram_range=(1, 3), min_df=2).fit(train.tokens)
    reference = CountVectorizer(ngram_range=(1, 3), min_df=2, binary=True).fit(train.texts)

    work = {
        "tokenize": tokenize_corpus,
        "tokenize, reference": lambda texts: [reference_tokenizer.tokenize(t) for t in texts],
        "words (TextEncoder)": words.transform,
        "ngrams 1-2 (NgramEncoder)": bigrams.transform,
        "ngrams 1-3 (NgramEncoder)": trigrams.transform,
        "scikit-learn CountVectorizer 1-3": reference.transform,
    }
    rows = {name: reviews_per_second(run, texts, warm_up=(200,)) for name, run in work.items()}
    ratio = rows["ngrams 1-3 (NgramEncoder)"] / rows["scikit-learn CountVectorizer 1-3"]
    print(f"{'encoding':<34} {'reviews/s':>10}")
    for name, speed in rows.items():
        print(f"{name:<34} {speed:>10,.0f}")
    print(f"ngrams 1-3 over scikit-learn 1-3: {ratio:.2f}x")
    write_results(
        "encoding",
        {
            "reviews": len(texts),
            "reviews_per_second": {name: round(speed) for name, speed in rows.items()},
            "ngram_features": {
                "ours_1_3": trigrams.vocabulary_size - 1,
                "scikit_learn_1_3": len(reference.vocabulary_),
            },
            "ours_over_scikit_learn_1_3": round(ratio, 2),
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    main()
