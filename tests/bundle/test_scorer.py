"""``bundle/scorer.py``: the one scoring path, and the protocol the front ends rely on."""

import random

from movie_sentiment.bundle import ScoringModel, SentimentModel


def test_a_sentiment_model_keeps_the_scoring_protocol(nbsvm_run):
    assert isinstance(SentimentModel.load(nbsvm_run.bundle_dir), ScoringModel)
    assert not isinstance(object(), ScoringModel)
    # the CLI's exit 1 test covers a model that gives NaN (tests/test_cli.py)


def test_an_uncertain_review_gets_the_middle_stars_by_its_side(noisy_archive, tmp_path):
    """Never 10/10 beside "uncertain": an uncertain review's stars are 5 (leaning
    negative) or 6 (leaning positive); the answered keep the stars model's. (Trained on
    the noisy archive: on the clean one validation is separable and nothing uncertain.)"""
    from conftest import train_small

    from movie_sentiment.bundle import SentimentModel

    run = train_small(noisy_archive, tmp_path / "run", "nbsvm", epochs=3)
    model = SentimentModel.load(run.bundle_dir)
    from conftest import NEGATIVE, NEUTRAL, POSITIVE

    texts = [f"{good} {bad} {plain}" for good in POSITIVE for bad in NEGATIVE for plain in NEUTRAL]
    strict = model.score(texts, target_accuracy=0.999)
    usual = model.score(texts)
    uncertain = [i for i, label in enumerate(strict.label) if label == "uncertain"]
    assert uncertain, "no review was uncertain at 99.9%"
    for i in uncertain:
        assert strict.stars[i] == (6 if strict.probability[i] >= 0.5 else 5)
    for i, label in enumerate(usual.label):
        if label != "uncertain" and usual.stars[i] is not None:
            assert (usual.stars[i] >= 7) == (label == "positive")


def review_texts(count: int) -> list[str]:
    from conftest import NEGATIVE, NEUTRAL, POSITIVE

    words = POSITIVE + NEGATIVE + NEUTRAL
    rng = random.Random(3)
    return [" ".join(rng.choices(words, k=rng.randint(1, 60))) for _ in range(count)]


def plain_scores(model, texts, monkeypatch, **options):
    """``score`` as it was before the speed work: Keras on the padded rows, one thread."""
    import movie_sentiment.bundle.scorer as scorer
    import movie_sentiment.bundle.scoring as scoring

    with monkeypatch.context() as patch:
        patch.setattr(scoring, "twin_of", lambda keras_model: None)
        patch.setattr(scorer, "SCORE_BLOCK", len(texts) + 1)
        return model.score(texts, **options)


def assert_same_scores(fast, plain) -> None:
    import numpy as np

    np.testing.assert_allclose(fast.probability, plain.probability, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast.logit, plain.logit, rtol=0, atol=1e-5)
    assert fast.label == plain.label and fast.stars == plain.stars and fast.error == plain.error
    np.testing.assert_array_equal(fast.chunks, plain.chunks)
    np.testing.assert_array_equal(fast.no_known_words, plain.no_known_words)
    np.testing.assert_array_equal(fast.short_text, plain.short_text)


def test_scores_in_blocks_and_numpy_twins_equal_the_plain_keras_path(
    family_run, monkeypatch, tmp_path
):
    """Many reviews are scored in blocks on two threads, nbsvm and its stars model in
    NumPy: every column equals the one-pass Keras path, for both families."""
    import movie_sentiment.bundle.scorer as scorer

    texts = review_texts(60)
    texts[25] = "   "  # marked in its block, numbered in all of them
    for family in ("nbsvm", "tutorial"):
        model = SentimentModel.load(family_run(family).bundle_dir)
        plain = plain_scores(model, texts, monkeypatch, on_error="mark")
        monkeypatch.setattr(scorer, "SCORE_BLOCK", 7)
        # batch 4: each block is one Keras predict loop and one direct call, on two threads
        fast = model.score(texts, on_error="mark", batch_size=4)
        monkeypatch.undo()
        assert fast.error[25] == "review is empty or whitespace only"
        assert_same_scores(fast, plain)
        explained = model.score(texts[:5], explain=True)
        plain = plain_scores(model, texts[:5], monkeypatch, explain=True)
        for a, b in zip(explained.explanation, plain.explanation, strict=True):
            assert [t.text for t in a.tokens] == [t.text for t in b.tokens]
            assert abs(a.logit - b.logit) < 1e-5 and abs(a.base - b.base) < 1e-5


def test_a_bad_review_in_a_later_block_is_named_by_its_place_in_all(nbsvm_run, monkeypatch):
    import pytest

    import movie_sentiment.bundle.scorer as scorer
    from movie_sentiment.errors import InvalidInputError

    monkeypatch.setattr(scorer, "SCORE_BLOCK", 5)
    texts = review_texts(30)
    texts[22] = ""
    with pytest.raises(InvalidInputError, match="^review 23 is empty or whitespace only$"):
        SentimentModel.load(nbsvm_run.bundle_dir).score(texts)


def test_an_ensemble_scores_in_blocks_while_its_keras_member_runs_beside_its_numpy_ones(
    family_run, monkeypatch
):
    """An ensemble's nbsvm and fastText members run as NumPy twins, its cnn in Keras: one
    block's twin reads the weights while the other block's Keras predict loop runs, which
    empties them until it ends ('NoneType' object is not callable, seen on the real
    ``best``), unless both take the Keras lock."""
    import movie_sentiment.bundle.scorer as scorer

    model = SentimentModel.load(family_run("ensemble").bundle_dir)
    texts = review_texts(60)
    plain = plain_scores(model, texts, monkeypatch)
    monkeypatch.setattr(scorer, "SCORE_BLOCK", 7)
    for _ in range(3):  # batch 4: every block runs the cnn through Keras' predict loop
        assert_same_scores(model.score(texts, batch_size=4), plain)
