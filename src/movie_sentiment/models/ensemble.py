"""``ensemble`` (also ``best``): the accuracy recipe's model. Each member family scores
the review with its own encoder; the members' probabilities become logits, and a frozen
weighted sum of them (plus a bias) goes through a sigmoid.

The weights are fit on a validation split by the training recipe
(``training.recipes.ensembling``), which also trains the members; this module only says what the
combined model is, so a family never needs the training code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from movie_sentiment.errors import ConfigError

if TYPE_CHECKING:
    import keras

NAME = "ensemble"
SUMMARY = "nbsvm + fasttext + cnn, weighted on validation (alias: best)"
RECIPE = "ensemble"
LONG_REVIEWS = None  # each member scores long reviews as its own family chose
DEFAULTS = {
    "encoder": {},
    # Members may repeat a family from another seed ("cnn@43": bagging). Two more cnns
    # (cnn@43, cnn@44) lifted validation (0.9336 -> 0.9372 cross-validated in
    # benchmarks/studies/member_study.py, within the spread between runs) but not test (0.9262
    # against 0.9263), at 781 s of training instead of 321 and half the scoring speed
    # (docs/studies/accuracy_bagging_recipe.json), so the default stays at one of each.
    # member_training: settings of a member family's own training that the recipe
    # changes. fastText's default short examples (chosen on fastText's validation) left
    # the ensemble lower on its validation (0.9340 against 0.9364) at 820 s of training
    # instead of 506, so its member trains on the reviews alone. The cnn's (chosen on its
    # validation) were not tried in the ensemble: 2.4 times the cnn's training, twice
    # (first fit and refit), would take it past 15 minutes.
    "family_options": {
        "members": ["nbsvm", "fasttext", "cnn"],
        "refit": True,
        "member_training": {
            "fasttext": {"sentence_examples": 0},
            "cnn": {"sentence_examples": 0},
        },
    },
    "training": {"validation_size": 2500},
}
# The training settings a member family decides for itself, which member_training may set.
MEMBER_TRAINING = (
    "epochs", "batch_size", "early_stopping", "checkpoint", "sentence_examples", "sentence_weight"
)  # fmt: skip


def check_options(options: dict) -> None:
    """Members must be a list of known single-model families, each at most once."""
    from movie_sentiment.models import get_family, member_family

    members = options.get("members")
    if not isinstance(members, list) or not members:
        raise ConfigError(f"ensemble members must be a non-empty list of families, not {members!r}")
    for name in members:
        if not isinstance(name, str):
            raise ConfigError(f"ensemble members must be family names, not {name!r}")
        if member_family(name).recipe is not None:
            raise ConfigError(f"ensemble member {name!r} is itself a recipe; use single models")
    if len(set(members)) != len(members):
        raise ConfigError(f"ensemble members must differ, not {members!r}")
    changes = options.get("member_training", {})
    if not isinstance(changes, dict):
        raise ConfigError(f"ensemble member_training must be a mapping, not {changes!r}")
    for family, settings in changes.items():
        if not isinstance(family, str) or "@" in family:
            raise ConfigError(
                f"ensemble member_training is keyed by family names (it applies to every "
                f"member of that family), not {family!r}"
            )
        get_family(family)  # an unknown family is an error naming it
        if not isinstance(settings, dict):
            raise ConfigError(
                f"ensemble member_training[{family!r}] must be a mapping, not {settings!r}"
            )
        unknown = sorted(set(settings) - set(MEMBER_TRAINING))
        if unknown:
            raise ConfigError(
                f"ensemble member_training[{family!r}] cannot set {', '.join(unknown)}; "
                f"it may set {', '.join(MEMBER_TRAINING)}"
            )


def combine(members: list[keras.Model], weights, bias: float) -> keras.Model:
    """One model: each member's probability -> logit -> fixed weighted sum -> sigmoid."""
    import keras

    from movie_sentiment.models.layers import ProbabilityToLogit

    if len(weights) != len(members):
        raise ConfigError(f"{len(members)} ensemble members need as many weights")
    inputs, logits = [], []
    for member in members:
        ids = keras.Input(shape=member.input_shape[1:], dtype="int32", name=f"{member.name}_ids")
        inputs.append(ids)
        logits.append(ProbabilityToLogit(name=f"{member.name}_logit")(member(ids)))
    stacked = keras.layers.Concatenate(name="member_logits")(logits)
    combiner = keras.layers.Dense(1, activation="sigmoid", name="weights", trainable=False)
    output = combiner(stacked)
    combiner.set_weights(
        [np.asarray(weights, "float32").reshape(-1, 1), np.array([bias], "float32")]
    )
    return keras.Model(inputs, output, name=NAME)


def build(options: dict, encoder) -> keras.Model:
    """An untrained ensemble over a ``MultiEncoder`` (one encoder per member): each member
    built at its family's defaults, all weights 1 and no bias until the recipe fits them."""
    from movie_sentiment.models import member_family

    check_options(options)
    if len(getattr(encoder, "encoders", ())) != len(options["members"]):
        raise ConfigError("an ensemble is built over a MultiEncoder with one encoder per member")
    members = []
    for name, member_encoder in zip(options["members"], encoder.encoders, strict=True):
        family = member_family(name)
        members.append(family.build(family.defaults["family_options"], member_encoder))
        members[-1].name = member_model_name(name)
    return combine(members, np.ones(len(members)), 0.0)


def member_model_name(name: str) -> str:
    """The nested Keras model's name of member ``name``: ``cnn@43`` -> ``cnn_seed43`` (two
    cnns of a bagged ensemble need names of their own)."""
    return str(name).replace("@", "_seed")
