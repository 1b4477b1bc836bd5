"""Encoders by kind: build one from settings, save it into a folder, load it back.

``encoder.json`` holds the kind and the settings (and small learned state such as a word
list); ``encoder.npz`` holds large learned arrays (n-gram tables), when there are any.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from movie_sentiment.errors import ConfigError, InvalidInputError
from movie_sentiment.text.encoder import TextEncoder
from movie_sentiment.text.ngrams import NgramEncoder

ENCODER_KINDS = {cls.kind: cls for cls in (TextEncoder, NgramEncoder)}
JSON_FILE, ARRAYS_FILE = "encoder.json", "encoder.npz"


def make_encoder(settings: dict):
    """An unfitted encoder from settings; ``kind`` picks the class (default ``words``)."""
    settings = dict(settings)
    kind = settings.pop("kind", "words")
    if kind not in ENCODER_KINDS:
        raise ConfigError(f"unknown encoder kind {kind!r}; choose one of {sorted(ENCODER_KINDS)}")
    try:
        return ENCODER_KINDS[kind](**settings)
    except TypeError as error:
        raise ConfigError(f"bad {kind} encoder settings: {error}") from None


def save_encoder(encoder, folder: Path) -> None:
    folder = Path(folder)
    payload = {"kind": encoder.kind, **encoder.to_dict()}
    (folder / JSON_FILE).write_text(json.dumps(payload, ensure_ascii=False))
    arrays = encoder.arrays()
    if arrays:
        np.savez(folder / ARRAYS_FILE, **arrays)


def load_encoder(folder: Path):
    folder = Path(folder)
    try:
        data = json.loads((folder / JSON_FILE).read_text(encoding="utf-8"))
        arrays = {}
        if (folder / ARRAYS_FILE).exists():
            with np.load(folder / ARRAYS_FILE, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InvalidInputError(f"cannot read the text encoder in {folder}: {error}") from None
    kind = data.pop("kind", "words") if isinstance(data, dict) else None
    if kind not in ENCODER_KINDS:
        raise InvalidInputError(f"{folder / JSON_FILE} holds no known encoder")
    return ENCODER_KINDS[kind].from_parts(data, arrays)
