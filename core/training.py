"""Building training sets from records and fitting routers (what ``winroute train`` runs)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .data.records import Comparison
from .data.training import training_source
from .embeddings import Embedder, make_embedder
from .features import prompt_features
from .policies import StrongShare
from .predictors import PREDICTORS, PairwiseData, Predictor, Queries
from .prompt_sketch import build_sketch, sketch_meta
from .router import Router
from .scorers import PairwiseScorer, reference_of_scores


def pairwise_data(
    comparisons: Sequence[Comparison],
    embedder: Embedder,
    *,
    source_weights: Mapping[str, float] | None = None,
) -> PairwiseData:
    """Index battles over unique prompts and encode each prompt once.

    ``source_weights`` multiplies each record's weight by its source's (missing = 1.0; 0 drops it).
    """
    given = dict(source_weights or {})

    def source_weight(tag: str) -> float:
        return given.get(tag, given.get(training_source(tag), 1.0))

    kept = [c for c in comparisons if source_weight(c.source) * c.weight > 0]
    if not kept:
        raise ValueError("no comparisons left to train on (all sources have weight 0 or the data is empty)")
    prompts: dict[str, int] = {}
    models: dict[str, int] = {}
    rows = np.empty((len(kept), 3), dtype=np.int64)
    outcome = np.empty(len(kept))
    weight = np.empty(len(kept))
    for i, c in enumerate(kept):
        rows[i] = (
            prompts.setdefault(c.prompt, len(prompts)),
            models.setdefault(c.model_a, len(models)),
            models.setdefault(c.model_b, len(models)),
        )
        outcome[i] = c.outcome
        weight[i] = c.weight * source_weight(c.source)
    texts = list(prompts)
    queries = Queries(embedder.embed(texts), prompt_features(texts), texts)
    return PairwiseData(
        queries,
        list(models),
        rows[:, 0],
        rows[:, 1],
        rows[:, 2],
        outcome,
        weight,
        np.array([c.source for c in kept], dtype=object),
    )


def make_predictor(
    kind: str, params: Mapping[str, Any] | None = None, registry: Mapping[str, type] = PREDICTORS
) -> Any:
    """Instantiate a predictor by its kind in ``registry`` (win predictors by default) with constructor parameters."""
    if kind not in registry:
        raise ValueError(f"unknown predictor {kind!r}; available: {', '.join(sorted(registry))}")
    try:
        return registry[kind](**dict(params or {}))
    except TypeError as exc:
        raise ValueError(f"bad parameters for predictor {kind!r}: {exc}") from exc


def train_router(
    comparisons: Sequence[Comparison],
    *,
    predictor: str | Predictor = "mf",
    predictor_params: Mapping[str, Any] | None = None,
    strong: str,
    weak: str,
    embedder: Embedder | None = None,
    source_weights: Mapping[str, float] | None = None,
    strong_share: float = 0.5,
    name: str = "winroute",
    metadata: Mapping[str, Any] | None = None,
    predictor_models: Mapping[str, str] | None = None,
    with_sketch: bool = True,
) -> Router:
    """Fit a predictor on battles and wrap it in a Router calibrated on the training prompts.

    ``predictor_models`` maps ``strong``/``weak`` to the names they have in the battles
    (e.g. capability tiers), when those are not the models themselves. ``with_sketch=False``
    skips the training-prompt sketch ``winroute inspect`` reads (for routers that are scored
    and thrown away, as the evaluation protocols' are).
    """
    aliases = dict(predictor_models or {})
    embedder = embedder or make_embedder()
    data = pairwise_data(comparisons, embedder, source_weights=source_weights)
    for model in (strong, weak):
        if aliases.get(model, model) not in data.models:
            raise ValueError(
                f"model {aliases.get(model, model)!r} has no battles in the training data; "
                f"models seen: {', '.join(sorted(data.models)[:20])}"
            )
    est = make_predictor(predictor, predictor_params) if isinstance(predictor, str) else predictor
    started = time.perf_counter()
    est.fit(data)
    seconds = time.perf_counter() - started
    reference_queries = data.queries
    limit = est.max_reference_prompts
    if limit is not None and len(data.queries) > limit:  # a seeded sample of prompts is enough to calibrate
        pick = np.sort(np.random.default_rng(0).choice(len(data.queries), size=limit, replace=False))
        reference_queries = data.queries.subset(pick)
    reference = est.predict(reference_queries, aliases.get(strong, strong), aliases.get(weak, weak))
    sketch = build_sketch(data.queries.embeddings) if with_sketch else None  # for `winroute inspect`
    scorer = PairwiseScorer(est, embedder, strong=strong, weak=weak, predictor_models=aliases)
    router = Router(
        scorer,
        StrongShare(strong_share),
        reference=reference_of_scores(reference),
        name=name,
        metadata={
            **dict(metadata or {}),
            "n_battles": len(data),
            "n_prompts": len(data.queries),
            "n_models": len(data.models),
            "fit_seconds": round(seconds, 1),
            **({"prompt_sketch": sketch_meta(sketch)} if sketch is not None else {}),
        },
        prompt_sketch=None if sketch is None else sketch.to_tensors(),
    )
    router.policy = router.resolved_policy()  # the threshold that sends strong_share of the training prompts strong
    return router
