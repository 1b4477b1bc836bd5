"""Checks of settings read as data: dataclasses built from plain JSON, each field checked.

``check_fields`` checks each field of a settings dataclass against its type hint, so a
JSON config that says ``"epochs": true`` or ``"force": "false"`` is refused with one line
naming the field instead of training one epoch or overwriting a run. Written here rather
than taken from pydantic: these are flat dataclasses with a handful of scalar types, and
importing pydantic would add its start-up time to every ``predict`` call.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import MISSING, fields

from movie_sentiment.errors import ConfigError

_HINTS: dict[type, dict] = {}


def from_settings(cls, data: dict, what: str):
    """``cls(**data)`` for a settings dataclass, refusing what it does not have (unknown
    keys) or lacks (required fields)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{what} settings must be a JSON object, not {type(data).__name__}")
    unknown = set(data) - {f.name for f in fields(cls) if f.init}
    if unknown:
        raise ConfigError(f"unknown {what} settings: {', '.join(sorted(unknown))}")
    required = {
        f.name
        for f in fields(cls)
        if f.init and f.default is MISSING and f.default_factory is MISSING
    }
    missing = required - set(data)
    if missing:
        raise ConfigError(f"{what} settings lack {', '.join(sorted(missing))}")
    return cls(**data)


def check_fields(instance, what: str) -> None:
    """Check every field of a dataclass instance against its type hint (see module doc)."""
    cls = type(instance)
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    hints = _HINTS[cls]
    for field in fields(instance):
        value = getattr(instance, field.name)
        if not matches(value, hints[field.name]):
            raise ConfigError(
                f"{what} setting {field.name} must be {describe(hints[field.name])}, not {value!r}"[
                    :300
                ]
            )


def matches(value, hint) -> bool:
    """Whether ``value`` is of type ``hint`` (bool is not an int here, a whole number is a
    float, a list is a tuple: JSON has no tuples)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, option) for option in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return is_number(value)
    if hint is str:
        return isinstance(value, str)
    if hint is dict or origin is dict:
        return isinstance(value, dict)
    if origin is tuple:
        parts = typing.get_args(hint)
        return (
            isinstance(value, list | tuple)
            and len(value) == len(parts)
            and all(matches(v, p) for v, p in zip(value, parts, strict=True))
        )
    if hint is list or origin is list:
        if not isinstance(value, list):
            return False
        (item,) = typing.get_args(hint) or (typing.Any,)
        return item is typing.Any or all(matches(v, item) for v in value)
    return True  # types this checker does not know (arrays) are the class's own business


def json_problem(error: Exception) -> str:
    """Why JSON text could not be read, in one line; Python's limit of 4,300 digits on an
    integer (a ``ValueError`` that names ``sys.set_int_max_str_digits``) said in our words."""
    if "integer string conversion" in str(error):
        return "it holds a whole number of more than 4,300 digits"
    return str(error).split(";")[0]


def is_number(value) -> bool:
    """A finite int or float, not a bool (a 400-digit int is not one: too large a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


BOUNDS = {
    "count": (lambda v: v >= 1, "a whole number of 1 or more"),
    "positive": (lambda v: v > 0, "above 0"),
    "non_negative": (lambda v: v >= 0, "0 or more"),
    "fraction": (lambda v: 0 <= v < 1, "from 0 up to (not including) 1"),
}


def check_bounds(options: dict, what: str, **kinds: tuple[str, ...]) -> None:
    """Range checks of a family's options, by kind: ``count`` (a whole number >= 1),
    ``positive`` (> 0), ``non_negative`` (>= 0), ``fraction`` (0 <= x < 1). Types are
    checked first (``check_options``); a value out of range is a ``ConfigError``."""
    for kind, names in kinds.items():
        accept, words = BOUNDS[kind]
        for name in names:
            value = options[name]
            if not is_number(value) or not accept(value):
                raise ConfigError(f"{what}: {name} must be {words}, not {value!r}")


def describe(hint) -> str:
    """A type hint in words: ``int | None`` -> "a whole number or null"."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(option) for option in typing.get_args(hint))
    if origin is tuple:
        return f"a list of {len(typing.get_args(hint))} " + " and ".join(
            describe(p).removeprefix("a ") for p in typing.get_args(hint)
        )
    names = {
        type(None): "null",
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "a string",
        dict: "an object",
        list: "a list",
    }
    return names.get(origin or hint, getattr(hint, "__name__", str(hint)))


def check_options(options: dict, defaults: dict, what: str) -> None:
    """Overrides of a family's options: only known keys, each of its default's type
    (a whole number where the default is a float is fine; a default of null or an object
    leaves the check to the family)."""
    unknown = set(options) - set(defaults)
    if unknown:
        raise ConfigError(f"unknown {what}: {', '.join(sorted(unknown))}")
    for name, value in options.items():
        default = defaults[name]
        if default is None or isinstance(default, dict):
            continue
        if not matches(value, type(default)):
            raise ConfigError(f"{what}: {name} must be {describe(type(default))}, not {value!r}")
