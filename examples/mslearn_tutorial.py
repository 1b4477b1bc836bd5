"""The Microsoft Learn "sentiment analysis with Keras" unit, step by step, on movie-sentiment.

Run:  python examples/mslearn_tutorial.py [--data PATH/aclImdb_v1.tar.gz] [--validate-on-test]

The unit validates on the test set while training; we validate on 5,000 reviews carved
from train unless --validate-on-test asks for the notebook's exact choice.
"""

import argparse

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.data import imdb
from movie_sentiment.text import pad_sequences
from movie_sentiment.training import TrainConfig, train

parser = argparse.ArgumentParser()
parser.add_argument("--data", help="aclImdb_v1.tar.gz (default: $MOVIE_SENTIMENT_DATA)")
parser.add_argument("--validate-on-test", action="store_true")
args = parser.parse_args()

# Load the data: 10,000 most frequent words.
top_words = 10000
(x_train, y_train), (x_test, y_test) = imdb.load_data(args.data, num_words=top_words)
print("First review as ids:", x_train[0][:20], "...")

# The dictionary and a review back in words (">" start, "?" unknown in the unit).
word_dict = imdb.get_word_index(args.data)
print("Words in the dictionary:", len(word_dict))
print(imdb.decode_review(x_train[0], word_index=word_dict)[:300], "...")

# Pad/cut every review to 500 ids (Keras' default: at the start).
max_review_length = 500
x_train = pad_sequences(x_train, maxlen=max_review_length)
print("Padded shape:", x_train.shape)

# Build (Embedding 32, Flatten, Dense 16 x2, sigmoid), train 5 epochs of 128, evaluate.
result = train(
    TrainConfig(family="mslearn", data=args.data, validate_on_test=args.validate_on_test)
)
history = result.history
print("Training accuracy per epoch:  ", [round(a, 4) for a in history["accuracy"]])
print("Validation accuracy per epoch:", [round(a, 4) for a in history["val_accuracy"]])
print(f"Accuracy: {result.metrics['test']['accuracy'] * 100:.2f}%")
print(f"Accuracy and loss charts: {result.run_dir / 'accuracy.png'}, {result.run_dir / 'loss.png'}")

# Score new text with the saved bundle (encoder + model together).
model = SentimentModel.load(result.bundle_dir)
for review in ["Excellent movie! Loved every minute.", "Boring, predictable and far too long."]:
    prediction = model.predict([review])[0]
    print(f"{prediction.probability:.4f} {prediction.label:<8} {review}")
