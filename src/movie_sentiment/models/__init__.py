"""Model families: a registry from a name to a builder and its default configuration.

Each family is a module with ``DEFAULTS`` (a plain dict a user can read and override,
covering the encoder, the model and the training loop), ``build(config, encoder)``
returning a compiled ``keras.Model`` and, optionally, ``initialize(model, x, y, config)``
that sets weights derived from the training split (naive-Bayes ratios, say). Register a
new family with ``register``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from movie_sentiment.errors import UnknownModelError


@dataclass(frozen=True)
class ModelFamily:
    name: str
    summary: str
    defaults: dict
    build: Callable
    initialize: Callable | None = None  # (model, x_fit, y_fit, config): data-derived weights


_REGISTRY: dict[str, ModelFamily] = {}


def register(module: ModuleType) -> ModuleType:
    """Add the family defined by ``module`` (``NAME``, ``SUMMARY``, ``DEFAULTS``, ``build``)."""
    _REGISTRY[module.NAME] = ModelFamily(
        module.NAME,
        module.SUMMARY,
        module.DEFAULTS,
        module.build,
        getattr(module, "initialize", None),
    )
    return module


def get_family(name: str) -> ModelFamily:
    """The family called ``name``; a clear error listing the known ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownModelError(f"unknown model {name!r}; choose one of: {known}") from None


def families() -> list[ModelFamily]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


from movie_sentiment.models import mslearn, nbsvm, tutorial  # noqa: E402

register(tutorial)
register(mslearn)
register(nbsvm)
