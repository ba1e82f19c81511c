"""Random router: a baseline that ignores the prompt's content.

Scores are uniform in [0, 1] but deterministic per prompt (seeded by a hash of the
embedding), so the same input always routes the same way.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import numpy as np

from .base import PairwiseData, Predictor, Queries


class RandomPredictor(Predictor):
    """Uniform pseudo-random P(strong wins), reproducible for the same prompt and seed."""

    kind: ClassVar[str] = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, data: PairwiseData) -> RandomPredictor:
        self.models_ = list(data.models)
        return self

    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        self.model_index(strong), self.model_index(weak)
        out = np.empty(len(queries), dtype=np.float64)
        for i, row in enumerate(np.ascontiguousarray(queries.embeddings, dtype=np.float32)):
            digest = hashlib.blake2b(row.tobytes(), digest_size=8, key=str(self.seed).encode()).digest()
            out[i] = int.from_bytes(digest, "little") / 2**64
        return out

    def _state_tensors(self) -> dict[str, np.ndarray]:
        return {"seed": np.array([self.seed], dtype=np.int64)}

    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        if int(tensors["seed"][0]) != self.seed:
            raise ValueError("stored seed differs from the recorded parameter")
