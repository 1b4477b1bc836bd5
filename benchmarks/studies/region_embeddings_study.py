"""Semi-supervised region embeddings (Johnson & Zhang 2015) for the cnn? Validation only.

Issue 12 listed "two-view" region embeddings among the directions not tried. Stage 1
learns, on the text of train (labels unused) and unsup, never test, a tv-embedding of
5-word regions: a region's bag of words goes through ``relu(sum of its word vectors + b)``
(``--dim`` wide) and is trained to predict the bag of words of the 5 words on each side
(negative sampling: each context word against ``NEGATIVES`` noise words from the
unigram^0.75 distribution, frequent context words subsampled as word2vec does), with
plain SGD in JAX, the rate falling linearly to nothing. Regions use the cnn's encoder
(its 30,000 words, rarer words as the out-of-vocabulary id).

Stage 2 gives the cnn that embedding as a second input of its convolution, as the paper
does: the filters see ``W . region's word vectors + V . tv(region) + b`` with the
tv-embedding frozen and ``V`` learned (the region and the filter are both 5 words wide,
so each filter position reads the tv-embedding of exactly its own window). The cnn and
the cnn with regions train the same way (``best``'s member settings: no short
examples, seed 42, 4 epochs, the epoch of lowest validation loss kept) on the 22,500
training reviews; the ensemble's validation accuracy is nbsvm + fasttext + cnn (the
members of ``best`` without refit) with the cnn replaced or joined by the cnn with
regions, weights fit by 10-fold cross-validation inside the validation split
(``member_study.cross_validated_accuracy``).

    python benchmarks/studies/region_embeddings_study.py [--data PATH] [--dim 100] [--epochs 1]
        [--suffix SUFFIX]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common
from _common import (  # noqa: E402
    default_data,
    epochs_by_validation_loss,
    peak_memory_mib,
    trained_bundle,
    write_study_results,
)
from member_study import cross_validated_accuracy  # noqa: E402

from movie_sentiment.bundle.scoring import score_tokens  # noqa: E402
from movie_sentiment.data.imdb import ImdbCache  # noqa: E402
from movie_sentiment.evaluation.probability import accuracy, sigmoid  # noqa: E402
from movie_sentiment.models import cnn  # noqa: E402
from movie_sentiment.models.compile import compile_binary  # noqa: E402
from movie_sentiment.text.persist import make_encoder  # noqa: E402
from movie_sentiment.training import TrainConfig  # noqa: E402
from movie_sentiment.training.splits import load_splits, split_validation  # noqa: E402

SEED, VALIDATION_SIZE = 42, 2500
REGION, CONTEXT = 5, 5  # a 5-word region predicts the 5 words on each side
NEGATIVES, SAMPLE, BATCH, RATE = 15, 1e-4, 8192, 0.005
LOG_EVERY = 200  # steps
INIT = 0.1


def region_corpus(encoder, corpora) -> tuple[np.ndarray, np.ndarray]:
    """(flat encoder ids of every text, the text each id belongs to)."""
    texts = [text for corpus in corpora for text in encoder.encode(corpus)]
    owner = np.repeat(np.arange(len(texts), dtype=np.int32), [len(t) for t in texts])
    return np.concatenate(texts).astype(np.int32), owner


def learn_tv_embedding(ids, owner, vocabulary: int, first_word: int, dim: int, epochs: int):
    """The tv-embedding's word vectors (``vocabulary`` x ``dim``), its bias, and how many
    regions it was learned from."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(SEED)
    counts = np.bincount(ids, minlength=vocabulary).astype(np.float64)
    counts[:first_word] = 0  # padding, start and out-of-vocabulary ids are never targets
    frequency = counts / counts.sum()
    with np.errstate(divide="ignore"):
        keep = np.where(
            counts > 0, np.minimum(1.0, np.sqrt(SAMPLE / frequency) + SAMPLE / frequency), 0
        )
    noise = counts**0.75
    noise_cdf = np.cumsum(noise / noise.sum())
    # Padded so every region start has its whole context in the array; the padding's
    # owner (-1) masks context outside the text.
    left, right = CONTEXT, REGION + CONTEXT
    padded = np.concatenate([np.zeros(left, np.int32), ids, np.zeros(right, np.int32)])
    owners = np.concatenate([np.full(left, -1, np.int32), owner, np.full(right, -1, np.int32)])
    starts = np.flatnonzero(owner[: len(owner) - REGION + 1] == owner[REGION - 1 :]) + left
    starts = starts.astype(np.int32)
    tables = tuple(jnp.asarray(a) for a in (padded, owners, keep.astype(np.float32),
                                            noise_cdf.astype(np.float32)))  # fmt: skip
    words = jnp.asarray(rng.normal(0, INIT, (vocabulary, dim)).astype(np.float32))
    outputs = jnp.asarray(rng.normal(0, INIT, (vocabulary, dim)).astype(np.float32))
    bias = jnp.zeros((dim,), jnp.float32)
    offsets = jnp.arange(-CONTEXT, REGION + CONTEXT)
    context_columns = np.r_[0:CONTEXT, CONTEXT + REGION : 2 * CONTEXT + REGION]

    @jax.jit
    def step(words, outputs, bias, tables, batch, key, rate):
        padded, owners, keep, noise_cdf = tables
        window = batch[:, None] + offsets
        tokens, token_owner = padded[window], owners[window]
        region = tokens[:, CONTEXT : CONTEXT + REGION]
        context = tokens[:, context_columns]
        sampled, noisy = jax.random.split(key)
        mask = (token_owner[:, context_columns] == token_owner[:, CONTEXT : CONTEXT + 1]) & (
            jax.random.uniform(sampled, context.shape) < keep[context]
        )
        negatives = jnp.searchsorted(noise_cdf, jax.random.uniform(noisy, (len(batch), NEGATIVES)))
        negatives = jnp.minimum(negatives, len(noise_cdf) - 1)

        def loss(region_vectors, bias, positive, negative):
            hidden = jax.nn.relu(region_vectors.sum(1) + bias)
            near = jax.nn.log_sigmoid(jnp.einsum("bd,bkd->bk", hidden, positive))
            far = jax.nn.log_sigmoid(-jnp.einsum("bd,bkd->bk", hidden, negative))
            return -(near * mask).sum() - far.sum()

        value, grads = jax.value_and_grad(loss, argnums=(0, 1, 2, 3))(
            words[region], bias, outputs[context], outputs[negatives]
        )
        g_region, g_bias, g_positive, g_negative = grads
        words = words.at[region.reshape(-1)].add(-rate * g_region.reshape(-1, dim))
        outputs = outputs.at[context.reshape(-1)].add(-rate * g_positive.reshape(-1, dim))
        outputs = outputs.at[negatives.reshape(-1)].add(-rate * g_negative.reshape(-1, dim))
        bias = bias - rate * g_bias / len(batch)
        return words, outputs, bias, value

    steps = epochs * (len(starts) // BATCH)
    key = jax.random.PRNGKey(SEED)
    done, started = 0, time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(starts)
        losses = []
        for start in range(0, len(order) - BATCH + 1, BATCH):
            key, step_key = jax.random.split(key)
            rate = RATE * max(1e-4, 1 - done / steps)
            words, outputs, bias, value = step(
                words, outputs, bias, tables, order[start : start + BATCH], step_key, rate
            )
            if done % LOG_EVERY == 0:  # reading the loss waits for the step: now and then
                losses.append(float(value) / BATCH)
                print(f"  step {done}/{steps}: loss {losses[-1]:.3f}, "
                      f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
            done += 1
        print(f"  epoch {epoch + 1}: loss {np.mean(losses or [np.nan]):.3f}, "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return np.asarray(words), np.asarray(bias), len(starts)


def cnn_with_regions(options: dict, encoder, tv_words: np.ndarray, tv_bias: np.ndarray):
    """The cnn with the frozen tv-embedding of each filter's window as a second input."""
    import keras

    if options["kernel_size"] != REGION:
        raise SystemExit(f"the cnn's kernel_size must be the region size ({REGION})")
    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32", name="word_ids")
    x = keras.layers.Embedding(
        encoder.vocabulary_size, options["embedding_dim"], name="word_vectors"
    )(ids)
    x = keras.layers.Dropout(0.2)(x)
    x = keras.layers.Conv1D(options["filters"], REGION)(x)
    regions = keras.layers.Embedding(
        encoder.vocabulary_size, tv_words.shape[1], trainable=False, name="region_words"
    )(ids)
    regions = keras.layers.AveragePooling1D(REGION, strides=1)(regions)
    tv = keras.layers.ReLU()(keras.ops.add(keras.ops.multiply(regions, float(REGION)), tv_bias))
    x = keras.layers.Add()([x, keras.layers.Dense(options["filters"], use_bias=False)(tv)])
    x = keras.layers.GlobalMaxPooling1D()(keras.layers.ReLU()(x))
    x = keras.layers.Dropout(options["dropout"])(x)
    probability = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
    model = keras.Model(ids, probability, name="cnn_regions")
    model.get_layer("region_words").embeddings.assign(tv_words)
    return compile_binary(model, options["learning_rate"])


def train_member(model, options, encoder, splits, data, settings) -> dict:
    """``model`` trained as ``best`` trains its cnn: word vectors from train + unsup, the
    epoch of lowest validation loss kept. Its validation probabilities and timings."""
    x_fit, y_fit, x_val = data
    y_val = splits.validation.labels
    cnn.initialize(model, x_fit, y_fit, options, encoder=encoder, splits=splits)
    training = settings["training"]
    started = time.perf_counter()
    epochs, kept, p = epochs_by_validation_loss(
        lambda: model.fit(x_fit, y_fit, epochs=1, batch_size=training["batch_size"], verbose=0),
        model, x_val, y_val, training["epochs"], model.name,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    scoring = time.perf_counter()
    model.predict(x_val, batch_size=512, verbose=0)
    return {
        "epoch_kept": kept,
        "validation_accuracy": accuracy(y_val, p),
        "epochs": epochs,
        "train_seconds": round(seconds, 1),
        "validation_scoring_seconds": round(time.perf_counter() - scoring, 2),
        "probabilities": p,
    }


def main() -> None:
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=1, help="passes over the regions")
    parser.add_argument(
        "--suffix",
        help="write docs/studies/region_embeddings_study_SUFFIX.json "
        "(default: region_embeddings_study.json)",
    )
    args = parser.parse_args()
    splits = load_splits(TrainConfig(family="cnn", data=args.data, seed=SEED), VALIDATION_SIZE)
    settings = TrainConfig(family="cnn", seed=SEED, sentence_examples=0).resolved()
    options = settings["family_options"]
    encoder = make_encoder(settings["encoder"]).fit(splits.train_all.encodable)

    started = time.perf_counter()
    ids, owner = region_corpus(encoder, splits.unlabeled_text())
    print(f"{owner[-1] + 1:,} texts, {len(ids):,} tokens", flush=True)
    tv_words, tv_bias, regions = learn_tv_embedding(
        ids, owner, encoder.vocabulary_size, encoder.index_from + 1, args.dim, args.epochs
    )
    tv_seconds = time.perf_counter() - started
    del ids, owner

    x_fit, x_val = (encoder.transform(d.encodable) for d in (splits.fit, splits.validation))
    data = (x_fit, splits.fit.labels.astype("float32"), x_val)
    rows = {}
    keras.utils.set_random_seed(SEED)
    rows["cnn"] = train_member(
        cnn.build(options, encoder), options, encoder, splits, data, settings
    )
    keras.utils.set_random_seed(SEED)
    model = cnn_with_regions(options, encoder, tv_words, tv_bias)
    rows["cnn_regions"] = train_member(model, options, encoder, splits, data, settings)
    for name, row in rows.items():
        print(f"{name}: validation {row['validation_accuracy']:.4f} (epoch {row['epoch_kept']}, "
              f"{row['train_seconds']:.0f} s)", flush=True)  # fmt: skip

    teacher = trained_bundle(
        "best", args.data, name="best-norefit", family_options={"refit": False}
    )
    members, _ = teacher.members()
    _, validation = split_validation(len(splits.train_all), VALIDATION_SIZE, SEED)
    tokens = ImdbCache.open(args.data).tokens("train").select(validation)
    labels = splits.validation.labels
    columns = {
        m.family_name: sigmoid(
            score_tokens([dataclasses.replace(m, weight=1.0)], 0.0, tokens).logit
        )
        for m in members
    }
    plain = rows["cnn"]["probabilities"]
    regional = rows["cnn_regions"]["probabilities"]
    linear = [columns["nbsvm"], columns["fasttext"]]
    sets = {
        "nbsvm + fasttext + cnn (best's)": np.column_stack([*linear, columns["cnn"]]),
        "nbsvm + fasttext + cnn (this run's)": np.column_stack([*linear, plain]),
        "nbsvm + fasttext + cnn with regions": np.column_stack([*linear, regional]),
        "nbsvm + fasttext + cnn + cnn with regions": np.column_stack(
            [*linear, columns["cnn"], regional]
        ),
    }
    ensembles = {name: cross_validated_accuracy(c, labels) for name, c in sets.items()}
    for name, value in ensembles.items():
        print(f"{name}: {value:.4f}", flush=True)
    for row in rows.values():
        del row["probabilities"]
    write_study_results(
        f"region_embeddings_study_{args.suffix}" if args.suffix else "region_embeddings_study",
        {
            "seed": SEED,
            "validation_reviews": VALIDATION_SIZE,
            "region": REGION,
            "context_each_side": CONTEXT,
            "dim": args.dim,
            "epochs": args.epochs,
            "regions": regions,
            "tv_embedding_seconds": round(tv_seconds, 1),
            "members": rows,
            "best_members_validation_accuracy": {
                n: accuracy(labels, p) for n, p in columns.items()
            },
            "ensembles_validation_accuracy_cv": ensembles,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    main()
