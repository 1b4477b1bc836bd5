"""The TensorFlow "Basic text classification" notebook, step by step, on movie-sentiment.

Run:  python examples/tensorflow_tutorial.py [--data PATH/aclImdb_v1.tar.gz]

Steps 1-5 use the Keras view of the data, exactly as the notebook does (only the import
changes); steps 6-9 are one call to our training pipeline, which keeps the encoder with
the model so that new text can be scored afterwards.
"""

import argparse

# Step 1: import libraries (movie_sentiment first: it selects Keras' JAX backend).
from movie_sentiment.data import imdb
from movie_sentiment.text import pad_sequences
from movie_sentiment.training import TrainConfig, train

parser = argparse.ArgumentParser()
parser.add_argument("--data", help="aclImdb_v1.tar.gz (default: $MOVIE_SENTIMENT_DATA)")
parser.add_argument("--epochs", type=int, default=40)
data = parser.parse_args().data
epochs = parser.parse_args().epochs

# Step 2: the IMDB dataset, the 10,000 most frequent words.
(train_data, train_labels), (test_data, test_labels) = imdb.load_data(data, num_words=10000)

# Step 3: explore the data.
print(f"Training entries: {len(train_data)}, labels: {len(train_labels)}")
print(train_data[0][:20], "...")
print("Lengths of the first two reviews:", len(train_data[0]), len(train_data[1]))

# Step 4: convert the integers back to words.
word_index = imdb.get_word_index(data)
print(imdb.decode_review(train_data[0], word_index=word_index)[:300], "...")

# Step 5: prepare the data: pad (after the words) to 256 ids.
train_padded = pad_sequences(train_data, value=0, padding="post", maxlen=256)
print("Padded lengths:", len(train_padded[0]), len(train_padded[1]))

# Steps 6-9: build the model (Embedding 16, average pooling, Dense 16, sigmoid), set
# apart 10,000 validation reviews, train 40 epochs of 512, evaluate on the test set.
result = train(TrainConfig(family="tutorial", data=data, epochs=epochs))
print(f"Validation accuracy: {result.metrics['validation']['accuracy']:.4f}")
print(f"Test loss: {result.metrics['test']['loss']:.4f}")
print(f"Test accuracy: {result.metrics['test']['accuracy']:.4f}  (the notebook: about 0.87)")
print(f"Curves: {result.run_dir / 'accuracy.png'}, {result.run_dir / 'loss.png'}")
print(f"Saved bundle: {result.bundle_dir}")
