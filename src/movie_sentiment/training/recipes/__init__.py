"""Training recipes: a registry from a recipe name to its steps, as ``models`` is one from
a family name to its model.

A recipe is a module with ``NAME``, ``SUMMARY`` and ``steps(run)``: what it does between
the start of a ``training.run.Run`` (folder checked, splits loaded, resume opened) and
its end (``run.save``). It may have ``OPTIONS`` (defaults of the ``recipe_options`` it
takes), ``check_options(options)``, ``NEEDS_VALIDATION`` (why it needs a validation
split carved from train) and ``FAMILY_RECIPE`` (True: it trains only the family whose
``RECIPE`` names it, as the ensemble recipe trains the ensemble family).

A recipe is written against the ``Run`` it is given (its stages, fitting, the heads,
the card, saving) and imports no other part of ``training``: that keeps this package
free of loops (``pyproject.toml``'s contracts), and two recipes independent of each
other (the distilled recipe trains its teacher through ``run.train_other``).

Built in: ``single`` (one model of any family; the default), ``ensemble`` (the ensemble
family, alias ``best``: members, weights on validation, refit), ``distilled`` (a
single-model family taught by an ensemble on the unlabeled reviews).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from movie_sentiment.errors import ConfigError


@dataclass(frozen=True)
class Recipe:
    name: str
    summary: str
    steps: Callable  # (run) -> TrainResult
    options: dict = field(default_factory=dict)  # defaults of its recipe_options
    check_options: Callable | None = None  # (options) -> None, raises ConfigError
    needs_validation: str | None = None  # why it needs a validation split from train
    family_recipe: bool = False  # trains only the family whose RECIPE names it


_REGISTRY: dict[str, Recipe] = {}


def register_recipe_module(module: ModuleType) -> Recipe:
    """Add the recipe a module defines (see the module docstring); a name is never
    silently replaced."""
    if module.NAME in _REGISTRY:
        raise ConfigError(f"training recipe {module.NAME!r} is already registered")
    recipe = Recipe(
        module.NAME,
        module.SUMMARY,
        module.steps,
        getattr(module, "OPTIONS", {}),
        getattr(module, "check_options", None),
        getattr(module, "NEEDS_VALIDATION", None),
        getattr(module, "FAMILY_RECIPE", False),
    )
    _REGISTRY[recipe.name] = recipe
    return recipe


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; a clear error listing the known ones otherwise."""
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    raise ConfigError(f"unknown training recipe {name!r}; choose one of: {', '.join(_REGISTRY)}")


def recipes() -> list[Recipe]:
    return list(_REGISTRY.values())


from movie_sentiment.training.recipes import distilling, ensembling, single  # noqa: E402

for _module in (single, ensembling, distilling):
    register_recipe_module(_module)
