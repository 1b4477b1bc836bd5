import json
import shutil

import numpy as np
import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.errors import BundleError, InvalidInputError, OutputExistsError
from movie_sentiment.training import TrainConfig, train


@pytest.fixture(scope="module")
def trained_bundle(small_archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    config = TrainConfig(
        model="tutorial",
        data=str(small_archive),
        out=str(out),
        epochs=40,
        validation_size=20,
        batch_size=8,
        verbose=0,
    )
    return train(config).bundle_dir


def test_bundle_leaves_out_the_optimizer_state(trained_bundle):
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(trained_bundle / "model.keras") as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        stored = []
        weights.visit(stored.append)
    assert any(name.startswith("layers") for name in stored)
    assert not any("optimizer" in name for name in stored)  # only what scoring needs


def test_round_trip_predicts_the_same(trained_bundle, tmp_path):
    model = SentimentModel.load(trained_bundle)
    texts = ["wonderful superb brilliant film", "awful boring worst waste", "the plot"]
    before = model.predict_proba(texts)
    copy = model.save(tmp_path / "copy")
    after = SentimentModel.load(copy).predict_proba(texts)
    np.testing.assert_allclose(before, after, rtol=1e-6)
    assert before[0] > 0.5 > before[1]  # it learned the synthetic words
    predictions = model.predict(texts)
    assert [p.label for p in predictions[:2]] == ["positive", "negative"]
    assert predictions[0].positive_probability == pytest.approx(before[0])


def test_run_folder_is_accepted_as_a_bundle(trained_bundle):
    assert SentimentModel.load(trained_bundle.parent).card["model"] == "tutorial"


def test_empty_reviews_are_rejected_with_their_number(trained_bundle):
    model = SentimentModel.load(trained_bundle)
    with pytest.raises(InvalidInputError, match="review 2 is empty"):
        model.predict(["fine", "   \n"])
    with pytest.raises(InvalidInputError, match="no reviews"):
        model.predict([])


def test_missing_truncated_and_foreign_bundles(trained_bundle, tmp_path):
    with pytest.raises(BundleError, match="no model bundle"):
        SentimentModel.load(tmp_path / "missing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "card.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(BundleError, match="foreign"):
        SentimentModel.load(tmp_path / "foreign")
    (tmp_path / "file.keras").write_bytes(b"PK\x03\x04not really")
    with pytest.raises(BundleError, match="not a movie-sentiment model bundle"):
        SentimentModel.load(tmp_path / "file.keras")

    truncated = shutil.copytree(trained_bundle, tmp_path / "truncated")
    model_file = truncated / "model.keras"
    model_file.write_bytes(model_file.read_bytes()[: model_file.stat().st_size // 2])
    with pytest.raises(BundleError, match="damaged or truncated"):
        SentimentModel.load(truncated)

    incomplete = shutil.copytree(trained_bundle, tmp_path / "incomplete")
    (incomplete / "encoder.json").unlink()
    with pytest.raises(BundleError, match="encoder.json is missing"):
        SentimentModel.load(incomplete)


def test_save_never_overwrites_without_force_and_is_atomic(trained_bundle, tmp_path):
    model = SentimentModel.load(trained_bundle)
    target = model.save(tmp_path / "b")
    with pytest.raises(OutputExistsError):
        model.save(target)

    class ExplodingEncoder:
        kind = "words"

        def to_dict(self):
            raise RuntimeError("disk full")

    broken = SentimentModel(model.keras_model, ExplodingEncoder(), {})
    with pytest.raises(RuntimeError):
        broken.save(target, force=True)
    # the old bundle is intact and nothing half-written is left beside it
    assert SentimentModel.load(target).predict_proba(["great"]).shape == (1,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]
