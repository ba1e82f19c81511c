"""``NWayRouter``: the earlier name of an N-way :class:`~core.router.Router`, kept for code written against it.

There is one router class. ``NWayRouter(predictor, specs, embedder, cost_weight=..., ...)`` builds
a :class:`~core.router.Router` over a :class:`~core.scorers.QualityScorer`, and
``isinstance(router, NWayRouter)`` says whether a ``Router`` chooses among N models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .costs import ModelSpec
from .embeddings import Embedder, make_embedder
from .errors import ArtifactError
from .policies import NWAY, CostWeight, policy_for
from .predictors import QualityPredictor
from .router import Router
from .scorers import QualityScorer, Reference


class _NWayRouterType(type):
    """``isinstance(x, NWayRouter)``: ``x`` is a Router whose scorer is N-way."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Router) and obj.kind == NWAY


class NWayRouter(metaclass=_NWayRouterType):
    """Builds an N-way :class:`~core.router.Router` (a factory: instances are ``Router``s).

    Per call the router predicts each model's quality ``q_i`` and expected cost ``c_i`` (its
    :class:`~core.costs.ModelSpec` and the prompt's tokens), then picks ``argmax q_i -
    cost_weight * c_i``, or with ``min_quality`` the cheapest model expected to reach it, or
    with ``budget_per_1k`` the utility rule at the cost weight that meets that budget on the
    reference prompts. Models whose context window the prompt does not fit are skipped.
    """

    def __new__(  # type: ignore[misc]
        cls,
        predictor: QualityPredictor,
        specs: Iterable[ModelSpec] | Mapping[str, ModelSpec],
        embedder: Embedder | None = None,
        *,
        cost_weight: float = 0.0,
        min_quality: float | None = None,
        reference_qualities: np.ndarray | None = None,
        reference_tokens: np.ndarray | None = None,
        last_k_user_turns: int = 1,
        name: str = "winroute-nway",
        metadata: Mapping[str, Any] | None = None,
    ) -> Router:
        scorer = QualityScorer(predictor, specs, embedder if embedder is not None else make_embedder())
        policy = policy_for(NWAY, CostWeight(), cost_weight=cost_weight, min_quality=min_quality)
        reference = None
        if reference_qualities is not None and reference_tokens is not None:
            reference = Reference(reference_qualities, reference_tokens)
        return Router(
            scorer, policy, reference=reference, last_k_user_turns=last_k_user_turns, name=name, metadata=metadata
        )

    @staticmethod
    def load(directory: str | Path, **options: Any) -> Router:
        """:meth:`Router.load`, refusing a two-model artifact."""
        router = Router.load(directory, **options)
        if router.kind != NWAY:
            raise ArtifactError(f"{directory} holds a two-model router, not an N-way one: use core.load_router")
        return router
