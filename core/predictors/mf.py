"""Matrix factorisation (MF) win predictor, as in RouteLLM (Ong et al., 2024, section 4.1).

delta(M, q) = w2^T (v_M * (W1^T v_q + b)) with a learned, L2-normalised embedding v_M
per model, and P(a beats b | q) = sigmoid(delta(a, q) - delta(b, q)). One model serves
any pair of models it was trained on. The query vector v_q is the prompt embedding
(times ``embedding_scale``) joined with standardised cheap text features (see
``core.features``): out of domain the features generalise better than the embedding
(DESIGN.md section 7), and the scale sets how much the embedding may speak.

With ``contrast_neighbours = k`` the features enter as their difference from the mean
features of the k most similar training prompts (by embedding): what is long or
elaborate *for its kind of prompt*. Raw features mostly tell the training sources apart
(code vs. multiple choice vs. chat), and those contrasts do not carry over to a new
domain; contrasts within a neighbourhood do (measured in the default router's model card).
The training prompts' embeddings (int8) and standardised features are kept for this.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..errors import ArtifactError
from ..features import FEATURE_NAMES
from ..validation import check_int, check_number
from .base import PairwiseData, Predictor, Queries, expect_shape

_INT8_SCALE = 127.0  # unit-norm embeddings kept as int8 for the neighbour search


def _torch() -> Any:
    import torch

    return torch


class MFPredictor(Predictor):
    """RouteLLM's bilinear MF router, trained with Adam on soft win labels (ties = 0.5)."""

    kind: ClassVar[str] = "mf"

    def __init__(
        self,
        dim: int = 128,
        epochs: int = 10,
        batch_size: int = 64,
        lr: float = 3e-4,
        weight_decay: float = 1e-5,
        use_features: bool = True,
        embedding_scale: float = 1.0,
        contrast_neighbours: int = 0,
        seed: int = 0,
        show_progress: bool = True,
    ) -> None:
        self.dim = dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.use_features = use_features
        self.embedding_scale = embedding_scale
        self.contrast_neighbours = contrast_neighbours
        self.seed = seed
        self.show_progress = show_progress

    # -- query vectors ----------------------------------------------------------------------
    def _query_matrix(self, queries: Queries, *, training: bool = False) -> np.ndarray:
        emb = np.asarray(queries.embeddings, dtype=np.float32)
        if not self.use_features:
            return emb * np.float32(self.embedding_scale)
        feats = (np.asarray(queries.features, dtype=np.float32) - self.feature_mean_) / self.feature_std_
        if self.contrast_neighbours:
            feats = feats - self._neighbour_features(emb, training=training)
        return np.concatenate([emb * np.float32(self.embedding_scale), feats], axis=1)

    def _set_contrast(self, embeddings: np.ndarray, features: np.ndarray) -> None:
        """Keep the training prompts (int8 embeddings, float16 features) and float32 copies to search."""
        if embeddings.dtype != np.int8 or len(embeddings) != len(features):
            raise ValueError("contrast bank: expected int8 embeddings and one feature row per training prompt")
        self.contrast_embeddings_, self.contrast_features_ = embeddings, features
        self._contrast_bank = (
            np.ascontiguousarray(embeddings.T, dtype=np.float32) / np.float32(_INT8_SCALE),
            features.astype(np.float32),
        )

    def _neighbour_features(self, emb: np.ndarray, *, training: bool, block: int = 1024) -> np.ndarray:
        """Mean standardised features of each query's most similar training prompts.

        ``training``: the queries are the training prompts themselves, each left out of its own
        neighbours (as a new prompt is never among them).
        """
        bank_t, bank_features = self._contrast_bank
        k = min(int(self.contrast_neighbours), bank_t.shape[1] - int(training))
        if k < 1:
            raise ValueError("contrast_neighbours needs at least 2 training prompts")
        out = np.empty((len(emb), bank_features.shape[1]), np.float32)
        for start in range(0, len(emb), block):
            sims = emb[start : start + block] @ bank_t
            if training:
                rows = np.arange(len(sims))
                sims[rows, start + rows] = -np.inf
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            out[start : start + block] = bank_features[top].mean(axis=1)
        return out

    def fit(self, data: PairwiseData) -> MFPredictor:
        torch = _torch()
        from tqdm.auto import tqdm

        if len(data) == 0:
            raise ValueError("MFPredictor.fit: no battles to fit on")
        if self.contrast_neighbours < 0:
            raise ValueError(f"MFPredictor: contrast_neighbours must be >= 0 (0: off), got {self.contrast_neighbours}")
        feats = np.asarray(data.queries.features, dtype=np.float32)
        self.feature_mean_ = feats.mean(axis=0) if len(feats) else np.zeros(feats.shape[1], np.float32)
        self.feature_std_ = np.maximum(feats.std(axis=0), 1e-3).astype(np.float32)
        if self.contrast_neighbours:
            if not self.use_features:
                raise ValueError(
                    "MFPredictor: contrast_neighbours contrasts the text features; it needs use_features=True"
                )
            emb = np.asarray(data.queries.embeddings, dtype=np.float32)
            emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
            self._set_contrast(
                np.round(emb * _INT8_SCALE).astype(np.int8),
                ((feats - self.feature_mean_) / self.feature_std_).astype(np.float16),
            )
        self.models_ = list(data.models)
        x = torch.from_numpy(self._query_matrix(data.queries, training=True))
        gen = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        proj = torch.nn.Linear(x.shape[1], self.dim, bias=True)
        model_emb = torch.nn.Embedding(len(self.models_), self.dim)
        head = torch.nn.Linear(self.dim, 1, bias=False)
        params = [*proj.parameters(), *model_emb.parameters(), *head.parameters()]
        opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)

        prompt = torch.from_numpy(data.prompt.astype(np.int64))
        a = torch.from_numpy(data.model_a.astype(np.int64))
        b = torch.from_numpy(data.model_b.astype(np.int64))
        y = torch.from_numpy(data.outcome.astype(np.float32))
        w = torch.from_numpy(data.weight.astype(np.float32))
        n = len(y)
        steps = (n + self.batch_size - 1) // self.batch_size
        bar = tqdm(total=self.epochs * steps, desc="training MF", disable=not self.show_progress, unit="step")
        self.loss_history_: list[float] = []
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # batches of 64 are far faster on one thread than on contended cores
        try:
            for _ in range(self.epochs):
                order = torch.randperm(n, generator=gen)
                total = 0.0
                for start in range(0, n, self.batch_size):
                    idx = order[start : start + self.batch_size]
                    q = proj(x[prompt[idx]])
                    va = torch.nn.functional.normalize(model_emb(a[idx]), dim=1)
                    vb = torch.nn.functional.normalize(model_emb(b[idx]), dim=1)
                    logit = head((va - vb) * q).squeeze(1)
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(
                        logit, y[idx], weight=w[idx], reduction="sum"
                    ) / w[idx].sum().clamp_min(1e-8)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += loss.item() * len(idx)
                    bar.update(1)
                self.loss_history_.append(total / n)
                bar.set_postfix(loss=f"{self.loss_history_[-1]:.4f}")
        finally:
            torch.set_num_threads(threads)
            bar.close()
        with torch.no_grad():
            self.proj_weight_ = proj.weight.detach().numpy().astype(np.float32)
            self.proj_bias_ = proj.bias.detach().numpy().astype(np.float32)
            self.model_embeddings_ = torch.nn.functional.normalize(model_emb.weight, dim=1).numpy().astype(np.float32)
            self.head_ = head.weight.detach().numpy()[0].astype(np.float32)
        return self

    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        s, w = self.model_index(strong), self.model_index(weak)
        x = self._query_matrix(queries)
        if x.shape[1] != self.proj_weight_.shape[1]:
            raise ArtifactError(
                f"the MF predictor's projection takes {self.proj_weight_.shape[1]} inputs per prompt, got {x.shape[1]} "
                f"(embedding + {'features' if self.use_features else 'no features'}): its parameters or the embedder "
                "do not match the saved weights"
            )
        q = x @ self.proj_weight_.T + self.proj_bias_
        diff = (self.model_embeddings_[s] - self.model_embeddings_[w]) * self.head_
        logit = q.astype(np.float64) @ diff.astype(np.float64)
        return 1.0 / (1.0 + np.exp(-logit))

    def _state_tensors(self) -> dict[str, np.ndarray]:
        tensors = {
            "proj_weight": self.proj_weight_,
            "proj_bias": self.proj_bias_,
            "model_embeddings": self.model_embeddings_,
            "head": self.head_,
            "feature_mean": self.feature_mean_,
            "feature_std": self.feature_std_,
        }
        if self.contrast_neighbours:
            tensors["contrast_embeddings"] = self.contrast_embeddings_
            tensors["contrast_features"] = self.contrast_features_
        return tensors

    def _state_meta(self) -> dict[str, Any]:
        return {"loss_history": getattr(self, "loss_history_", [])}

    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore the weights after checking every parameter and shape (a wrong shape with a right
        checksum must fail here, at load, not at the first route)."""
        check_int(self.contrast_neighbours, "contrast_neighbours", low=0)
        check_number(self.embedding_scale, "embedding_scale", low=0.0)
        if not isinstance(self.use_features, bool):
            raise ValueError(f"use_features must be true or false, got {self.use_features!r}")
        proj = expect_shape(tensors, "proj_weight", (None, None))
        dim, width = proj.shape
        n_features = len(FEATURE_NAMES) if self.use_features else 0
        if dim < 1 or width <= n_features:
            raise ValueError(f"tensor 'proj_weight' has shape {proj.shape}: too small for {n_features} features")
        self.proj_weight_ = proj
        self.proj_bias_ = expect_shape(tensors, "proj_bias", (dim,))
        self.model_embeddings_ = expect_shape(tensors, "model_embeddings", (len(self.models_), dim))
        self.head_ = expect_shape(tensors, "head", (dim,))
        self.feature_mean_ = expect_shape(tensors, "feature_mean", (len(FEATURE_NAMES),))
        self.feature_std_ = expect_shape(tensors, "feature_std", (len(FEATURE_NAMES),))
        if self.use_features and not (self.feature_std_ > 0).all():
            raise ValueError("tensor 'feature_std' must be positive")
        if self.contrast_neighbours:
            if "contrast_embeddings" not in tensors or "contrast_features" not in tensors:
                raise ValueError(
                    "contrast_neighbours is set but the training prompts' embeddings and features are missing"
                )
            bank = expect_shape(tensors, "contrast_embeddings", (None, width - n_features))
            expect_shape(tensors, "contrast_features", (len(bank), len(FEATURE_NAMES)))
            if len(bank) < 2:
                raise ValueError("contrast_neighbours needs at least 2 training prompts in the contrast bank")
            self._set_contrast(tensors["contrast_embeddings"], tensors["contrast_features"])
        self.loss_history_ = list(meta.get("loss_history", []))
