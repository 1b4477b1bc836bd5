"""Semantic student study: does a fast student learn more from ``best`` with word vectors?

The distillation study (``distil_study.py``) found that no n-gram student passes nbsvm on
true labels: what the ensemble adds over nbsvm comes from its cnn, which reads word
vectors learned on train + unsup text, and the students had none. This study gives the
``fast`` student that view at nbsvm's encoding cost: it reads the same padded 1-3-gram ids
as nbsvm (one encoding per review), and beside nbsvm's logit a head composes each n-gram
from its words' vectors (PPMI + SVD on train + unsup, as the cnn's start; frozen):

    h(ngram) = relu(mean over its words of (vector(word) @ W) + b)      (``units`` wide)
    head logit = Dense(1)(concat(masked mean of h, max of h))

Since the mean of vectors and the projection commute, scoring would gather ``units``-wide
rows of ``vectors @ W`` (computed once), not 100-wide vectors: three rows per n-gram, some
20,000 additions per review at 16 units on top of nbsvm (not timed here: the head was
judged on accuracy first). Students, each on the training reviews' true labels alone and
with the ``fast`` family's data (those plus the teacher's calibrated scores on the 50,000
unlabeled reviews, weight 1, nbsvm's ratios counted from both):

* ``nbsvm`` (the ``fast`` family's model; the reference);
* nbsvm + the composed head, ``--units`` wide, trained together;
* the composed head alone, then stacked beside nbsvm on true labels (the two validation
  columns at each one's epoch of lowest validation loss; weights by 10-fold
  cross-validation inside the validation split, as ``member_study.py`` fits them).

Teacher: ``best`` without refit (``runs/benchmarks/best-norefit``, trained when absent).
Figures: validation accuracy after each epoch (2,500 reviews carved from train, seed 42,
the same for every row), the stacked pairs' accuracy, and seconds; written to
``docs/studies/semantic_student_study_<units>.json``. Test is not scored here.

    python benchmarks/studies/semantic_student_study.py [--data PATH] [--runs DIR] [--epochs 3]
        [--units 16]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common
from _common import (  # noqa: E402
    RUNS,
    default_data,
    epochs_by_validation_loss,
    peak_memory_mib,
    positive_int,
    run_main,
    teacher_and_parts,
    write_study_results,
)

from movie_sentiment.data.imdb import ImdbCache  # noqa: E402
from movie_sentiment.evaluation.probability import sigmoid  # noqa: E402
from movie_sentiment.models import get_family  # noqa: E402
from movie_sentiment.models.nbsvm import naive_bayes_ratios  # noqa: E402
from movie_sentiment.text.persist import make_encoder  # noqa: E402
from movie_sentiment.text.tokenize import as_tokens  # noqa: E402
from movie_sentiment.text.wordvectors import learn_word_vectors  # noqa: E402


def ngram_components(encoder, vectors) -> np.ndarray:
    """(vocabulary_size, 3) int32: each n-gram feature's words as rows of ``vectors``
    shifted by one (0: no word there, or a word without a vector)."""
    row_of_word = {word: i + 1 for i, word in enumerate(vectors.words)}
    word_row = np.zeros(len(encoder.words_) + 1, dtype=np.int32)  # encoder word id -> row
    for i, word in enumerate(encoder.words_, start=1):
        word_row[i] = row_of_word.get(word, 0)
    base = len(encoder.words_) + 1
    components = np.zeros((encoder.vocabulary_size, 3), dtype=np.int32)
    offset = 1
    low, _ = encoder.ngram_range
    for n, table in enumerate(encoder.tables_, low):
        keys = table.astype(np.int64).copy()
        for k in range(n - 1, -1, -1):  # the last word is the lowest digit
            keys, digit = np.divmod(keys, base)
            components[offset : offset + len(table), k] = word_row[digit]
        offset += len(table)
    return components


def semantic_model(
    encoder, components: np.ndarray, vectors: np.ndarray, units: int, with_nbsvm: bool = True
):
    """nbsvm's logit plus the composed-vector head (see the module docstring)."""
    import keras
    from keras import ops

    from movie_sentiment.models.compile import compile_binary
    from movie_sentiment.models.layers import NaiveBayesLinear

    class ComposedNgrams(keras.layers.Layer):
        def build(self, input_shape):
            self.components = self.add_weight(
                name="components", shape=components.shape, dtype="int32", trainable=False,
                initializer="zeros",
            )  # fmt: skip
            self.components.assign(components)
            self.vectors = self.add_weight(
                name="vectors", shape=vectors.shape, trainable=False, initializer="zeros"
            )
            self.vectors.assign(vectors)
            self.kernel = self.add_weight(
                name="kernel", shape=(vectors.shape[1], units), initializer="glorot_uniform"
            )
            self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")

        def call(self, ids):
            projected = ops.matmul(self.vectors, self.kernel)  # (words + 1, units)
            rows = ops.take(self.components, ids, axis=0)  # (batch, length, 3)
            count = ops.sum(ops.cast(rows > 0, "float32"), axis=-1, keepdims=True)
            total = ops.sum(ops.take(projected, rows, axis=0), axis=2)
            hidden = ops.relu(total / ops.maximum(count, 1.0) + self.bias)
            present = ops.cast(count > 0, "float32")  # padding and vector-less n-grams out
            hidden = hidden * present
            mean = ops.sum(hidden, axis=1) / ops.maximum(ops.sum(present, axis=1), 1.0)
            return ops.concatenate([mean, ops.max(hidden, axis=1)], axis=-1)

    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32")
    pooled = keras.layers.Dropout(0.2)(ComposedNgrams()(ids))
    head = keras.layers.Dense(1)(pooled)
    if with_nbsvm:
        linear = NaiveBayesLinear(
            encoder.vocabulary_size, initial_weight=0.03, l2=1e-4, name="nb_linear"
        )(ids)
        head = keras.layers.Add()([linear, head])
    return compile_binary(keras.Model(ids, keras.layers.Activation("sigmoid")(head)), 0.003)


def student(build, x, y, weights, ratios_from, x_val, y_val, epochs: int, name: str):
    """Validation accuracy after each epoch of the model ``build()`` returns, and its
    validation probabilities at the epoch of lowest validation loss."""
    import keras

    keras.utils.set_random_seed(42)
    model = build()
    if ratios_from is not None:
        layer = model.get_layer("nb_linear")
        layer.set_ratios(naive_bayes_ratios(*ratios_from, layer.num_features, 1.0))

    def fit_one_epoch():
        model.fit(x, y, sample_weight=weights, epochs=1, batch_size=32, verbose=0)

    figures, _, kept = epochs_by_validation_loss(fit_one_epoch, model, x_val, y_val, epochs, name)
    return [figure["accuracy"] for figure in figures], kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--epochs", type=positive_int, default=3)
    parser.add_argument("--units", type=positive_int, default=16)
    args = parser.parse_args()
    teacher, train_all, fit, validation, unsup = teacher_and_parts(args.data, args.runs)
    p_unsup = sigmoid(teacher.raw_scores(unsup.encodable).logit / teacher.temperature)
    y_fit, y_val = fit.labels.astype("float32"), validation.labels

    started = time.perf_counter()
    cache = ImdbCache.open(args.data)
    vectors = learn_word_vectors([as_tokens(train_all.encodable), cache.tokens("unsup")])
    vector_table = np.vstack([np.zeros((1, vectors.dim), np.float32), vectors.vectors])
    vector_seconds = time.perf_counter() - started
    encoder = make_encoder(get_family("nbsvm").defaults["encoder"]).fit(train_all.encodable)
    components = ngram_components(encoder, vectors)
    with_vectors = float(np.mean(components[1:].max(axis=1) > 0))
    x_fit, x_unsup, x_val = (encoder.transform(d.encodable) for d in (fit, unsup, validation))
    print(
        f"{len(vectors.words):,} word vectors in {vector_seconds:.0f} s; "
        f"{with_vectors:.1%} of {encoder.vocabulary_size:,} n-grams have one",
        flush=True,
    )

    x_both = np.concatenate([x_fit, x_unsup])
    y_both = np.concatenate([y_fit, p_unsup]).astype("float32")
    weights = np.ones(len(x_both), dtype="float32")
    nbsvm = get_family("nbsvm")
    units = args.units
    rows, kept = [], {}
    for data_name, x, y, w in (
        ("true labels alone", x_fit, y_fit, None),
        ("true labels + teacher's scores on unlabeled", x_both, y_both, weights),
    ):
        for name, build, ratios in (
            ("nbsvm", lambda: nbsvm.build(nbsvm.defaults["family_options"], encoder), (x, y)),
            (f"nbsvm + composed word vectors ({units} units)",
             lambda: semantic_model(encoder, components, vector_table, units), (x, y)),
            (f"composed word vectors alone ({units} units)",
             lambda: semantic_model(encoder, components, vector_table, units, False), None),
        ):  # fmt: skip
            started = time.perf_counter()
            accuracies, kept[name, data_name] = student(
                build, x, y, w, ratios, x_val, y_val, args.epochs, name
            )
            seconds = time.perf_counter() - started
            rows.append({"student": name, "data": data_name, "validation_accuracy": accuracies,
                         "seconds": round(seconds, 1)})  # fmt: skip
            print(f"{name:48s} {data_name:45s} {accuracies}  {seconds:.0f} s", flush=True)
    # Stacked: nbsvm on true labels beside the head alone, weights by 10-fold
    # cross-validation inside the validation split (as member_study.py does).
    from member_study import cross_validated_accuracy

    ensembles = {}
    reference = kept["nbsvm", "true labels alone"]
    for (name, data_name), p in kept.items():
        if name.startswith("composed"):
            columns = np.column_stack([reference, p])
            label = f"nbsvm (true labels) + {name}, {data_name}"
            ensembles[label] = round(cross_validated_accuracy(columns, y_val), 4)
            print(f"{label}: {ensembles[label]}", flush=True)
    write_study_results(
        f"semantic_student_study_{args.units}",
        {
            "teacher_validation_accuracy": teacher.card.metrics["validation"]["accuracy"],
            "units": args.units,
            "word_vectors": len(vectors.words),
            "ngrams_with_vectors": round(with_vectors, 4),
            "vector_seconds": round(vector_seconds, 1),
            "rows": rows,
            "ensembles_validation_accuracy_cv": ensembles,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    run_main(main)
