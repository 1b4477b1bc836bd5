"""Model families: a registry from a family name to its defaults and its hooks.

Each family is a module with ``NAME``, ``SUMMARY``, ``DEFAULTS`` (a plain dict a user can
read and override, with the ``encoder``, ``family_options`` and ``training`` settings)
and ``build(family_options, encoder)`` returning a compiled ``keras.Model``. Optional
hooks:

* ``initialize(keras_model, x_fit, y_fit, family_options, *, encoder, splits)`` sets
  weights derived from the training part (naive-Bayes ratios) or from unlabeled text
  (``splits.unlabeled_text()``: word vectors) and may return a dict for the model card;
* ``check_options(family_options)`` refuses wrong options when a config is read, before
  any data is loaded;
* ``explain(keras_model, encoder, chunks, logits)`` returns every token's contribution
  to the logit (``models.explain``: exact for linear n-gram models, integrated gradients
  for embedding networks);
* ``feature_values(keras_model)`` gives a linear model's per-feature logit values, bias
  and whether they are averaged: what ``explain`` with no text lists as learned;
* ``LONG_REVIEWS`` says how reviews longer than the model's window are scored by
  default ("mean" of chunk logits, "head_tail" or "truncate": what the family's
  validation reviews preferred, see ``bundle.scoring`` and
  ``benchmarks/long_reviews.py``);
* ``RECIPE`` names a multi-stage training recipe in ``training`` that replaces the
  one-model run (the ensemble; ``fast``'s distillation); a family never imports
  ``training`` itself.

Register a new family with ``register``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from movie_sentiment.errors import ConfigError, UnknownFamilyError


@dataclass(frozen=True)
class ModelFamily:
    name: str
    summary: str
    defaults: dict  # {"encoder": {...}, "family_options": {...}, "training": {...}}
    build: Callable  # (family_options, encoder) -> compiled keras.Model
    initialize: Callable | None = None  # (keras_model, x_fit, y_fit, family_options, ...)
    check_options: Callable | None = None  # (family_options) -> None, raises ConfigError
    recipe: str | None = None  # a training recipe that replaces the one-model run
    explain: Callable | None = None  # (keras_model, encoder, chunks, logits) -> ChunkExplanation
    feature_values: Callable | None = None  # (keras_model) -> (values, bias, averaged)
    long_reviews: str | None = "mean"  # longer reviews, by default; None: per member


_REGISTRY: dict[str, ModelFamily] = {}


def register(module: ModuleType) -> ModuleType:
    """Add the family defined by ``module`` (see the module docstring)."""
    _REGISTRY[module.NAME] = ModelFamily(
        module.NAME,
        module.SUMMARY,
        module.DEFAULTS,
        module.build,
        getattr(module, "initialize", None),
        getattr(module, "check_options", None),
        getattr(module, "RECIPE", None),
        getattr(module, "explain", None),
        getattr(module, "feature_values", None),
        getattr(module, "LONG_REVIEWS", "mean"),
    )
    return module


def get_family(name: str) -> ModelFamily:
    """The family called ``name``; a clear error listing the known ones otherwise."""
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    known = ", ".join(sorted(_REGISTRY))
    raise UnknownFamilyError(f"unknown model family {name!r}; choose one of: {known}")


def member_family(name: str) -> ModelFamily:
    """The family of an ensemble member called ``family`` or ``family@SEED`` (the same
    family trained from another seed, for bagging)."""
    family, _, seed = str(name).partition("@")
    if "@" in str(name) and not seed.isdigit():
        raise ConfigError(f"ensemble member {name!r}: the seed after @ must be a whole number")
    return get_family(family)


def member_seed(name: str, default: int) -> int:
    """The seed an ensemble member trains from: its ``@SEED``, else ``default``."""
    _, _, seed = str(name).partition("@")
    return int(seed) if seed else default


def families() -> list[ModelFamily]:
    """Every family once (aliases such as ``best`` left out), by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY) if _REGISTRY[name].name == name]


from movie_sentiment.models import (  # noqa: E402
    cnn,
    ensemble,
    fast,
    fasttext,
    mslearn,
    nbsvm,
    tutorial,
)

for _family in (tutorial, mslearn, nbsvm, fasttext, cnn, ensemble, fast):
    register(_family)
_REGISTRY["best"] = _REGISTRY["ensemble"]  # `train --family best`: the accuracy recipe
