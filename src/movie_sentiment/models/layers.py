"""Custom Keras layers of the model families, registered so bundles load in safe mode."""

from __future__ import annotations

import keras
from keras import ops

from movie_sentiment.evaluation.probability import EPSILON


@keras.saving.register_keras_serializable(package="movie_sentiment")
class NaiveBayesLinear(keras.layers.Layer):
    """The NBSVM / NB-LR score of a bag of feature ids: ``sum_j r[f_j] * w[f_j] + b``.

    ``r`` holds the naive-Bayes log-count ratios (frozen, set from the training split by
    ``set_ratios``), ``w`` the trainable weights (start at ``initial_weight``), id 0 pads
    and scores nothing. Returns the logit, shape ``(batch, 1)``.
    """

    def __init__(self, num_features: int, initial_weight: float = 1.0, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_features = num_features
        self.initial_weight = initial_weight
        self.l2 = l2

    def build(self, input_shape):
        self.ratios = self.add_weight(
            name="ratios", shape=(self.num_features,), initializer="zeros", trainable=False
        )
        self.weights_ = self.add_weight(
            name="weights",
            shape=(self.num_features,),
            initializer=keras.initializers.Constant(self.initial_weight),
            regularizer=keras.regularizers.L2(self.l2) if self.l2 else None,
        )
        self.bias = self.add_weight(name="bias", shape=(1,), initializer="zeros")

    def set_ratios(self, ratios) -> None:
        ratios = ops.convert_to_numpy(ratios).astype("float32").copy()
        ratios[0] = 0.0  # padding
        self.ratios.assign(ratios)

    def call(self, ids):
        contribution = ops.take(self.ratios * self.weights_, ids, axis=0)
        return ops.sum(contribution, axis=-1, keepdims=True) + self.bias

    def get_config(self):
        return {
            **super().get_config(),
            "num_features": self.num_features,
            "initial_weight": self.initial_weight,
            "l2": self.l2,
        }


@keras.saving.register_keras_serializable(package="movie_sentiment")
class ProbabilityToLogit(keras.layers.Layer):
    """``log(p / (1 - p))`` of a probability, clipped ``EPSILON`` away from 0 and 1: the
    Keras twin of ``evaluation.probability.logit(p, np.float32)``."""

    def call(self, probability):
        p = ops.clip(probability, EPSILON, 1 - EPSILON)
        return ops.log(p) - ops.log1p(-p)


@keras.saving.register_keras_serializable(package="movie_sentiment")
class MaskedMean(keras.layers.Layer):
    """Mean of the vectors whose id is not 0 (padding); a review with no known n-gram
    gets the zero vector instead of Keras' 0/0 = NaN for a fully masked average."""

    def call(self, inputs):
        vectors, ids = inputs
        present = ops.expand_dims(ops.cast(ops.not_equal(ids, 0), vectors.dtype), -1)
        total = ops.sum(vectors * present, axis=1)
        return total / ops.maximum(ops.sum(present, axis=1), 1.0)
