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
* ``RECIPE`` names the training recipe (``training.recipes``) the family is trained by
  instead of the one-model ``single`` recipe (the ensemble's members and weights); a
  family never imports ``training`` itself.

Register a family with ``register_family`` (its parts as arguments) or
``register_family_module`` (a module laid out as above); the built-in families are
registered that way at the end of this file. A family in another installed package is
found through the ``movie_sentiment.families`` entry point group (each entry names a
family module), the first time a name is not found or the families are listed, so the
CLI, the service and a bundle's loading see it without anyone editing this package.
``docs/adding-a-family.md`` walks through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

from movie_sentiment.errors import ConfigError, UnknownFamilyError

ENTRY_POINT_GROUP = "movie_sentiment.families"
LONG_REVIEW_WAYS = ("mean", "head_tail", "truncate")
DEFAULT_SECTIONS = ("encoder", "family_options", "training")


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
_plugins_loaded = False  # entry points are read once, when first needed


def register_family(
    name: str,
    *,
    summary: str,
    defaults: dict,
    build: Callable,
    initialize: Callable | None = None,
    check_options: Callable | None = None,
    recipe: str | None = None,
    explain: Callable | None = None,
    feature_values: Callable | None = None,
    long_reviews: str | None = "mean",
    aliases: Iterable[str] = (),
) -> ModelFamily:
    """Add a family under ``name`` (and ``aliases``) and return it.

    Checked here, once, so a mistake in a family's definition is one ``ConfigError``
    naming the family when it is registered, not a ``KeyError`` deep inside a run:
    the name is new (a family is never silently replaced) and has no ``@`` (which
    names an ensemble member's seed), ``defaults`` has its three sections and
    ``long_reviews`` is a way ``bundle.scoring`` knows.
    """
    family = ModelFamily(
        name, summary, defaults, build, initialize, check_options, recipe, explain,
        feature_values, long_reviews,
    )  # fmt: skip
    _check_family(family)
    for key in (name, *aliases):
        _check_name(key)
    for key in (name, *aliases):
        _REGISTRY[key] = family
    return family


def register_family_module(module: ModuleType, aliases: Iterable[str] = ()) -> ModelFamily:
    """Add the family a module defines (``NAME``, ``SUMMARY``, ``DEFAULTS``, ``build``
    and the optional hooks of the module docstring), the layout of the built-in ones."""
    return register_family(
        module.NAME,
        summary=module.SUMMARY,
        defaults=module.DEFAULTS,
        build=module.build,
        initialize=getattr(module, "initialize", None),
        check_options=getattr(module, "check_options", None),
        recipe=getattr(module, "RECIPE", None),
        explain=getattr(module, "explain", None),
        feature_values=getattr(module, "feature_values", None),
        long_reviews=getattr(module, "LONG_REVIEWS", "mean"),
        aliases=aliases,
    )


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name or "@" in name or name != name.strip():
        raise ConfigError(f"a family name must be a non-empty word without '@', not {name!r}")
    if name in _REGISTRY:
        raise ConfigError(f"model family {name!r} is already registered")


def _check_family(family: ModelFamily) -> None:
    missing = [key for key in DEFAULT_SECTIONS if not isinstance(family.defaults.get(key), dict)]
    if missing:
        raise ConfigError(
            f"model family {family.name!r}: defaults needs the sections "
            f"{', '.join(DEFAULT_SECTIONS)} as dicts; missing or not a dict: {', '.join(missing)}"
        )
    if not callable(family.build):
        raise ConfigError(f"model family {family.name!r}: build must be callable")
    if family.long_reviews not in (*LONG_REVIEW_WAYS, None):
        raise ConfigError(
            f"model family {family.name!r}: long_reviews must be one of "
            f"{', '.join(LONG_REVIEW_WAYS)}, not {family.long_reviews!r}"
        )


def load_plugin_families() -> None:
    """Register the families other installed packages declare in the
    ``movie_sentiment.families`` entry point group, once per process. Each entry names
    a family module (``my_package.my_family``) registered as the built-in ones are."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in _REGISTRY:
            continue  # already registered (by an import of the module itself)
        try:
            module = entry.load()
        except (ImportError, AttributeError) as error:
            raise ConfigError(
                f"model family {entry.name!r} (entry point {entry.value!r}) cannot be "
                f"imported: {error}"
            ) from None
        if module.NAME not in _REGISTRY:
            register_family_module(module)


def get_family(name: str) -> ModelFamily:
    """The family called ``name``; a clear error listing the known ones otherwise."""
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    load_plugin_families()
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
    load_plugin_families()
    return [_REGISTRY[name] for name in sorted(_REGISTRY) if _REGISTRY[name].name == name]


from movie_sentiment.models import (  # noqa: E402
    cnn,
    ensemble,
    fasttext,
    mslearn,
    nbsvm,
    tutorial,
)

for _module in (tutorial, mslearn, fasttext, cnn):
    register_family_module(_module)
# "fast": bundles saved by earlier versions as family "fast" (nbsvm distilled from best,
# now ``train --family nbsvm --recipe distilled``) load and score as the nbsvm they are;
# training refuses the name (``training.config.RETIRED_FAMILIES``).
register_family_module(nbsvm, aliases=("fast",))
register_family_module(ensemble, aliases=("best",))  # `train --family best`: the accuracy recipe
