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
from movie_sentiment.text.tokenize import Tokenized, tokenize_corpus


class MultiEncoder:
    """Several encoders side by side, one per member of an ensemble: ``transform`` gives
    one input array per member. Raw text is tokenized once and shared by all members."""

    kind = "multi"

    def __init__(self, encoders: list):
        self.encoders = list(encoders)

    def transform(self, texts) -> list[np.ndarray]:
        tokens = texts if isinstance(texts, Tokenized) else tokenize_corpus(texts)
        return [encoder.transform(tokens) for encoder in self.encoders]

    def to_dict(self) -> dict:
        return {"members": [{"kind": e.kind, **e.to_dict()} for e in self.encoders]}

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            f"member{i}_{name}": array
            for i, encoder in enumerate(self.encoders)
            for name, array in encoder.arrays().items()
        }

    @classmethod
    def from_parts(cls, data: dict, arrays: dict[str, np.ndarray]) -> MultiEncoder:
        encoders = []
        for i, member in enumerate(data["members"]):
            member = dict(member)
            prefix = f"member{i}_"
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            encoders.append(ENCODER_KINDS[member.pop("kind")].from_parts(member, own))
        return cls(encoders)


ENCODER_KINDS = {cls.kind: cls for cls in (TextEncoder, NgramEncoder, MultiEncoder)}
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
