"""``SentimentModel``: the Keras model, the ``TextEncoder`` that feeds it, and a model card,
saved together as one folder and loaded back with Keras' ``safe_mode``.

Layout of a bundle folder::

    model.keras     the Keras model (architecture + weights)
    encoder.json    the text encoder (kind, settings, vocabulary)
    encoder.npz     the encoder's large arrays (n-gram tables), for n-gram models
    card.json       format marker, training config, data checksum, metrics, versions
"""

from __future__ import annotations

import json
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movie_sentiment.errors import BundleError, ConfigError, InvalidInputError
from movie_sentiment.evaluation.calibration import apply_temperature
from movie_sentiment.paths import atomic_directory
from movie_sentiment.text.persist import load_encoder, save_encoder

BUNDLE_FORMAT = "movie-sentiment-bundle"
BUNDLE_VERSION = 1
MODEL_FILE, ENCODER_FILE, CARD_FILE = "model.keras", "encoder.json", "card.json"


@dataclass(frozen=True)
class Prediction:
    """One review's score: ``label`` is "positive" or "negative"."""

    label: str
    positive_probability: float

    def to_dict(self) -> dict:
        return {"label": self.label, "positive_probability": self.positive_probability}


def library_versions() -> dict:
    """Versions that decide whether a bundle loads and scores the same elsewhere."""
    import keras
    import sklearn

    from movie_sentiment import __version__

    versions = {
        "movie_sentiment": __version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "python": platform.python_version(),
    }
    if versions["backend"] == "jax":
        import jax

        versions["jax"] = jax.__version__
    return versions


def validate_texts(texts: Sequence[str]) -> list[str]:
    """Reject what cannot be scored, naming the review: not text, empty, whitespace only."""
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    if not texts:
        raise InvalidInputError("no reviews given")
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise InvalidInputError(f"review {number} is not text but {type(text).__name__}")
        if not text.strip():
            raise InvalidInputError(f"review {number} is empty or whitespace only")
    return texts


class SentimentModel:
    """A trained sentiment classifier: raw text in, probability of positive out.

    >>> model = SentimentModel.load("runs/tutorial-.../bundle")
    >>> model.predict(["An absolute delight.", "Two hours I will never get back."])
    [Prediction(label='positive', ...), Prediction(label='negative', ...)]
    """

    def __init__(self, keras_model, encoder, card: dict | None = None):
        self.keras_model = keras_model
        self.encoder = encoder
        self.card = dict(card or {})

    # -- scoring --------------------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """Probability of positive for each text, as a float array."""
        texts = validate_texts(texts)
        return self.predict_encoded(self.encoder.transform(texts), batch_size)

    @property
    def temperature(self) -> float:
        """Temperature fit on validation at training time (1.0: uncalibrated)."""
        return float(self.card.get("calibration", {}).get("temperature", 1.0))

    def predict_encoded(self, ids, batch_size: int = 512, calibrated: bool = True) -> np.ndarray:
        """Probability of positive for already encoded (padded) ids, temperature-scaled
        unless ``calibrated`` is False."""
        count = len(ids[0]) if isinstance(ids, list) else len(ids)  # ensembles take a list
        if count <= batch_size:
            # One direct call: no data-adapter overhead, the fast path for a few texts.
            outputs = self.keras_model(ids, training=False)
        else:
            # Keras' compiled predict loop, about twice as fast on many texts. Rows are padded
            # to whole batches: a last, shorter batch would be compiled again for its shape
            # (0.3 s, more than scoring 5,000 reviews takes).
            padding = -count % batch_size
            if padding:
                ids = (
                    [_pad_rows(part, padding) for part in ids]
                    if isinstance(ids, list)
                    else (_pad_rows(ids, padding))
                )
            outputs = self.keras_model.predict(ids, batch_size=batch_size, verbose=0)[:count]
        probabilities = np.asarray(outputs).reshape(-1).astype(np.float64)
        if calibrated and self.temperature != 1.0:
            probabilities = apply_temperature(probabilities, self.temperature)
        return probabilities

    def predict(self, texts: Sequence[str], threshold: float = 0.5) -> list[Prediction]:
        """Label and probability of positive for each text."""
        return [
            Prediction("positive" if p >= threshold else "negative", float(p))
            for p in self.predict_proba(texts)
        ]

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path, force: bool = False) -> Path:
        """Write the bundle folder atomically: complete, or not there at all."""
        card = {
            **self.card,
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_VERSION,
            "versions": library_versions(),
        }
        with atomic_directory(Path(path), force=force) as staging:
            _inference_copy(self.keras_model).save(staging / MODEL_FILE)
            save_encoder(self.encoder, staging)
            (staging / CARD_FILE).write_text(json.dumps(card, indent=2, default=str))
        self.card = card
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> SentimentModel:
        """Read a bundle folder; a one-line ``BundleError`` for anything that is not one."""
        import keras

        path = Path(path)
        if not path.exists():
            raise BundleError(f"no model bundle at {path}")
        if path.is_dir() and (path / "bundle" / CARD_FILE).exists():
            path = path / "bundle"  # a run folder: use the bundle inside it
        if not path.is_dir() or not (path / CARD_FILE).exists():
            raise BundleError(f"{path} is not a movie-sentiment model bundle (no {CARD_FILE})")
        try:
            card = json.loads((path / CARD_FILE).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BundleError(f"{path / CARD_FILE} is damaged: {error}") from None
        if not isinstance(card, dict) or card.get("format") != BUNDLE_FORMAT:
            raise BundleError(f"{path} is not a movie-sentiment model bundle (foreign {CARD_FILE})")
        if card.get("format_version", 0) > BUNDLE_VERSION:
            raise BundleError(f"{path} was written by a newer movie-sentiment; upgrade to load it")
        for name in (MODEL_FILE, ENCODER_FILE):
            if not (path / name).is_file():
                raise BundleError(f"the bundle at {path} is incomplete: {name} is missing")
        try:
            encoder = load_encoder(path)
        except (InvalidInputError, ConfigError, TypeError) as error:
            raise BundleError(f"{path / ENCODER_FILE} is damaged: {error}") from None
        _register_custom_objects()
        try:
            keras_model = keras.saving.load_model(path / MODEL_FILE, safe_mode=True)
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise BundleError(f"{path / MODEL_FILE} is damaged or truncated: {reason}") from None
        return cls(keras_model, encoder, card)


def _pad_rows(array: np.ndarray, rows: int) -> np.ndarray:
    return np.concatenate([array, np.zeros((rows, *array.shape[1:]), dtype=array.dtype)])


def _without_compile_configs(config):
    """A model config with every nested ``compile_config`` removed."""
    if isinstance(config, dict):
        return {k: _without_compile_configs(v) for k, v in config.items() if k != "compile_config"}
    if isinstance(config, list):
        return [_without_compile_configs(v) for v in config]
    return config


def _inference_copy(model):
    """The model without its training state: Keras saves a compiled model's optimizer
    (two Adam moments per weight), which triples the bundle of an embedding model.
    Rebuilt from its config with no compile settings anywhere (members of an ensemble
    carry their own), so neither the copy nor a nested model builds an optimizer."""
    copy = type(model).from_config(_without_compile_configs(model.get_config()))
    copy.set_weights(model.get_weights())
    return copy


def _register_custom_objects() -> None:
    """Import the model families so their custom layers are registered with Keras."""
    import movie_sentiment.models  # noqa: F401
