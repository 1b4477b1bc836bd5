import json

import numpy as np
import pytest
from conftest import snapshot, train_small, unwritable_folder

from movie_sentiment.errors import (
    ConfigError,
    OutputExistsError,
    StorageError,
    UnknownFamilyError,
)
from movie_sentiment.training import TrainConfig, train


def test_run_folder_has_everything(tutorial_run):
    run = tutorial_run.run_dir
    for name in (
        "config.json",
        "history.csv",
        "history.json",
        "metrics.json",
        "accuracy.png",
        "loss.png",
        "confusion_matrix.png",
        "reliability.png",
        "bundle/card.json",
        "bundle/model.keras",
        "bundle/encoder.json",
    ):
        assert (run / name).is_file(), name
    history = json.loads((run / "history.json").read_text())
    assert set(history) >= {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert len(history["loss"]) == 40
    assert len((run / "history.csv").read_text().strip().splitlines()) == 41  # header + 40
    card = json.loads((run / "bundle" / "card.json").read_text())
    assert card["family"] == "tutorial" and card["config"]["training"]["epochs"] == 40
    assert card["data"]["train_reviews"] == 60 and card["data"]["validation_reviews"] == 20
    assert card["data"]["validation_source"] == "train"
    assert card["metrics"]["test"]["count"] == 80
    assert card["versions"]["backend"] == "jax"
    # a small archive has a small vocabulary: Embedding rows = words + 4 reserved ids
    vocabulary = len(json.loads((run / "bundle" / "encoder.json").read_text())["vocabulary_"])
    assert card["parameters"] == (vocabulary + 4) * 16 + 16 * 16 + 16 + 17
    assert not [p for p in run.parent.iterdir() if p.name.startswith(".")]  # no staging left


def overfit_mslearn(noisy_archive, out, **settings):
    """mslearn on the noisy archive: its validation loss turns up within a few epochs."""
    return train_small(
        noisy_archive, out, "mslearn", batch_size=8, encoder={"maxlen": 40}, **settings
    )


def test_checkpoint_keeps_the_epoch_with_the_lowest_validation_loss(noisy_archive, tmp_path):
    result = overfit_mslearn(noisy_archive, tmp_path / "r", epochs=12, checkpoint=True)
    val_losses = result.history["val_loss"]
    best = min(range(len(val_losses)), key=val_losses.__getitem__)
    assert best < len(val_losses) - 1  # it overfits: the last epoch is not the best
    card = json.loads((result.bundle_dir / "card.json").read_text())
    assert card["epoch_kept"] == best + 1 and card["epochs_run"] == 12
    # The saved weights are that epoch's: the validation loss scored after training,
    # before temperature scaling, is the one Keras logged at the best epoch, not the last.
    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.data.imdb import load_reviews
    from movie_sentiment.evaluation.metrics import classification_metrics
    from movie_sentiment.training.splits import split_validation

    model = SentimentModel.load(result.bundle_dir)
    train_reviews = load_reviews("train", noisy_archive)
    _, validation = split_validation(len(train_reviews), 20, 42)
    x = model.encoder.transform([train_reviews.texts[i] for i in validation])
    raw = model.predict_encoded(x, calibrated=False)
    loss = classification_metrics(train_reviews.labels[validation], raw)["loss"]
    assert loss == pytest.approx(val_losses[best], abs=1e-4)
    assert abs(loss - val_losses[-1]) > 1e-3


def test_no_checkpoint_keeps_the_last_epoch(small_archive, tmp_path):
    result = train_small(
        small_archive, tmp_path / "r", "tutorial", epochs=12, batch_size=8, checkpoint=False
    )
    card = json.loads((result.bundle_dir / "card.json").read_text())
    assert card["config"]["training"]["checkpoint"] is False
    assert card["epoch_kept"] == card["epochs_run"] == 12
    last_accuracy = result.history["val_accuracy"][-1]
    assert result.metrics["validation"]["accuracy"] == pytest.approx(last_accuracy, abs=1e-6)


def test_same_seed_same_metrics(small_archive, tmp_path):
    first = train_small(small_archive, tmp_path / "a", "tutorial", epochs=3, seed=5)
    second = train_small(small_archive, tmp_path / "b", "tutorial", epochs=3, seed=5)
    assert first.history == second.history
    assert first.metrics == second.metrics


def test_existing_run_is_not_overwritten_without_force(small_archive, tutorial_run, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        train_small(small_archive, out, "tutorial", epochs=1)
    with pytest.raises(OutputExistsError, match="not a movie-sentiment run;"):
        train_small(small_archive, out, "tutorial", epochs=1, force=True)
    assert (out / "precious.txt").read_text() == "keep me"
    ours = tmp_path / "ours"
    train_small(small_archive, ours, "tutorial", epochs=1)
    train_small(small_archive, ours, "tutorial", epochs=2, force=True)  # a run of ours
    assert json.loads((ours / "config.json").read_text())["training"]["epochs"] == 2


def test_an_unwritable_output_folder_fails_before_training(small_archive, tmp_path):
    out = unwritable_folder(tmp_path) / "run"
    with pytest.raises(StorageError, match="cannot write to"):
        train_small(small_archive, out, "tutorial", epochs=1)


def test_early_stopping_stops_and_keeps_the_best_epoch(noisy_archive, tmp_path):
    result = overfit_mslearn(noisy_archive, tmp_path / "r", epochs=40, early_stopping=2)
    losses = result.history["val_loss"]
    best = min(range(len(losses)), key=losses.__getitem__)
    # Stopped two epochs after the best one, well before 40, and restored the best weights.
    assert len(losses) == best + 3 < 40
    assert result.metrics["validation"]["accuracy"] == pytest.approx(
        result.history["val_accuracy"][best], abs=1e-6
    )


def test_validate_on_test_reproduces_the_mslearn_notebook(small_archive, tmp_path):
    config = TrainConfig(
        family="mslearn",
        data=str(small_archive),
        out=str(tmp_path / "r"),
        epochs=2,
        validate_on_test=True,
        encoder={"maxlen": 50},
        verbose=0,
    )
    assert config.resolved()["training"]["checkpoint"] is False  # mslearn's default is on
    result = train(config)
    card = json.loads((result.bundle_dir / "card.json").read_text())
    assert card["data"]["validation_source"] == "test"
    assert card["data"]["train_reviews"] == 80
    validation, test = result.metrics["validation"], result.metrics["test"]
    assert validation == {key: test[key] for key in validation}
    assert card["uncertain"]["source"] == card["stars"]["source"] == "test"
    assert card["calibration"]["temperature"] == 1.0  # nothing is fit on test


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"family": "bert"}, UnknownFamilyError, "unknown model family 'bert'"),
        ({"epochs": 0}, ConfigError, "epochs must be a positive whole number"),
        ({"epochs": True}, ConfigError, "epochs must be a whole number or null, not True"),
        ({"force": "false"}, ConfigError, "force must be true or false, not 'false'"),
        ({"seed": "abc"}, ConfigError, "seed must be a whole number, not 'abc'"),
        ({"seed": -5}, ConfigError, "seed must be from 0 to 4294967295"),
        ({"seed": 2**32}, ConfigError, "seed must be from 0 to 4294967295"),
        ({"encoder": "x"}, ConfigError, "encoder must be an object, not 'x'"),
        ({"encoder": {"maxlne": 10}}, ConfigError, "unknown words encoder settings: maxlne"),
        ({"encoder": {"maxlen": "10"}}, ConfigError, "maxlen must be a whole number or null"),
        ({"family_options": {"embedding_dim": 1.5}}, ConfigError, "embedding_dim must be a"),
        ({"family_options": {"layers": 3}}, ConfigError, "unknown tutorial options: layers"),
        ({"verbose": 3}, ConfigError, "verbose must be 0, 1 or 2"),
        ({"sentence_examples": 11}, ConfigError, "sentence_examples must be from 0 to 10"),
        ({"sentence_examples": -1}, ConfigError, "sentence_examples must be from 0 to 10"),
        ({"sentence_weight": 0}, ConfigError, "sentence_weight must be above 0 and at most 1"),
        ({"sentence_weight": 1.5}, ConfigError, "sentence_weight must be above 0 and at most 1"),
        (
            {"family": "best", "sentence_examples": 2},
            ConfigError,
            "each member with the member family's own sentence_examples",
        ),
        (
            {"family": "mslearn", "validate_on_test": True, "checkpoint": True},
            ConfigError,
            "test-set loss",
        ),
        ({"validate_on_test": True, "early_stopping": 2}, ConfigError, "test-set loss"),
        ({"epoch": 3}, ConfigError, "unknown training settings: epoch"),
        ({"model": "x", "family": "y"}, ConfigError, "give both 'model' and 'family'"),
    ],
)
def test_config_mistakes_are_caught_when_the_config_is_read(settings, error, message):
    with pytest.raises(error, match=message):
        TrainConfig.from_dict(settings)


def test_too_large_a_validation_split_fails_before_writing(small_archive, tmp_path):
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match="leaves no training reviews"):
        train_small(small_archive, tmp_path / "r", "tutorial", validation_size=80)
    assert snapshot(tmp_path) == before


def test_config_round_trips_through_json_and_reads_old_names(tmp_path):
    config = TrainConfig(family="mslearn", epochs=2, encoder={"maxlen": 100})
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    loaded = TrainConfig.from_json(path)
    assert loaded == config
    assert loaded.resolved()["encoder"]["maxlen"] == 100
    assert loaded.resolved()["encoder"]["padding"] == "pre"
    old = {"model": "nbsvm", "model_options": {"alpha": 0.5}}  # files of earlier versions
    assert TrainConfig.from_dict(old).resolved()["family_options"]["alpha"] == 0.5


def test_sentence_examples_add_weighted_snippets(small_archive):
    from movie_sentiment.data.imdb import load_reviews
    from movie_sentiment.text.persist import make_encoder
    from movie_sentiment.training.fitting import with_sentence_examples

    reviews = load_reviews("train", small_archive).select(range(10))
    encoder = make_encoder({"kind": "ngrams", "ngram_range": [1, 2]}).fit(reviews.texts)
    x_fit, y_fit = encoder.transform(reviews.texts), reviews.labels.astype("float32")
    x, y, weights = with_sentence_examples(encoder, reviews, x_fit, y_fit, 2, 0.25)
    # every toy review has two sentences: one snippet each, its last sentence
    assert len(x) == len(y) == len(weights) == 20
    np.testing.assert_array_equal(x[:10], x_fit)
    np.testing.assert_array_equal(y[10:], y_fit)
    assert weights.tolist() == [1.0] * 10 + [0.25] * 10
    last = [text.split(".<br /><br />")[1] for text in reviews.texts]
    np.testing.assert_array_equal(x[10:], encoder.transform(last))


def test_training_with_sentence_examples_keeps_the_reviews_naive_bayes_ratios(
    small_archive, nbsvm_run, tmp_path
):
    from conftest import SMALL_SETTINGS

    from movie_sentiment.bundle import SentimentModel

    result = train_small(
        small_archive, tmp_path / "r", "nbsvm", sentence_examples=2, sentence_weight=0.5,
        **SMALL_SETTINGS["nbsvm"],
    )  # fmt: skip
    card = json.loads((result.bundle_dir / "card.json").read_text())
    assert card["config"]["training"]["sentence_examples"] == 2
    assert card["config"]["training"]["sentence_weight"] == 0.5

    def layer(run):
        return SentimentModel.load(run.bundle_dir).keras_model.get_layer("nb_linear")

    with_snippets, without = layer(result), layer(nbsvm_run)
    np.testing.assert_array_equal(np.asarray(with_snippets.ratios), np.asarray(without.ratios))
    assert not np.array_equal(np.asarray(with_snippets.weights_), np.asarray(without.weights_))


def test_a_run_carries_a_marker_that_matches_its_card(tutorial_run, tmp_path):
    """Only a folder whose marker holds its card's run id is a run of ours (--force may
    replace it); a copy of its files without the marker, or with another id, is not."""
    import shutil

    from movie_sentiment.training.folder import RUN_MARKER, is_our_run, is_run_folder

    run = tutorial_run.run_dir
    run_id = (run / RUN_MARKER).read_text().strip()
    assert json.loads((run / "bundle" / "card.json").read_text())["run_id"] == run_id
    assert len(run_id) == 32 and is_our_run(run)
    copy = shutil.copytree(run, tmp_path / "copy")
    assert is_our_run(copy)
    (copy / RUN_MARKER).write_text("f" * 32)
    assert not is_our_run(copy) and is_run_folder(copy)  # still a run to report on
    (copy / RUN_MARKER).unlink()
    (copy / RUN_MARKER).symlink_to(run / RUN_MARKER)  # a link proves nothing either
    assert not is_our_run(copy)


def test_a_runs_own_config_trains_the_same_run_again(nbsvm_run, small_archive, tmp_path):
    """``train --config runs/R/config.json``: a run's resolved settings (training nested,
    every default spelled out) read back as the settings that made it."""
    from movie_sentiment.training.config import read_settings

    config = TrainConfig.from_dict(read_settings(nbsvm_run.run_dir / "config.json"))
    original = json.loads((nbsvm_run.run_dir / "config.json").read_text())
    assert config.resolved() == original
    again = train(
        TrainConfig.from_dict(
            {**read_settings(nbsvm_run.run_dir / "config.json"), "data": str(small_archive),
             "out": str(tmp_path / "again"), "verbose": 0}
        )
    )  # fmt: skip
    assert json.loads((again.run_dir / "config.json").read_text()) == original
    assert again.metrics["test"] == nbsvm_run.metrics["test"]  # same seed, same run
