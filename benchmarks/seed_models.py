"""Seed models: our pipeline against the notebooks' own code, same data, same run.

For each of the two notebooks, this trains the model twice per repeat:

* **ours**: ``movie_sentiment.training.train`` (cache -> encoder -> model -> fit ->
  metrics, plots -> saved bundle), with the family's defaults;
* **reference**: the notebook's cells written directly against ``keras``, with the one
  import the notebooks need changed (``from movie_sentiment.data import imdb`` in place
  of ``keras.datasets.imdb``, which cannot download here), ending in ``model.save``.

Both start from a warm data cache (the one-time parse is measured by data_loading.py).
Prints a table of test accuracy, end-to-end seconds and ours/reference ratios, and writes
benchmarks/results/seed_models.json.

    python benchmarks/seed_models.py [--repeats 3] [--data PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import default_data, peak_memory_mib, write_results  # noqa: E402

from movie_sentiment.data import imdb  # noqa: E402
from movie_sentiment.training import TrainConfig, train  # noqa: E402


def reference_tutorial(data: str, out: Path, seed: int) -> float:
    """The TensorFlow notebook, cell by cell (tf.keras -> keras 3 names)."""
    import keras  # after movie_sentiment, which picks the default backend

    keras.utils.set_random_seed(seed)
    (train_data, train_labels), (test_data, test_labels) = imdb.load_data(data, num_words=10000)
    word_index = imdb.get_word_index(data)
    word_index = {k: (v + 3) for k, v in word_index.items()}
    word_index["<PAD>"], word_index["<START>"], word_index["<UNK>"], word_index["<UNUSED>"] = (
        0,
        1,
        2,
        3,
    )
    train_data = keras.utils.pad_sequences(train_data, value=0, padding="post", maxlen=256)
    test_data = keras.utils.pad_sequences(test_data, value=0, padding="post", maxlen=256)
    model = keras.Sequential()
    model.add(keras.Input(shape=(256,), dtype="int32"))
    model.add(keras.layers.Embedding(10000, 16))
    model.add(keras.layers.GlobalAveragePooling1D())
    model.add(keras.layers.Dense(16, activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x_val, partial_x_train = train_data[:10000], train_data[10000:]
    y_val, partial_y_train = train_labels[:10000], train_labels[10000:]
    model.fit(
        partial_x_train,
        partial_y_train,
        epochs=40,
        batch_size=512,
        validation_data=(x_val, y_val),
        verbose=0,
    )
    _, accuracy = model.evaluate(test_data, test_labels, verbose=0)
    model.save(out / "tutorial.keras")
    return float(accuracy)


def reference_mslearn(data: str, out: Path, seed: int) -> float:
    """The Microsoft Learn unit, cell by cell (validates on the test set, as it does)."""
    import keras

    keras.utils.set_random_seed(seed)
    top_words = 10000
    (x_train, y_train), (x_test, y_test) = imdb.load_data(data, num_words=top_words)
    max_review_length = 500
    x_train = keras.utils.pad_sequences(x_train, maxlen=max_review_length)
    x_test = keras.utils.pad_sequences(x_test, maxlen=max_review_length)
    model = keras.Sequential()
    model.add(keras.Input(shape=(max_review_length,), dtype="int32"))
    model.add(keras.layers.Embedding(top_words, 32))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(16, activation="relu"))
    model.add(keras.layers.Dense(16, activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(
        x_train, y_train, validation_data=(x_test, y_test), epochs=5, batch_size=128, verbose=0
    )
    scores = model.evaluate(x_test, y_test, verbose=0)
    model.save(out / "mslearn.keras")
    return float(scores[1])


CASES = [
    # (row name, our config overrides, reference function or None)
    # the notebook's data alone, like for like (our default adds short examples)
    ("tutorial", {"family": "tutorial", "sentence_examples": 0}, reference_tutorial),
    ("mslearn", {"family": "mslearn"}, None),  # our default: validation carved from train
    (
        "mslearn --validate-on-test",
        {"family": "mslearn", "validate_on_test": True},
        reference_mslearn,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", default=default_data())
    args = parser.parse_args()
    imdb.load_reviews("train", args.data)  # warm the cache for both sides

    rows = []
    for name, overrides, reference in CASES:
        ours_acc, ours_sec, ref_acc, ref_sec = [], [], [], []
        for repeat in range(args.repeats):
            seed = 42 + repeat
            with tempfile.TemporaryDirectory() as scratch:
                start = time.perf_counter()
                result = train(
                    TrainConfig(
                        data=args.data, out=f"{scratch}/run", seed=seed, verbose=0, **overrides
                    )
                )
                ours_sec.append(time.perf_counter() - start)
                ours_acc.append(result.metrics["test"]["accuracy"])
                if reference is not None:
                    start = time.perf_counter()
                    ref_acc.append(reference(args.data, Path(scratch), seed))
                    ref_sec.append(time.perf_counter() - start)
            print(
                f"  {name} seed {seed}: ours {ours_acc[-1]:.4f} in {ours_sec[-1]:.1f}s"
                + (f", reference {ref_acc[-1]:.4f} in {ref_sec[-1]:.1f}s" if ref_acc else ""),
                flush=True,
            )
        row = {
            "model": name,
            "ours_test_accuracy": statistics.mean(ours_acc),
            "ours_test_accuracy_min": min(ours_acc),
            "ours_seconds": statistics.median(ours_sec),
            "ours_runs": [
                {"accuracy": a, "seconds": round(s, 2)}
                for a, s in zip(ours_acc, ours_sec, strict=True)
            ],
        }
        if ref_acc:
            row.update(
                reference_test_accuracy=statistics.mean(ref_acc),
                reference_seconds=statistics.median(ref_sec),
                seconds_ratio_ours_to_reference=statistics.median(ours_sec)
                / statistics.median(ref_sec),
                reference_runs=[
                    {"accuracy": a, "seconds": round(s, 2)}
                    for a, s in zip(ref_acc, ref_sec, strict=True)
                ],
            )
        rows.append(row)

    print(f"\n{'model':<28} {'ours acc':>9} {'ref acc':>8} {'ours s':>7} {'ref s':>7} {'ratio':>6}")
    for row in rows:
        reference_cells = ("", "", "")
        if "reference_test_accuracy" in row:
            reference_cells = (
                f"{row['reference_test_accuracy']:.4f}",
                f"{row['reference_seconds']:.1f}",
                f"{row['seconds_ratio_ours_to_reference']:.2f}",
            )
        print(
            f"{row['model']:<28} {row['ours_test_accuracy']:>9.4f} {reference_cells[0]:>8} "
            f"{row['ours_seconds']:>7.1f} {reference_cells[1]:>7} {reference_cells[2]:>6}"
        )
    write_results(
        "seed_models", {"repeats": args.repeats, "rows": rows, "peak_memory_mib": peak_memory_mib()}
    )


if __name__ == "__main__":
    main()
