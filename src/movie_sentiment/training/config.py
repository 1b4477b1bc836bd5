"""``TrainConfig``: everything a training run needs, as data (JSON in, JSON out).

Family defaults (``models.<family>.DEFAULTS``) fill in whatever the config leaves as
``None`` or does not override; ``resolved()`` returns the complete settings a run used.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from movie_sentiment.errors import ConfigError
from movie_sentiment.models import get_family
from movie_sentiment.settings import from_settings


@dataclass
class TrainConfig:
    """Settings of one training run.

    >>> TrainConfig(model="tutorial", epochs=10).resolved()["training"]["epochs"]
    10
    """

    model: str = "tutorial"
    data: str | None = None  # IMDB archive or folder; None: resolved as documented
    out: str | None = None  # run folder; None: a new folder under runs/
    force: bool = False  # replace an existing run folder
    seed: int = 42
    epochs: int | None = None
    batch_size: int | None = None
    validation_size: int | None = None  # reviews carved from train for validation
    validate_on_test: bool = False  # the mslearn notebook's choice; not for model selection
    early_stopping: int | None = None  # patience in epochs on validation loss; None: off
    checkpoint: bool | None = None  # keep the best epoch (validation loss); None: family default
    encoder: dict = field(default_factory=dict)  # overrides of the family's encoder settings
    model_options: dict = field(default_factory=dict)  # overrides of the family's model settings
    verbose: int | None = None  # Keras progress: 0 silent, 1 bar, 2 a line per epoch

    def __post_init__(self) -> None:
        get_family(self.model)  # unknown names fail here, before any work
        for name in ("epochs", "batch_size", "early_stopping"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive whole number, not {value!r}")
        if self.validation_size is not None and not (
            isinstance(self.validation_size, int) and self.validation_size >= 0
        ):
            raise ConfigError(
                f"validation_size must be a whole number (0 or more), not {self.validation_size!r}"
            )

    def resolved(self) -> dict:
        """The complete settings: family defaults overlaid with this config."""
        defaults = get_family(self.model).defaults
        training = dict(defaults["training"])
        for name in ("epochs", "batch_size", "validation_size", "checkpoint"):
            if getattr(self, name) is not None:
                training[name] = getattr(self, name)
        if self.validate_on_test:
            if self.checkpoint or self.early_stopping:
                raise ConfigError(
                    "checkpoint and early stopping with validate_on_test would choose the epoch "
                    "by test-set loss; use a validation split carved from train instead"
                )
            training["checkpoint"] = False  # the notebook keeps the last epoch
        training.update(
            seed=self.seed,
            validate_on_test=self.validate_on_test,
            early_stopping=self.early_stopping,
        )
        training.setdefault("checkpoint", False)
        unknown = set(self.model_options) - set(defaults["model"])
        if unknown:
            raise ConfigError(f"unknown {self.model} model options: {', '.join(sorted(unknown))}")
        return {
            "model": self.model,
            "encoder": {**defaults["encoder"], **self.encoder},
            "model_options": {**defaults["model"], **self.model_options},
            "training": training,
        }

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        return from_settings(cls, data, "training")

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ConfigError(f"cannot read training config {path}: {error}") from None
