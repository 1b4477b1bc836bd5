"""``SentimentModel``: the Keras model, the text encoder that feeds it, and its model card,
saved together as one folder and loaded back with Keras' ``safe_mode``.

Layout of a bundle folder::

    model.keras     the Keras model (architecture + weights)
    encoder.json    the text encoder (kind, settings, vocabulary)
    encoder.npz     the encoder's large arrays (n-gram tables), for n-gram models
    card.json       the ModelCard: family, settings, data checksum, metrics, versions
    stars/          the stars model, when the stars use it (model.keras, encoder.*;
                    ratings/ in bundles before card version 6)

Loading reads each file as ``bundle.files`` says (a regular file inside the folder, of a
bounded size, the one whose sha256 the card records) and checks the parts against each
other (the encoder's vocabulary size and review length against the model's inputs), so
a swapped, edited or planted file is a one-line ``BundleError`` instead of silently wrong
scores.
"""

from __future__ import annotations

import os
import platform
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from movie_sentiment.bundle.card import BUNDLE_FORMAT, CARD_VERSION, ModelCard, parse_card
from movie_sentiment.bundle.files import BundleFiles, sha256_of
from movie_sentiment.bundle.heads import Heads
from movie_sentiment.bundle.record import record_class
from movie_sentiment.bundle.scorer import score_texts
from movie_sentiment.bundle.scoring import (
    Explanation,
    RawScores,
    Scores,
    members_of,
    raise_first,
    review_problems,
    row_buckets,
    run_keras,
    score_tokens,
)
from movie_sentiment.errors import BundleError, ConfigError, InvalidDataError, InvalidInputError
from movie_sentiment.evaluation.calibration import apply_temperature
from movie_sentiment.evaluation.probability import sigmoid
from movie_sentiment.storage import atomic_directory, storage_errors
from movie_sentiment.text.persist import ARRAYS_FILE, encoder_from_bytes, save_encoder
from movie_sentiment.text.tokenize import Tokenized, as_tokens

MODEL_FILE, ENCODER_FILE, CARD_FILE = "model.keras", "encoder.json", "card.json"


Prediction = record_class(
    "Prediction",
    __name__,
    """One review's score: the score record's fields (``bundle/record.py``) as attributes:
    ``label`` ("positive", "negative" or "uncertain", None when the review could not be
    scored and ``error`` says why), ``probability`` (of positive), ``logit``, ``stars``,
    ``uncertain``, ``short_text``, ``no_known_words`` (none of the review's words is in the
    model's vocabulary, so its score is only the model's prior), ``chunks`` and ``error``.
    ``to_dict()`` gives them as a dict.""",
)


def library_versions() -> dict:
    """Versions that decide whether a bundle loads and scores the same elsewhere."""
    import keras
    import sklearn

    from movie_sentiment import __version__

    versions = {
        "movie_sentiment": __version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "python": platform.python_version(),
    }
    if versions["backend"] == "jax":
        import jax

        versions["jax"] = jax.__version__
    return versions


def is_bundle(path: Path) -> bool:
    """Whether ``path`` is a folder holding one of our bundles (its card says so, and it
    is a regular file: never a FIFO that would block)."""
    try:
        card = parse_card(BundleFiles(Path(path)).read(CARD_FILE))
    except (BundleError, ConfigError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(card, dict) and card.get("format") == BUNDLE_FORMAT


class SentimentModel:
    """A trained sentiment classifier: raw text in, probability of positive out.

    >>> model = SentimentModel.load("runs/tutorial-.../bundle")
    >>> model.predict(["An absolute delight.", "Two hours I will never get back."])
    [Prediction(label='positive', ...), Prediction(label='negative', ...)]
    """

    def __init__(self, keras_model, encoder, card: ModelCard | None = None, stars_model=None):
        self.keras_model = keras_model
        self.encoder = encoder
        self._members = None
        self.card = card
        self.stars_model = stars_model  # (keras_model, encoder) the stars read, or None

    @property
    def card(self) -> ModelCard | None:
        return self._card

    @card.setter
    def card(self, card: ModelCard | None) -> None:
        self._card = card
        self._members = None  # members take their family names from the card

    @property
    def family(self):
        """The model family the card names (its registry entry: defaults and hooks)."""
        from movie_sentiment.models import get_family

        if self.card is None:
            raise BundleError("this model has no card yet, so no family")
        return get_family(self.card.family)

    @property
    def temperature(self) -> float:
        """Temperature fit on validation at training time (1.0: uncalibrated)."""
        return 1.0 if self.card is None else self.card.temperature

    def members(self) -> tuple[list, float]:
        """The scoring members (one, or an ensemble's) and the bias (see ``bundle.scoring``)."""
        if self._members is None:
            names = [self.card.family] if self.card is not None else [None]
            if self.card is not None and self.card.members:
                names = list(self.card.members)
            policies = self.card.long_reviews if self.card is not None else []
            self._members = members_of(self.keras_model, self.encoder, names, policies)
        return self._members

    @property
    def heads(self) -> Heads:
        """What was learned after the model (``bundle.heads``): the temperature, the
        uncertain zone and the stars, as the card (and the stars model) hold them."""
        return Heads.from_card(self.card, self.stars_model)

    def uncertain_band(self, target_accuracy: float | None = None) -> tuple[float, float] | None:
        """The probabilities labeled "uncertain" (exclusive bounds), for ``target_accuracy``
        of the answered reviews (the card's default when None); None: no zone."""
        return self.heads.zone.bounds(target_accuracy)

    def short_text_band(self, target_accuracy: float | None = None) -> tuple[float, float] | None:
        """The uncertain bounds of short texts (fewer than the zone's ``short_text_words``
        tokens: 50 unless the bundle was fit with another limit), fit on short validation
        texts; None when the bundle has none (trained before it)."""
        return self.heads.zone.short_text_bounds(target_accuracy)

    def learned_ngrams(self, member, count: int = 20) -> dict:
        """A linear member's ``count`` most positive and most negative n-grams, with what
        each adds to the bundle's calibrated logit (an averaging model's before the
        average). Families without ``feature_values`` are not linear: an error."""
        from movie_sentiment.models import member_family

        family = member_family(member.family_name)
        if family.feature_values is None:
            raise InvalidInputError(f"the {family.name} family has no weight per n-gram")
        values, _, averaged = family.feature_values(member.keras_model)
        values = values * member.weight / self.temperature
        values[0] = 0.0  # padding
        order = np.argsort(values)
        ranked = {
            "positive": [int(i) for i in order[::-1][:count] if values[i] > 0],
            "negative": [int(i) for i in order[:count] if values[i] < 0],
        }
        words = {
            side: list(zip(member.encoder.feature_names(ids), values[ids].tolist(), strict=True))
            for side, ids in ranked.items()
        }
        return {**words, "averaged": averaged}

    # -- scoring --------------------------------------------------------------------------
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
    ) -> Scores:
        """Score reviews: the one scoring path every front end uses.

        Returns ``Scores``, columns with one entry per review: ``label`` (positive,
        negative, or uncertain inside the card's uncertain zone), calibrated
        ``probability`` of positive and its ``logit``, predicted ``stars`` (1-10; None
        for a review with no known words: its score is only the model's prior, and
        stars read from a prior would be an opinion nobody wrote), ``chunks`` scored (a
        review longer than the model's window is scored as its
        family chose on validation, or by ``long_reviews``: "mean" of chunks,
        "head_tail" or "truncate"; see ``bundle.scoring``), ``no_known_words`` and
        ``error``. ``explain=True`` adds each review's ``Explanation``: every token as
        written, with its offsets and contribution to the logit.

        ``on_error="raise"`` (default): a review that cannot be scored (not text, empty)
        is an ``InvalidInputError`` naming it; ``"mark"``: it gets an ``error`` and the
        others are scored, so one bad row does not stop a batch.
        ``target_accuracy``: the accuracy wanted on answered reviews (default: the card's,
        97%), which sets the uncertain zone. ``stars=False`` leaves ``stars`` None and
        skips the stars model (a quarter of nbsvm's scoring time) when only labels and
        probabilities are wanted.
        """
        return score_texts(
            self,
            texts,
            explain=explain,
            on_error=on_error,
            long_reviews=long_reviews,
            target_accuracy=target_accuracy,
            batch_size=batch_size,
            stars=stars,
        )

    def warm_up(self, batch_size: int = 512) -> float:
        """Compile every input shape scoring calls the Keras models with (``row_buckets``,
        Keras' predict loop, and the explanations' 1/2/4/8-chunk batches), so no later call
        pays for a compile; returns the seconds it took. The service calls it before it
        says it is ready."""
        started = time.perf_counter()
        review = ["A warm-up review: good, bad, and neither."]
        for rows in [*row_buckets(batch_size), batch_size + 1]:
            self.score(review * rows, batch_size=batch_size)
        for rows in (1, 2, 4, 8):
            self.score(review * rows, explain=True, batch_size=batch_size)
        return time.perf_counter() - started

    def explain(self, text: str) -> Explanation:
        """Why one review got its score: ``score([text], explain=True)``'s explanation."""
        if not isinstance(text, str):
            raise InvalidInputError(f"explain takes one review as text, not {type(text).__name__}")
        return self.score([text], explain=True).explanation[0]

    def raw_scores(
        self,
        reviews,
        *,
        long_reviews: str | None = None,
        explain: bool = False,
        batch_size: int = 512,
        keep_encoding_of=None,
    ) -> RawScores:
        """Uncalibrated logits of reviews (texts or a ``Tokenized`` corpus), chunked and
        combined over members; training scores validation and test through this.
        ``keep_encoding_of``: see ``score_tokens``."""
        members, bias = self.members()
        return score_tokens(
            members,
            bias,
            as_tokens(reviews),
            long_reviews=long_reviews,
            explain=explain,
            batch_size=batch_size,
            keep_encoding_of=keep_encoding_of,
        )

    def predict_proba(self, texts: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """Probability of positive for each text, as a float array; any review that cannot
        be scored is an ``InvalidInputError`` naming it."""
        return self.score(texts, batch_size=batch_size, stars=False).probability

    def predict(self, texts: Sequence[str], on_error: str = "raise") -> list[Prediction]:
        """``score`` as one ``Prediction`` per text (label, probability, stars, flags)."""
        scores = self.score(texts, on_error=on_error)
        return [Prediction(**scores.row(i)) for i in range(len(scores))]

    def measure(self, texts, labels, ratings=None, *, target_accuracy=None) -> dict:
        """Every figure on labeled reviews, a user's own or IMDB's, as ``evaluate --data``
        prints them (``bundle.measure``): ``evaluate``'s, calibration before and after,
        the uncertain zone's coverage, stars (with ``ratings``, 1-10) and how different
        the texts are from the training data, with advice."""
        from movie_sentiment.bundle.measure import measure

        return measure(self, texts, labels, ratings, target_accuracy=target_accuracy)

    def evaluate(self, texts, labels) -> dict:
        """Loss, accuracy, precision, recall, F1, ROC AUC and confusion matrix on labeled
        reviews (raw texts, or a ``Tokenized`` corpus such as ``ReviewDataset.encodable``),
        scored as ``score`` scores them."""
        from movie_sentiment.evaluation.metrics import classification_metrics

        if not isinstance(texts, Tokenized):
            texts, problems = review_problems(texts)
            raise_first(problems)
        probabilities = sigmoid(self.raw_scores(texts).logit / self.temperature)
        raise_first(
            {
                int(i): "got no number from the model (NaN): its weights are damaged"
                for i in np.flatnonzero(~np.isfinite(probabilities))
            },
            BundleError,
        )
        return classification_metrics(labels, probabilities)

    def predict_encoded(self, ids, batch_size: int = 512, calibrated: bool = True) -> np.ndarray:
        """Probability of positive for already encoded (padded) ids, temperature-scaled
        unless ``calibrated`` is False: the Keras model alone, with no chunking. Training
        scores through ``raw_scores`` instead; the tests compare ``score`` against this."""
        probabilities = run_keras(self.keras_model, ids, batch_size)
        if calibrated and self.temperature != 1.0:
            probabilities = apply_temperature(probabilities, self.temperature)
        return probabilities

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path, force: bool = False) -> Path:
        """Write the bundle folder atomically: complete, or not there at all. With
        ``force``, only a bundle of ours (or an empty folder) is replaced."""
        if self.card is None:
            raise BundleError("a model needs its card to be saved")
        self.card.versions = library_versions()
        self.card.format_version = CARD_VERSION  # it records the files' checksums
        bundle = atomic_directory(Path(path), force=force, replaceable=is_bundle, what="bundle")
        with bundle as staging:
            _inference_copy(self.keras_model).save(staging / MODEL_FILE)
            save_encoder(self.encoder, staging)
            if self.stars_model is not None:
                stars = staging / self.card.stars_folder
                stars.mkdir()
                _inference_copy(self.stars_model[0]).save(stars / MODEL_FILE)
                if not self.card.stars.get("shared_encoder"):
                    save_encoder(self.stars_model[1], stars)
                elif self.stars_model[1] is not self.encoder:
                    raise BundleError(
                        "the card says the stars read the model's encoder, but the stars "
                        "model has one of its own"
                    )
            self.card.files = {
                file.relative_to(staging).as_posix(): sha256_of(file)
                for file in sorted(staging.rglob("*"))
                if file.is_file()
            }
            (staging / CARD_FILE).write_text(self.card.to_json(), encoding="utf-8")
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> SentimentModel:
        """Read a bundle folder (or the run folder holding one); a one-line ``BundleError``
        for anything that is not a complete, consistent bundle."""
        path = Path(path)
        if not path.exists():
            raise BundleError(f"no model bundle at {path}")
        if path.is_dir() and os.path.lexists(path / "bundle" / CARD_FILE):
            path = path / "bundle"  # a run folder: use the bundle inside it
        if not path.is_dir() or not os.path.lexists(path / CARD_FILE):
            raise BundleError(f"{path} is not a movie-sentiment model bundle (no {CARD_FILE})")
        card = ModelCard.from_json(BundleFiles(path).read(CARD_FILE), path / CARD_FILE)
        files = BundleFiles(path, card.files)
        for name in (MODEL_FILE, ENCODER_FILE):
            if not files.exists(name):
                raise BundleError(f"the bundle at {path} is incomplete: {name} is missing")
        keras_model, encoder = _load_pair(files, "", "text encoder")
        stars_model = None
        if card.stars.get("method") == "stacked":
            shared = encoder if card.stars.get("shared_encoder") else None
            stars_model = _load_stars_model(files, card.stars_folder, shared)
        return cls(keras_model, encoder, card, stars_model)


def _load_stars_model(files: BundleFiles, name: str, shared=None) -> tuple:
    """The stars model a card with stacked stars needs (in the folder ``name``), checked
    as the main model is; ``shared``: the model's encoder, when the card says the stars
    read it."""
    folder = files.root / name
    needed = (MODEL_FILE,) if shared is not None else (MODEL_FILE, ENCODER_FILE)
    missing = [f for f in needed if not files.exists(f"{name}/{f}")]
    if missing:
        raise BundleError(
            f"the bundle's stars need {' and '.join(f'{folder}/{name}' for name in missing)}, "
            f"which {'is' if len(missing) == 1 else 'are'} missing"
        )
    if shared is None:
        return _load_pair(files, f"{name}/", "stars encoder")
    keras_model = _load_keras_model(files, f"{name}/{MODEL_FILE}")
    check_compatible(keras_model, shared, f"{folder / MODEL_FILE} (it reads the bundle's encoder)")
    return keras_model, shared


def _load_pair(files: BundleFiles, prefix: str, what: str) -> tuple:
    """(Keras model, encoder) saved under ``prefix`` in the bundle, each checked and
    checked against the other."""
    folder = files.root / prefix
    arrays = f"{prefix}{ARRAYS_FILE}"
    try:
        encoder = encoder_from_bytes(
            files.read(f"{prefix}{ENCODER_FILE}"),
            files.read(arrays) if files.exists(arrays) else None,
        )
    except InvalidDataError as error:
        raise BundleError(f"the {what} in {folder} is unusable: {error}") from None
    keras_model = _load_keras_model(files, f"{prefix}{MODEL_FILE}")
    check_compatible(keras_model, encoder, folder)
    return keras_model, encoder


def _load_keras_model(files: BundleFiles, name: str):
    """``model.keras`` with our custom layers registered; a damaged file is named as such
    (Keras reports a bad zip as "File not found")."""
    import keras

    import movie_sentiment.models.layers  # noqa: F401  (registers the custom layers)

    file = files.root / name
    resolved = files.verified_path(name)
    if not zipfile.is_zipfile(resolved):
        raise BundleError(f"{file} is damaged or truncated: not a Keras model archive")
    try:
        with storage_errors(file, "read"):
            keras_model = keras.saving.load_model(resolved, safe_mode=True)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError, EOFError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BundleError(f"{file} is damaged or truncated: {reason}") from None
    for weight in keras_model.weights:
        if not np.all(np.isfinite(keras.ops.convert_to_numpy(weight))):
            raise BundleError(
                f"{file} holds weights that are not numbers (NaN or infinite) in "
                f"{weight.path}: the model is damaged; train it again"
            )
    return keras_model


def _id_layers(layer) -> list:
    """The layers that take ids (embeddings, the n-gram linear layer), in model order,
    looking inside nested models (ensemble members)."""
    found = []
    for inner in getattr(layer, "layers", []):
        if hasattr(inner, "input_dim") or hasattr(inner, "num_features"):
            found.append(inner)
        elif hasattr(inner, "layers"):
            found.extend(_id_layers(inner))
    return found


def check_compatible(keras_model, encoder, where: Path | str = "the bundle") -> None:
    """The encoder must give the ids the model was built for: as many inputs, each of
    the model's length, and no id beyond its vocabulary (ids past an embedding's rows
    would be clipped silently on CPU, giving wrong scores)."""
    encoders = getattr(encoder, "encoders", [encoder])
    inputs = keras_model.inputs
    if len(inputs) != len(encoders):
        raise BundleError(
            f"{where}: {ENCODER_FILE} encodes {len(encoders)} input(s) but "
            f"{MODEL_FILE} takes {len(inputs)}; the files come from different models"
        )
    for number, (tensor, member) in enumerate(zip(inputs, encoders, strict=True), start=1):
        length = tensor.shape[1] if len(tensor.shape) > 1 else None
        if length is not None and member.maxlen is not None and length != member.maxlen:
            raise BundleError(
                f"{where}: {ENCODER_FILE} gives reviews of {member.maxlen} ids but "
                f"{MODEL_FILE} input {number} takes {length}; the files come from "
                "different models"
            )
    id_layers = _id_layers(keras_model)
    if len(id_layers) == len(encoders):
        for layer, member in zip(id_layers, encoders, strict=True):
            rows = getattr(layer, "input_dim", None) or layer.num_features
            if rows != member.vocabulary_size:
                raise BundleError(
                    f"{where}: {ENCODER_FILE} has a vocabulary of {member.vocabulary_size} "
                    f"ids but {MODEL_FILE} layer {layer.name!r} has {rows}; the files come "
                    "from different models"
                )


ZEROS = {"module": "keras.initializers", "class_name": "Zeros", "config": {}}


def _inference_config(config):
    """A model config for scoring only: every nested ``compile_config`` removed, and every
    weight initializer made ``Zeros``. Loading builds each weight with its initializer
    before the saved values replace it; on JAX a random initializer compiles a kernel
    per weight shape (0.3 s of the 0.5 s loading the tutorial model took), zeros almost
    nothing."""
    if isinstance(config, dict):
        return {
            key: ZEROS if key.endswith("_initializer") and value else _inference_config(value)
            for key, value in config.items()
            if key != "compile_config"
        }
    if isinstance(config, list):
        return [_inference_config(v) for v in config]
    return config


def _inference_copy(keras_model):
    """The model without its training state: Keras saves a compiled model's optimizer
    (two Adam moments per weight), which triples the bundle of an embedding model.
    Rebuilt from its config with no compile settings anywhere (members of an ensemble
    carry their own), so neither the copy nor a nested model builds an optimizer; a
    bundle is for scoring (see ``_inference_config``)."""
    copy = type(keras_model).from_config(_inference_config(keras_model.get_config()))
    copy.set_weights(keras_model.get_weights())
    return copy
