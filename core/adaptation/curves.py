"""Label-efficiency curves: APGR of the adapted router vs the number of labels, active vs random.

Cross-fitted as the evaluation harness's in-domain protocol (``core.evaluation.protocols.pairwise``):
the benchmark's items are split into k seeded folds (identical prompts share a fold); for fold f,
labels are *selected only from the other folds* (the pool), the adapted predictor is fitted on
them, and fold f is scored. APGR is computed on the pooled scores, exactly as for any router.
Each budget selects from scratch (it is not the previous budget plus more); random selection is
repeated with ``repeats`` seeds, active selection with as many k-means seeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..evaluation.benchmarks.pairwise import BenchmarkItems
from ..evaluation.metrics import call_performance_curve, curve_metrics
from ..evaluation.protocols.pairwise import CrossFitPlan, in_domain_comparisons, make_cross_fit_plan
from ..predictors import AdaptedPredictor, Predictor, Queries
from ..training import pairwise_data
from .selection import log_length, select_indices, threshold_quantile

__all__ = ["ACTIVE", "BUDGETS", "RANDOM", "CurvePoint", "LabelEfficiency", "label_efficiency"]

ACTIVE, RANDOM = "active", "random"
BUDGETS: tuple[int, ...] = (50, 100, 200, 300, 500, 1000, 1500)


@dataclass
class CurvePoint:
    """APGR (mean and sd over repeats) of one strategy at one label budget on one benchmark."""

    benchmark: str
    strategy: str
    budget: int
    labels_used: int
    apgr: float
    apgr_sd: float
    cpt_50: float
    cpt_80: float
    repeats: int

    def as_row(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "strategy": self.strategy,
            "labels": self.budget,
            "labels_used": self.labels_used,
            "apgr": round(self.apgr, 4),
            "apgr_sd": round(self.apgr_sd, 4),
            "cpt_50": round(self.cpt_50, 2),
            "cpt_80": round(self.cpt_80, 2),
            "repeats": self.repeats,
        }


@dataclass
class LabelEfficiency:
    """All points of one benchmark, plus the pooled scores of the first repeat per (strategy, budget)."""

    benchmark: str
    points: list[CurvePoint]
    scores: dict[tuple[str, int], np.ndarray] = field(repr=False, default_factory=dict)
    plan: CrossFitPlan | None = field(repr=False, default=None)
    seconds: float = 0.0

    def apgr(self, strategy: str, budget: int) -> float:
        for p in self.points:
            if p.strategy == strategy and p.budget == budget:
                return p.apgr
        raise KeyError((strategy, budget))


class _Lookup:
    """An embedder over precomputed vectors (so fitting does not embed again)."""

    def __init__(self, texts: Sequence[str], embeddings: np.ndarray) -> None:
        self.rows = {t: i for i, t in enumerate(texts)}
        self.embeddings = embeddings
        self.model_id = "precomputed"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embeddings[[self.rows[t] for t in texts]]

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        """Nothing is cut: the vectors were computed (and truncation reported) already."""
        return np.zeros(len(texts), dtype=bool)


def active_pick(
    queries: Queries,
    scores: np.ndarray,
    lengths: np.ndarray | None,
    pool: np.ndarray,
    n: int,
    threshold: float | None,
    seed: int,
) -> np.ndarray:
    """Active selection of ``n`` labels from ``pool`` (item indices), as positions in ``pool``.

    ``scores`` and ``lengths`` (None: no typical-length term) cover every item; the threshold's
    rank is taken within the pool, as ``winroute select`` does on a user's pool.
    """
    quantile = threshold_quantile(scores[pool], threshold)
    return select_indices(
        queries.embeddings[pool],
        scores[pool],
        n,
        quantile=quantile,
        seed=seed,
        lengths=None if lengths is None else lengths[pool],
    )


def _fit_scores(
    items: BenchmarkItems,
    queries: Queries,
    lookup: _Lookup,
    base: Predictor,
    names: dict[str, str],
    labels: np.ndarray,
    test: np.ndarray,
    params: dict[str, Any],
) -> np.ndarray:
    battles = in_domain_comparisons(items, labels, names=names)
    data = pairwise_data(battles, lookup)
    model = AdaptedPredictor(strong=names[items.strong], weak=names[items.weak], **params).with_base(base).fit(data)
    return model.predict(queries.subset(test), names[items.strong], names[items.weak])


def label_efficiency(
    items: BenchmarkItems,
    queries: Queries,
    base: Predictor,
    *,
    names: dict[str, str] | None = None,
    threshold: float | None = None,
    select_scores: np.ndarray | None = None,
    typical_length: bool = True,
    budgets: Sequence[int] = BUDGETS,
    strategies: Sequence[str] = (ACTIVE, RANDOM),
    k: int = 5,
    seed: int = 0,
    repeats: int = 3,
    params: dict[str, Any] | None = None,
    progress: bool = True,
    fit_scores: Callable[..., np.ndarray] | None = None,
) -> LabelEfficiency:
    """Cross-fitted APGR of the adapted predictor for each strategy and label budget.

    ``queries`` are the items' encoded prompts (row i = item i); ``base`` the predictor to adapt,
    which knows ``items.strong`` / ``items.weak`` as ``names[...]`` (e.g. capability tiers);
    ``threshold`` the base router's (for the uncertainty term of active selection).
    ``select_scores`` (one per item, with ``threshold`` theirs) let another router's scores drive
    active selection while ``base`` is adapted: which of the two a curve owes to the picks.
    ``typical_length=False`` drops selection's typical-length term (the ablation in docs/adaptation.md).
    """
    from tqdm.auto import tqdm

    bad = [s for s in strategies if s not in (ACTIVE, RANDOM)]
    if bad:
        raise ValueError(f"unknown strategies {bad}; choose from {ACTIVE}, {RANDOM}")
    started = time.perf_counter()
    names = {items.strong: items.strong, items.weak: items.weak, **(names or {})}
    params = dict(params or {})
    fit = fit_scores or _fit_scores
    plan = make_cross_fit_plan(items, k=k, seed=seed, max_labels=len(items))  # labels = the whole pool
    lookup = _Lookup(items.prompts, np.asarray(queries.embeddings, dtype=np.float32))
    if select_scores is None:
        select_scores = base.predict(queries, names[items.strong], names[items.weak])
    select_scores = np.asarray(select_scores, dtype=float)
    if select_scores.shape != (len(items),):
        raise ValueError(f"select_scores: expected {len(items)} scores (one per item), got shape {select_scores.shape}")
    lengths = log_length(queries) if typical_length else None
    s_mean, w_mean = items.strong_mean, items.weak_mean
    points: list[CurvePoint] = []
    pooled: dict[tuple[str, int], np.ndarray] = {}
    total = len(strategies) * len(budgets) * repeats * plan.k
    with tqdm(total=total, desc=f"label efficiency ({items.name})", unit="fit", disable=not progress) as bar:
        for strategy in strategies:
            for budget in budgets:
                runs, used = [], 0
                for rep in range(repeats):
                    scores = np.full(len(items), np.nan)
                    for f, (test, pool) in enumerate(zip(plan.test, plan.labels)):
                        n = min(int(budget), len(pool))
                        used = max(used, n)
                        rep_seed = seed + 1000 * rep + f
                        if strategy == RANDOM:
                            pick = np.random.default_rng(rep_seed).choice(len(pool), size=n, replace=False)
                        else:
                            pick = active_pick(queries, select_scores, lengths, pool, n, threshold, rep_seed)
                        scores[test] = fit(items, queries, lookup, base, names, pool[np.sort(pick)], test, params)
                        bar.update(1)
                    if rep == 0:
                        pooled[(strategy, int(budget))] = scores
                    curve = call_performance_curve(scores, items.strong_perf, items.weak_perf)
                    runs.append(curve_metrics(curve, s_mean, w_mean))
                apgrs = np.array([r["apgr"] for r in runs])
                points.append(
                    CurvePoint(
                        items.name,
                        strategy,
                        int(budget),
                        used,
                        float(apgrs.mean()),
                        float(apgrs.std(ddof=1)) if len(apgrs) > 1 else 0.0,
                        float(np.mean([r["cpt_50"] for r in runs])),
                        float(np.mean([r["cpt_80"] for r in runs])),
                        repeats,
                    )
                )
    return LabelEfficiency(items.name, points, pooled, plan, time.perf_counter() - started)
