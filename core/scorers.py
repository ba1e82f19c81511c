"""Scorers: per prompt, what a router's policy reads.

A :class:`PairwiseScorer` yields a win probability for a pair (P[strong beats weak], from a
:class:`~core.predictors.Predictor`); a :class:`QualityScorer` yields every model's predicted
quality (a :class:`~core.predictors.QualityPredictor`) and expected cost (its
:class:`~core.costs.ModelSpec`). Both give the router the same :class:`ScoreTable` (prompts x
routes), so routing, calibration, stickiness, truncation and persistence are written once in
:class:`core.router.Router`. A scorer is not changed by routing or calibration: routers may share one.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .costs import ModelSpec, cost_matrix, estimate_tokens, spec_for, specs_by_name
from .embeddings import Embedder
from .errors import InvalidArgumentError, PredictionError, UnknownModelError
from .features import prompt_features
from .policies import NWAY, PAIRWISE
from .predictors import Predictor, QualityPredictor, Queries

STRONG, WEAK = "strong", "weak"


@dataclass(frozen=True)
class ScoreTable:
    """A scorer's output for a batch of prompts: one column per candidate route."""

    routes: list[str]
    values: np.ndarray
    """(prompts, routes): P[strong beats weak] and its complement for a pair; predicted quality for N."""
    costs: np.ndarray
    """(prompts, routes): expected USD per call (zeros where the scorer knows no prices)."""
    tokens: np.ndarray
    """(prompts,): estimated prompt tokens (zeros where the scorer needs none)."""
    fits: np.ndarray
    """(prompts, routes): whether the prompt fits that route's context window."""


@dataclass(frozen=True)
class Reference:
    """The reference prompts a strong share or a budget is calibrated on: their values and tokens."""

    values: np.ndarray
    tokens: np.ndarray

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim != 2 or len(values) == 0 or not np.isfinite(values).all():
            raise ValueError(
                f"reference values must be a non-empty (prompts, routes) array of finite numbers, got shape {values.shape}"
            )
        tokens = np.asarray(self.tokens, dtype=np.float64)
        if tokens.shape != (len(values),) or not np.isfinite(tokens).all():
            raise ValueError(f"reference tokens must be {len(values)} finite numbers, got shape {tokens.shape}")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "tokens", tokens)


class Scorer(ABC):
    """An embedder and a fitted predictor, and the models they score."""

    kind: ClassVar[str]
    #: the predictor class an artifact of this kind holds (its ``load`` reads ``predictor/``)
    predictor_type: ClassVar[type]

    def __init__(self, predictor: Any, embedder: Embedder) -> None:
        self.predictor = predictor
        self.embedder = embedder

    # -- names ------------------------------------------------------------------------------
    @property
    @abstractmethod
    def routes(self) -> tuple[str, ...]:
        """Route names, in order (what decisions record as ``route``)."""

    @property
    @abstractmethod
    def models(self) -> tuple[str, ...]:
        """The model each route calls, in the order of :attr:`routes`."""

    def model_for(self, route: str) -> str:
        """The model a route (or a model name) calls."""
        return self.models[self.routes.index(self.resolve_route(route))]

    def resolve_route(self, name: str) -> str:
        """The route a route or model name refers to (canonical model names accepted)."""
        from .data.models import canonical_model

        key = str(name).strip()
        for route, model in zip(self.routes, self.models):
            if key in (route, model) or (self.kind == PAIRWISE and key.lower() == route):
                return route
        for route, model in zip(self.routes, self.models):
            if canonical_model(key) == canonical_model(model):
                return route
        raise UnknownModelError(self._unknown(name))

    def _unknown(self, name: str) -> str:
        return f"unknown model {name!r}; this router chooses among: {', '.join(self.models)}"

    def candidates(self, models: Sequence[str] | None) -> list[str]:
        """The routes a call may choose (``models``: route or model names; None: all)."""
        if models is None:
            return list(self.routes)
        if isinstance(models, str):
            raise InvalidArgumentError(f"models must be a list of model names, got the string {models!r}")
        names = list(dict.fromkeys(self.resolve_route(m) for m in models))
        if not names:
            raise InvalidArgumentError("models: give at least one model to choose from")
        return names

    def with_specs(self, specs: Mapping[str, ModelSpec]) -> Scorer:
        """This scorer with some models priced by ``specs`` (keyed by model), sharing the fitted predictor."""
        raise InvalidArgumentError(f"a {self.kind} router knows no prices: specs are for N-way routers")

    def with_embedder(self, embedder: Embedder) -> Scorer:
        """This scorer encoding with ``embedder`` (e.g. one behind a cache), sharing the fitted predictor."""
        other = copy.copy(self)
        other.embedder = embedder
        return other

    # -- scoring ------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> Queries:
        """Embed and featurise prompt texts (no embedding when the predictor reads the text itself)."""
        texts = list(texts)
        if not getattr(self.predictor, "uses_embeddings", True):
            return Queries(np.zeros((len(texts), 0), dtype=np.float32), prompt_features(texts), texts)
        return Queries(self.embedder.embed(texts), prompt_features(texts), texts)

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        """Which texts the encoder (or a predictor reading the text) cuts to fit its window."""
        own = getattr(self.predictor, "truncated", None)
        cut = own(texts) if own is not None else None
        if cut is not None:
            return np.asarray(cut, dtype=bool)
        out = np.zeros(len(texts), dtype=bool)
        max_tokens = getattr(self.embedder, "max_tokens", None)
        long = [i for i, t in enumerate(texts) if max_tokens is None or len(t) + 2 > max_tokens]
        if long:
            out[long] = self.embedder.truncated([texts[i] for i in long])
        return out

    @abstractmethod
    def raw(self, texts: Sequence[str]) -> np.ndarray:
        """The predictor's own output (what ``Router.score`` returns)."""

    @abstractmethod
    def table(self, texts: Sequence[str], routes: Sequence[str] | None = None) -> ScoreTable:
        """Values, costs and fits of ``texts`` for ``routes`` (default: every route)."""

    def reference(self, texts: Sequence[str]) -> Reference:
        """The reference a policy is calibrated on, from prompt texts."""
        table = self.table(texts)
        return Reference(table.values, table.tokens)

    @abstractmethod
    def reference_costs(self, reference: Reference, routes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The reference's values and costs for ``routes`` (what a policy is resolved against)."""

    @abstractmethod
    def report(self, table: ScoreTable, row: int) -> dict[str, dict[str, float]]:
        """A decision's ``scores`` / ``qualities`` / ``costs`` fields for one row of ``table``."""

    # -- persistence ---------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def from_meta(cls, meta: Any, predictor: Any, embedder: Embedder) -> Scorer:
        """The scorer ``router.json`` (``meta``, validated) describes, over a loaded predictor."""

    @abstractmethod
    def meta(self) -> dict[str, Any]:
        """This scorer's fields of ``router.json``."""

    @abstractmethod
    def reference_tensors(self, reference: Reference) -> dict[str, np.ndarray]:
        """The reference as the tensors ``router.safetensors`` holds."""

    @abstractmethod
    def reference_from(self, tensors: Mapping[str, np.ndarray]) -> Reference | None:
        """The reference saved in ``tensors`` (None: none saved)."""


def _finite(values: np.ndarray, predictor: Any, what: str) -> np.ndarray:
    if not np.isfinite(values).all():
        raise PredictionError(f"the {predictor.kind} predictor returned NaN or infinite {what}")
    return values


class PairwiseScorer(Scorer):
    """P[strong beats weak] from a win predictor; routes ``"strong"`` and ``"weak"``.

    ``predictor_models`` maps a model to the name the predictor knows it by (a capability tier).
    """

    kind: ClassVar[str] = PAIRWISE
    predictor_type: ClassVar[type] = Predictor

    def __init__(
        self,
        predictor: Predictor,
        embedder: Embedder,
        *,
        strong: str,
        weak: str,
        predictor_models: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(predictor, embedder)
        self.predictor_models = dict(predictor_models or {})
        if self.predictor_name(strong) == self.predictor_name(weak):
            raise ValueError(
                f"strong {strong!r} and weak {weak!r} are the same model to the predictor "
                f"({self.predictor_name(strong)!r}): every score would be 0.5"
            )
        predictor.model_index(self.predictor_name(strong)), predictor.model_index(self.predictor_name(weak))
        self.strong, self.weak = strong, weak

    def predictor_name(self, model: str) -> str:
        """The name the predictor knows ``model`` by (a capability tier, or the model itself)."""
        return self.predictor_models.get(model, model)

    @property
    def routes(self) -> tuple[str, ...]:
        return (STRONG, WEAK)

    @property
    def models(self) -> tuple[str, ...]:
        return (self.strong, self.weak)

    def _unknown(self, name: str) -> str:
        return f"unknown route or model {name!r}; this router has strong={self.strong!r}, weak={self.weak!r}"

    def candidates(self, models: Sequence[str] | None) -> list[str]:
        names = super().candidates(models)
        if set(names) != {STRONG, WEAK}:
            raise InvalidArgumentError(
                f"a two-model router chooses between both its models ({self.strong!r}, {self.weak!r}); "
                f"models={list(models or [])!r} leaves {'only ' + names[0] if names else 'none'}"
            )
        return [STRONG, WEAK]

    def raw(self, texts: Sequence[str]) -> np.ndarray:
        """P(strong beats weak), one per text."""
        if not texts:
            return np.zeros(0)
        strong, weak = self.predictor_name(self.strong), self.predictor_name(self.weak)
        scores = np.asarray(self.predictor.predict(self.encode(texts), strong, weak), dtype=np.float64)
        return _finite(scores, self.predictor, "scores")

    def table(self, texts: Sequence[str], routes: Sequence[str] | None = None) -> ScoreTable:
        self.candidates(routes)
        p = self.raw(texts)
        n = len(p)
        return ScoreTable(
            [STRONG, WEAK], np.stack([p, 1.0 - p], axis=1), np.zeros((n, 2)), np.zeros(n), np.ones((n, 2), bool)
        )

    def reference_costs(self, reference: Reference, routes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return reference.values, np.zeros_like(reference.values)

    def report(self, table: ScoreTable, row: int) -> dict[str, dict[str, float]]:
        p = float(table.values[row, 0])
        return {"scores": {self.strong: p, self.weak: 1.0 - p}}

    @classmethod
    def from_meta(cls, meta: Any, predictor: Any, embedder: Embedder) -> PairwiseScorer:
        return cls(predictor, embedder, strong=meta.strong, weak=meta.weak, predictor_models=meta.predictor_models)

    def meta(self) -> dict[str, Any]:
        return {"strong": self.strong, "weak": self.weak, "predictor_models": self.predictor_models}

    def reference_tensors(self, reference: Reference) -> dict[str, np.ndarray]:
        return {"reference_scores": np.sort(reference.values[:, 0])}

    def reference_from(self, tensors: Mapping[str, np.ndarray]) -> Reference | None:
        return None if "reference_scores" not in tensors else reference_of_scores(tensors["reference_scores"])


def reference_of_scores(scores: Any) -> Reference:
    """A two-model router's reference from its reference scores (P[strong beats weak]), sorted."""
    p = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    if p.size == 0 or not np.isfinite(p).all():
        raise ValueError(
            f"reference scores must be a non-empty array of finite numbers (got {p.size}, some not finite)"
        )
    return Reference(np.stack([p, 1.0 - p], axis=1), np.zeros(len(p)))


class QualityScorer(Scorer):
    """Each model's predicted quality and expected cost (its spec and the prompt's tokens); routes
    are the model names."""

    kind: ClassVar[str] = NWAY
    predictor_type: ClassVar[type] = QualityPredictor

    def __init__(
        self, predictor: QualityPredictor, specs: Iterable[ModelSpec] | Mapping[str, ModelSpec], embedder: Embedder
    ) -> None:
        super().__init__(predictor, embedder)
        self.specs = specs_by_name(specs)
        for model in self.specs:
            if model not in predictor.models_:
                raise UnknownModelError(
                    f"model {model!r} has no quality regressor; the predictor knows: {', '.join(predictor.models_)}"
                )

    @property
    def routes(self) -> tuple[str, ...]:
        return tuple(self.specs)

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.specs)

    def spec(self, name: str) -> ModelSpec:
        return spec_for(self.specs, self.resolve_route(name))

    def with_specs(self, specs: Mapping[str, ModelSpec]) -> QualityScorer:
        """The same predictor and embedder, some models priced by ``specs`` (keyed by model; same order)."""
        return QualityScorer(
            self.predictor, {name: specs.get(name, spec) for name, spec in self.specs.items()}, self.embedder
        )

    def predict_texts(
        self, texts: Sequence[str], models: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predicted quality, expected cost (USD) and prompt tokens: (prompts x models, prompts x models, prompts)."""
        names = self.candidates(models)
        if not texts:
            return np.zeros((0, len(names))), np.zeros((0, len(names))), np.zeros(0)
        qualities = _finite(self.predictor.predict(self.encode(texts), names), self.predictor, "qualities")
        tokens = estimate_tokens(texts, self.embedder)
        return qualities, cost_matrix([self.specs[n] for n in names], tokens), tokens

    def raw(self, texts: Sequence[str]) -> np.ndarray:
        """Predicted quality, (texts, models)."""
        return self.predict_texts(texts)[0]

    def table(self, texts: Sequence[str], routes: Sequence[str] | None = None) -> ScoreTable:
        names = self.candidates(routes)
        q, c, tokens = self.predict_texts(texts, names)
        fits = (
            np.stack([self.specs[n].fits(tokens) for n in names], axis=1)
            if len(tokens)
            else np.zeros((0, len(names)), bool)
        )
        return ScoreTable(names, q, c, tokens, fits)

    def reference_costs(self, reference: Reference, routes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        columns = [self.routes.index(r) for r in routes]
        return reference.values[:, columns], cost_matrix([self.specs[r] for r in routes], reference.tokens)

    def report(self, table: ScoreTable, row: int) -> dict[str, dict[str, float]]:
        qualities = dict(zip(table.routes, map(float, table.values[row])))
        return {
            "scores": qualities,
            "qualities": dict(qualities),
            "costs": dict(zip(table.routes, map(float, table.costs[row]))),
        }

    @classmethod
    def from_meta(cls, meta: Any, predictor: Any, embedder: Embedder) -> QualityScorer:
        return cls(predictor, [ModelSpec.from_dict(m) for m in meta.models], embedder)

    def meta(self) -> dict[str, Any]:
        return {"kind": NWAY, "models": [s.as_dict() for s in self.specs.values()]}

    def reference_tensors(self, reference: Reference) -> dict[str, np.ndarray]:
        return {"reference_qualities": reference.values, "reference_tokens": reference.tokens}

    def reference_from(self, tensors: Mapping[str, np.ndarray]) -> Reference | None:
        if "reference_qualities" not in tensors or "reference_tokens" not in tensors:
            return None
        reference = Reference(tensors["reference_qualities"], tensors["reference_tokens"])
        if reference.values.shape[1] != len(self.specs):
            raise ValueError(
                f"reference qualities have {reference.values.shape[1]} columns for {len(self.specs)} models"
            )
        return reference


SCORERS: dict[str, type[Scorer]] = {PAIRWISE: PairwiseScorer, NWAY: QualityScorer}
"""Scorer class per kind (``router.json``'s ``kind``; absent: pairwise)."""
