"""Similarity-weighted kNN quality regressor: a strong, training-free baseline for PROCEED routing."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Queries
from .quality import QualityPredictor


class KNNQualityPredictor(QualityPredictor):
    """A model's quality on a prompt = the similarity-weighted mean of its scores on the
    ``k`` most similar training prompts (cosine on normalised embeddings).

    Weights are ``exp((sim - best_sim) / temperature)``; ``prior`` pseudo-counts of the
    model's mean score shrink predictions where neighbours are few or far.
    """

    kind: ClassVar[str] = "knn_quality"

    def __init__(self, k: int = 50, temperature: float = 0.05, prior: float = 1.0) -> None:
        self.k = k
        self.temperature = temperature
        self.prior = prior

    def _fit_model(self, queries: Queries, scores: np.ndarray) -> dict[str, np.ndarray]:
        if self.k < 1 or self.temperature <= 0 or self.prior < 0:
            raise ValueError("KNNQualityPredictor needs k >= 1, temperature > 0 and prior >= 0")
        return {
            "embeddings": np.asarray(queries.embeddings, dtype=np.float32),
            "scores": np.asarray(scores, dtype=np.float32),
        }

    def _predict_columns(self, states: list[dict[str, np.ndarray]], queries: Queries) -> np.ndarray:
        # models scored on the same prompts share one bank: one similarity matrix for all of them
        x = np.asarray(queries.embeddings, dtype=np.float32)
        sims: dict[int, np.ndarray] = {}
        out = np.empty((len(queries), len(states)))
        for j, state in enumerate(states):
            bank = state["embeddings"]
            if id(bank) not in sims:
                sims[id(bank)] = x @ bank.T
            out[:, j] = self._from_similarities(sims[id(bank)], state["scores"])
        return out

    def _predict_model(self, state: dict[str, np.ndarray], queries: Queries) -> np.ndarray:
        return self._predict_columns([state], queries)[:, 0]

    def _from_similarities(self, sims: np.ndarray, scores: np.ndarray) -> np.ndarray:
        scores = scores.astype(np.float64)
        k = min(self.k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1).astype(np.float64)
        w = np.exp((top_sims - top_sims.max(axis=1, keepdims=True)) / self.temperature)
        num = (w * scores[top]).sum(axis=1) + self.prior * scores.mean()
        return num / (w.sum(axis=1) + self.prior)
