"""Distillation study: can one fast model learn the ensemble's calibrated scores?

The teacher is ``best`` without its refit (``refit: false``): its members trained on the
22,500 training reviews, its weights and temperature fit on the 2,500 validation reviews
(seed 42), so the students' validation accuracy is honest. Each student is trained on
the teacher's calibrated probabilities (soft targets, not hard pseudo-labels) over the
training reviews and the 50,000 unlabeled ones, and compared with the same architecture
trained on the true labels of the training reviews alone:

* ``nbsvm`` (NB-weighted 1-3-grams; the ratios counted from the soft targets);
* ``nbsvm`` on the training reviews plus only the unlabeled reviews the teacher is sure
  of (probability below 0.2 or above 0.8: ``unsup`` holds the 5-6-star reviews the
  labeled splits leave out);
* ``fasttext`` (mean of 1-2-gram vectors);
* a non-linear student of nbsvm's speed: nbsvm's logit plus a small network over the
  mean of 16-wide vectors of the same 1-3-grams (a hidden layer of 16 ReLUs; batch 128),
  on true labels and on the teacher's scores;
* ridge regression of the teacher's logits (clipped to +-8) on the NB-scaled binary
  1-3-grams (alpha 30), the classic logit-matching form of distillation for a linear
  student;
* the ``fast`` family's form: ``nbsvm`` on the training reviews' true labels plus the
  teacher's scores on the unlabeled reviews, each unlabeled review weighing 1 or 0.3,
  the ratios counted from both or from the labeled reviews only; and with the n-gram
  vocabulary counted on train + unsup (n-grams seen only in unlabeled reviews then get
  weights from the teacher's scores);
* two phases: ``nbsvm`` on true labels for its one epoch, then moved towards the
  teacher on the unlabeled reviews at a tenth of its learning rate.
* ``nbsvm`` on the training reviews' true labels plus only the unlabeled reviews the
  teacher is sure of (``|p - 0.5|`` at least 0.3, 0.4 or 0.45), with the teacher's
  scores (soft) or its labels (hard) for them.

Figures: validation accuracy after each epoch (the reviews as the encoder truncates
them, the same for every row), and seconds. Test is not scored here: the ``fast`` family
(the form above at weight 1, ratios from both, 2 epochs: the best of the distilled
students) is scored once by ``benchmarks/accuracy.py``.

    python benchmarks/studies/distil_study.py [--data PATH] [--runs DIR] [--epochs 3]
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
    positive_int,
    run_main,
    teacher_and_parts,
    write_study_results,
)

from movie_sentiment.evaluation.probability import logit, sigmoid  # noqa: E402
from movie_sentiment.models import get_family  # noqa: E402
from movie_sentiment.models.nbsvm import naive_bayes_ratios  # noqa: E402
from movie_sentiment.text.persist import make_encoder  # noqa: E402
from movie_sentiment.text.tokenize import tokenize_corpus  # noqa: E402

SURE = 0.3  # |p - 0.5| of the unlabeled reviews kept in the "sure" row
SURE_MARGINS = (0.3, 0.4, 0.45)  # the same, for the rows with true labels


def hybrid_model(encoder):
    """nbsvm's logit plus a small network over the mean of the n-grams' vectors."""
    import keras

    from movie_sentiment.models.compile import compile_binary
    from movie_sentiment.models.layers import MaskedMean, NaiveBayesLinear

    ids = keras.Input(shape=(encoder.maxlen,), dtype="int32")
    linear = NaiveBayesLinear(
        encoder.vocabulary_size, initial_weight=0.03, l2=1e-4, name="nb_linear"
    )(ids)
    mean = MaskedMean()([keras.layers.Embedding(encoder.vocabulary_size, 16)(ids), ids])
    hidden = keras.layers.Dropout(0.2)(keras.layers.Dense(16, activation="relu")(mean))
    logit = keras.layers.Add()([linear, keras.layers.Dense(1)(hidden)])
    return compile_binary(keras.Model(ids, keras.layers.Activation("sigmoid")(logit)), 0.003)


def keras_student(
    family: str, encoder, x, y, x_val, y_val, epochs: int, ratios_from=None, weights=None,
    then=None,
):  # fmt: skip
    """Validation accuracy after each epoch of ``family``'s model (or "hybrid") fit on
    (x, y) (``weights``: per example). ``then``: (x, y, learning rate), trained on for
    ``epochs`` more after the first fit (the two-phase trial)."""
    import keras

    keras.utils.set_random_seed(42)
    if family == "hybrid":
        model, batch_size = hybrid_model(encoder), 128
    else:
        defaults = get_family(family).defaults
        model = get_family(family).build(defaults["family_options"], encoder)
        batch_size = defaults["training"]["batch_size"]
    if family in ("nbsvm", "hybrid"):
        layer = model.get_layer("nb_linear")
        rx, ry = ratios_from or (x, y)
        layer.set_ratios(naive_bayes_ratios(rx, ry, layer.num_features, 1.0))
    accuracies = []
    for _ in range(epochs if then is None else 1):
        model.fit(x, y, sample_weight=weights, epochs=1, batch_size=batch_size, verbose=0)
        p = model.predict(x_val, batch_size=512, verbose=0).ravel()
        accuracies.append(round(float(np.mean((p >= 0.5) == y_val)), 4))
    if then is not None:
        x_more, y_more, learning_rate = then
        model.optimizer.learning_rate.assign(learning_rate)
        for _ in range(epochs):
            model.fit(x_more, y_more, epochs=1, batch_size=batch_size, verbose=0)
            p = model.predict(x_val, batch_size=512, verbose=0).ravel()
            accuracies.append(round(float(np.mean((p >= 0.5) == y_val)), 4))
    return accuracies


def ridge_student(x_fit_ids, y_fit, x_ids, targets, x_val_ids, y_val, size: int) -> float:
    """Ridge on NB-scaled binary n-grams against the teacher's logits."""
    import scipy.sparse as sparse
    from sklearn.linear_model import Ridge

    def binary(ids):
        rows = np.repeat(np.arange(len(ids)), ids.shape[1])
        matrix = sparse.csr_matrix(
            (np.ones(ids.size, np.float32), (rows, ids.ravel())), shape=(len(ids), size)
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        return matrix

    ratios = naive_bayes_ratios(x_fit_ids, y_fit, size, 1.0).astype(np.float32)
    ratios[0] = 0.0
    scale = sparse.diags(ratios)
    model = Ridge(alpha=30.0, solver="sparse_cg", max_iter=200)
    model.fit(binary(x_ids) @ scale, np.clip(targets, -8, 8))
    predicted = model.predict(binary(x_val_ids) @ scale)
    return round(float(np.mean((predicted > 0) == y_val)), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--epochs", type=positive_int, default=3)
    args = parser.parse_args()
    teacher, train_all, fit, validation, unsup = teacher_and_parts(args.data, args.runs)
    started = time.perf_counter()
    p_fit, p_unsup = (
        sigmoid(teacher.raw_scores(part.encodable).logit / teacher.temperature)
        for part in (fit, unsup)
    )
    teacher_seconds = time.perf_counter() - started
    y_fit, y_val = fit.labels.astype("float32"), validation.labels
    sure = np.abs(p_unsup - 0.5) >= SURE
    rows = []

    def record(name: str, accuracies, seconds: float) -> None:
        rows.append({"student": name, "validation_accuracy": accuracies, "seconds": seconds})
        print(f"{name:58s} {accuracies}  {seconds:.0f} s", flush=True)

    for family in ("nbsvm", "fasttext"):
        encoder = make_encoder(get_family(family).defaults["encoder"]).fit(train_all.encodable)
        x_fit, x_unsup, x_val = (encoder.transform(d.encodable) for d in (fit, unsup, validation))
        x_soft = np.concatenate([x_fit, x_unsup])
        y_soft = np.concatenate([p_fit, p_unsup]).astype("float32")
        trials = [
            ("true labels, training reviews", x_fit, y_fit),
            ("teacher's scores, training + unlabeled reviews", x_soft, y_soft),
        ]
        if family == "nbsvm":
            trials.append(
                (
                    f"teacher's scores, training + {int(sure.sum()):,} sure unlabeled",
                    np.concatenate([x_fit, x_unsup[sure]]),
                    np.concatenate([p_fit, p_unsup[sure]]).astype("float32"),
                )
            )
        for what, x, y in trials:
            started = time.perf_counter()
            accuracies = keras_student(family, encoder, x, y, x_val, y_val, args.epochs)
            record(f"{family}: {what}", accuracies, time.perf_counter() - started)
        if family == "nbsvm":
            # The fast family's form: true labels for the training reviews, the teacher's
            # scores for the unlabeled ones (each weighing w), ratios from both or not.
            x_both = np.concatenate([x_fit, x_unsup])
            y_both = np.concatenate([y_fit, p_unsup]).astype("float32")
            for w, ratios in ((1.0, "both"), (0.3, "both"), (1.0, "labeled")):
                weights = np.concatenate([np.ones(len(x_fit)), np.full(len(x_unsup), w)])
                started = time.perf_counter()
                accuracies = keras_student(
                    family, encoder, x_both, y_both, x_val, y_val, args.epochs,
                    None if ratios == "both" else (x_fit, y_fit), weights.astype("float32"),
                )  # fmt: skip
                what = f"teacher's scores on unlabeled at weight {w}, ratios from {ratios}"
                record(f"nbsvm: true labels + {what}", accuracies,
                       time.perf_counter() - started)  # fmt: skip
            started = time.perf_counter()
            accuracies = keras_student(
                family, encoder, x_fit, y_fit, x_val, y_val, args.epochs,
                then=(x_unsup, p_unsup.astype("float32"), 0.0003),
            )  # fmt: skip
            record("nbsvm: true labels 1 epoch, then teacher's scores on unlabeled at rate "
                   "0.0003", accuracies, time.perf_counter() - started)  # fmt: skip
            for margin in SURE_MARGINS:  # true labels + only the sure unlabeled reviews
                sure_now = np.abs(p_unsup - 0.5) >= margin
                for kind in ("soft", "hard"):
                    y_sure = p_unsup[sure_now] if kind == "soft" else p_unsup[sure_now] >= 0.5
                    x = np.concatenate([x_fit, x_unsup[sure_now]])
                    y = np.concatenate([y_fit, y_sure]).astype("float32")
                    started = time.perf_counter()
                    accuracies = keras_student(family, encoder, x, y, x_val, y_val, args.epochs)
                    record(f"nbsvm: true labels + teacher's {kind} labels on the "
                           f"{int(sure_now.sum()):,} unlabeled with |p - 0.5| >= {margin}",
                           accuracies, time.perf_counter() - started)  # fmt: skip
            for what, x, y in trials[:2]:  # the same n-gram ids, NB ratios from true labels
                started = time.perf_counter()
                accuracies = keras_student(
                    "hybrid", encoder, x, y, x_val, y_val, args.epochs, (x_fit, y_fit)
                )
                record(f"nbsvm + n-gram vectors' network: {what}", accuracies,
                       time.perf_counter() - started)  # fmt: skip
            started = time.perf_counter()
            accuracy = ridge_student(
                x_fit, y_fit, x_soft, logit(y_soft), x_val, y_val, encoder.vocabulary_size
            )
            record("ridge on teacher's logits, training + unlabeled", [accuracy],
                   time.perf_counter() - started)  # fmt: skip
    # The fast family's form again with the n-gram vocabulary counted on train + unsup,
    # so n-grams seen only in unlabeled reviews get weights from the teacher's scores.
    started = time.perf_counter()
    tokens = tokenize_corpus(list(train_all.texts) + list(unsup.texts))
    encoder = make_encoder(get_family("nbsvm").defaults["encoder"]).fit(tokens)
    x_fit, x_unsup, x_val = (encoder.transform(d.encodable) for d in (fit, unsup, validation))
    for what, x, y in (
        ("true labels, training reviews", x_fit, y_fit),
        ("true labels + teacher's scores on unlabeled at weight 1.0, ratios from both",
         np.concatenate([x_fit, x_unsup]), np.concatenate([y_fit, p_unsup]).astype("float32")),
    ):  # fmt: skip
        accuracies = keras_student("nbsvm", encoder, x, y, x_val, y_val, args.epochs)
        record(f"nbsvm, vocabulary of train + unsup ({encoder.vocabulary_size:,} n-grams): "
               f"{what}", accuracies, time.perf_counter() - started)  # fmt: skip
        started = time.perf_counter()
    write_study_results(
        "distil_study",
        {
            "teacher": {
                "validation_accuracy": teacher.card.metrics["validation"]["accuracy"],
                "members": {k: v["validation_accuracy"] for k, v in teacher.card.members.items()},
                "scoring_seconds": round(teacher_seconds, 1),
            },
            "unlabeled": len(unsup),
            "unlabeled_sure": int(sure.sum()),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    run_main(main)
