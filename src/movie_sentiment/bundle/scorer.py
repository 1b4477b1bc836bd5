"""How a loaded model scores texts into ``Scores``, and the protocol a scoring model
keeps for the front ends.

``SentimentModel`` (``model.py``) is the artifact: load, check, save, and its parts. This
module is the one scoring path on top of it: check the texts, run the members
(``scoring.score_tokens``: chunks, Keras, kept encodings), then apply the heads
(``bundle.heads``: the temperature, the uncertain zone's label, the stars) and fill the
columns the score record names (``record.py``): flags and explanations too. The service
and the batch job rely only on ``ScoringModel``, so anything that keeps it (a test
double, a remote model) can serve.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from movie_sentiment.bundle.heads import Stars, UncertainZone
from movie_sentiment.bundle.scoring import (
    ON_ERROR,
    Explanation,
    RawScores,
    Scores,
    explanations,
    raise_first,
    review_problems,
)
from movie_sentiment.errors import InvalidInputError
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.text.tokenize import Tokenized, tokenize_corpus

NOT_A_NUMBER = "got no number from the model (NaN): its weights are damaged"


@runtime_checkable
class ScoringModel(Protocol):
    """What the service and the batch job need of a model: its card (family, metrics,
    stars), ``score`` (the one scoring path), ``warm_up`` (compile before serving) and its
    uncertain zones (``/v1/models`` shows them)."""

    card: object

    def score(
        self,
        texts,
        *,
        explain: bool = False,
        on_error: str = "raise",
        long_reviews: str | None = None,
        target_accuracy: float | None = None,
        batch_size: int = 512,
        stars: bool = True,
    ) -> Scores: ...

    def warm_up(self, batch_size: int = 512) -> float: ...

    def uncertain_band(self, target_accuracy: float | None = None) -> tuple | None: ...

    def short_text_band(self, target_accuracy: float | None = None) -> tuple | None: ...


UNCERTAIN = "uncertain"
# Reviews per block when many are scored on several threads (``score_texts``): 500, 1,000,
# 2,000 and 4,000 measured on nbsvm and the tutorial (2 cores): 1,000 scored the most.
SCORE_BLOCK = 1000
_POOL: ThreadPoolExecutor | None = None


def scoring_threads() -> int:
    """The threads blocks of reviews are scored on (``text.tokenize.threads``)."""
    from movie_sentiment.text.tokenize import threads

    return threads()


def _scoring_pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(scoring_threads(), thread_name_prefix="scoring")
    return _POOL


@dataclass
class _Columns:
    """``Scores``' columns for ``count`` reviews, as not scored until filled."""

    count: int

    def __post_init__(self) -> None:
        self.probability = np.full(self.count, np.nan)
        self.logit = np.full(self.count, np.nan)
        self.chunks = np.zeros(self.count, dtype=np.int64)
        self.no_known = np.zeros(self.count, dtype=bool)
        self.short = np.zeros(self.count, dtype=bool)
        self.labels: list[str | None] = [None] * self.count
        self.stars: list[int | None] = [None] * self.count


def score_texts(
    model,
    texts,
    *,
    explain: bool = False,
    on_error: str = "raise",
    long_reviews: str | None = None,
    target_accuracy: float | None = None,
    batch_size: int = 512,
    stars: bool = True,
) -> Scores:
    """``SentimentModel.score`` (see there): ``texts`` scored by ``model``.

    Many reviews are scored in blocks of ``SCORE_BLOCK`` on ``scoring_threads()`` threads:
    a review's score depends on it alone, and most of the work (Arrow's tokenizer, NumPy's
    sorts and gathers, pandas' lookups, SciPy's sums, JAX) releases the GIL, so one block
    is tokenized while another is encoded and scored (Keras calls one at a time:
    ``scoring.run_keras``)."""
    if on_error not in ON_ERROR:
        raise InvalidInputError(f"on_error must be one of {ON_ERROR}, not {on_error!r}")
    texts, problems = review_problems(texts)
    if on_error == "raise":
        raise_first(problems)
    options = {
        "explain": explain,
        "long_reviews": long_reviews,
        "target_accuracy": target_accuracy,
        "batch_size": batch_size,
        "stars": stars,
    }
    # Explanations stay on one thread: a family's ``explain`` calls Keras itself.
    if len(texts) >= 2 * SCORE_BLOCK and scoring_threads() > 1 and not explain:
        return _score_blocks(model, texts, on_error, options)
    return _score_block(model, texts, problems, on_error, **options)


def _score_blocks(model, texts: list, on_error: str, options: dict) -> Scores:
    """``texts`` in blocks on the scoring threads, each scored as ``on_error="mark"``, the
    columns joined in order; with ``on_error="raise"``, the first review the model gave no
    number is then raised, numbered in all of ``texts``."""
    blocks = [texts[i : i + SCORE_BLOCK] for i in range(0, len(texts), SCORE_BLOCK)]

    def block_scores(block: list) -> Scores:
        return _score_block(model, block, review_problems(block)[1], "mark", **options)

    scores = join_scores(list(_scoring_pool().map(block_scores, blocks)))
    if on_error == "raise":
        raise_first({i: NOT_A_NUMBER for i, e in enumerate(scores.error) if e is not None})
    return scores


def join_scores(parts: list[Scores]) -> Scores:
    """The ``Scores`` of consecutive blocks of reviews as one."""

    def joined(name: str) -> list:
        return [value for part in parts for value in getattr(part, name)]

    def stacked(name: str) -> np.ndarray:
        return np.concatenate([getattr(part, name) for part in parts])

    first = parts[0]
    return Scores(
        joined("label"), stacked("probability"), stacked("logit"), joined("stars"),
        stacked("chunks"), stacked("no_known_words"), joined("error"),
        joined("explanation") if first.explanation is not None else None,
        stacked("short_text"), first.uncertain_band, first.short_text_band,
    )  # fmt: skip


def _score_block(
    model,
    texts: list,
    problems: dict[int, str],
    on_error: str,
    *,
    explain: bool,
    long_reviews: str | None,
    target_accuracy: float | None,
    batch_size: int,
    stars: bool,
) -> Scores:
    """``score_texts`` of reviews whose problems (``review_problems``) are known."""
    heads = model.heads
    band = heads.zone.bounds(target_accuracy)
    short_texts_band = heads.zone.short_text_bounds(target_accuracy)
    good = [i for i in range(len(texts)) if i not in problems]
    columns = _Columns(len(texts))
    explained: list[Explanation | None] | None = [None] * len(texts) if explain else None
    if good:
        reviews = tokenize_corpus([texts[i] for i in good])
        raw = model.raw_scores(
            reviews,
            long_reviews=long_reviews,
            explain=explain,
            batch_size=batch_size,
            keep_encoding_of=heads.stars.model[1] if stars and heads.stars.model else None,
        )
        calibrated = heads.temperature.apply(raw.logit)
        reasons = {good[int(i)]: NOT_A_NUMBER for i in np.flatnonzero(~np.isfinite(calibrated))}
        if on_error == "raise":
            raise_first(reasons)
        problems.update(reasons)
        _fill(heads.zone, columns, good, raw, reviews, calibrated, target_accuracy)
        if stars and heads.stars:
            _fill_stars(heads.stars, columns, good, raw, reviews, calibrated)
        raw.kept = None  # the encoded reviews are not needed past the stars
        if explain:
            good_texts = [texts[i] for i in good]
            items = explanations(good_texts, raw, reviews, model.temperature)
            for i, item in zip(good, items, strict=True):
                explained[i] = None if i in problems else item
    errors = [f"review {problems[i]}" if i in problems else None for i in range(len(texts))]
    return Scores(
        columns.labels, columns.probability, columns.logit, columns.stars, columns.chunks,
        columns.no_known, errors, explained, columns.short, band, short_texts_band,
    )  # fmt: skip


def _fill(
    zone: UncertainZone,
    columns: _Columns,
    good: list[int],
    raw: RawScores,
    reviews: Tokenized,
    calibrated: np.ndarray,
    target_accuracy: float | None,
) -> None:
    """The scored reviews' probability, logit, chunks, flags and label (by the uncertain
    zone for their length, when the model has one); a review the model gave no number
    keeps "not scored"."""
    index = np.asarray(good)
    ok = np.isfinite(calibrated)
    columns.logit[index[ok]] = calibrated[ok]
    columns.probability[index[ok]] = sigmoid(calibrated[ok])
    columns.chunks[index] = raw.chunks
    columns.no_known[index] = raw.known == 0
    words = reviews.lengths()
    columns.short[index] = words < zone.short_text_words
    labels = zone.apply(columns.probability[index[ok]], words[ok], target_accuracy)
    for i, label in zip(index[ok], labels, strict=True):
        columns.labels[i] = label


def _fill_stars(
    stars: Stars,
    columns: _Columns,
    good: list[int],
    raw: RawScores,
    reviews: Tokenized,
    calibrated: np.ndarray,
) -> None:
    """The scored reviews' stars (the stars head; an uncertain review's say it is mixed);
    none for a review with no known words (its score is only the prior: stars from it
    would be made up)."""
    index = np.asarray(good)
    uncertain = np.array([columns.labels[i] == UNCERTAIN for i in index], dtype=bool)
    predicted = stars.apply(calibrated, reviews, raw.kept, uncertain)
    ok = np.isfinite(calibrated)
    for i, value in zip(index[ok], predicted[ok], strict=True):
        columns.stars[i] = None if columns.no_known[i] else int(value)
