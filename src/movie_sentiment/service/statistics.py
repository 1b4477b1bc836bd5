"""Per-model inference statistics as the Open Inference Protocol's statistics extension
gives them (``GET /v2/models/stats``, ``GET /v2/models/{name}/stats``; Triton's
``docs/protocol/extension_statistics.md``), which ``tritonclient``'s
``get_inference_statistics()`` reads.

What is counted: every scoring request for a model (``/v1/score`` and V2 infer), its
reviews, its wait for a batch (``queue``) and the model calls it was scored in
(``compute_infer``, and ``batch_stats`` by batch size). Our scoring is one call
(encoding, the Keras model, calibration and stars), so ``compute_input`` and
``compute_output`` count the same calls with no time of their own.
"""

from __future__ import annotations

import time
from collections import defaultdict


def _duration() -> dict:
    return {"count": 0, "ns": 0}


class ModelStatistics:
    """One model's counts since the service started."""

    def __init__(self, name: str):
        self.name = name
        self.last_inference = 0  # ms since the epoch
        self.inference_count = 0  # reviews scored by successful requests
        self.execution_count = 0  # model calls
        self.stats = {
            key: _duration()
            for key in ("success", "fail", "queue", "compute_input", "compute_infer")
        }
        self.stats["compute_output"] = _duration()
        self.stats["cache_hit"] = _duration()
        self.batches: dict[int, int] = defaultdict(int)
        self.batch_ns: dict[int, int] = defaultdict(int)

    @staticmethod
    def _add(duration: dict, seconds: float) -> None:
        duration["count"] += 1
        duration["ns"] += int(seconds * 1e9)

    def request(self, reviews: int, seconds: float, ok: bool) -> None:
        """A scoring request answered: ``ok`` or failed (ours), after ``seconds``."""
        self._add(self.stats["success" if ok else "fail"], seconds)
        if ok:
            self.inference_count += reviews
            self.last_inference = int(time.time() * 1000)

    def queued(self, seconds: float) -> None:
        self._add(self.stats["queue"], seconds)

    def executed(self, batch_size: int, seconds: float) -> None:
        """A model call of ``batch_size`` reviews that took ``seconds``."""
        self.execution_count += 1
        self._add(self.stats["compute_infer"], seconds)
        for key in ("compute_input", "compute_output"):
            self._add(self.stats[key], 0.0)
        self.batches[batch_size] += 1
        self.batch_ns[batch_size] += int(seconds * 1e9)

    def as_json(self) -> dict:
        batch_stats = [
            {
                "batch_size": size,
                "compute_input": {"count": count, "ns": 0},
                "compute_infer": {"count": count, "ns": self.batch_ns[size]},
                "compute_output": {"count": count, "ns": 0},
            }
            for size, count in sorted(self.batches.items())
        ]
        return {
            "name": self.name,
            "last_inference": self.last_inference,
            "inference_count": self.inference_count,
            "execution_count": self.execution_count,
            "inference_stats": {key: dict(value) for key, value in self.stats.items()},
            "batch_stats": batch_stats,
        }
