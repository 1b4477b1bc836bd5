"""The scoring path: chunks of long reviews, the Keras model's own answer on short ones,
ensembles member by member, and the columns ``score`` returns."""

import numpy as np
import pytest

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.bundle.record import NAMES
from movie_sentiment.bundle.scoring import LONG_REVIEWS, make_chunks, run_keras, window
from movie_sentiment.errors import InvalidInputError
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.text.encoder import TextEncoder
from movie_sentiment.text.ngrams import NgramEncoder
from movie_sentiment.text.tokenize import tokenize_corpus

WORDS = "good bad film plot actor music scene story".split()


def corpus(lengths):
    rng = np.random.default_rng(0)
    return tokenize_corpus([" ".join(rng.choice(WORDS, n)) for n in lengths])


def test_windows_follow_the_encoder():
    assert window(TextEncoder(maxlen=10)) == 9  # the start id takes one place
    assert window(TextEncoder(maxlen=10, start_char=None)) == 10
    ngrams = NgramEncoder(ngram_range=(1, 3), maxlen=30)
    assert window(ngrams) == 10  # 10 words make at most 10 + 9 + 8 features


@pytest.mark.parametrize("policy", LONG_REVIEWS)
def test_chunks_fit_the_window_and_share_each_review(policy):
    encoder = TextEncoder(num_words=50, maxlen=11).fit(WORDS)
    reviews = corpus([3, 10, 11, 25, 40])
    chunks = make_chunks(reviews, encoder, policy)
    lengths = chunks.tokens.lengths()
    assert lengths.max() <= 10
    np.testing.assert_allclose(np.bincount(chunks.owner, chunks.weight), np.ones(5))
    assert list(np.bincount(chunks.owner)[:2]) == [1, 1]  # short reviews: one chunk
    # Chunk tokens are the reviews' tokens at the recorded positions.
    np.testing.assert_array_equal(chunks.tokens.ids, reviews.ids[chunks.positions])
    for review in range(5):
        first, last = reviews.offsets[review], reviews.offsets[review + 1]
        mine = chunks.positions[np.repeat(chunks.owner, lengths) == review]
        assert np.all((mine >= first) & (mine < last))
        if policy == "mean":  # every token is read
            assert set(mine) == set(range(first, last))
        if policy == "truncate" and last - first > 10:  # the end, as truncating="pre" keeps
            assert sorted(mine) == list(range(last - 10, last))
        if policy == "head_tail" and last - first > 10:
            assert sorted(mine) == [*range(first, first + 2), *range(last - 8, last)]
    # The encoder never cuts a chunk: each becomes start id + its words.
    x = encoder.transform(chunks.tokens)
    assert np.all(encoder.known_counts(x) == lengths)


def test_short_reviews_score_as_the_keras_model_does(tutorial_run, nbsvm_run):
    texts = ["wonderful superb film", "awful boring waste of time", "a film"]
    for run in (tutorial_run, nbsvm_run):
        model = SentimentModel.load(run.bundle_dir)
        scores = model.score(texts)
        keras_answer = model.predict_encoded(model.encoder.transform(texts))
        np.testing.assert_allclose(scores.probability, keras_answer, rtol=1e-5)
        # the probability from the logit: the other way loses digits where p nears 0 or 1
        np.testing.assert_allclose(scores.probability, sigmoid(scores.logit), rtol=1e-6)
        assert list(scores.chunks) == [1, 1, 1]


def test_small_batches_are_scored_by_the_compiled_model_exactly(tutorial_run, nbsvm_run):
    """``run_keras`` calls a small batch compiled whole (``compiled_call``): the same
    numbers as Keras' own call op by op, for one row and a padded bucket, and new weights
    are read at each call (a model trained further is not scored with its old ones)."""
    texts = ["wonderful superb film", "awful boring waste of time", "a film"]
    for run in (tutorial_run, nbsvm_run):
        model = SentimentModel.load(run.bundle_dir)
        keras_model = model.members()[0][0].logit_model()
        x = model.encoder.transform(texts)
        for rows in (x[:1], x):
            eager = np.asarray(keras_model(rows, training=False), dtype=np.float64)[:, 0]
            np.testing.assert_array_equal(run_keras(keras_model, rows), eager)
        before = run_keras(keras_model, x)
        for variable in keras_model.trainable_variables:
            variable.assign(variable.numpy() * 2)
        after = run_keras(keras_model, x)
        eager = np.asarray(keras_model(x, training=False), dtype=np.float64)[:, 0]
        np.testing.assert_array_equal(after, eager)
        assert not np.allclose(after, before)


@pytest.mark.parametrize("policy", LONG_REVIEWS)
def test_reviews_that_fit_their_window_are_chunked_as_with_a_long_one_beside(policy):
    """A batch whose reviews all fit the window takes a shortcut (one chunk each); with a
    long review beside them the same short reviews go the general way: the same chunks."""
    encoder = TextEncoder(num_words=50, maxlen=11).fit(WORDS)
    short, mixed = corpus([3, 10, 1, 7]), corpus([3, 10, 1, 7, 40])
    alone, beside = make_chunks(short, encoder, policy), make_chunks(mixed, encoder, policy)
    assert np.array_equal(alone.owner, np.arange(4)) and alone.owner.dtype == beside.owner.dtype
    ours = np.isin(beside.owner, np.arange(4))
    for name in ("owner", "weight"):
        np.testing.assert_array_equal(getattr(alone, name), getattr(beside, name)[ours])
        assert getattr(alone, name).dtype == getattr(beside, name).dtype
    np.testing.assert_array_equal(alone.positions, np.arange(short.offsets[-1]))
    np.testing.assert_array_equal(alone.tokens.ids, short.ids)
    np.testing.assert_array_equal(alone.tokens.offsets, short.offsets)
    assert alone.positions.dtype == beside.positions.dtype
    # A slice of a corpus (its tokens not starting at 0) too.
    part = mixed.select(np.array([1, 2]))
    sliced = make_chunks(part, encoder, policy)
    np.testing.assert_array_equal(part.ids[sliced.positions], sliced.tokens.ids)


def test_long_reviews_are_read_whole(tutorial_run):
    model = SentimentModel.load(tutorial_run.bundle_dir)
    long = " ".join(["awful boring"] * 300 + ["wonderful superb"] * 20)  # 640 words
    mean = model.score([long])
    cut = model.score([long], long_reviews="truncate")
    assert cut.chunks[0] == 1 and mean.chunks[0] > 2
    # Truncation is what the Keras model alone does: it keeps the last 255 words.
    np.testing.assert_allclose(
        cut.probability, model.predict_encoded(model.encoder.transform([long])), atol=1e-9
    )
    assert mean.probability[0] < cut.probability[0]  # the 600 awful words count now
    with pytest.raises(InvalidInputError, match="long_reviews must be one of"):
        model.score([long], long_reviews="middle")


def test_ensemble_scores_member_by_member(family_run, small_archive):
    model = SentimentModel.load(family_run("ensemble").bundle_dir)
    texts = ["wonderful superb film", "awful boring waste of time"]
    keras_answer = model.predict_encoded(model.encoder.transform(texts))
    np.testing.assert_allclose(model.score(texts).probability, keras_answer, rtol=1e-5)
    members, bias = model.members()
    assert [m.family_name for m in members] == list(model.card.members)
    assert bias == pytest.approx(model.card.bias)


def test_temperature_scales_logit_and_contributions_alike(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    text = "wonderful superb film"
    before = model.score([text], explain=True).explanation[0]
    model.card.calibration["temperature"] = 2 * model.temperature
    after = model.score([text], explain=True)
    halved = after.explanation[0]
    assert halved.logit == pytest.approx(before.logit / 2)
    assert halved.base == pytest.approx(before.base / 2)
    for a, b in zip(halved.tokens, before.tokens, strict=True):
        assert a.contribution == pytest.approx(b.contribution / 2)
    assert after.probability[0] == pytest.approx(1 / (1 + np.exp(-halved.logit)))
    positive, against = before.top(2)
    assert {w["text"] for w in positive} == {"wonderful", "superb"}  # the toy set's words
    assert all(w["contribution"] > 0 for w in positive)
    assert all(w["contribution"] < 0 for w in against)


def test_score_columns_and_marked_rows(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    scores = model.score(["wonderful superb film", "", 7], on_error="mark")
    assert len(scores) == 3
    assert scores.error == [
        None,
        "review is empty or whitespace only",
        "review is not text but int",
    ]
    assert scores.label[1:] == [None, None] and np.isnan(scores.probability[1:]).all()
    row = scores.row(0)
    assert tuple(row) == NAMES  # the score record (bundle/record.py), in its order
    assert row["uncertain"] == (row["label"] == "uncertain")
    assert row["stars"] in (7, 8, 9, 10) and row["label"] in ("positive", "uncertain")
    assert scores.row(1)["probability"] is None
    # A column at a time (the batch job's way) gives the very values, types and Nones.
    columns = scores.columns()
    assert tuple(columns) == NAMES
    for i in range(len(scores)):
        by_row = scores.row(i)
        assert {name: column[i] for name, column in columns.items()} == by_row
        assert [type(columns[name][i]) for name in NAMES] == [type(v) for v in by_row.values()]


def test_short_texts_are_labeled_by_their_own_band(nbsvm_run):
    """Training fits a second uncertain band on the validation reviews' last sentences;
    a text of fewer than SHORT_WORDS tokens is labeled by it, a longer one by the
    reviews' band."""
    from movie_sentiment.bundle.heads.uncertain import SHORT_WORDS

    model = SentimentModel.load(nbsvm_run.bundle_dir)
    short = model.card.uncertain["short"]
    assert short["under_words"] == SHORT_WORDS and 0 < short["texts"] <= 20
    one_liner = "wonderful film but the plot was dull"
    long_text = " ".join([one_liner] * 8)  # 64 tokens: the reviews' band
    scores = model.score([one_liner, long_text])
    assert scores.short_text.tolist() == [True, False]
    assert scores.short_text_band == model.short_text_band()
    for i, band in enumerate((model.short_text_band(), model.uncertain_band())):
        inside = band[0] < scores.probability[i] < band[1]
        assert (scores.label[i] == "uncertain") == inside
    # The toy model is right on every short validation text, so its short band is as
    # narrow as its reviews'. A short table where no confidence reaches the target makes
    # every short text uncertain and leaves the long one alone.
    model.card.uncertain["short"]["table"] = [[0.3, 0.9, 0.2], [0.0, 0.8, 1.0]]
    assert model.short_text_band() == (0.0, 1.0)
    scores = model.score([one_liner, long_text])
    assert 0 < scores.probability[0] < 1
    assert scores.label[0] == "uncertain" and scores.label[1] != "uncertain"
    assert scores.row(0)["short_text"] and not scores.row(1)["short_text"]
    # A lower target answers the short texts at 0.9 accuracy from confidence 0.3 on.
    assert model.short_text_band(0.85) == (0.2, 0.8)
    # A bundle keeps the limit its short zone was fit with, whatever SHORT_WORDS says now.
    model.card.uncertain["short"]["under_words"] = 5  # the one-liner has 7 tokens
    scores = model.score([one_liner])
    assert not scores.short_text[0] and scores.label[0] != "uncertain"


def test_explain_one_review(nbsvm_run):
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    explanation = model.explain("Wonderful, superb film!")
    assert [t.text for t in explanation.tokens] == ["Wonderful", "superb", "film"]
    assert explanation.method == "exact"
    assert explanation.logit == pytest.approx(model.score(["Wonderful, superb film!"]).logit[0])
    with pytest.raises(InvalidInputError, match="explain takes one review as text, not list"):
        model.explain(["two", "reviews"])
    with pytest.raises(InvalidInputError, match="review 1 is empty"):
        model.explain("  ")


def test_the_card_keeps_the_long_review_policy_it_was_fit_under(tutorial_run, monkeypatch):
    """A later change to a family's default must not change how its bundles score long
    reviews (their temperature and zone were fit under the old policy): the card says."""
    import dataclasses

    from movie_sentiment import models

    model = SentimentModel.load(tutorial_run.bundle_dir)
    assert model.card.long_reviews == [models.get_family("tutorial").long_reviews]
    long = " ".join(["awful boring"] * 300 + ["wonderful superb"] * 20)
    before = model.score([long])
    changed = dataclasses.replace(models.get_family("tutorial"), long_reviews="truncate")
    monkeypatch.setitem(models._REGISTRY, "tutorial", changed)
    after = SentimentModel.load(tutorial_run.bundle_dir).score([long])
    assert after.chunks.tolist() == before.chunks.tolist() != [1]
    np.testing.assert_array_equal(after.logit, before.logit)


def test_a_scores_uncertain_column_is_worked_out_once(nbsvm_run):
    """``row`` reads it for every review: worked out again each time, a batch partition of
    n reviews cost n * n comparisons (the 1,000,000-row job: 2,869 -> 12,000 rows/s)."""
    scores = SentimentModel.load(nbsvm_run.bundle_dir).score(["wonderful film", "awful"])
    first = scores.uncertain
    assert [scores.row(i)["uncertain"] for i in range(2)] == first.tolist()
    assert scores.uncertain is first
