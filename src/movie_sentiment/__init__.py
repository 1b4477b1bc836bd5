"""movie-sentiment: the Keras IMDB sentiment tutorials as a dependable library and CLI.

Keras 3 runs on the JAX backend by default here (the fastest on a CPU); a user's own
``KERAS_BACKEND`` always wins. The default is set before anything imports Keras.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

__version__ = "0.1.0"

__all__ = ["__version__"]
