"""Both tutorials' code, run as a notebook user runs it: ``import keras`` first, then the
notebook's cells with only the dataset import changed (``from movie_sentiment.data
import imdb`` for ``keras.datasets.imdb``), in a fresh process set up as the README says
(``KERAS_BACKEND=jax``; the data from ``MOVIE_SENTIMENT_DATA``).

The cells are written in Keras 3's spelling (``activation="relu"`` for ``tf.nn.relu``,
``history["accuracy"]`` for ``"acc"``); the sizes are scaled down to the small archive
(20 validation reviews, a few epochs).
"""

import os
import subprocess
import sys

TENSORFLOW_NOTEBOOK = """
import keras
import numpy as np
from movie_sentiment.data import imdb  # the one changed line: imdb = keras.datasets.imdb

(train_data, train_labels), (test_data, test_labels) = imdb.load_data(num_words=10000)
print("Training entries: {}, labels: {}".format(len(train_data), len(train_labels)))
word_index = imdb.get_word_index()
word_index = {k: (v + 3) for k, v in word_index.items()}
word_index["<PAD>"] = 0
word_index["<START>"] = 1
word_index["<UNK>"] = 2
word_index["<UNUSED>"] = 3
reverse_word_index = dict([(value, key) for (key, value) in word_index.items()])
def decode_review(text):
    return " ".join([reverse_word_index.get(i, "?") for i in text])
assert decode_review(train_data[0]).startswith("<START> ")
train_data = keras.preprocessing.sequence.pad_sequences(
    train_data, value=word_index["<PAD>"], padding="post", maxlen=256)
test_data = keras.preprocessing.sequence.pad_sequences(
    test_data, value=word_index["<PAD>"], padding="post", maxlen=256)
assert len(train_data[0]) == len(train_data[1]) == 256
vocab_size = 10000
model = keras.Sequential()
model.add(keras.layers.Embedding(vocab_size, 16))
model.add(keras.layers.GlobalAveragePooling1D())
model.add(keras.layers.Dense(16, activation="relu"))
model.add(keras.layers.Dense(1, activation="sigmoid"))
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
x_val, partial_x_train = train_data[:VALIDATION], train_data[VALIDATION:]
y_val, partial_y_train = train_labels[:VALIDATION], train_labels[VALIDATION:]
history = model.fit(partial_x_train, partial_y_train, epochs=EPOCHS, batch_size=512,
                    validation_data=(x_val, y_val), verbose=0)
results = model.evaluate(test_data, test_labels, verbose=0)
print("tensorflow notebook:", keras.backend.backend(), len(history.history["val_accuracy"]),
      results)
"""

MSLEARN_NOTEBOOK = """
import keras
from movie_sentiment.data import imdb  # the one changed line: from keras.datasets import imdb
top_words = 10000
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=top_words)
word_dict = imdb.get_word_index()
word_dict = {key: (value + 3) for key, value in word_dict.items()}
word_dict[""] = 0  # Padding
word_dict[">"] = 1  # Start
word_dict["?"] = 2  # Unknown word
reverse_word_dict = {value: key for key, value in word_dict.items()}
print(" ".join(reverse_word_dict[id] for id in x_train[0])[:60])
from keras.preprocessing import sequence
max_review_length = 500
x_train = sequence.pad_sequences(x_train, maxlen=max_review_length)
x_test = sequence.pad_sequences(x_test, maxlen=max_review_length)
from keras.models import Sequential
from keras.layers import Dense, Embedding, Flatten
embedding_vector_length = 32
model = Sequential()
model.add(keras.Input(shape=(max_review_length,)))
model.add(Embedding(top_words, embedding_vector_length))
model.add(Flatten())
model.add(Dense(16, activation="relu"))
model.add(Dense(16, activation="relu"))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
assert model.count_params() == 576305
hist = model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=EPOCHS,
                 batch_size=128, verbose=0)
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
acc = hist.history["accuracy"]
val = hist.history["val_accuracy"]
epochs = range(1, len(acc) + 1)
plt.plot(epochs, acc, "-", label="Training accuracy")
plt.plot(epochs, val, ":", label="Validation accuracy")
plt.title("Training and Validation Accuracy")
scores = model.evaluate(x_test, y_test, verbose=0)
print("mslearn notebook: Accuracy: %.2f%%" % (scores[1] * 100))
"""


def test_both_notebooks_run_with_keras_imported_first(small_archive, tmp_path):
    script = tmp_path / "notebooks.py"
    script.write_text(
        "VALIDATION, EPOCHS = 20, 3\n" + TENSORFLOW_NOTEBOOK + MSLEARN_NOTEBOOK, encoding="utf-8"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "MOVIE_SENTIMENT_DATA": str(small_archive)}
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Training entries: 80, labels: 80" in lines
    assert any(line.startswith("tensorflow notebook: jax 3 [") for line in lines)
    assert any(line.startswith("mslearn notebook: Accuracy: ") for line in lines)
