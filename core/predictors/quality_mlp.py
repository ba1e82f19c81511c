"""PROCEED's quality regressor: a small MLP on frozen prompt embeddings, MSE on a sigmoid output."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Queries
from .quality import QualityPredictor


class MLPQualityPredictor(QualityPredictor):
    """One MLP per model: [embedding, standardised text features] -> hidden -> sigmoid score.

    ``oversample`` balances successes (score >= 0.5) and failures by repeating the rarer
    class, as PROCEED did against models that are almost always right or wrong.
    """

    kind: ClassVar[str] = "mlp_quality"

    def __init__(
        self,
        hidden: int = 128,
        epochs: int = 20,
        batch_size: int = 64,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        use_features: bool = True,
        oversample: bool = False,
        seed: int = 0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.use_features = use_features
        self.oversample = oversample
        self.seed = seed

    def _inputs(self, queries: Queries, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        emb = np.asarray(queries.embeddings, dtype=np.float32)
        if not self.use_features:
            return emb
        feats = (np.asarray(queries.features, dtype=np.float32) - mean) / std
        return np.concatenate([emb, feats], axis=1)

    def _oversampled(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        index = np.arange(len(y))
        win = y >= 0.5
        if not self.oversample or win.all() or not win.any():
            return index
        rare, common = (index[win], index[~win]) if win.sum() < (~win).sum() else (index[~win], index[win])
        extra = rng.choice(rare, size=len(common) - len(rare), replace=True)
        return np.concatenate([index, extra])

    def _fit_model(self, queries: Queries, scores: np.ndarray) -> dict[str, np.ndarray]:
        import torch

        feats = np.asarray(queries.features, dtype=np.float32)
        mean = feats.mean(axis=0)
        std = np.maximum(feats.std(axis=0), 1e-3).astype(np.float32)
        x_all = torch.from_numpy(self._inputs(queries, mean, std))
        y_all = torch.from_numpy(np.asarray(scores, dtype=np.float32))
        rng = np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)
        net = torch.nn.Sequential(
            torch.nn.Linear(x_all.shape[1], self.hidden), torch.nn.ReLU(), torch.nn.Linear(self.hidden, 1)
        )
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # small batches: one thread is far faster than two contended ones
        try:
            for _ in range(self.epochs):
                order = rng.permutation(self._oversampled(scores, rng))
                for start in range(0, len(order), self.batch_size):
                    batch = torch.from_numpy(order[start : start + self.batch_size])
                    pred = torch.sigmoid(net(x_all[batch]).squeeze(1))
                    loss = torch.nn.functional.mse_loss(pred, y_all[batch])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        finally:
            torch.set_num_threads(threads)
        state = {k.replace(".", "_"): v.detach().numpy().copy() for k, v in net.state_dict().items()}
        return {**state, "feature_mean": mean, "feature_std": std}

    def _predict_model(self, state: dict[str, np.ndarray], queries: Queries) -> np.ndarray:
        x = self._inputs(queries, state["feature_mean"], state["feature_std"])
        h = np.maximum(x @ state["0_weight"].T + state["0_bias"], 0.0)
        logits = (h @ state["2_weight"].T + state["2_bias"])[:, 0]
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
