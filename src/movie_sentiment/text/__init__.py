"""Text to integer ids: normalization, tokenization, vocabulary, padding."""

from movie_sentiment.text.encoder import TextEncoder
from movie_sentiment.text.padding import pad_sequences
from movie_sentiment.text.tokenize import Tokenized, normalize, tokenize, tokenize_corpus

__all__ = ["TextEncoder", "Tokenized", "normalize", "pad_sequences", "tokenize", "tokenize_corpus"]
