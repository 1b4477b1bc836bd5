"""``ModelCard``: what a bundle says about its model, built, checked and read in one place.

The card travels in ``card.json`` beside the model: the family and the settings it was
trained with, the data's checksum and split sizes, validation and test metrics, the
calibration (temperature) every score uses, and the library versions. A card read from
disk is checked field by field, by type and by range (``check_card``): a wrong type
(``"format_version": "x"``, ``"temperature": "hot"``) or a value no training writes (a
temperature of 1e308, an uncertain table of NaN, a metric that is text) is a one-line
``BundleError`` naming the card and the field, not a traceback or a wrong label later.

Since version 4 the card records the sha256 of every other file of its bundle
(``files``), which loading verifies; cards of earlier versions have none and still load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from movie_sentiment.bundle.heads import Stars, Temperature, UncertainZone
from movie_sentiment.checks import check_fields, from_settings, is_number, json_problem
from movie_sentiment.errors import BundleError, ConfigError

BUNDLE_FORMAT = "movie-sentiment-bundle"
# 2: "family" and "family_options" (version 1 said "model" and "model_options").
# 3: ``ratings.shared_encoder``: the stars model reads the bundle's own encoder, and
#    ``ratings/`` holds no encoder (an older reader would call such a bundle incomplete).
# 4: ``files``, the sha256 of each bundle file (an older reader would refuse the key).
# 5: ``long_reviews``, each scoring member's long-review policy, fixed when the bundle was
#    fit (older cards: each member's family's default when scored, as before).
# 6: ``stars`` (was ``ratings``; metrics ``stars`` and ``stars_baseline`` were ``ratings``
#    and ``ratings_baseline``), the stars model in ``stars/`` (was ``ratings/``).
CARD_VERSION = 6
STARS_FOLDERS = {6: "stars", 1: "ratings"}  # the stars model's folder, from card version
# The files a bundle may have besides its card (``files`` names no others).
BUNDLE_FILES = frozenset(
    f"{folder}{name}"
    for folder in ("", "stars/", "ratings/")
    for name in ("model.keras", "encoder.json", "encoder.npz")
)


@dataclass
class ModelCard:
    """The model card of a bundle. ``config`` holds the resolved training settings
    (``family``, ``encoder``, ``family_options``, ``training``)."""

    family: str
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)  # {"validation": {...}, "test": {...}}
    calibration: dict = field(default_factory=dict)  # method, temperature, test report
    data: dict = field(default_factory=dict)  # checksum, reviews per part
    parameters: int | None = None
    epochs_run: int | None = None
    epoch_kept: int | None = None
    initialization: dict = field(default_factory=dict)  # pretraining a family reported
    members: dict = field(default_factory=dict)  # ensembles: weight and figures per member
    bias: float | None = None  # ensembles: the combiner's bias
    refit: dict = field(default_factory=dict)  # ensembles: members trained again on all
    uncertain: dict = field(default_factory=dict)  # the uncertain zone (bundle.heads)
    # how each scoring member reads reviews longer than its window (bundle.scoring), the
    # policy its temperature and zone were fit under; empty: its family's default
    long_reviews: list[str] = field(default_factory=list)
    stars: dict = field(default_factory=dict)  # the stars (bundle.heads.stars)
    stage_seconds: dict = field(default_factory=dict)
    train_seconds: float | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    versions: dict = field(default_factory=dict)  # libraries that wrote the bundle
    files: dict = field(default_factory=dict)  # sha256 of each bundle file, by its name
    run_id: str | None = None  # the run that wrote the bundle (its ownership marker)
    format: str = BUNDLE_FORMAT
    format_version: int = CARD_VERSION

    def __post_init__(self) -> None:
        check_fields(self, "model card")
        if self.format != BUNDLE_FORMAT:
            raise ConfigError(f"format is {self.format!r}, not {BUNDLE_FORMAT!r}")
        if self.format_version > CARD_VERSION:
            raise ConfigError(
                f"format_version {self.format_version} was written by a newer "
                "movie-sentiment; upgrade to load it"
            )
        if self.format_version < 1:
            raise ConfigError(f"format_version must be 1 or more, not {self.format_version}")
        UncertainZone.check(self.uncertain)
        Stars.check(self.stars)
        Temperature.check(self.calibration)
        check_figures(self.calibration.get("test", {}), "calibration test")
        check_figures(self.metrics, "metrics")
        check_members(self.members)
        check_long_reviews(self.long_reviews, max(len(self.members), 1))
        check_counts(self)
        check_files(self.files)
        for name, value in self.versions.items():
            if not isinstance(value, str):
                raise ConfigError(f"versions {name} must be a string, not {value!r}"[:200])

    @property
    def temperature(self) -> float:
        """Temperature fit on validation at training time (1.0: uncalibrated)."""
        return float(self.calibration.get("temperature", 1.0))

    @property
    def stars_folder(self) -> str:
        """The bundle folder of the stars model: ``stars`` since version 6."""
        return next(f for v, f in STARS_FOLDERS.items() if self.format_version >= v)

    def to_dict(self) -> dict:
        """The card as JSON-ready data, format first; empty optional parts are left out."""
        data = asdict(self)
        ordered = {"format": data.pop("format"), "format_version": data.pop("format_version")}
        return ordered | {k: v for k, v in data.items() if v not in (None, {}, [])}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str, allow_nan=False)

    @classmethod
    def from_dict(cls, data) -> ModelCard:
        """A card from JSON data, upgrading version 1 names; ``ConfigError`` if wrong."""
        if not isinstance(data, dict):
            raise ConfigError(f"the card is a JSON {type(data).__name__}, not an object")
        data = dict(data)
        if data.get("format") != BUNDLE_FORMAT:
            raise ConfigError("it is not a movie-sentiment model card (foreign format)")
        version = data.get("format_version", 1)
        if isinstance(version, int) and not isinstance(version, bool) and version < 2:
            data = _upgrade_version_1(data)
        if isinstance(version, int) and not isinstance(version, bool) and version < 6:
            data = _upgrade_to_stars(data)
        return from_settings(cls, data, "model card")

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        """The card in the file ``path``; a one-line ``BundleError`` naming what is wrong."""
        try:
            text = Path(path).read_bytes()
        except OSError as error:
            raise BundleError(f"{path} is damaged: {error}") from None
        return cls.from_json(text, path)

    @classmethod
    def from_json(cls, text: bytes, path: Path) -> ModelCard:
        """The card in ``text`` (the bytes of the file ``path``); a one-line
        ``BundleError`` naming the card and what is wrong."""
        try:
            return cls.from_dict(parse_card(text))
        except ConfigError as error:
            raise BundleError(f"{path} is not a usable model card: {error}") from None
        except (UnicodeDecodeError, ValueError) as error:  # JSON errors are ValueErrors
            raise BundleError(f"{path} is damaged: {json_problem(error)}") from None
        except RecursionError:
            raise BundleError(f"{path} is damaged: nested too deeply to be a card") from None


def parse_card(text: bytes):
    """JSON without NaN or Infinity (Python's reader accepts them; no card holds them)."""

    def refuse(constant: str):
        raise ConfigError(f"it holds {constant}, which is not a number a card may hold")

    return json.loads(text.decode("utf-8"), parse_constant=refuse)


def check_figures(figures, where: str) -> None:
    """Figures (metrics, a calibration report) are an object whose every value is a
    finite number, null, a list of them, or another such object: the service and the
    report read them as numbers."""
    if isinstance(figures, dict):
        for key, value in figures.items():
            check_figures(value, f"{where} {key}")
    elif isinstance(figures, list):
        for value in figures:
            check_figures(value, where)
    elif figures is not None and not is_number(figures):
        raise ConfigError(f"{where} must be a number, not {figures!r}"[:200])


def check_long_reviews(policies: list[str], members: int) -> None:
    """Each scoring member's long-review policy: one of ``bundle.scoring.LONG_REVIEWS``,
    one per member (or none: a card from before them)."""
    from movie_sentiment.bundle.scoring import LONG_REVIEWS

    if policies and len(policies) != members:
        raise ConfigError(f"long_reviews names {len(policies)} policies for {members} models")
    for policy in policies:
        if policy not in LONG_REVIEWS:
            raise ConfigError(
                f"long_reviews must each be one of {', '.join(LONG_REVIEWS)}, not {policy!r}"[:200]
            )


def check_members(members: dict) -> None:
    """An ensemble's members: each an object of its figures, numbers where numbers go."""
    for name, figures in members.items():
        if not isinstance(figures, dict):
            raise ConfigError(f"members {name} must be an object, not {figures!r}"[:200])
        for key in ("weight", "validation_accuracy", "test_accuracy", "epoch_kept", "parameters"):
            value = figures.get(key)
            if value is not None and not is_number(value):
                raise ConfigError(f"members {name} {key} must be a number, not {value!r}"[:200])


def check_counts(card: ModelCard) -> None:
    """Counts and seconds are never negative; the data's counts are whole numbers."""
    for name in ("parameters", "epochs_run", "epoch_kept", "train_seconds"):
        value = getattr(card, name)
        if value is not None and not (is_number(value) and value >= 0):
            raise ConfigError(f"{name} must be a number of 0 or more, not {value!r}"[:200])
    for name, value in card.stage_seconds.items():
        if not (is_number(value) and value >= 0):
            raise ConfigError(f"stage_seconds {name} must be 0 or more, not {value!r}"[:200])
    for name, value in card.data.items():
        if name.endswith("_reviews") and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise ConfigError(
                f"data {name} must be a whole number of 0 or more, not {value!r}"[:200]
            )


def check_files(files: dict) -> None:
    """``files``: a sha256 (64 hex digits) for each bundle file, by its name."""
    for name, digest in files.items():
        if name not in BUNDLE_FILES:
            raise ConfigError(f"files names {name!r}, which is not a bundle file"[:200])
        if not (isinstance(digest, str) and len(digest) == 64 and _is_hex(digest)):
            raise ConfigError(
                f"files {name} must be a sha256 (64 hex digits), not {digest!r}"[:200]
            )


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _upgrade_version_1(data: dict) -> dict:
    """Version 1 cards named the family ``model`` and its options ``model_options``."""
    if "model" in data and "family" not in data:
        data["family"] = data.pop("model")
    config = data.get("config")
    if isinstance(config, dict):
        config = dict(config)
        if "model" in config:
            config["family"] = config.pop("model")
        if "model_options" in config:
            config["family_options"] = config.pop("model_options")
        data["config"] = config
    data["format_version"] = 2  # its names are now version 2's
    return data


def _upgrade_to_stars(data: dict) -> dict:
    """Cards before version 6 said ``ratings`` where they now say ``stars`` (the card's
    part and the metrics); the version is kept, so the stars model is read from
    ``ratings/`` (``stars_folder``)."""
    if "ratings" in data and "stars" not in data:
        data["stars"] = data.pop("ratings")
    metrics = data.get("metrics")
    if isinstance(metrics, dict):
        metrics = {**metrics}
        for part, figures in metrics.items():
            if isinstance(figures, dict):
                figures = dict(figures)
                for old, new in (("ratings", "stars"), ("ratings_baseline", "stars_baseline")):
                    if old in figures and new not in figures:
                        figures[new] = figures.pop(old)
                metrics[part] = figures
        data["metrics"] = metrics
    return data
