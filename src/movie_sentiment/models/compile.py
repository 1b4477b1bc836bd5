"""The one way every family compiles: Adam, binary cross-entropy, accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def compile_binary(model: keras.Model, learning_rate: float = 0.001) -> keras.Model:
    """Compile ``model`` as the notebooks do (Adam's default rate is 0.001) and return it."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
