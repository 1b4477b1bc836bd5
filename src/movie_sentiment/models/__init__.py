"""Model families: a registry from a name to a builder and its default configuration.

Each family is a module with ``DEFAULTS`` (a plain dict a user can read and override,
covering the encoder, the model and the training loop), ``build(config, encoder)``
returning a compiled ``keras.Model`` and, optionally,
``initialize(model, x, y, config, *, encoder, splits)`` that sets weights derived from the
training split (naive-Bayes ratios) or from unlabeled text (``splits.unlabeled_text()``:
word vectors) and may return a dict for the run card. Register a new family with
``register``.
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
    initialize: Callable | None = None  # (model, x_fit, y_fit, config, *, encoder, splits)
    train: Callable | None = None  # a multi-stage recipe that replaces the one-model run


_REGISTRY: dict[str, ModelFamily] = {}


def register(module: ModuleType) -> ModuleType:
    """Add the family defined by ``module`` (``NAME``, ``SUMMARY``, ``DEFAULTS``, ``build``)."""
    _REGISTRY[module.NAME] = ModelFamily(
        module.NAME,
        module.SUMMARY,
        module.DEFAULTS,
        module.build,
        getattr(module, "initialize", None),
        getattr(module, "train", None),
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
    """Every family once (aliases such as ``best`` left out), by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY) if _REGISTRY[name].name == name]


from movie_sentiment.models import cnn, ensemble, fasttext, mslearn, nbsvm, tutorial  # noqa: E402

for _family in (tutorial, mslearn, nbsvm, fasttext, cnn, ensemble):
    register(_family)
_REGISTRY["best"] = _REGISTRY["ensemble"]  # `train --model best`: the accuracy recipe
