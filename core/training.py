"""Building training sets from records and fitting routers of both kinds.

Pairwise: battles -> a win predictor (:func:`train_router`). N-way: per-model outcomes -> one
quality regressor per model plus the models' specs (:func:`train_nway_router`). Recipes
(core.recipes) say which data and settings; ``winroute train`` runs them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .costs import ModelSpec, estimate_tokens, specs_by_name
from .data.records import Comparison, Outcome
from .data.sources import training_source
from .embeddings import Embedder, make_embedder
from .features import prompt_features
from .policies import CostWeight, StrongShare
from .predictors import PREDICTORS, QUALITY_PREDICTORS, OutcomeData, PairwiseData, Predictor, QualityPredictor, Queries
from .prompt_sketch import build_sketch, sketch_meta
from .router import Router
from .scorers import PairwiseScorer, QualityScorer, Reference, reference_of_scores


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


def outcome_matrix(
    outcomes: Iterable[Outcome], models: Sequence[str] | None = None
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Unique prompts, models, and their mean score and cost matrices (NaN where not run).

    ``models`` keeps only those models, in that order (each must have outcomes).
    """
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    costs: dict[tuple[str, str], list[float]] = defaultdict(list)
    prompts: dict[str, None] = {}
    seen: dict[str, None] = {}
    for o in outcomes:
        prompts.setdefault(o.prompt)
        seen.setdefault(o.model)
        scores[o.prompt, o.model].append(o.score)
        if o.cost is not None:
            costs[o.prompt, o.model].append(o.cost)
    names = list(seen) if models is None else list(models)
    missing = [m for m in names if m not in seen]
    if missing:
        raise ValueError(f"model(s) {missing} have no outcomes; models with outcomes: {', '.join(seen)}")
    texts = list(prompts)
    s = np.full((len(texts), len(names)), np.nan)
    c = np.full((len(texts), len(names)), np.nan)
    column = {m: j for j, m in enumerate(names)}
    row = {p: i for i, p in enumerate(texts)}
    for (p, m), values in scores.items():
        if m in column:
            s[row[p], column[m]] = float(np.mean(values))
    for (p, m), values in costs.items():
        if m in column:
            c[row[p], column[m]] = float(np.mean(values))
    keep = ~np.isnan(s).all(axis=1)
    return [t for t, k in zip(texts, keep) if k], names, s[keep], c[keep]


def sample_prompts(outcomes: Sequence[Outcome], n: int, *, seed: int = 0) -> list[Outcome]:
    """The outcomes of a seeded sample of ``n`` distinct prompts (all of them if there are fewer)."""
    if n < 1:
        raise ValueError(f"max_prompts must be >= 1, got {n}")
    prompts = list(dict.fromkeys(o.prompt for o in outcomes))
    if n >= len(prompts):
        return list(outcomes)
    keep = {prompts[i] for i in np.random.default_rng(seed).choice(len(prompts), size=n, replace=False)}
    return [o for o in outcomes if o.prompt in keep]


def outcome_data(outcomes: Iterable[Outcome], embedder: Embedder, models: Sequence[str] | None = None) -> OutcomeData:
    """Encode each unique prompt once and index the outcomes by prompt and model."""
    texts, names, scores, costs = outcome_matrix(outcomes, models)
    if not texts:
        raise ValueError("no outcomes to train on")
    return OutcomeData(Queries(embedder.embed(texts), prompt_features(texts), texts), names, scores, costs)


def train_nway_router(
    data: OutcomeData,
    specs: Iterable[ModelSpec] | Mapping[str, ModelSpec],
    *,
    predictor: str | QualityPredictor = "knn_quality",
    predictor_params: Mapping[str, Any] | None = None,
    embedder: Embedder | None = None,
    cost_weight: float = 0.0,
    name: str = "winroute-nway",
    metadata: Mapping[str, Any] | None = None,
) -> Router:
    """Fit one quality regressor per declared model and wrap them with the specs in a router.

    The training prompts become the router's reference set (for budget calibration).
    """
    specs = specs_by_name(specs)
    missing = [m for m in specs if m not in data.models]
    if missing:
        raise ValueError(
            f"declared model(s) {missing} have no outcomes; models with outcomes: {', '.join(data.models)}"
        )
    columns = [data.models.index(m) for m in specs]
    data = OutcomeData(
        data.queries, list(specs), data.scores[:, columns], None if data.costs is None else data.costs[:, columns]
    )
    est = make_predictor(predictor, predictor_params, QUALITY_PREDICTORS) if isinstance(predictor, str) else predictor
    started = time.perf_counter()
    est.fit(data)
    seconds = time.perf_counter() - started
    embedder = embedder or make_embedder()
    texts = list(data.queries.texts or [])
    reference = Reference(est.predict(data.queries, list(specs)), estimate_tokens(texts, embedder)) if texts else None
    router = Router(
        QualityScorer(est, specs, embedder),
        CostWeight(cost_weight),
        reference=reference,
        name=name,
        metadata={
            **dict(metadata or {}),
            "n_prompts": len(data),
            "n_models": len(specs),
            "fit_seconds": round(seconds, 1),
        },
    )
    return router
