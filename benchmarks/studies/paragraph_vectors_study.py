"""Paragraph vectors (PV-DBOW with n-grams) as a member of ``best``? Validation only.

Issue 12 listed paragraph vectors (Le & Mikolov 2014; with n-grams as in Mesnil et al.
2015 and Li et al. 2016, "DV-ngram") among the directions not tried. Each document of
train (the 22,500 training reviews and the 2,500 validation reviews: their text, never
their labels, as every vocabulary here uses it) and of unsup gets a vector trained to
predict its own words and word bigrams (negative sampling, 5 noise tokens from the
unigram^0.75 distribution, frequent tokens subsampled), with plain SGD as word2vec does
(the rate falling linearly to nothing). Test is not used: its documents would need the
same training (inference by optimization), which is also what a served member would pay
per review. A logistic regression on the training reviews' vectors (C chosen by 5-fold
cross-validation inside the training part) gives the member's validation accuracy; the
ensemble's is nbsvm + fasttext + cnn (the members of ``best`` without refit, as
``distil_study.py`` trains it) with and without it, weights fit by 10-fold
cross-validation inside the validation split (``member_study.cross_validated_accuracy``).

    python benchmarks/studies/paragraph_vectors_study.py [--data PATH] [--dim 100] [--epochs 10]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common
from _common import default_data, peak_memory_mib, trained_bundle, write_study_results  # noqa: E402
from member_study import cross_validated_accuracy  # noqa: E402

from movie_sentiment.bundle.scoring import score_tokens  # noqa: E402
from movie_sentiment.data.imdb import ImdbCache, load_reviews  # noqa: E402
from movie_sentiment.evaluation.probability import accuracy, sigmoid  # noqa: E402
from movie_sentiment.training.splits import split_validation  # noqa: E402

SEED, VALIDATION_SIZE = 42, 2500
MIN_COUNT, MIN_BIGRAM_COUNT = 5, 20
NEGATIVES, SAMPLE, BATCH = 5, 1e-4, 16384


def document_tokens(corpora) -> tuple[np.ndarray, np.ndarray, int]:
    """(document of each target token, target id, number of targets): each corpus's
    words seen ``MIN_COUNT`` times and word bigrams seen ``MIN_BIGRAM_COUNT`` times."""
    import pandas as pd

    words, docs, bigrams, bigram_docs = [], [], [], []
    vocabulary: dict[str, int] = {}
    start = 0
    for corpus in corpora:
        local = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in corpus.vocabulary])
        ids = local[corpus.ids]
        doc = np.repeat(np.arange(len(corpus)) + start, corpus.lengths())
        same = doc[1:] == doc[:-1]  # bigrams within one document
        words.append(ids)
        docs.append(doc)
        bigrams.append(ids[:-1][same].astype(np.int64) * 10_000_000 + ids[1:][same])
        bigram_docs.append(doc[:-1][same])
        start += len(corpus)
    words, docs = np.concatenate(words), np.concatenate(docs)
    bigrams, bigram_docs = np.concatenate(bigrams), np.concatenate(bigram_docs)
    word_counts = np.bincount(words)
    word_id = np.cumsum(word_counts >= MIN_COUNT) - 1
    keep = word_counts[words] >= MIN_COUNT
    codes, uniques = pd.factorize(bigrams)
    bigram_counts = np.bincount(codes)
    kept_bigrams = bigram_counts >= MIN_BIGRAM_COUNT
    bigram_id = np.cumsum(kept_bigrams) - 1 + word_id[-1] + 1
    keep_b = kept_bigrams[codes]
    targets = np.concatenate([word_id[words[keep]], bigram_id[codes[keep_b]]])
    owners = np.concatenate([docs[keep], bigram_docs[keep_b]])
    return owners, targets.astype(np.int32), int(word_id[-1] + 1 + kept_bigrams.sum())


def train_pv_dbow(owners, targets, documents: int, size: int, dim: int, epochs: int):
    """Document vectors (``documents`` x ``dim``) trained by PV-DBOW with negative
    sampling, in JAX."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(SEED)
    counts = np.bincount(targets, minlength=size).astype(np.float64)
    frequency = counts / counts.sum()
    keep_probability = np.minimum(1.0, np.sqrt(SAMPLE / frequency) + SAMPLE / frequency)
    noise = counts**0.75
    noise_cdf = np.cumsum(noise / noise.sum())
    doc_vectors = jnp.asarray((rng.random((documents, dim), np.float32) - 0.5) / dim)
    out_vectors = jnp.zeros((size, dim), jnp.float32)

    @jax.jit
    def step(d_table, w_table, docs, words, noise_ids, rate):
        def loss(d, w, n):
            positive = jax.nn.log_sigmoid(jnp.sum(d * w, -1))
            negative = jax.nn.log_sigmoid(-jnp.einsum("bd,bkd->bk", d, n)).sum(-1)
            return -(positive + negative).sum()

        d, w, n = d_table[docs], w_table[words], w_table[noise_ids]
        value, (gd, gw, gn) = jax.value_and_grad(loss, argnums=(0, 1, 2))(d, w, n)
        d_table = d_table.at[docs].add(-rate * gd)
        w_table = w_table.at[words].add(-rate * gw)
        w_table = w_table.at[noise_ids.reshape(-1)].add(-rate * gn.reshape(-1, d.shape[-1]))
        return d_table, w_table, value

    total_steps = epochs * int(keep_probability[targets].sum() / BATCH)  # about
    done, started = 0, time.perf_counter()
    for epoch in range(epochs):
        kept = np.flatnonzero(rng.random(len(targets)) < keep_probability[targets])
        rng.shuffle(kept)
        losses = []
        for start in range(0, len(kept) - BATCH + 1, BATCH):
            batch = kept[start : start + BATCH]
            noise_ids = np.searchsorted(noise_cdf, rng.random((BATCH, NEGATIVES))).astype(np.int32)
            rate = 0.025 * max(1e-4, 1 - done / total_steps)
            doc_vectors, out_vectors, value = step(
                doc_vectors, out_vectors, owners[batch], targets[batch], noise_ids, rate
            )
            if done % 100 == 0:  # reading the loss waits for the step: now and then
                losses.append(float(value) / BATCH)
            done += 1
        print(f"  epoch {epoch + 1}: loss {np.mean(losses or [np.nan]):.3f}, "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return np.asarray(doc_vectors)


def main() -> None:
    from sklearn.linear_model import LogisticRegressionCV

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    train_all = load_reviews("train", args.data)
    cache = ImdbCache.open(args.data)
    corpora = [cache.tokens("train"), cache.tokens("unsup")]
    started = time.perf_counter()
    owners, targets, size = document_tokens(corpora)
    documents = sum(len(c) for c in corpora)
    print(f"{documents:,} documents, {len(targets):,} target tokens, {size:,} targets",
          flush=True)  # fmt: skip
    vectors = train_pv_dbow(owners, targets, documents, size, args.dim, args.epochs)
    pv_seconds = time.perf_counter() - started
    fit_idx, val_idx = split_validation(len(train_all), VALIDATION_SIZE, SEED)
    y_fit, y_val = train_all.labels[fit_idx], train_all.labels[val_idx]
    norm = np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    x = vectors[: len(train_all)] / norm[: len(train_all)]
    classifier = LogisticRegressionCV(Cs=[0.1, 1, 10, 100], cv=5, max_iter=2000, scoring="accuracy")
    classifier.fit(x[fit_idx], y_fit)
    p_pv = classifier.predict_proba(x[val_idx])[:, 1]
    pv_accuracy = accuracy(y_val, p_pv)
    print(f"PV-DBOW member: validation {pv_accuracy:.4f} (C {classifier.C_[0]})", flush=True)

    teacher = trained_bundle(
        "best", args.data, name="best-norefit", family_options={"refit": False}
    )
    members, _ = teacher.members()
    tokens = cache.tokens("train").select(val_idx)
    columns = {
        m.family_name: sigmoid(
            score_tokens([dataclasses.replace(m, weight=1.0)], 0.0, tokens).logit
        )
        for m in members
    }
    base = np.column_stack([columns[n] for n in ("nbsvm", "fasttext", "cnn")])
    sets = {
        "nbsvm + fasttext + cnn": cross_validated_accuracy(base, y_val),
        "nbsvm + fasttext + cnn + pv": cross_validated_accuracy(
            np.column_stack([base, p_pv]), y_val
        ),
        "nbsvm + pv": cross_validated_accuracy(np.column_stack([columns["nbsvm"], p_pv]), y_val),
    }
    for name, value in sets.items():
        print(f"{name}: {value:.4f}", flush=True)
    write_study_results(
        "paragraph_vectors_study",
        {
            "documents": documents,
            "targets": size,
            "target_tokens": int(len(targets)),
            "dim": args.dim,
            "epochs": args.epochs,
            "seconds": round(pv_seconds, 1),
            "member_validation_accuracy": pv_accuracy,
            "C": float(classifier.C_[0]),
            "members_validation_accuracy": {n: accuracy(y_val, p) for n, p in columns.items()},
            "ensembles_validation_accuracy_cv": sets,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    main()
