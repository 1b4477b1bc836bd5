"""The single recipe (the default): one model of the run's family, fit on the training
part, its heads fit on validation, test scored once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from movie_sentiment.bundle import SentimentModel

if TYPE_CHECKING:
    from movie_sentiment.training.run import Run, TrainResult

NAME = "single"
SUMMARY = "one model of the family (the default for every single-model family)"


def steps(run: Run) -> TrainResult:
    """Fit (a checkpoint per epoch, so a killed run goes on after its last epoch), fit the
    heads, save."""
    # One model: Keras' own progress says enough, as it always did, and a mistake in
    # the family's settings found while building stays the one error line.
    run.plan(2, announce=False)
    family = run.family
    with run.stage("fit", f"training {family.name}"):
        member = run.fit(family, run.settings, family.name)
    with run.stage("heads", run.HEADS_TITLE):
        model = SentimentModel(member.keras_model, member.encoder)
        validation, test, short = run.raw_logits(model, family.long_reviews)
        # A single n-gram model's stars model reads its features: one encoding scores both.
        shared = member.encoder if member.encoder.kind == "ngrams" else None
        scored = run.fit_heads(validation, test, short, shared)
    model.card = run.card(model, scored, **run.member_card(member))
    return run.save(model, scored, member.history)
