"""Ridge regression of one pair's outcome on the prompt embedding: the robust, pair-free router.

Fitted on battles of a single pair of (pseudo-)models, typically the difficulty battles of
:func:`core.data.difficulty_comparisons` (P("hard" beats "easy") = 1 - the mean score of
every model on the prompt) or two capability tiers. A linear map from the embedding cannot
memorise a source's surface cues the way a neighbour search or an MLP can, which is what
makes it transfer to traffic of another kind (measured on the leave-one-source-out
yardstick, ``docs/generalization.md``).

The regression's output is standardised by its spread on the training prompts and squashed
with a logistic, so scores are in (0, 1), ordered as the regression orders prompts. With
``length_weight`` w the standardised log prompt length is added first (z + w * z_length): a
fixed blend with the prompt-length prior, which no training source can overfit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..errors import ArtifactError, UnknownModelError
from .base import PairwiseData, Predictor, Queries, expect_shape


class RidgePredictor(Predictor):
    """Linear regression (L2 penalty ``alpha``) of the outcome of one model pair on the embedding.

    ``use_features`` appends the standardised text features of :mod:`core.features`;
    ``length_weight`` blends in the prompt-length prior (see the module docstring).
    """

    kind: ClassVar[str] = "ridge"

    def __init__(self, alpha: float = 10.0, use_features: bool = False, length_weight: float = 0.0) -> None:
        self.alpha = alpha
        self.use_features = use_features
        self.length_weight = length_weight

    def _design(self, queries: Queries) -> np.ndarray:
        emb = np.asarray(queries.embeddings, dtype=np.float64)
        if not self.use_features:
            return emb
        feats = (np.asarray(queries.features, dtype=np.float64) - self.feature_mean_) / self.feature_std_
        return np.concatenate([emb, feats], axis=1)

    def fit(self, data: PairwiseData) -> RidgePredictor:
        from sklearn.linear_model import Ridge  # training-time only

        if not (np.isfinite(self.alpha) and self.alpha > 0):
            raise ValueError(f"ridge alpha must be > 0 and finite, got {self.alpha!r}")
        if not np.isfinite(self.length_weight):
            raise ValueError(f"ridge length_weight must be finite, got {self.length_weight!r}")
        pairs = {frozenset((int(a), int(b))) for a, b in zip(data.model_a, data.model_b)}
        if len(pairs) != 1:
            names = sorted({tuple(sorted(data.models[i] for i in p)) for p in pairs})
            raise ValueError(
                f"the ridge predictor learns one model pair (e.g. difficulty battles or two tiers); "
                f"these battles have {len(pairs)}: {names[:5]}"
            )
        first, second = data.models[int(data.model_a[0])], data.models[int(data.model_b[0])]
        flip = data.model_a != data.model_a[0]
        target = np.where(flip, 1.0 - data.outcome, data.outcome)
        feats = np.asarray(data.queries.features, dtype=np.float64)
        self.feature_mean_ = feats.mean(axis=0) if len(feats) else np.zeros(feats.shape[1])
        self.feature_std_ = np.where(feats.std(axis=0) > 1e-9, feats.std(axis=0), 1.0)
        x = self._design(data.queries)[data.prompt]
        model = Ridge(alpha=float(self.alpha)).fit(x, target, sample_weight=data.weight)
        self.coef_ = np.asarray(model.coef_, dtype=np.float64)
        self.intercept_ = float(model.intercept_)
        raw = self._design(data.queries) @ self.coef_ + self.intercept_
        self.center_, self.spread_ = float(raw.mean()), float(max(raw.std(), 1e-9))
        self.models_ = [first, second]
        return self

    def decision_function(self, queries: Queries) -> np.ndarray:
        """The regression's own output: the predicted outcome of ``models_[0]`` against ``models_[1]``."""
        self._check_fitted()
        x = self._design(queries)
        if x.shape[1] != len(self.coef_):
            raise ArtifactError(
                f"the ridge predictor was fitted on {len(self.coef_)} inputs per prompt, got {x.shape[1]}: "
                "was the router saved with another embedder?"
            )
        return x @ self.coef_ + self.intercept_

    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        self._check_fitted()
        z = (self.decision_function(queries) - self.center_) / self.spread_
        if self.length_weight:
            log_chars = np.asarray(queries.features, dtype=np.float64)[:, 0]  # FEATURE_NAMES[0]
            z = z + self.length_weight * (log_chars - self.feature_mean_[0]) / self.feature_std_[0]
        p = 1.0 / (1.0 + np.exp(-z))
        if (strong, weak) == tuple(self.models_):
            return p
        if (weak, strong) == tuple(self.models_):
            return 1.0 - p
        for name in (strong, weak):
            self.model_index(name)  # names the unknown one
        raise UnknownModelError(f"the ridge predictor scores {self.models_[0]!r} against {self.models_[1]!r} only")

    def _state_tensors(self) -> dict[str, np.ndarray]:
        return {
            "coef": self.coef_.astype(np.float32),
            "feature_mean": np.asarray(self.feature_mean_, dtype=np.float32),
            "feature_std": np.asarray(self.feature_std_, dtype=np.float32),
        }

    def _state_meta(self) -> dict[str, Any]:
        return {"intercept": self.intercept_, "center": self.center_, "spread": self.spread_}

    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        coef = expect_shape(tensors, "coef", (None,))
        n_features = expect_shape(tensors, "feature_mean", (None,)).shape[0]
        expect_shape(tensors, "feature_std", (n_features,))
        if len(self.models_) != 2 or self.models_[0] == self.models_[1]:
            raise ValueError(f"a ridge predictor scores one pair of two models, got {self.models_}")
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.feature_mean_ = np.asarray(tensors["feature_mean"], dtype=np.float64)
        self.feature_std_ = np.asarray(tensors["feature_std"], dtype=np.float64)
        self.intercept_ = float(meta["intercept"])
        self.center_, self.spread_ = float(meta["center"]), float(meta["spread"])
        if not (self.spread_ > 0 and np.isfinite([self.intercept_, self.center_, self.spread_]).all()):
            raise ValueError("ridge state has a non-positive or non-finite spread, center or intercept")
        if np.any(self.feature_std_ <= 0):
            raise ValueError("ridge state has a non-positive feature standard deviation")
