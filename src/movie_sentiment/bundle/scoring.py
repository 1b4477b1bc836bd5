"""The one scoring path: reviews in, ``Scores`` out (label, probability, logit, stars,
chunks, no-known-words flag, error, and optionally every token's contribution).

Every front end (``SentimentModel.predict``, the CLI, the service, batch scoring) and
training's own test scoring go through ``score_tokens``, so a review gets the same answer
everywhere.

Long reviews. A model reads a fixed window (the tutorial 256 ids, the cnn 400, nbsvm its
99th-percentile feature count). A review longer than its window is scored as chunks and
their logits combined (``LONG_REVIEWS``):

* ``"mean"``: overlapping windows (half a window apart, the last one ending at the
  review's end), the mean of their logits; every word is read;
* ``"head_tail"``: one window of the first quarter and the last three quarters of the
  window (Sun et al. 2019);
* ``"truncate"``: what the encoder alone does (the tutorial notebook's behaviour).

Each family's default (``LONG_REVIEWS`` in its module) is what its validation reviews
preferred (``benchmarks/long_reviews.py``); an ensemble's members each keep their own.

An ensemble is scored member by member, each with its own window, and its logit is the
members' (clipped) logits weighted as its combining layer weights them, plus its bias:
exactly what its Keras model computes on a review that fits every window.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from movie_sentiment.bundle.bags import KERAS_LOCK, Bags, twin_of
from movie_sentiment.bundle.record import FIELDS
from movie_sentiment.errors import BundleError, InvalidInputError
from movie_sentiment.evaluation.probability import logit
from movie_sentiment.text.tokenize import Tokenized, as_tokens

LONG_REVIEWS = ("mean", "head_tail", "truncate")
# One Keras call at a time: Keras' predict keeps state on the model, and scoring threads
# (``scorer.score_texts``) overlap everything else with it.
_KERAS = KERAS_LOCK
ON_ERROR = ("raise", "mark")
# A member's logit as the ensemble's ProbabilityToLogit layer clips it (float32 1 - 1e-7).
MEMBER_LOGIT_LIMIT = float(logit(1.0, np.float32))


@dataclass(frozen=True)
class TokenContribution:
    """One token as the user wrote it (``text[start:end]``) and what it adds to the logit."""

    text: str
    start: int
    end: int
    contribution: float

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "contribution": self.contribution,
        }


@dataclass
class Explanation:
    """Why one review got its score: ``logit = base + sum(contributions) + gap``, all in
    calibrated logit units (the reported probability is ``sigmoid(logit)``)."""

    tokens: list[TokenContribution]
    base: float  # the logit with no words (the bias, or an empty review's logit)
    logit: float
    gap: float  # what the method leaves unexplained: 0 when exact
    method: str

    def top(self, count: int = 10) -> tuple[list[dict], list[dict]]:
        """The ``count`` words adding most for positive, and most against (a word written
        several times once, its contributions summed), as ``explain`` lists them."""
        from movie_sentiment.evaluation.render import top_words

        return top_words([t.to_dict() for t in self.tokens], count)

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "base": self.base,
            "logit": self.logit,
            "gap": self.gap,
            "tokens": [t.to_dict() for t in self.tokens],
        }


@dataclass
class Scores:
    """Columns, one entry per review given, in order. A review that could not be scored
    (``on_error="mark"``) has its reason in ``error`` and None / NaN elsewhere."""

    label: list[str | None]  # "positive", "negative", "uncertain", or None
    probability: np.ndarray  # calibrated probability of positive (NaN: not scored)
    logit: np.ndarray  # calibrated logit, log(p / (1 - p))
    stars: list[int | None]  # predicted 1-10 rating, None when the bundle has no stars model
    chunks: np.ndarray  # windows scored (1 unless the review is longer than the window)
    no_known_words: np.ndarray  # none of its words is in the model's vocabulary
    error: list[str | None]
    explanation: list[Explanation | None] | None = None
    # fewer tokens than the bundle's ``uncertain.short_limit``: labeled by the short-text
    # band, if any
    short_text: np.ndarray | None = None
    uncertain_band: tuple[float, float] | None = field(default=None, repr=False)
    short_text_band: tuple[float, float] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.label)

    @cached_property
    def uncertain(self) -> np.ndarray:
        """Whether each review's label is "uncertain" (inside the uncertain zone); worked
        out once, as ``row`` reads it for every review (the batch job's 1,000,000)."""
        return np.array([label == "uncertain" for label in self.label], dtype=bool)

    def columns(self) -> dict[str, list]:
        """The score record's fields (``record.FIELDS``), each as a list of the plain
        values ``row`` gives, one per review: converted a column at a time, for the batch
        job's partitions (a dict per review cost a quarter of its time)."""
        return {f.name: f.plain_list(getattr(self, f.name), len(self)) for f in FIELDS}

    def row(self, i: int) -> dict:
        """Review ``i`` as a plain dict (JSON-ready): the score record (``record.FIELDS``)
        in its order, and ``explanation`` when explained."""
        row = {}
        for record_field in FIELDS:
            column = getattr(self, record_field.name)
            value = record_field.missing if column is None else record_field.plain(column[i])
            row[record_field.name] = value
        if self.explanation is not None:
            explanation = self.explanation[i]
            row["explanation"] = None if explanation is None else explanation.to_dict()
        return row

    def rows(self) -> list[dict]:
        return [self.row(i) for i in range(len(self))]


# -- chunks ------------------------------------------------------------------------------------
def window(encoder) -> int | None:
    """How many tokens of a review the encoder passes uncut: a word encoder's ``maxlen``
    (less the start id), an n-gram encoder's ``maxlen`` over its n-gram orders (a window of
    w tokens has at most w features per order)."""
    if encoder.maxlen is None:
        return None
    if encoder.kind == "ngrams":
        low, high = encoder.ngram_range
        return max(1, encoder.maxlen // (high - low + 1))
    return max(1, encoder.maxlen - (encoder.start_char is not None))


@dataclass
class Chunks:
    """Chunks of many reviews: ``tokens`` (a ``Tokenized`` corpus, one text per chunk),
    ``owner`` (review of each chunk), ``weight`` (its share of the review's logit) and
    ``positions`` (each chunk token's index into the reviews' flat token array)."""

    tokens: Tokenized
    owner: np.ndarray
    weight: np.ndarray
    positions: np.ndarray


def make_chunks(reviews: Tokenized, encoder, long_reviews: str) -> Chunks:
    """Split reviews longer than the encoder's window by ``long_reviews`` (module doc)."""
    size = window(encoder)
    lengths = reviews.lengths()
    starts = reviews.offsets[:-1]
    if long_reviews == "truncate" and encoder.kind == "ngrams":
        size = None  # the encoder cuts features itself (unigrams first)
    if size is None or not len(lengths) or lengths.max() <= size:
        return _one_chunk_each(reviews)
    # Segments (chunk, first flat token, length): one per chunk, two for head + tail.
    short = np.arange(len(reviews)) if size is None else np.flatnonzero(lengths <= size)
    seg_chunk = [np.arange(len(short))]
    seg_start, seg_length, owner = [starts[short]], [lengths[short]], [short]
    weight = [np.ones(len(short))]
    chunk = len(short)
    if size is not None:
        long_chunk, long_start, long_length, long_owner, long_weight = [], [], [], [], []
        for review in np.flatnonzero(lengths > size):
            first, length = int(starts[review]), int(lengths[review])
            if long_reviews == "mean":
                stride = max(1, size // 2)
                begins = [*range(0, length - size, stride), length - size]
                for begin in begins:
                    long_chunk.append(chunk)
                    long_start.append(first + begin)
                    long_length.append(size)
                    long_owner.append(review)
                    long_weight.append(1.0 / len(begins))
                    chunk += 1
                continue
            if long_reviews == "head_tail":
                head = size // 4
                parts = [(first, head), (first + length - (size - head), size - head)]
            elif encoder.truncating == "pre":  # "truncate": keep the end, as the encoder does
                parts = [(first + length - size, size)]
            else:
                parts = [(first, size)]
            for begin, count in parts:
                long_chunk.append(chunk)
                long_start.append(begin)
                long_length.append(count)
            long_owner.append(review)
            long_weight.append(1.0)
            chunk += 1
        seg_chunk.append(np.asarray(long_chunk, np.int64))
        seg_start.append(np.asarray(long_start, np.int64))
        seg_length.append(np.asarray(long_length, np.int64))
        owner.append(np.asarray(long_owner, np.int64))
        weight.append(np.asarray(long_weight, np.float64))
    seg_chunk, seg_start, seg_length = (
        np.concatenate(a) for a in (seg_chunk, seg_start, seg_length)
    )
    # Segments in chunk order (a chunk's two segments are adjacent already).
    order = np.argsort(seg_chunk, kind="stable")
    seg_chunk, seg_start, seg_length = seg_chunk[order], seg_start[order], seg_length[order]
    total = int(seg_length.sum())
    seg_offsets = np.concatenate([[0], np.cumsum(seg_length)])
    positions = np.repeat(seg_start - seg_offsets[:-1], seg_length) + np.arange(total)
    chunk_lengths = np.bincount(seg_chunk, weights=seg_length, minlength=chunk).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(chunk_lengths)]).astype(np.int64)
    tokens = Tokenized(reviews.ids[positions], offsets, reviews.vocabulary)
    return Chunks(tokens, np.concatenate(owner), np.concatenate(weight), positions)


def _one_chunk_each(reviews: Tokenized) -> Chunks:
    """``make_chunks`` when no review is cut: each review is its one chunk, as the general
    path would make it, without its work per segment (~50 us of a single review's call)."""
    first = int(reviews.offsets[0])
    positions = np.arange(first, int(reviews.offsets[-1]), dtype=np.int64)
    offsets = (reviews.offsets - first).astype(np.int64)
    tokens = Tokenized(reviews.ids[positions], offsets, reviews.vocabulary)
    count = len(reviews)
    return Chunks(tokens, np.arange(count, dtype=np.int64), np.ones(count), positions)


# -- members -------------------------------------------------------------------------------
@dataclass
class Member:
    """One scoring model of a bundle: a single family's Keras model, its encoder, and its
    weight in the bundle's logit (1 for a single model)."""

    family_name: str | None
    keras_model: object
    encoder: object
    weight: float
    long_reviews: str | None = None  # its card's policy; None: its family's default
    _logit_model: object = field(default=None, repr=False)

    def logit_model(self):
        """The Keras model with its final sigmoid removed: the logit, exactly (1 - p in
        float32 loses the digits a logit of 10 needs)."""
        if self._logit_model is None:
            import keras

            last = self.keras_model.layers[-1]
            if isinstance(last, keras.layers.Activation):
                output = last.input
            else:  # Dense(1, sigmoid): the same weights without the activation
                linear = keras.layers.Dense(1, name="logit")
                output = linear(last.input)
                linear.set_weights(last.get_weights())
            inputs = self.keras_model.inputs
            self._logit_model = keras.Model(inputs[0] if len(inputs) == 1 else inputs, output)
        return self._logit_model


def members_of(
    keras_model, encoder, family_names: list[str | None], policies: list[str] = ()
) -> tuple[list[Member], float]:
    """A bundle's members and bias: the nested models of an ensemble (with its combining
    layer's weights), or the model itself; ``policies``: the card's ``long_reviews``, one
    per member (none: each family's default)."""
    import keras

    nested = [layer for layer in keras_model.layers if isinstance(layer, keras.Model)]
    if policies and len(policies) != max(len(nested), 1):
        raise BundleError(
            f"the card names {len(policies)} long-review policies for "
            f"{max(len(nested), 1)} scoring models"
        )
    if not nested:
        policy = policies[0] if policies else None
        return [Member(family_names[0], keras_model, encoder, 1.0, policy)], 0.0
    kernel, bias = keras_model.get_layer("weights").get_weights()
    encoders = getattr(encoder, "encoders", None)
    if encoders is None or len(encoders) != len(nested):
        raise BundleError("the ensemble's encoder does not have one part per member")
    names = family_names if len(family_names) == len(nested) else [None] * len(nested)
    policies = list(policies) or [None] * len(nested)
    members = [
        Member(name, model, part, float(w), policy)
        for name, model, part, w, policy in zip(
            names, nested, encoders, kernel[:, 0], policies, strict=True
        )
    ]
    return members, float(bias[0])


def run_keras(keras_model, ids, batch_size: int = 512) -> np.ndarray:
    """The model's outputs for encoded ids, as float64: shape (rows,) for one output
    column, (rows, columns) for more.

    Every new input shape is compiled again (0.2-0.6 s, more than scoring 5,000 reviews
    takes), so rows are padded to a few shapes only: up to ``batch_size`` rows are one
    direct call (no data-adapter overhead) padded to the next power of two (``row_buckets``,
    which the service warms up), compiled whole (``compiled_call``); more go through Keras'
    compiled predict loop, about twice as fast, in whole batches, and the rows after the
    last whole batch as a direct call (padding only those: padding all rows would copy them
    all)."""
    with _KERAS:
        return _run_keras(keras_model, ids, batch_size)


def _run_keras(keras_model, ids, batch_size: int) -> np.ndarray:
    count = len(ids[0]) if isinstance(ids, list) else len(ids)
    if count == 0:
        width = keras_model.output_shape[-1]
        return np.zeros(0) if width == 1 else np.zeros((0, width))
    if count > batch_size:
        whole = count - count % batch_size
        head = _rows(ids, slice(0, whole))
        parts = [keras_model.predict(head, batch_size=batch_size, verbose=0)]
        if whole < count:
            parts.append(_run_keras(keras_model, _rows(ids, slice(whole, count)), batch_size))
        outputs = np.concatenate([np.asarray(p, np.float64).reshape(len(p), -1) for p in parts])
    else:
        padding = min(1 << (count - 1).bit_length(), batch_size) - count
        if padding:
            ids = (
                [_pad_rows(p, padding) for p in ids]
                if isinstance(ids, list)
                else _pad_rows(ids, padding)
            )
        outputs = np.asarray(compiled_call(keras_model)(ids))[:count]
    outputs = np.asarray(outputs, dtype=np.float64).reshape(count, -1)
    return outputs[:, 0] if outputs.shape[1] == 1 else outputs


# A model's compiled call, kept as long as the model is (a bundle holds its models for good).
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled_call(keras_model):
    """``keras_model(ids, training=False)`` compiled as one XLA program (``jax.jit`` over
    Keras' stateless call), taking the variables' current values at every call, so a model
    trained further is scored with its new weights. Called eagerly, Keras dispatches each
    layer's operations one by one from Python: ~1 ms of CPU for a single review's call,
    against ~0.1 ms compiled (the service's single-review requests, benchmarks/
    service_workers.py). Other backends than JAX keep the eager call."""
    call = _COMPILED.get(keras_model)
    if call is None:
        import keras

        if keras.backend.backend() != "jax":
            return lambda ids: keras_model(ids, training=False)
        import jax

        model = weakref.ref(keras_model)  # the cache must not keep its key alive

        @jax.jit
        def outputs(trainable, non_trainable, ids):
            return model().stateless_call(trainable, non_trainable, ids, training=False)[0]

        def call(ids):
            return outputs(
                [v.value for v in model().trainable_variables],
                [v.value for v in model().non_trainable_variables],
                ids,
            )

        _COMPILED[keras_model] = call
    return call


def _rows(ids, rows: slice):
    """Rows of the model's input (one array, or one per input)."""
    return [p[rows] for p in ids] if isinstance(ids, list) else ids[rows]


def stars_probabilities(
    keras_model, encoder, reviews, batch_size: int = 512, kept: KeptEncoding | None = None
) -> np.ndarray:
    """The stars model's probabilities per review (rows) and rating (columns); a review
    longer than its window is read in chunks and their log-probabilities averaged.
    ``kept``: ``RawScores.kept``, reused when the sentiment model encoded these very
    reviews as the stars model reads them."""
    reviews = as_tokens(reviews)
    if kept is not None and kept.serves(encoder, reviews, "mean"):
        chunks, x = kept.chunks, kept.x
    else:
        chunks = make_chunks(reviews, encoder, "mean")
        x = encode(encoder, chunks.tokens, keras_model)
    outputs = run_model(keras_model, x, batch_size)
    logs = np.log(np.clip(outputs, 1e-12, 1.0)) * chunks.weight[:, None]
    combined = np.zeros((len(reviews), outputs.shape[1]))
    np.add.at(combined, chunks.owner, logs)
    combined = np.exp(combined - combined.max(axis=1, keepdims=True))
    return combined / combined.sum(axis=1, keepdims=True)


def encode(encoder, tokens: Tokenized, keras_model) -> np.ndarray | Bags:
    """``tokens`` as ``keras_model`` reads them: ``Bags`` for a model with a NumPy twin
    (``bags.twin_of``), else the encoder's padded rows."""
    if encoder.maxlen is not None and twin_of(keras_model) is not None:
        ids, offsets = encoder.bags(tokens)
        return Bags(ids, offsets, encoder.maxlen, getattr(encoder, "padding", "post"))
    return encoder.transform(tokens)


def run_model(keras_model, x: np.ndarray | Bags, batch_size: int = 512) -> np.ndarray:
    """``run_keras``, or the model's NumPy twin for ``Bags`` (the same outputs, to float
    rounding)."""
    if isinstance(x, Bags):
        twin = twin_of(keras_model)
        if twin is not None:
            return twin(x)
        x = x.padded()
    return run_keras(keras_model, x, batch_size)


def known_counts(encoder, x: np.ndarray | Bags) -> np.ndarray:
    """How many known words or n-grams each encoded row holds."""
    if not isinstance(x, Bags):
        return encoder.known_counts(x)
    if encoder.kind == "ngrams":
        return x.lengths()  # every id of a bag is a known n-gram
    known = (x.ids > encoder.index_from).astype(np.int64)  # not padding, start or unknown
    return np.bincount(np.repeat(np.arange(len(x)), x.lengths()), known, minlength=len(x))


def row_buckets(batch_size: int = 512) -> list[int]:
    """The row counts ``run_keras`` calls a model with: powers of two up to ``batch_size``
    (then ``batch_size`` itself, through Keras' predict loop)."""
    return sorted({min(1 << n, batch_size) for n in range(batch_size.bit_length() + 1)})


def _pad_rows(array: np.ndarray, rows: int) -> np.ndarray:
    return np.concatenate([array, np.zeros((rows, *array.shape[1:]), dtype=array.dtype)])


# -- scoring -------------------------------------------------------------------------------
@dataclass
class KeptEncoding:
    """One member's chunks of the scored reviews and their encoding (``keep_encoding_of``),
    for a stars model that reads the same features."""

    encoder: object
    reviews: Tokenized
    policy: str  # how long reviews were chunked
    chunks: Chunks
    x: np.ndarray | Bags

    def serves(self, encoder, reviews: Tokenized, policy: str) -> bool:
        """Whether this is the encoding ``encoder`` gives ``reviews`` chunked by ``policy``
        (the very same encoder and reviews objects)."""
        return self.encoder is encoder and self.reviews is reviews and self.policy == policy


@dataclass
class RawScores:
    """Uncalibrated logits and what comes with them, for reviews that can be scored."""

    logit: np.ndarray
    chunks: np.ndarray
    known: np.ndarray  # known words or n-grams the best-informed member saw
    base: np.ndarray | None = None  # with explanations: logit with no words
    contributions: np.ndarray | None = None  # per token of the reviews, flat
    gap: np.ndarray | None = None
    method: str | None = None
    kept: KeptEncoding | None = field(default=None, repr=False)  # see keep_encoding_of


def score_tokens(
    members: list[Member],
    bias: float,
    reviews: Tokenized,
    *,
    long_reviews: str | None = None,
    explain: bool = False,
    batch_size: int = 512,
    keep_encoding_of=None,
) -> RawScores:
    """Raw (uncalibrated) logits of tokenized reviews, combined over chunks and members.
    ``long_reviews`` None: each member its family's default (see ``LONG_REVIEWS``).
    ``keep_encoding_of``: an encoder whose member's chunks and encoding ``RawScores``
    keeps (``kept``), for a stars model that reads the same features."""
    from movie_sentiment.models import member_family

    if long_reviews is not None and long_reviews not in LONG_REVIEWS:
        raise InvalidInputError(f"long_reviews must be one of {LONG_REVIEWS}, not {long_reviews!r}")
    count = len(reviews)
    logits = np.full(count, bias, dtype=np.float64)
    chunks_scored = np.zeros(count, dtype=np.int64)
    known = np.zeros(count, dtype=np.int64)
    base = np.full(count, bias, dtype=np.float64) if explain else None
    contributions = np.zeros(len(reviews.ids), dtype=np.float64) if explain else None
    gap = np.zeros(count, dtype=np.float64) if explain else None
    methods = []
    single = len(members) == 1 and bias == 0.0 and members[0].weight == 1.0
    kept = None
    for member in members:
        policy = long_reviews or member.long_reviews  # the card's, fixed when fit
        if policy is None:  # a card from before it: the family's default, as then
            policy = (
                member_family(member.family_name).long_reviews if member.family_name else "mean"
            )
        chunks = make_chunks(reviews, member.encoder, policy)
        x = encode(member.encoder, chunks.tokens, member.logit_model())
        if member.encoder is keep_encoding_of:  # only what the stars model can reuse
            kept = KeptEncoding(member.encoder, reviews, policy, chunks, x)
        chunk_logits = run_model(member.logit_model(), x, batch_size)
        unclipped = np.bincount(chunks.owner, chunk_logits * chunks.weight, minlength=count)
        member_logits = unclipped
        if not single:  # as the ensemble's ProbabilityToLogit layers clip them
            member_logits = np.clip(unclipped, -MEMBER_LOGIT_LIMIT, MEMBER_LOGIT_LIMIT)
        logits += member.weight * member_logits
        chunks_scored = np.maximum(chunks_scored, np.bincount(chunks.owner, minlength=count))
        known = np.maximum(
            known, np.bincount(chunks.owner, known_counts(member.encoder, x), minlength=count)
        )
        if explain:
            family = member_family(member.family_name) if member.family_name else None
            if family is None or family.explain is None:
                raise BundleError(
                    f"the {member.family_name or 'unknown'} family cannot explain its scores"
                )
            chunk = family.explain(member.keras_model, member.encoder, chunks.tokens, chunk_logits)
            methods.append(chunk.method)
            share = member.weight * chunks.weight
            base += np.bincount(chunks.owner, chunk.base * share, minlength=count)
            gap += np.bincount(chunks.owner, chunk.gap * share, minlength=count)
            gap += member.weight * (member_logits - unclipped)  # what the clip took away
            token_share = np.repeat(share, chunks.tokens.lengths())
            np.add.at(contributions, chunks.positions, chunk.contributions * token_share)
    method = None
    if explain:
        names = [m.family_name for m in members]
        method = (
            methods[0]
            if single
            else "members weighted as the ensemble weights their logits: "
            + "; ".join(f"{n} {m}" for n, m in zip(names, methods, strict=True))
        )
    return RawScores(logits, chunks_scored, known, base, contributions, gap, method, kept)


def review_problems(texts) -> tuple[list, dict[int, str]]:
    """The reviews as a list and, by position, why any of them cannot be scored (not text,
    empty or whitespace only). A bare string is one review; None or a non-list is an
    ``InvalidInputError``, as is an empty list."""
    if isinstance(texts, str):
        texts = [texts]
    if texts is None or isinstance(texts, bytes | dict) or not hasattr(texts, "__iter__"):
        raise InvalidInputError(f"expected a list of review texts, got {type(texts).__name__}")
    texts = list(texts)
    if not texts:
        raise InvalidInputError("no reviews given")
    problems = {}
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            problems[position] = f"is not text but {type(text).__name__}"
        elif not text.strip():
            problems[position] = "is empty or whitespace only"
    return texts, problems


def raise_first(problems: dict[int, str], error: type = InvalidInputError) -> None:
    """Raise ``error`` naming the first review (1-based) with a problem, if any."""
    if problems:
        position = min(problems)
        raise error(f"review {position + 1} {problems[position]}")


def explanations(texts: list[str], raw: RawScores, reviews: Tokenized, temperature: float):
    """Per review, its ``Explanation`` in calibrated units, tokens mapped back to the text."""
    from movie_sentiment.text.spans import token_spans

    result = []
    for i, text in enumerate(texts):
        spans = token_spans(text)
        first, last = reviews.offsets[i], reviews.offsets[i + 1]
        if len(spans) != last - first:  # the two tokenizers must agree; never guess
            raise BundleError(f"review {i + 1}: tokens and their places disagree")
        values = raw.contributions[first:last] / temperature
        tokens = [
            TokenContribution(text[s.start : s.end], s.start, s.end, float(v))
            for s, v in zip(spans, values, strict=True)
        ]
        result.append(
            Explanation(
                tokens,
                float(raw.base[i] / temperature),
                float(raw.logit[i] / temperature),
                float(raw.gap[i] / temperature),
                raw.method,
            )
        )
    return result
