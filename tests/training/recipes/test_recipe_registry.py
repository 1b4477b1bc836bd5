"""The recipe registry: each recipe by name, its options and checks, and a family that
names its recipe trained only by it."""

import types

import pytest

from movie_sentiment.errors import ConfigError
from movie_sentiment.training import TrainConfig
from movie_sentiment.training.recipes import get_recipe, recipes, register_recipe_module


def test_the_built_in_recipes_are_registered_by_name():
    assert [recipe.name for recipe in recipes()] == ["single", "ensemble", "distilled"]
    assert get_recipe("ensemble").family_recipe and not get_recipe("distilled").family_recipe
    assert get_recipe("distilled").options == {"teacher": None, "unlabeled_weight": 1.0}


def test_a_config_resolves_its_family_and_recipe_once():
    assert TrainConfig(family="nbsvm").recipe_entry.name == "single"
    best = TrainConfig(family="best")
    assert best.recipe_entry.name == "ensemble" and best.family_entry.name == "ensemble"
    distilled = TrainConfig(family="cnn", recipe="distilled")
    assert distilled.family_entry.name == "cnn"
    assert distilled.resolved()["recipe"] == "distilled"
    # a family's own recipe adds nothing to its settings: run configs read as before
    assert "recipe" not in TrainConfig(family="nbsvm", recipe="single").resolved()


def test_a_recipe_name_is_never_silently_replaced():
    module = types.SimpleNamespace(NAME="single", SUMMARY="again", steps=lambda run: None)
    with pytest.raises(ConfigError, match="'single' is already registered"):
        register_recipe_module(module)
    assert get_recipe("single").summary != "again"
