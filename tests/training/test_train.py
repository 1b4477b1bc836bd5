import json

import pytest

from movie_sentiment.errors import ConfigError, OutputExistsError, UnknownModelError
from movie_sentiment.training import TrainConfig, train


def small_config(archive, out, **overrides):
    settings = dict(
        model="tutorial",
        data=str(archive),
        out=str(out),
        epochs=3,
        validation_size=20,
        batch_size=32,
        verbose=0,
    )
    settings.update(overrides)
    return TrainConfig(**settings)


def test_run_folder_has_everything(small_archive, tmp_path):
    result = train(small_config(small_archive, tmp_path / "run", checkpoint=True))
    run = result.run_dir
    for name in (
        "config.json",
        "history.csv",
        "history.json",
        "metrics.json",
        "accuracy.png",
        "loss.png",
        "confusion_matrix.png",
        "bundle/card.json",
        "bundle/model.keras",
        "bundle/encoder.json",
    ):
        assert (run / name).is_file(), name
    history = json.loads((run / "history.json").read_text())
    assert set(history) >= {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert len(history["loss"]) == 3
    assert len((run / "history.csv").read_text().strip().splitlines()) == 4  # header + 3 epochs
    card = json.loads((run / "bundle" / "card.json").read_text())
    assert card["data"]["train_reviews"] == 60 and card["data"]["validation_reviews"] == 20
    assert card["data"]["validation_source"] == "train"
    assert card["metrics"]["test"]["count"] == 80
    assert card["versions"]["backend"] == "jax"
    # a small archive has a small vocabulary: Embedding rows = words + 4 reserved ids
    vocabulary = len(json.loads((run / "bundle" / "encoder.json").read_text())["vocabulary_"])
    assert card["parameters"] == (vocabulary + 4) * 16 + 16 * 16 + 16 + 17
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_checkpoint_keeps_the_epoch_with_the_lowest_validation_loss(small_archive, tmp_path):
    result = train(
        small_config(
            small_archive,
            tmp_path / "run",
            epochs=6,
            checkpoint=True,
            model="mslearn",
            encoder={"maxlen": 40},
        )
    )
    val_losses = result.history["val_loss"]
    best = min(range(len(val_losses)), key=val_losses.__getitem__)
    card = json.loads((result.bundle_dir / "card.json").read_text())
    assert card["epoch_kept"] == best + 1 and card["epochs_run"] == 6
    # temperature scaling changes the loss but never which side of 0.5 a review is on
    val_accuracy = result.history["val_accuracy"][best]
    assert result.metrics["validation"]["accuracy"] == pytest.approx(val_accuracy, abs=1e-6)


def test_same_seed_same_metrics(small_archive, tmp_path):
    first = train(small_config(small_archive, tmp_path / "a", seed=5))
    second = train(small_config(small_archive, tmp_path / "b", seed=5))
    assert first.history == second.history
    assert first.metrics == second.metrics


def test_existing_run_is_not_overwritten_without_force(small_archive, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        train(small_config(small_archive, out))
    assert (out / "precious.txt").read_text() == "keep me"
    train(small_config(small_archive, out, force=True, epochs=1))
    assert not (out / "precious.txt").exists() and (out / "bundle").is_dir()


def test_early_stopping_stops_and_keeps_the_best_epoch(small_archive, tmp_path):
    result = train(small_config(small_archive, tmp_path / "r", epochs=40, early_stopping=1))
    assert len(result.history["loss"]) < 40


def test_validate_on_test_reproduces_the_mslearn_notebook(small_archive, tmp_path):
    config = small_config(
        small_archive,
        tmp_path / "r",
        model="mslearn",
        epochs=2,
        validate_on_test=True,
        encoder={"maxlen": 50},
    )
    assert config.resolved()["training"]["checkpoint"] is False  # mslearn's default is on
    result = train(config)
    card = json.loads((result.bundle_dir / "card.json").read_text())
    assert card["data"]["validation_source"] == "test"
    assert card["data"]["train_reviews"] == 80
    assert result.metrics["validation"] == result.metrics["test"]
    with pytest.raises(ConfigError, match="test-set loss"):
        TrainConfig(model="mslearn", validate_on_test=True, checkpoint=True).resolved()
    with pytest.raises(ConfigError, match="test-set loss"):
        TrainConfig(validate_on_test=True, early_stopping=2).resolved()


def test_config_mistakes_are_caught_before_any_work(small_archive, tmp_path):
    with pytest.raises(UnknownModelError):
        TrainConfig(model="bert")
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="leaves no training reviews"):
        train(small_config(small_archive, tmp_path / "r", validation_size=80))
    with pytest.raises(ConfigError, match="unknown training settings"):
        TrainConfig.from_dict({"epoch": 3})
    assert not (tmp_path / "r").exists()


def test_config_round_trips_through_json(tmp_path):
    config = TrainConfig(model="mslearn", epochs=2, encoder={"maxlen": 100})
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    loaded = TrainConfig.from_json(path)
    assert loaded == config
    assert loaded.resolved()["encoder"]["maxlen"] == 100
    assert loaded.resolved()["encoder"]["padding"] == "pre"
