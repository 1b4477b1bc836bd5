"""``movie-sentiment families [NAME]``: the model families, or one family's defaults."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from movie_sentiment.cli.rendering import echo


def families_command(
    name: Annotated[
        str | None, typer.Argument(help="A family: print its default settings as JSON.")
    ] = None,
) -> None:
    """List the model families with their parameter counts at default settings, or print
    one family's defaults (edit them, then `train --config FILE`)."""
    from movie_sentiment.models import families, get_family

    if name is not None:
        defaults = get_family(name).defaults
        settings = {
            "family": name,
            "encoder": defaults["encoder"],
            "family_options": defaults["family_options"],
            **defaults["training"],
        }
        echo(json.dumps(settings, indent=2))
        return
    echo(f"{'name':<10} {'parameters':>11}  description")
    for family in families():
        echo(f"{family.name:<10} {_size(family):>11}  {family.summary}")


def _size(family) -> str:
    """A family's parameter count at its defaults, or why it has none of its own."""
    from movie_sentiment.text.encoder import TextEncoder

    settings = dict(family.defaults["encoder"])
    if family.recipe == "ensemble":
        return "members"
    if settings.pop("kind", "words") != "words":
        # n-gram models have a weight per n-gram kept, so their size follows the data.
        return "per data"
    # A placeholder vocabulary as large as num_words gives the real layer sizes.
    encoder = TextEncoder(**settings, vocabulary_=[f"w{i}" for i in range(settings["num_words"])])
    keras_model = family.build(family.defaults["family_options"], encoder)
    return f"{keras_model.count_params():,}"
