"""``ModelCard``: what a bundle says about its model, built, checked and read in one place.

The card travels in ``card.json`` beside the model: the family and the settings it was
trained with, the data's checksum and split sizes, validation and test metrics, the
calibration (temperature) every score uses, and the library versions. A card read from
disk is checked field by field; a wrong type (``"format_version": "x"``,
``"temperature": "hot"``) is a one-line ``BundleError``, not a traceback later.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from movie_sentiment.bundle.ratings import check_ratings
from movie_sentiment.bundle.uncertain import check_zone
from movie_sentiment.errors import BundleError, ConfigError
from movie_sentiment.settings import check_fields, from_settings, is_number

BUNDLE_FORMAT = "movie-sentiment-bundle"
# 2: "family" and "family_options" (version 1 said "model" and "model_options").
# 3: ``ratings.shared_encoder``: the rating model reads the bundle's own encoder, and
#    ``ratings/`` holds no encoder (an older reader would call such a bundle incomplete).
CARD_VERSION = 3


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
    uncertain: dict = field(default_factory=dict)  # the uncertain zone (bundle.uncertain)
    ratings: dict = field(default_factory=dict)  # the stars model (bundle.ratings)
    stage_seconds: dict = field(default_factory=dict)
    train_seconds: float | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    versions: dict = field(default_factory=dict)  # libraries that wrote the bundle
    run_id: str | None = None  # the run that trained it (its run folder's marker says it too)
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
        check_zone(self.uncertain)
        check_ratings(self.ratings)
        temperature = self.calibration.get("temperature", 1.0)
        if not is_number(temperature) or temperature <= 0:
            raise ConfigError(
                f"calibration temperature must be a positive number, not {temperature!r}"
            )

    @property
    def temperature(self) -> float:
        """Temperature fit on validation at training time (1.0: uncalibrated)."""
        return float(self.calibration.get("temperature", 1.0))

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
        return from_settings(cls, data, "model card")

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        """The card in the file ``path``; a one-line ``BundleError`` naming what is wrong."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BundleError(f"{path} is damaged: {error}") from None
        except RecursionError:
            raise BundleError(f"{path} is damaged: nested too deeply to be a card") from None
        try:
            return cls.from_dict(data)
        except ConfigError as error:
            raise BundleError(f"{path} is not a usable model card: {error}") from None


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
    data["format_version"] = CARD_VERSION
    return data
