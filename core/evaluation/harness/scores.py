"""Two-model scoring: score vectors of routers on benchmark items -> a :class:`BenchmarkReport`
with RouteLLM's baselines (random with its 95% band over seeds, the prompt-length heuristic,
the oracle) and the cost axis of AIQ (the data's costs, else the catalog price ratio)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...data.importers import resolve_data_dir
from ...data.models import canonical_model, load_price_catalog
from ..benchmarks.pairwise import BenchmarkItems, describe
from ..errors import BadScoresError
from ..metrics import (
    Curve,
    RandomBaseline,
    call_performance_curve,
    cost_saving_ratio,
    curve_aiq,
    curve_metrics,
    length_heuristic_scores,
    optimal_curve,
    random_baseline,
)
from ..protocols.pairwise import OUT_OF_DOMAIN
from ..reports.pairwise import LENGTH, ORACLE, RANDOM, BenchmarkReport

__all__ = ["blended_price_ratio", "check_router_scores", "evaluate_scores"]


def check_router_scores(name: str, scores: Any, n: int) -> np.ndarray:
    """A finite 1-D float array of length n, else a clear BadScoresError."""
    arr = np.asarray(scores, dtype=float)
    if arr.shape != (n,):
        raise BadScoresError(f"router {name!r} returned {arr.shape} scores for {n} benchmark items")
    nan = int(np.isnan(arr).sum())
    if nan:
        raise BadScoresError(f"router {name!r} returned NaN scores for {nan} of {n} items")
    inf = int(np.isinf(arr).sum())
    if inf:
        raise BadScoresError(f"router {name!r} returned infinite scores for {inf} of {n} items")
    return arr


def _router_row(
    curve: Curve, s_mean: float, w_mean: float, rand: RandomBaseline, costs: tuple[float, float]
) -> dict[str, float]:
    row = curve_metrics(curve, s_mean, w_mean)
    for t in (50, 80):
        try:
            row[f"saving_{t}"] = cost_saving_ratio(row[f"cpt_{t}"], rand.cpt_mean[t / 100])
        except ValueError:
            row[f"saving_{t}"] = float("nan")
    row["aiq"] = curve_aiq(curve, *costs)
    return row


def evaluate_scores(
    items: BenchmarkItems,
    scores: Mapping[str, np.ndarray],
    *,
    strong: str | None = None,
    weak: str | None = None,
    price_ratio: float | None = None,
    seeds: int = 100,
    num_thresholds: int = 10,
    protocol: str = OUT_OF_DOMAIN,
) -> BenchmarkReport:
    """Metrics for each named score vector plus the random, prompt-length and oracle baselines.

    Per router: APGR, AUC, CPT(20/50/80%), the cost-saving ratio at CPT(50%) and CPT(80%)
    (random's CPT over the router's, RouteLLM Table 6) and AIQ. The AIQ cost axis is the
    mean per-call cost from the data when it has costs, else the catalog price ratio
    (``price_ratio`` = weak / strong cost per call), else the strong-call share.
    """
    strong = strong or items.strong
    weak = weak or items.weak
    s_mean, w_mean = items.strong_mean, items.weak_mean
    n = len(items)
    checked = {name: check_router_scores(name, sc, n) for name, sc in scores.items()}
    if items.strong_cost is not None and items.weak_cost is not None and items.strong_cost > items.weak_cost:
        costs, basis = (items.strong_cost, items.weak_cost), "mean USD per call from the data"
    elif price_ratio is not None and 0 <= price_ratio < 1:
        costs, basis = (1.0, price_ratio), f"cost relative to the strong model (catalog price ratio {price_ratio:.3f})"
    else:
        costs, basis = (1.0, 0.0), "strong-call share (no prices)"
    rand = random_baseline(items.strong_perf, items.weak_perf, seeds=seeds, num_thresholds=num_thresholds)
    curves: dict[str, Curve] = {}
    rows: dict[str, dict[str, float]] = {}
    all_scores = {**checked, LENGTH: length_heuristic_scores(items.prompts)}
    for name, sc in all_scores.items():
        curves[name] = call_performance_curve(sc, items.strong_perf, items.weak_perf, num_thresholds, name=name)
        rows[name] = _router_row(curves[name], s_mean, w_mean, rand, costs)
    curves[RANDOM] = rand.curve
    rows[RANDOM] = {
        "apgr": rand.apgr,
        "apgr_lo": rand.interval[0],
        "apgr_hi": rand.interval[1],
        **{f"cpt_{round(100 * t)}": v for t, v in rand.cpt_mean.items()},
        "saving_50": 1.0,
        "saving_80": 1.0,
        "aiq": curve_aiq(rand.curve, *costs),
    }
    curves[ORACLE] = optimal_curve(items.strong_perf, items.weak_perf, num_thresholds)
    rows[ORACLE] = _router_row(curves[ORACLE], s_mean, w_mean, rand, costs)
    cost_saved: dict[str, float] = {}
    if price_ratio is not None:
        for name in checked:
            for t in (50, 80):
                share = rows[name][f"cpt_{t}"] / 100.0
                cost_saved[f"{name} at CPT({t}%)"] = 1.0 - (share + (1.0 - share) * price_ratio)
    return BenchmarkReport(
        items.name,
        strong,
        weak,
        n,
        items.dropped_contaminated,
        s_mean,
        w_mean,
        rows,
        curves,
        rand.interval,
        cost_saved,
        protocol=protocol,
        random=rand,
        benchmark_info=describe(items),
        settings={"seeds": seeds, "num_thresholds": num_thresholds},
        cost_basis=basis,
    )


def blended_price_ratio(strong: str, weak: str, data_dir: str | Path | None = None) -> float | None:
    """Weak/strong cost per call from the price catalog (mean of input and output $/1M), if both are priced."""
    try:
        catalog = load_price_catalog(resolve_data_dir(data_dir) / "prices" / "leaderboard_with_pricing.csv")
    except (OSError, ValueError):
        return None
    prices = []
    for model in (strong, weak):
        info = catalog.get(canonical_model(model))
        if info is None or info.input_price is None or info.output_price is None:
            return None
        prices.append((info.input_price + info.output_price) / 2)
    return prices[1] / prices[0] if prices[0] > 0 else None
