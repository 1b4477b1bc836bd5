"""The distilled recipe (``train --family nbsvm --recipe distilled``): a single-model
family taught by an ensemble on the unlabeled reviews. (Trained as the family ``fast``
before; it measured neither faster nor more accurate than nbsvm alone, so it is a recipe
now, named for what it does.)

Stages:

1. the teacher: the ensemble (``best``) trained without its refit, kept in the run's
   resume folder while the run goes on and saved as ``teacher/`` in the run folder (a
   complete run of its own), or the run or bundle named by the ``teacher`` option. Either
   way no model inside it saw the validation reviews' labels, so the student's validation
   figures stay honest; a teacher refit on them, or carved from another split, is refused;
2. the teacher scores the 50,000 unlabeled reviews: its calibrated probabilities are the
   soft targets;
3. the student (the run's family) trains on the training reviews' true labels plus those
   soft targets, each weighing ``unlabeled_weight`` (``training.fitting.fit_member``'s
   ``soft``), a checkpoint per epoch;
4. the heads on validation, then the test split once, as for every single model.

Killed at any point, the run goes on with ``--resume``: a finished teacher is kept (and
a teacher killed mid-way goes on as any ensemble run does), the student after its last
saved epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.checks import check_bounds
from movie_sentiment.data.imdb import ImdbCache
from movie_sentiment.errors import ConfigError
from movie_sentiment.evaluation.probability import sigmoid

if TYPE_CHECKING:
    from movie_sentiment.training.run import Run, TrainResult

NAME = "distilled"
SUMMARY = "a single-model family taught by best on the unlabeled reviews"
NEEDS_VALIDATION = (
    "learns from a teacher that never saw the validation labels and is judged on them"
)
TEACHER_FAMILY = "best"
TEACHER_FOLDER = "teacher"
OPTIONS = {
    "teacher": None,  # None: train best without refit first; else a run or bundle path
    "unlabeled_weight": 1.0,  # each unlabeled review's weight (a labeled one weighs 1)
}


def check_options(options: dict) -> None:
    check_bounds(options, f"{NAME} recipe options", positive=("unlabeled_weight",))
    teacher = options.get("teacher")
    if teacher is not None and (not isinstance(teacher, str) or not teacher.strip()):
        raise ConfigError(
            f"{NAME} recipe options: teacher must be null (train one) or the path of a "
            f"trained run or bundle, not {teacher!r}"
        )


def steps(run: Run) -> TrainResult:
    """The recipe (see the module docstring)."""
    options = run.settings["recipe_options"]
    given = None
    if options["teacher"] is not None:  # checked before anything is written
        given = SentimentModel.load(options["teacher"])
        check_teacher(given, options["teacher"], run)
    run.plan(4)
    with run.stage("teacher", "the teacher"):
        teacher, where, folders = given_or_trained_teacher(run, given, options["teacher"])
        figures = {
            "source": where,
            "family": teacher.card.family,
            "validation_accuracy": teacher.card.metrics.get("validation", {}).get("accuracy"),
            "test_accuracy": teacher.card.metrics.get("test", {}).get("accuracy"),
        }
    run.say(f"  teacher ({where}): validation accuracy {figures['validation_accuracy']}")
    with run.stage("soft_targets", "the teacher scores the unlabeled reviews"):
        unlabeled = ImdbCache.open(run.splits.data).tokens("unsup")
        targets = sigmoid(teacher.raw_scores(unlabeled).logit / teacher.temperature)
        positive_share = round(float((targets >= 0.5).mean()), 4)
    run.say(
        f"  {len(unlabeled):,} unlabeled reviews, {positive_share:.1%} scored positive, "
        f"in {run.seconds('soft_targets'):.0f} s"
    )
    with run.stage("student", f"the student ({run.family.name})"):
        run.set_seed(run.config.seed)
        soft = (unlabeled, targets, options["unlabeled_weight"])
        member = run.fit(run.family, run.settings, "student", soft=soft)
    member.initialization["teacher"] = figures
    member.initialization["soft_targets"] = {
        "unlabeled_reviews": len(unlabeled),
        "weight": options["unlabeled_weight"],
        "teacher_positive_share": positive_share,
    }
    kept_accuracy = member.history["val_accuracy"][member.epoch_kept - 1]  # as Keras saw it
    run.say(f"  student: validation accuracy {kept_accuracy:.4f} in {run.seconds('student'):.0f} s")
    with run.stage("heads", run.HEADS_TITLE):
        model = SentimentModel(member.keras_model, member.encoder)
        validation, test, short = run.raw_logits(model, run.family.long_reviews)
        shared = member.encoder if member.encoder.kind == "ngrams" else None
        scored = run.fit_heads(validation, test, short, shared)
    model.card = run.card(model, scored, **run.member_card(member))
    return run.save(model, scored, member.history, folders=folders)


def given_or_trained_teacher(run: Run, given, path) -> tuple:
    """(teacher, where it is from, {run subfolder: folder to copy in}): the given one, or
    best without refit trained into the resume folder (kept there if an interrupted run
    finished it), to become the run's ``teacher/``."""
    if given is not None:
        return given, str(path), {}
    folder = run.resume.folder / TEACHER_FOLDER
    if run.is_our_run(folder):
        run.say(f"  {TEACHER_FOLDER}: kept from the interrupted run")
    else:
        run.resume.start()  # the teacher's run folder goes inside it
        run.train_other(
            TEACHER_FAMILY,
            folder,
            validation_size=len(run.splits.validation),
            family_options={"refit": False},
        )
    teacher = SentimentModel.load(folder / "bundle")
    return teacher, f"trained into {TEACHER_FOLDER}/", {TEACHER_FOLDER: folder}


def check_teacher(teacher: SentimentModel, where: str, run: Run) -> None:
    """Refuse a teacher whose figures would leak validation labels into the student's or
    that was trained on other data than this run's."""
    card, splits, seed = teacher.card, run.splits, run.config.seed
    training = card.config.get("training", {})
    if card.data.get("sha256") != splits.train_all.checksum:
        raise ConfigError(f"teacher {where} was trained on other data than this run's")
    if card.data.get("validation_source") != "train" or (
        training.get("seed"),
        training.get("validation_size"),
    ) != (seed, len(splits.validation)):
        raise ConfigError(
            f"teacher {where} did not hold out this run's validation reviews (seed "
            f"{seed}, {len(splits.validation)} reviews); train it with the same seed "
            "and validation_size"
        )
    if card.data.get("validation_scored_before_refit"):
        raise ConfigError(
            f"teacher {where} was refit on the validation reviews, so its scores would carry "
            'their labels into the student; train best with family_options {"refit": false}'
        )
