"""The N-way (PROCEED) harness: single models, oracle, random and each router at a sweep of cost
weights on one benchmark's cost-quality plane.

* **Points.** Every single model (its mean quality and mean cost per call), the oracle (per
  item the best-scoring model, the cheapest among ties), random N-way (a uniformly random
  model per item; its expected value, i.e. the mean of the single models) and each router
  at a sweep of cost weights ``w`` (0 and log-spaced up to a weight that picks the
  cheapest model everywhere): ``argmax_j q_ij - w * c_ij`` with predicted quality ``q``
  and expected cost ``c``, scored with the realised quality and cost.
* **Metrics.** RouterBench's AIQ (:func:`~core.evaluation.metrics.aiq`: the area under
  the non-decreasing convex hull of a router's (cost, quality) points over a cost range,
  divided by its width; one common range per benchmark, from the lowest to the highest
  cost of any point shown, so AIQs compare), also for the hull of the single models
  (RouterBench's "zero router": mixing models at random); the cost at which a router first
  matches the best single model; its lowest margin over the line joining the cheapest and
  the best single model; the best quality it reaches at <= half the cost of
  gpt-4-1106-preview (RouterBench's aim; the best single model where gpt-4 is absent);
  and PROCEED's diagnostic: the mean predicted score per true-score class (0, 1, partial).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...data.models import canonical_model
from ...embeddings import make_embedder
from ...embeddings.cache import DiskCachedEmbedder
from ...policies import choose_by_utility
from ..benchmarks.nway import NWayItems
from ..errors import EvaluationError
from ..metrics import aiq, non_decreasing_convex_hull
from ..progress import log as _log
from ..protocols.nway import DEFAULT_NWAY_ROUTERS, nway_router
from ..reports.nway import EPS as _EPS
from ..reports.nway import REFERENCE_MODEL, NWayReport, RouterCurve

__all__ = ["N_WEIGHTS", "cost_weight_sweep", "evaluate_nway", "line_margin", "oracle_choice"]

N_WEIGHTS = 48


def oracle_choice(scores: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Per item the best-scoring model, the cheapest (realised cost) among ties."""
    scores, costs = np.asarray(scores, dtype=np.float64), np.asarray(costs, dtype=np.float64)
    best = scores.max(axis=1, keepdims=True)
    return np.where(scores >= best - _EPS, costs, np.inf).argmin(axis=1)


def cost_weight_sweep(costs: np.ndarray, n: int = N_WEIGHTS) -> np.ndarray:
    """0 and ``n`` log-spaced cost weights (quality per USD) for expected costs ``costs``.

    The smallest is 0.01 / the largest cost spread of an item (choices as at 0); the
    largest 10 / the smallest positive gap between an item's cheapest model and any other,
    which (qualities being in [0, 1]) picks the cheapest model on every item.
    """
    c = np.asarray(costs, dtype=np.float64)
    gaps = c - c.min(axis=1, keepdims=True)
    positive = gaps[gaps > 1e-15]
    if positive.size == 0:
        return np.zeros(1)
    lo = 0.01 / float(gaps.max())
    hi = 10.0 / float(positive.min())
    return np.concatenate([[0.0], np.logspace(math.log10(lo), math.log10(max(hi, lo * 10)), n)])


def line_margin(
    costs: np.ndarray, qualities: np.ndarray, cheap: tuple[float, float], best: tuple[float, float]
) -> np.ndarray:
    """Quality minus the line joining the cheapest and the best single model, per point.

    Right of the best model the line continues flat at its quality (more money should not
    buy less); left of the cheapest model there is nothing to compare with (NaN).
    """
    c = np.asarray(costs, dtype=np.float64)
    q = np.asarray(qualities, dtype=np.float64)
    (c0, q0), (c1, q1) = cheap, best
    if c1 > c0:
        line = q0 + (q1 - q0) * (np.clip(c, c0, c1) - c0) / (c1 - c0)
    else:  # the cheapest model is the best one
        line = np.full(c.shape, q1)
    return np.where(c < c0 - _EPS * max(1.0, abs(c0)), np.nan, q - line)


def _curve(name: str, router: Any, items: NWayItems, weights: np.ndarray | None) -> RouterCurve:
    names = [canonical_model(m) for m in router.models]
    columns = []
    for m in names:
        if m not in items.models:
            raise EvaluationError(f"router {name!r} routes to {m!r}, which {items.benchmark} has no outcomes for")
        columns.append(items.models.index(m))
    q, c_exp, _ = router.predict_texts(items.test_texts)
    cols = np.asarray(columns)
    w = cost_weight_sweep(c_exp) if weights is None else np.asarray(weights, dtype=np.float64)
    rows = np.arange(len(items))
    out = {k: np.empty(len(w)) for k in ("q", "c", "ce", "qp")}
    shares = np.zeros((len(w), len(items.models)))
    for k, wk in enumerate(w):
        chosen = choose_by_utility(q, c_exp, float(wk))
        real = cols[chosen]
        out["q"][k] = items.scores[rows, real].mean()
        out["c"][k] = items.costs[rows, real].mean()
        out["ce"][k] = c_exp[rows, chosen].mean()
        out["qp"][k] = q[rows, chosen].mean()
        shares[k] = np.bincount(real, minlength=len(items.models)) / len(items)
    predictions = np.full((len(items), len(items.models)), np.nan)
    predictions[:, cols] = q
    return RouterCurve(
        name, router.predictor.kind, "", {}, names, w, out["q"], out["c"], out["ce"], out["qp"], shares, predictions
    )


def _diagnostic(predictions: np.ndarray, scores: np.ndarray, models: Sequence[str]) -> dict[str, dict[str, Any]]:
    """PROCEED: mean predicted score per model on items whose true score is 0, 1 or in between."""
    out: dict[str, dict[str, Any]] = {}
    for j, m in enumerate(models):
        p = predictions[:, j]
        if np.isnan(p).all():
            continue
        s = scores[:, j]
        row: dict[str, Any] = {}
        for label, mask in (("0", s <= _EPS), ("1", s >= 1 - _EPS), ("partial", (s > _EPS) & (s < 1 - _EPS))):
            row[label] = float(p[mask].mean()) if mask.any() else None
            row[f"n_{label}"] = int(mask.sum())
        out[m] = row
    return out


def _summarise(r: RouterCurve, report_bits: dict[str, Any]) -> dict[str, Any]:
    lo, hi = report_bits["cost_range"]
    best_q, best_c = report_bits["best"]
    cheap = report_bits["cheap"]
    ref_q, ref_c = report_bits["reference"]
    order = np.lexsort((-r.qualities, r.costs))
    c, q = r.costs[order], r.qualities[order]
    reach = np.flatnonzero(q >= best_q - _EPS)
    if reach.size:
        match = {
            "reached": True,
            "cost": float(c[reach[0]]),
            "quality": float(q[reach[0]]),
            "cost_weight": float(r.weights[order][reach[0]]),
        }
    else:
        k = int(np.lexsort((c, -q))[0])
        match = {
            "reached": False,
            "best_quality": float(q[k]),
            "cost": float(c[k]),
            "cost_weight": float(r.weights[order][k]),
        }
    margins = line_margin(c, q, cheap, (best_c, best_q))
    if np.isfinite(margins).any():
        k = int(np.nanargmin(margins))
        tol = report_bits["tolerance"]
        line = {
            "min_margin": float(margins[k]),
            "at_cost": float(c[k]),
            "below": bool(margins[k] < -tol),
            "n_below": int((margins < -tol).sum()),
            "tolerance": tol,
        }
    else:
        line = {"min_margin": None, "at_cost": None, "below": False, "n_below": 0}
    hx, hy = non_decreasing_convex_hull(c, q)
    hull_margins = line_margin(hx, hy, cheap, (best_c, best_q))
    line["hull_below"] = bool(
        np.isfinite(hull_margins).any() and np.nanmin(hull_margins) < -line.get("tolerance", _EPS)
    )
    cheap_enough = np.flatnonzero(c <= ref_c / 2 + _EPS)
    if cheap_enough.size:
        k = cheap_enough[int(np.argmax(q[cheap_enough]))]
        hull_q = float(np.interp(ref_c / 2, hx, hy, left=np.nan)) if ref_c / 2 >= hx[0] else float("nan")
        half = {
            "budget": ref_c / 2,
            "quality": float(q[k]),
            "cost": float(c[k]),
            "hull_quality": hull_q,
            "reached": bool(q[k] >= ref_q - _EPS),
            "target": ref_q,
            "cost_weight": float(r.weights[order][k]),
        }
    else:
        half = {
            "budget": ref_c / 2,
            "quality": None,
            "cost": None,
            "hull_quality": None,
            "reached": False,
            "target": ref_q,
        }
    return {
        "aiq": aiq(r.costs, r.qualities, cost_range=(lo, hi)),
        "match_best": match,
        "line": line,
        "half_reference": half,
    }


def evaluate_nway(
    items: NWayItems,
    routers: Sequence[Any] = DEFAULT_NWAY_ROUTERS,
    *,
    embedder: Any = None,
    recipe_params: Mapping[str, Mapping[str, Any]] | None = None,
    cost_weights: Sequence[float] | None = None,
    verbose: bool = True,
) -> NWayReport:
    """Score single models, oracle, random and each router's cost-weight sweep on ``items``.

    ``routers``: quality predictor kinds trained on ``items.train`` (``kind:name=value,...``
    to set parameters; ``recipe_params[kind]`` are the defaults), saved N-way router
    directories, or router objects (an :class:`~core.nway_router.NWayRouter`, or anything
    with its ``name``, ``models``, ``predictor`` and ``predict_texts``). ``cost_weights``
    overrides the per-router automatic sweep.
    """
    log = _log if verbose else (lambda _m: None)
    if embedder is None:
        embedder = DiskCachedEmbedder(make_embedder())
    if not routers:
        raise EvaluationError("no routers to evaluate")
    scores, costs = items.scores, items.costs
    single_q, single_c = scores.mean(axis=0), costs.mean(axis=0)
    rows = np.arange(len(items))
    pick = oracle_choice(scores, costs)
    oracle = (float(scores[rows, pick].mean()), float(costs[rows, pick].mean()))
    random_nway = (float(single_q.mean()), float(single_c.mean()))

    curves: dict[str, RouterCurve] = {}
    for spec in routers:
        name = str(spec) if isinstance(spec, (str, Path)) else str(spec.name)
        if name in curves:
            continue
        log(f"{items.benchmark}: router {name}")
        router, kind, origin, params, seconds = nway_router(spec, items, embedder, recipe_params or {})
        curve = _curve(
            Path(name).name if origin not in ("trained on the fly", "in memory") else name,
            router,
            items,
            None if cost_weights is None else np.asarray([0.0, *cost_weights]),
        )
        curve.kind, curve.origin, curve.params, curve.fit_seconds = kind, origin, params, seconds
        curves[curve.name] = curve

    all_c = np.concatenate([single_c, [oracle[1], random_nway[1]], *(r.costs for r in curves.values())])
    cost_range = (float(all_c.min()), float(all_c.max()))
    reference = (
        REFERENCE_MODEL if REFERENCE_MODEL in items.models else items.models[int(np.lexsort((single_c, -single_q))[0])]
    )
    report = NWayReport(
        items.benchmark,
        list(items.models),
        len(items),
        single_q,
        single_c,
        oracle,
        random_nway,
        curves,
        cost_range,
        aiq(single_c, single_q, cost_range=cost_range),
        reference,
        {},
        dict(items.info),
    )
    bits = {
        "cost_range": cost_range,
        "best": report.single(report.best),  # (quality, cost)
        "cheap": report.single(report.cheapest)[::-1],  # (cost, quality)
        "reference": report.single(reference),
        "tolerance": 0.5 / len(items),  # half an item: finer differences are the cost slope, not an answer
    }
    for r in curves.values():
        r.summary = _summarise(r, bits)
        report.diagnostic[r.name] = _diagnostic(r.predictions, scores, items.models)
    return report
