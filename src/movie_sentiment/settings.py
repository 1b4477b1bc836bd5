"""Building a settings dataclass from plain data, with unknown keys named in the error."""

from __future__ import annotations

from dataclasses import fields

from movie_sentiment.errors import ConfigError


def from_settings(cls, data: dict, what: str):
    """``cls(**data)`` for a dataclass; keys it does not have are a ``ConfigError``."""
    if not isinstance(data, dict):
        raise ConfigError(f"{what} settings must be a JSON object, not {type(data).__name__}")
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise ConfigError(f"unknown {what} settings: {', '.join(sorted(unknown))}")
    return cls(**data)
