"""Per-model quality predictors (PROCEED): one regressor per model, predicting its score on a prompt.

Unlike the win predictors, each model's regressor is fitted from that model's own outcomes
and nothing else, so adding a model trains only its regressor and removing one drops it.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import NotFittedError, UnknownModelError
from .base import PersistentPredictor, Queries


@dataclass
class OutcomeData:
    """Scores of models on unique prompts: ``scores[i, j]`` = model j on prompt i (NaN = not run).

    Scores are in [0, 1] (0/1 correctness or partial credit); ``costs`` (same shape, USD per
    call, NaN = unknown) is kept for cost estimates and evaluation, not for fitting.
    """

    queries: Queries
    models: list[str]
    scores: np.ndarray
    costs: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.scores = np.asarray(self.scores, dtype=np.float64)
        if self.scores.shape != (len(self.queries), len(self.models)):
            raise ValueError(
                f"OutcomeData: scores have shape {self.scores.shape}, expected "
                f"({len(self.queries)} prompts, {len(self.models)} models)"
            )
        if len(set(self.models)) != len(self.models):
            raise ValueError(f"OutcomeData: duplicate model names in {self.models}")
        known = self.scores[~np.isnan(self.scores)]
        if known.size and (known.min() < 0.0 or known.max() > 1.0):
            raise ValueError("OutcomeData: scores must lie in [0, 1] (rescale graded scores first)")

    def __len__(self) -> int:
        return len(self.queries)

    def column(self, model: str) -> tuple[Queries, np.ndarray]:
        """The prompts ``model`` was scored on, and its scores there."""
        try:
            j = self.models.index(model)
        except ValueError:
            raise UnknownModelError(f"model {model!r} has no outcomes here; models: {', '.join(self.models)}") from None
        seen = ~np.isnan(self.scores[:, j])
        if not seen.any():
            raise ValueError(f"model {model!r} has no outcomes to fit on")
        return self.queries.subset(np.flatnonzero(seen)), self.scores[seen, j]


class QualityPredictor(PersistentPredictor, ABC):
    """Predicts each known model's quality score (in [0, 1]) on each query.

    Subclasses implement one model's regressor (``_fit_model`` / ``_predict_model``) and how its
    state is stored; fitting, adding, removing and persistence are shared. Constructors take
    plain hyper-parameters and do no work (as scikit-learn's).
    """

    kind: ClassVar[str]
    family: ClassVar[str] = "quality predictor"

    # -- one model's regressor ----------------------------------------------------------------
    @abstractmethod
    def _fit_model(self, queries: Queries, scores: np.ndarray) -> dict[str, np.ndarray]:
        """Fit one model's regressor; return its state as named arrays."""

    @abstractmethod
    def _predict_model(self, state: dict[str, np.ndarray], queries: Queries) -> np.ndarray:
        """One model's predicted scores, in [0, 1]."""

    # -- fitting --------------------------------------------------------------------------
    def fit(self, data: OutcomeData) -> QualityPredictor:
        """Fit one regressor per model of ``data``; returns self."""
        from tqdm.auto import tqdm

        if len(data) == 0 or not data.models:
            raise ValueError(f"{type(self).__name__}.fit: no outcomes to fit on")
        states: dict[str, dict[str, np.ndarray]] = {}
        for model in tqdm(data.models, desc=f"fit {self.kind}", unit="model", disable=len(data.models) < 4):
            states[model] = self._fit_model(*data.column(model))
        self.states_ = states
        self._share_arrays()
        return self

    def add_model(self, model: str, queries: Queries, scores: Sequence[float] | np.ndarray) -> QualityPredictor:
        """Fit a regressor for one more (or a replaced) model; the others are untouched."""
        scores = np.asarray(scores, dtype=np.float64)
        if len(scores) == 0:
            raise ValueError(f"model {model!r} has no outcomes to fit on")
        if len(scores) != len(queries):
            raise ValueError(f"add_model({model!r}): {len(queries)} queries but {len(scores)} scores")
        if np.isnan(scores).any() or scores.min() < 0.0 or scores.max() > 1.0:
            raise ValueError(f"add_model({model!r}): scores must be numbers in [0, 1]")
        if not hasattr(self, "states_"):
            self.states_ = {}
        self.states_[model] = self._fit_model(queries, scores)
        self._share_arrays()
        return self

    def remove_model(self, model: str) -> QualityPredictor:
        """Forget one model's regressor."""
        self._check_fitted()
        if model not in self.states_:
            raise UnknownModelError(self._unknown(model))
        del self.states_[model]
        return self

    # -- prediction -----------------------------------------------------------------------
    @property
    def models_(self) -> list[str]:
        return list(getattr(self, "states_", {}))

    def _check_fitted(self) -> None:
        if not getattr(self, "states_", None):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit() or load it")

    def _unknown(self, model: str) -> str:
        return f"model {model!r} is unknown to this {self.kind} predictor; it knows: {', '.join(self.models_)}"

    def predict(self, queries: Queries, models: Sequence[str] | None = None) -> np.ndarray:
        """Predicted quality, shape (queries, models), columns in ``models`` order (default: all)."""
        self._check_fitted()
        models = self.models_ if models is None else list(models)
        for m in models:
            if m not in self.states_:
                raise UnknownModelError(self._unknown(m))
        return np.clip(self._predict_columns([self.states_[m] for m in models], queries), 0.0, 1.0)

    def _predict_columns(self, states: list[dict[str, np.ndarray]], queries: Queries) -> np.ndarray:
        out = np.empty((len(queries), len(states)))
        for j, state in enumerate(states):
            out[:, j] = self._predict_model(state, queries)
        return out

    def _share_arrays(self) -> None:
        """Make equal arrays of different models one object (kNN banks over the same prompts)."""
        seen: dict[tuple[Any, ...], np.ndarray] = {}
        for state in self.states_.values():
            for name, array in state.items():
                key = (
                    name,
                    array.shape,
                    array.dtype.str,
                    hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest(),
                )
                state[name] = seen.setdefault(key, array)

    # -- persistence (PersistentPredictor): tensors named ``<model index>/<name>`` -------------
    @classmethod
    def _registry(cls) -> Mapping[str, type[PersistentPredictor]]:
        from . import QUALITY_PREDICTORS

        return QUALITY_PREDICTORS

    @classmethod
    def _schema(cls) -> type[Any]:
        from ..artifact_schema import QualityPredictorFile

        return QualityPredictorFile

    def _saved_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        tensors: dict[str, np.ndarray] = {}
        shared: dict[str, str] = {}  # an array several models share is stored once
        first: dict[int, str] = {}
        for j, m in enumerate(self.models_):
            for k, v in self.states_[m].items():
                key = f"{j}/{k}"
                if id(v) in first:
                    shared[key] = first[id(v)]
                else:
                    first[id(v)] = key
                    tensors[key] = v
        return tensors, {"models": self.models_, "shared": shared}

    def _restore(self, tensors: dict[str, np.ndarray], meta: Any) -> None:
        models = list(meta.models)
        states: dict[str, dict[str, np.ndarray]] = {m: {} for m in models}
        for key, value in [*tensors.items(), *((k, tensors[v]) for k, v in meta.shared.items())]:
            index, name = key.split("/", 1)
            states[models[int(index)]][name] = value
        if any(not s for s in states.values()):
            raise ValueError("some models have no saved state")
        self.states_ = states
