"""Do the star ratings help as an auxiliary output? Validation only: test is never scored.

Issue 12 asked to try the 1-10 star ratings (a training target of the stars model) as a
second output of an ensemble member. Each trial adds a linear head beside the member's
sigmoid, reading the same last hidden layer (the cnn's pooled filters, fastText's mean
vector), trained on the training reviews' ratings scaled to -1..1 with mean squared error
at ``weight`` beside the binary loss (weight 0: the member as it is). The member's
validation accuracy is read at the epoch of lowest validation binary loss (as
``checkpoint`` keeps); the three-member ensemble's with the weights fit by 10-fold
cross-validation inside the validation split (``member_study.cross_validated_accuracy``).
The members train as ``best`` trains them (no short examples), seed 42, 2,500 validation
reviews carved from train.

    python benchmarks/studies/aux_stars_study.py [--data PATH] [--weights 0,0.3,1]
        [--families cnn,fasttext]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common
from _common import (  # noqa: E402
    default_data,
    epochs_by_validation_loss,
    peak_memory_mib,
    write_study_results,
)
from member_study import cross_validated_accuracy  # noqa: E402

from movie_sentiment.evaluation.probability import accuracy  # noqa: E402
from movie_sentiment.models import get_family  # noqa: E402
from movie_sentiment.text.persist import make_encoder  # noqa: E402
from movie_sentiment.training import TrainConfig  # noqa: E402
from movie_sentiment.training.fitting import fit_member  # noqa: E402
from movie_sentiment.training.splits import load_splits  # noqa: E402

SEED, VALIDATION_SIZE = 42, 2500


def with_stars_head(model, weight: float, learning_rate: float):
    """``model`` with a second, linear output reading its last hidden layer (the input of
    its "probability" layer), compiled with the stars' squared error at ``weight``."""
    import keras

    hidden = model.get_layer("probability").input
    stars = keras.layers.Dense(1, name="stars")(hidden)
    both = keras.Model(model.inputs, [model.output, stars], name=model.name)
    both.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss={"probability": "binary_crossentropy", "stars": "mean_squared_error"},
        loss_weights={"probability": 1.0, "stars": weight},
    )
    return both


def trial(family: str, weight: float, splits) -> dict:
    """The member of ``family`` trained with the stars head at ``weight``: its validation
    probabilities at the epoch of lowest validation binary loss, per-epoch figures."""
    import keras

    settings = TrainConfig(family=family, seed=SEED, sentence_examples=0).resolved()
    keras.utils.set_random_seed(SEED)
    spec = get_family(family)
    encoder = make_encoder(settings["encoder"]).fit(splits.train_all.encodable)
    x_fit, x_val = (encoder.transform(d.encodable) for d in (splits.fit, splits.validation))
    y_fit, y_val = splits.fit.labels.astype("float32"), splits.validation.labels
    stars = ((splits.fit.ratings.astype("float32") - 5.5) / 4.5)[:, None]
    options = settings["family_options"]
    model = spec.build(options, encoder)
    if spec.initialize is not None:
        spec.initialize(model, x_fit, y_fit, options, encoder=encoder, splits=splits)
    both = with_stars_head(model, weight, options["learning_rate"])
    training = settings["training"]
    started = time.perf_counter()
    epochs, kept, p = epochs_by_validation_loss(
        lambda: both.fit(
            x_fit, {"probability": y_fit, "stars": stars},
            epochs=1, batch_size=training["batch_size"], verbose=0,
        ),  # fmt: skip
        model, x_val, y_val, training["epochs"], f"{family} stars weight {weight}",
    )  # fmt: skip
    return {
        "family": family,
        "stars_weight": weight,
        "epoch_kept": kept,
        "validation_accuracy": accuracy(y_val, p),
        "epochs": epochs,
        "seconds": round(time.perf_counter() - started, 1),
        "probabilities": p,
    }


def main() -> None:
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--weights", default="0,0.3,1")
    parser.add_argument("--families", default="cnn,fasttext")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    families = args.families.split(",")
    splits = load_splits(TrainConfig(family="nbsvm", data=args.data, seed=SEED), VALIDATION_SIZE)
    labels = splits.validation.labels
    keras.utils.set_random_seed(SEED)
    nbsvm_config = TrainConfig(family="nbsvm")
    nbsvm = fit_member(nbsvm_config.family_entry, nbsvm_config.resolved(), splits, verbose=0)
    nbsvm_p = nbsvm.keras_model.predict(nbsvm.x_validation, batch_size=512, verbose=0).ravel()
    print(f"nbsvm: validation {accuracy(labels, nbsvm_p):.4f}", flush=True)
    rows = {family: [trial(family, w, splits) for w in weights] for family in families}
    for row in (r for family_rows in rows.values() for r in family_rows):
        print(f"{row['family']} stars weight {row['stars_weight']}: validation "
              f"{row['validation_accuracy']:.4f} (epoch {row['epoch_kept']})")  # fmt: skip
    sets = []
    if set(families) == {"cnn", "fasttext"}:
        plain = {family: rows[family][0]["probabilities"] for family in families}
        for family in families:
            for row in rows[family]:
                members = {**plain, family: row["probabilities"]}
                columns = np.column_stack([nbsvm_p, members["fasttext"], members["cnn"]])
                sets.append(
                    {
                        "changed": family,
                        "stars_weight": row["stars_weight"],
                        "ensemble_validation_accuracy_cv": cross_validated_accuracy(
                            columns, labels
                        ),
                    }
                )
                figure = sets[-1]["ensemble_validation_accuracy_cv"]
                print(f"nbsvm + fasttext + cnn, {family} at stars weight "
                      f"{row['stars_weight']}: {figure:.4f}")  # fmt: skip
    for family_rows in rows.values():
        for row in family_rows:
            del row["probabilities"]
    write_study_results(
        "aux_stars_study",
        {
            "seed": SEED,
            "validation_reviews": VALIDATION_SIZE,
            "nbsvm_validation_accuracy": accuracy(labels, nbsvm_p),
            "members": [r for family_rows in rows.values() for r in family_rows],
            "ensembles": sets,
            "peak_memory_mib": peak_memory_mib(),
        },
    )


if __name__ == "__main__":
    main()
