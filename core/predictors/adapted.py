"""Adapted predictor: a base predictor plus an in-domain correction learned from the user's labels.

``winroute adapt`` builds it (``core.adaptation``). For the strong/weak pair it was fitted on it
predicts the expected outcome of a battle (strong wins 1, tie 0.5, loses 0) as

    y_hat(q) = mean_y + base_weight * z(q) + ridge(q) + knn(q),   score = 0.5 + 0.5 * tanh(y_hat)

where ``y = 2 * outcome - 1`` per labelled prompt, ``z`` is the base predictor's logit
standardised over the labelled prompts, ``ridge`` a ridge regression of the labels' residual on
[embedding, standardised text features] (alpha grows as labels get fewer), and ``knn`` a kernel
average of the remaining residuals over the ``k`` most similar labelled prompts, weights
``exp((cos - 1) / tau)``, shrunk toward 0 by ``kappa`` pseudo-neighbours at cosine 0.7: a prompt
with no close labelled neighbour keeps the base + ridge score. The base weight is fixed rather than
fitted: a few hundred 0/1 labels cannot estimate the base's small slope, and a fixed prior keeps
scores comparable between refits. Any other model pair is scored by the base predictor alone.

The defaults (base weight 0.05 per standard deviation of the base logit, ridge alpha
30 * max(1, 300 / n_labels) on [embedding, 0.2 * features], k = 100, tau = 0.15, kappa = 5) were
chosen on cross-fitted label-efficiency curves of GSM8K and MMLU (docs/adaptation.md), the same
benchmarks the curves report: a small, disclosed optimism.

Saved like every predictor: the base's tensors under ``base.`` in the same safetensors file, its
kind/params/state in the JSON, so one checksum covers both.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..errors import NotFittedError
from .base import PairwiseData, Predictor, Queries

_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


def strong_targets(data: PairwiseData, strong: str, weak: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per labelled prompt: its row in ``data.queries``, y = 2 * P(strong wins) - 1 (weighted mean), weight."""
    if strong not in data.models or weak not in data.models:
        missing = [m for m in (strong, weak) if m not in data.models]
        raise ValueError(f"no battles involve {', '.join(missing)}; models in the data: {', '.join(data.models)}")
    s, w = data.models.index(strong), data.models.index(weak)
    forward = (data.model_a == s) & (data.model_b == w)
    backward = (data.model_a == w) & (data.model_b == s)
    keep = (forward | backward) & (data.weight > 0)
    if not keep.any():
        raise ValueError(f"no battles between {strong!r} and {weak!r} to adapt on")
    outcome = np.where(forward, data.outcome, 1.0 - data.outcome)[keep]
    prompt, weight = data.prompt[keep], data.weight[keep]
    rows, inverse = np.unique(prompt, return_inverse=True)
    total = np.bincount(inverse, weights=weight, minlength=len(rows))
    mean = np.bincount(inverse, weights=weight * outcome, minlength=len(rows)) / total
    return rows, 2.0 * mean - 1.0, total


class AdaptedPredictor(Predictor):
    """A base predictor's score blended with ridge + kernel-kNN corrections fitted on in-domain labels."""

    kind: ClassVar[str] = "adapted"
    trains_from_battles: ClassVar[bool] = False

    def __init__(
        self,
        strong: str = "",
        weak: str = "",
        base_weight: float = 0.05,
        ridge_alpha: float = 30.0,
        ridge_alpha_labels: int = 300,
        feature_weight: float = 0.2,
        k: int = 100,
        tau: float = 0.15,
        kappa: float = 5.0,
    ) -> None:
        self.strong = strong
        self.weak = weak
        self.base_weight = base_weight
        self.ridge_alpha = ridge_alpha
        self.ridge_alpha_labels = ridge_alpha_labels
        self.feature_weight = feature_weight
        self.k = k
        self.tau = tau
        self.kappa = kappa
        self.base_: Predictor | None = None

    def with_base(self, base: Predictor) -> AdaptedPredictor:
        """Set the fitted predictor to correct (an adapted one is unwrapped to its own base); returns self."""
        base._check_fitted()
        while isinstance(base, AdaptedPredictor):
            assert base.base_ is not None
            base = base.base_
        self.base_ = base
        self.models_ = list(base.models_)
        return self

    def _check_fitted(self) -> None:
        """Fitted means corrections learned (``fit``) or loaded, not only a base set (``with_base``)."""
        if self.base_ is None or not hasattr(self, "ridge_coef_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call with_base(...).fit(...) or load it")

    # -- fitting ------------------------------------------------------------------------------
    def _base_z(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        assert self.base_ is not None
        return (_logit(self.base_.predict(queries, strong, weak)) - self.base_mean_) / self.base_std_

    def _design(self, queries: Queries) -> np.ndarray:
        feats = (np.asarray(queries.features, dtype=np.float64) - self.feature_mean_) / self.feature_std_
        emb = np.asarray(queries.embeddings, dtype=np.float64)
        return np.concatenate([emb, np.clip(feats, -5.0, 5.0) * self.feature_weight], axis=1)

    def fit(self, data: PairwiseData) -> AdaptedPredictor:
        """Fit the corrections on the strong-vs-weak battles in ``data`` (call :meth:`with_base` first)."""
        if self.base_ is None:
            raise ValueError("AdaptedPredictor.fit: call with_base(predictor) first")
        if not self.strong or not self.weak:
            raise ValueError("AdaptedPredictor needs strong= and weak= (the names the base predictor knows)")
        self.base_.model_index(self.strong), self.base_.model_index(self.weak)
        rows, y, weight = strong_targets(data, self.strong, self.weak)
        queries = data.queries.subset(rows)
        w = weight / weight.mean()
        raw = _logit(self.base_.predict(queries, self.strong, self.weak))
        self.base_mean_ = float(np.average(raw, weights=w))
        spread = float(np.sqrt(np.average((raw - self.base_mean_) ** 2, weights=w)))
        self.base_std_ = spread if spread > 1e-6 else 1.0
        feats = np.asarray(queries.features, dtype=np.float64)
        self.feature_mean_ = np.average(feats, axis=0, weights=w)
        self.feature_std_ = np.maximum(np.sqrt(np.average((feats - self.feature_mean_) ** 2, axis=0, weights=w)), 1e-3)
        self.label_mean_ = float(np.average(y, weights=w))
        z = (raw - self.base_mean_) / self.base_std_
        resid = y - self.label_mean_ - self.base_weight * z
        x = self._design(queries)
        alpha = self.ridge_alpha * max(1.0, self.ridge_alpha_labels / len(y))
        x_mean = np.average(x, axis=0, weights=w)
        r_mean = float(np.average(resid, weights=w))
        xc = x - x_mean
        gram = (xc * w[:, None]).T @ xc + alpha * np.eye(x.shape[1])
        self.ridge_coef_ = np.linalg.solve(gram, (xc * w[:, None]).T @ (resid - r_mean))
        self.ridge_intercept_ = r_mean - float(x_mean @ self.ridge_coef_)
        self.label_embeddings_ = np.asarray(queries.embeddings, dtype=np.float32)
        self.label_residuals_ = resid - (x @ self.ridge_coef_ + self.ridge_intercept_)
        self.label_weights_ = w
        # leave-one-out scores of the labelled prompts (calibration without each label seeing itself)
        self.loo_scores_ = self._loo_scores(z, x)
        return self

    def _loo_scores(self, z: np.ndarray, x: np.ndarray) -> np.ndarray:
        y_hat = self.label_mean_ + self.base_weight * z + x @ self.ridge_coef_ + self.ridge_intercept_
        return self._squash(y_hat + self._knn(self.label_embeddings_, exclude_self=True))

    # -- scoring ------------------------------------------------------------------------------
    def _knn(self, emb: np.ndarray, *, exclude_self: bool = False, block: int = 2048) -> np.ndarray:
        """Kernel-weighted mean residual of the k most similar labelled prompts, shrunk toward 0."""
        n = len(self.label_residuals_)
        out = np.zeros(len(emb))
        k = min(int(self.k), n - 1 if exclude_self else n)
        if k < 1:
            return out
        shrink = self.kappa * np.exp((0.7 - 1.0) / self.tau)
        for start in range(0, len(emb), block):
            sim = np.asarray(emb[start : start + block], dtype=np.float32) @ self.label_embeddings_.T
            if exclude_self:
                idx = np.arange(start, start + len(sim))
                sim[idx - start, idx] = -np.inf
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            s = np.take_along_axis(sim, top, axis=1).astype(np.float64)
            kern = np.exp((s - 1.0) / self.tau) * self.label_weights_[top]
            out[start : start + len(sim)] = (kern * self.label_residuals_[top]).sum(axis=1) / (
                kern.sum(axis=1) + shrink
            )
        return out

    @staticmethod
    def _squash(y_hat: np.ndarray) -> np.ndarray:
        return 0.5 + 0.5 * np.tanh(y_hat)

    def expected_gain(self, queries: Queries) -> np.ndarray:
        """y_hat: expected strong-minus-weak outcome in [-1, 1] units (before squashing)."""
        z = self._base_z(queries, self.strong, self.weak)
        x = self._design(queries)
        return (
            self.label_mean_
            + self.base_weight * z
            + x @ self.ridge_coef_
            + self.ridge_intercept_
            + self._knn(queries.embeddings)
        )

    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        self.model_index(strong), self.model_index(weak)
        assert self.base_ is not None
        if (strong, weak) == (self.strong, self.weak):
            return self._squash(self.expected_gain(queries))
        if (strong, weak) == (self.weak, self.strong):
            return 1.0 - self._squash(self.expected_gain(queries))
        return self.base_.predict(queries, strong, weak)

    # -- persistence --------------------------------------------------------------------------

    def _state_tensors(self) -> dict[str, np.ndarray]:
        assert self.base_ is not None
        out = {f"base.{k}": v for k, v in self.base_._state_tensors().items()}
        out.update(
            {
                "label_embeddings": self.label_embeddings_,
                "label_residuals": self.label_residuals_,
                "label_weights": self.label_weights_,
                "ridge_coef": self.ridge_coef_,
                "ridge_intercept": np.array([self.ridge_intercept_]),
                "feature_mean": self.feature_mean_,
                "feature_std": self.feature_std_,
                "stats": np.array([self.base_mean_, self.base_std_, self.label_mean_]),
            }
        )
        return out

    def _state_meta(self) -> dict[str, Any]:
        assert self.base_ is not None
        return {
            "base": {
                "kind": self.base_.kind,
                "params": self.base_.get_params(),
                "models": self.base_.models_,
                "state": self.base_._state_meta(),
            },
            "n_labels": len(self.label_residuals_),
        }

    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        from . import PREDICTORS

        info = meta["base"]
        if info["kind"] not in PREDICTORS:
            raise ValueError(f"unknown base predictor kind {info['kind']!r}")
        base = PREDICTORS[info["kind"]](**info.get("params", {}))
        base.models_ = list(info["models"])
        base._set_state({k[5:]: v for k, v in tensors.items() if k.startswith("base.")}, info.get("state", {}))
        self.base_ = base
        self.label_embeddings_ = tensors["label_embeddings"]
        self.label_residuals_ = tensors["label_residuals"]
        self.label_weights_ = tensors["label_weights"]
        self.ridge_coef_ = tensors["ridge_coef"]
        self.ridge_intercept_ = float(tensors["ridge_intercept"][0])
        self.feature_mean_ = tensors["feature_mean"]
        self.feature_std_ = tensors["feature_std"]
        self.base_mean_, self.base_std_, self.label_mean_ = (float(v) for v in tensors["stats"])
        if len(self.label_embeddings_) != len(self.label_residuals_) or len(self.ridge_coef_) != (
            self.label_embeddings_.shape[1] + len(self.feature_mean_)
        ):
            raise ValueError("adapted predictor tensors have inconsistent shapes")
        if self.models_ != base.models_:
            raise ValueError("adapted predictor's model list differs from its base's")
