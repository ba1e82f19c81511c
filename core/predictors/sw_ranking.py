"""Similarity-weighted (SW) ranking, as defined by RouteLLM (Ong et al., 2024, section 4.1).

For a query q, every training battle i gets weight gamma^(1 + S(q, q_i)) where
S(q, q_i) = cos(q, q_i) / max_s cos(q_i, q_s) (the training prompt's own maximum
similarity to the rest of the training set), and a Bradley-Terry model is fitted
on the weighted battles at query time. Vectorised: battles are pre-aggregated into
one win matrix per training prompt, so a query costs one matrix product plus a few
Newton steps on a K x K system (K = number of models).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import PairwiseData, Predictor, Queries


def _sparse() -> Any:
    """scipy.sparse, imported on first use (keeps scipy off ``import core``'s path)."""
    import scipy.sparse

    return scipy.sparse


class SWRankingPredictor(Predictor):
    """RouteLLM's similarity-weighted Bradley-Terry ranking."""

    kind: ClassVar[str] = "sw_ranking"

    def __init__(self, gamma: float = 10.0, l2: float = 1e-3, newton_steps: int = 25, chunk: int = 256) -> None:
        self.gamma = gamma
        self.l2 = l2
        self.newton_steps = newton_steps
        self.chunk = chunk

    def fit(self, data: PairwiseData) -> SWRankingPredictor:
        if len(data) == 0:
            raise ValueError("SWRankingPredictor.fit: no battles to fit on")
        used = np.unique(data.prompt)
        remap = np.full(len(data.queries), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        emb = np.asarray(data.queries.embeddings[used], dtype=np.float32)
        k = len(data.models)
        rows = remap[data.prompt]
        wins_a = data.weight * data.outcome
        wins_b = data.weight * (1.0 - data.outcome)
        # wins[p, a*k + b] = weighted wins of a over b on prompt p (both orientations stored)
        cols = np.concatenate([data.model_a * k + data.model_b, data.model_b * k + data.model_a])
        vals = np.concatenate([wins_a, wins_b])
        wins = _sparse().csr_matrix((vals, (np.concatenate([rows, rows]), cols)), shape=(len(used), k * k))
        wins.sum_duplicates()
        self.models_ = list(data.models)
        self.embeddings_ = emb
        self.wins_ = wins
        self.max_sim_ = self._max_self_similarity(emb)
        return self

    def _max_self_similarity(self, emb: np.ndarray) -> np.ndarray:
        out = np.empty(len(emb), dtype=np.float32)
        for start in range(0, len(emb), 1024):
            sims = emb[start : start + 1024] @ emb.T
            idx = np.arange(start, min(start + 1024, len(emb)))
            sims[idx - start, idx] = -np.inf  # exclude the prompt itself
            out[start : start + 1024] = sims.max(axis=1) if len(emb) > 1 else 1.0
        return np.maximum(out, 1e-6)

    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        s, w = self.model_index(strong), self.model_index(weak)
        out = np.empty(len(queries), dtype=np.float64)
        for start in range(0, len(queries), self.chunk):
            q = np.asarray(queries.embeddings[start : start + self.chunk], dtype=np.float32)
            sim = (q @ self.embeddings_.T) / self.max_sim_[None, :]
            weights = np.power(self.gamma, 1.0 + sim.astype(np.float64))
            agg = np.asarray(self.wins_.T.dot(weights.T).T)  # (n, k*k)
            beta = self._bradley_terry(agg.reshape(len(q), len(self.models_), len(self.models_)))
            out[start : start + len(q)] = 1.0 / (1.0 + np.exp(-(beta[:, s] - beta[:, w])))
        return out

    def _bradley_terry(self, wins: np.ndarray) -> np.ndarray:
        """Batched weighted BT MLE by Newton's method with a small ridge (keeps it identifiable)."""
        n, k, _ = wins.shape
        games = wins + wins.transpose(0, 2, 1)  # n_ij = w_ij + w_ji
        scale = games.sum(axis=(1, 2), keepdims=True)[:, :, 0] / max(k, 1)
        lam = self.l2 * np.maximum(scale, 1e-12)
        beta = np.zeros((n, k))
        eye = np.eye(k)
        for _ in range(self.newton_steps):
            p = 1.0 / (1.0 + np.exp(-(beta[:, :, None] - beta[:, None, :])))
            grad = (wins - games * p).sum(axis=2) - lam * beta
            h = games * p * (1.0 - p)
            hess = h - eye * (h.sum(axis=2) + lam)[:, :, None]
            step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
            beta = beta - step
            if np.max(np.abs(step)) < 1e-8:
                break
        return beta

    def _state_tensors(self) -> dict[str, np.ndarray]:
        coo = self.wins_.tocoo()
        return {
            "embeddings": self.embeddings_,
            "max_sim": self.max_sim_,
            "wins_row": coo.row.astype(np.int64),
            "wins_col": coo.col.astype(np.int64),
            "wins_val": coo.data.astype(np.float64),
        }

    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.embeddings_ = tensors["embeddings"]
        self.max_sim_ = tensors["max_sim"]
        k = len(self.models_)
        self.wins_ = _sparse().csr_matrix(
            (tensors["wins_val"], (tensors["wins_row"], tensors["wins_col"])),
            shape=(len(self.embeddings_), k * k),
        )
