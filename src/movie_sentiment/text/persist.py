"""Encoders by kind: build one from settings, save it into a folder, load it back.

``encoder.json`` holds the kind and the settings (and small learned state such as a word
list); ``encoder.npz`` holds large learned arrays (n-gram tables), when there are any.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from movie_sentiment.checks import from_settings
from movie_sentiment.errors import ConfigError, InvalidDataError
from movie_sentiment.text.encoder import TextEncoder
from movie_sentiment.text.ngrams import NgramEncoder
from movie_sentiment.text.tokenize import as_tokens


class MultiEncoder:
    """Several encoders side by side, one per member of an ensemble: ``transform`` gives
    one input array per member. Raw text is tokenized once and shared by all members."""

    kind = "multi"

    def __init__(self, encoders: list):
        self.encoders = list(encoders)

    def transform(self, texts) -> list[np.ndarray]:
        tokens = as_tokens(texts)
        return [encoder.transform(tokens) for encoder in self.encoders]

    def known_counts(self, x: list[np.ndarray]) -> np.ndarray:
        """For each review, the most known words or n-grams any member sees."""
        counts = [e.known_counts(part) for e, part in zip(self.encoders, x, strict=True)]
        return np.max(counts, axis=0)

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
        members = data.get("members") if isinstance(data, dict) else None
        if not isinstance(members, list) or not members:
            raise InvalidDataError("a multi encoder needs a non-empty list of members")
        encoders = []
        for i, member in enumerate(members):
            prefix = f"member{i}_"
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            encoders.append(encoder_from_parts(member, own))
        return cls(encoders)


ENCODER_KINDS = {cls.kind: cls for cls in (TextEncoder, NgramEncoder, MultiEncoder)}
JSON_FILE, ARRAYS_FILE = "encoder.json", "encoder.npz"


def make_encoder(settings: dict):
    """An unfitted encoder from settings; ``kind`` picks the class (default ``words``).
    Unknown keys and wrongly typed values are a ``ConfigError`` naming them."""
    if not isinstance(settings, dict):
        raise ConfigError(f"encoder settings must be a JSON object, not {settings!r}")
    settings = dict(settings)
    kind = settings.pop("kind", "words")
    trainable = sorted(k for k in ENCODER_KINDS if k != MultiEncoder.kind)  # multi: made, not set
    if not isinstance(kind, str) or kind not in trainable:
        raise ConfigError(f"unknown encoder kind {kind!r}; choose {' or '.join(trainable)}")
    cls = ENCODER_KINDS[kind]
    learned = [name for name in settings if name.endswith("_")]
    if learned:
        raise ConfigError(f"{', '.join(learned)} are learned by fit, not settings")
    return from_settings(cls, settings, f"{kind} encoder")


def encoder_from_parts(data, arrays: dict[str, np.ndarray]):
    """An encoder of any kind from its saved settings (with ``kind``) and arrays."""
    if not isinstance(data, dict):
        raise InvalidDataError("the encoder settings are not a JSON object")
    data = dict(data)
    kind = data.pop("kind", "words")
    if not isinstance(kind, str) or kind not in ENCODER_KINDS:
        raise InvalidDataError(f"unknown encoder kind {kind!r}")
    return ENCODER_KINDS[kind].from_parts(data, arrays)


def save_encoder(encoder, folder: Path) -> None:
    folder = Path(folder)
    payload = {"kind": encoder.kind, **encoder.to_dict()}
    (folder / JSON_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    arrays = encoder.arrays()
    if arrays:
        np.savez(folder / ARRAYS_FILE, **arrays)


def load_encoder(folder: Path):
    """The encoder saved in ``folder``; ``InvalidDataError`` naming the damaged file."""
    folder = Path(folder)
    try:
        settings = (folder / JSON_FILE).read_bytes()
    except OSError as error:
        raise InvalidDataError(f"{JSON_FILE} is damaged ({error})") from None
    arrays = (folder / ARRAYS_FILE).read_bytes() if (folder / ARRAYS_FILE).exists() else None
    return encoder_from_bytes(settings, arrays)


def encoder_from_bytes(settings: bytes, arrays: bytes | None):
    """An encoder from the bytes of its ``encoder.json`` and ``encoder.npz`` (None: it has
    none), for readers that open the files themselves (the bundle's checked reads);
    ``InvalidDataError`` naming the damaged file. Arrays are read without pickle."""
    try:
        data = json.loads(settings.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidDataError(f"{JSON_FILE} is damaged ({error})") from None
    except RecursionError:
        raise InvalidDataError(f"{JSON_FILE} is damaged (nested too deeply)") from None
    tables = {}
    if arrays is not None:
        try:
            with np.load(io.BytesIO(arrays), allow_pickle=False) as stored:
                tables = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            reason = str(error) or type(error).__name__
            raise InvalidDataError(f"{ARRAYS_FILE} is damaged or truncated ({reason})") from None
    try:
        return encoder_from_parts(data, tables)
    except ConfigError as error:
        raise InvalidDataError(f"{JSON_FILE} holds wrong settings: {error}") from None
