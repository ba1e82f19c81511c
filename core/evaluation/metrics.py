"""Router evaluation metrics, computed the way RouteLLM and RouterBench compute them.

Binary routing (RouteLLM, Ong et al. 2024; code: ``routellm/evals/benchmarks.py``
and ``routellm/evals/evaluate.py`` in lm-sys/RouteLLM):

* **Thresholds.** The router's scores (P(strong wins) per item) are cut into
  ``num_thresholds`` (10) equal-count bins, as ``pandas.qcut(scores, 10,
  retbins=True)`` does: the 11 bin edges are the 0%, 10%, ..., 100% quantiles
  of the scores with linear interpolation (pandas 2.x computes them as
  ``np.percentile(scores, linspace(0, 1, 11) * 100)``; we do the same and match
  pandas 2.2 bit for bit; pandas 3 nudges the levels by one ulp).
* **One point per edge.** For every edge but the last, an item goes to the
  strong model when ``score >= edge``; for the last edge (the maximum score)
  when ``score > edge``. So the first point always sends 100% of the calls to
  the strong model and the last 0%. The point's performance is the mean, over
  items, of the routed model's per-item quality.
* **APGR.** Points are sorted by strong-call share; the area under
  performance-vs-share (share in [0, 1]) is taken by the trapezoid rule, and
  normalised as ``(AUC - weak_AUC) / (strong_AUC - weak_AUC)``, where the
  weak/strong AUCs are the same trapezoid integral of the constant weak/strong
  means over the same x values.
* **CPT(x%).** ``np.interp(weak + x * (strong - weak), performances,
  strong_pcts)`` on the share-sorted points: the strong-call percentage at
  which the curve reaches PGR x, by linear interpolation.
* **Optimal router.** With a budget of p% strong calls, the oracle sends to
  the strong model only items where it beats the weak one (0/1 data:
  ``weak_correct + min(n * p, #(weak wrong and strong right))``; graded data:
  the ``int(n * p)`` items with the largest positive strong-minus-weak gap),
  evaluated at p = 0, 10, ..., 100%.

Ties. ``pandas.qcut`` raises "Bin edges must be unique" when two quantile
edges coincide (many tied scores), so RouteLLM's code cannot evaluate such a
router at all. We keep the duplicate edges (its comment says "including
duplicates"): equal edges give identical points, which add zero-width
trapezoids. On inputs where RouteLLM runs, the numbers are the same; a router
with constant scores gets the points (100%, strong) and (0%, weak), so APGR 0.5.

N-way routing (RouterBench, Hu et al. 2024): AIQ is the area under the
non-decreasing convex hull of a router's (cost, quality) points, divided by
the width of the cost range; see :func:`aiq`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "CPT_TARGETS",
    "Curve",
    "CurvePoint",
    "RandomBaseline",
    "aiq",
    "apgr",
    "auc",
    "benchmark_similarity",
    "call_performance_curve",
    "cost_saving_ratio",
    "cpt",
    "curve_aiq",
    "curve_metrics",
    "length_heuristic_scores",
    "nearest_similarity",
    "non_decreasing_convex_hull",
    "optimal_apgr",
    "optimal_curve",
    "pgr",
    "random_baseline",
]

#: PGR targets RouteLLM reports CPT for ("20% qual", "50% qual", "80% qual").
CPT_TARGETS: tuple[float, ...] = (0.2, 0.5, 0.8)


# --------------------------------------------------------------------------- #
# Data classes
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class CurvePoint:
    """One operating point: route strong when score >= ``threshold``.

    ``strong_share`` is the fraction of calls sent to the strong model, in
    [0, 1] (``strong_pct`` gives it in percent, RouteLLM's x axis);
    ``performance`` is the mean quality of the routed answers. For oracle
    curves ``threshold`` is NaN and ``strong_share`` is the call budget.
    """

    threshold: float
    strong_share: float
    performance: float

    @property
    def strong_pct(self) -> float:
        """Strong-model calls in percent."""
        return 100.0 * self.strong_share


@dataclass(frozen=True)
class Curve:
    """A call-performance curve: points in the order they were generated."""

    points: tuple[CurvePoint, ...]
    name: str = ""

    def __post_init__(self) -> None:
        pts = tuple(self.points)
        if not pts:
            raise ValueError("a Curve needs at least one point")
        object.__setattr__(self, "points", pts)

    @classmethod
    def from_arrays(
        cls,
        thresholds: ArrayLike,
        strong_shares: ArrayLike,
        performances: ArrayLike,
        name: str = "",
    ) -> Curve:
        """Build a curve from parallel arrays (strong shares in [0, 1])."""
        t = np.asarray(thresholds, dtype=float).ravel()
        s = np.asarray(strong_shares, dtype=float).ravel()
        p = np.asarray(performances, dtype=float).ravel()
        if not len(t) == len(s) == len(p):
            raise ValueError(f"length mismatch: {len(t)} thresholds, {len(s)} strong shares, {len(p)} performances")
        return cls(tuple(CurvePoint(float(a), float(b), float(c)) for a, b, c in zip(t, s, p)), name)

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[CurvePoint]:
        return iter(self.points)

    @property
    def thresholds(self) -> np.ndarray:
        return np.array([p.threshold for p in self.points], dtype=float)

    @property
    def strong_shares(self) -> np.ndarray:
        return np.array([p.strong_share for p in self.points], dtype=float)

    @property
    def strong_pcts(self) -> np.ndarray:
        return 100.0 * self.strong_shares

    @property
    def performances(self) -> np.ndarray:
        return np.array([p.performance for p in self.points], dtype=float)

    def sorted_by_share(self) -> tuple[np.ndarray, np.ndarray]:
        """(strong shares, performances) sorted by share, as RouteLLM sorts its points.

        A stable sort; points that share an x value on a threshold curve are
        identical, so the order among them does not change any metric.
        """
        shares = self.strong_shares
        order = np.argsort(shares, kind="stable")
        return shares[order], self.performances[order]


@dataclass(frozen=True)
class RandomBaseline:
    """The random router (score ~ U(0, 1) per item) over many seeds.

    ``apgr`` is the mean APGR over seeds, ``interval`` the 2.5th-97.5th
    percentile of the per-seed APGRs (the spread of one random router, not a
    confidence interval of the mean), ``curve`` the seed-averaged curve,
    ``band`` the per-point 2.5/97.5 percentiles of performance, and
    ``cpt_mean`` the mean CPT(x) over seeds for each of :data:`CPT_TARGETS`.
    """

    apgr: float
    interval: tuple[float, float]
    curve: Curve
    apgrs: np.ndarray = field(repr=False)
    band: tuple[np.ndarray, np.ndarray] = field(repr=False)
    cpt_mean: dict[float, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- #
# Validation helpers
# --------------------------------------------------------------------------- #


def _vector(x: ArrayLike, name: str) -> np.ndarray:
    """1-D float64 copy of ``x``; clear errors for empty or multi-dimensional input."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a 1-D sequence, got a scalar")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def _no_nan(arr: np.ndarray, what: str) -> None:
    nan = int(np.isnan(arr).sum())
    if nan:
        raise ValueError(f"{what} has NaN for {nan} items")
    inf = int(np.isinf(arr).sum())
    if inf:
        raise ValueError(f"{what} has infinite values for {inf} items")


def _check_scores(scores: ArrayLike) -> np.ndarray:
    s = _vector(scores, "scores")
    nan = int(np.isnan(s).sum())
    if nan:
        raise ValueError(f"router produced NaN scores for {nan} items")
    inf = int(np.isinf(s).sum())
    if inf:
        raise ValueError(f"router produced infinite scores for {inf} items")
    return s


def _check_perfs(strong_perf: ArrayLike, weak_perf: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    sp = _vector(strong_perf, "strong_perf")
    wp = _vector(weak_perf, "weak_perf")
    if len(sp) != len(wp):
        raise ValueError(f"length mismatch: {len(sp)} strong_perf vs {len(wp)} weak_perf")
    _no_nan(sp, "strong_perf")
    _no_nan(wp, "weak_perf")
    return sp, wp


def _check_gap(strong_mean: float, weak_mean: float) -> tuple[float, float]:
    s, w = float(strong_mean), float(weak_mean)
    if not (math.isfinite(s) and math.isfinite(w)):
        raise ValueError(f"strong_mean and weak_mean must be finite, got {s!r} and {w!r}")
    if s == w:
        raise ValueError(
            f"strong and weak means are equal ({s!r}): PGR is undefined (there is no gap between the models to recover)"
        )
    return s, w


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    """Trapezoid rule, the same sum as ``np.trapz(y, x)``."""
    if len(x) < 2:
        return 0.0
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


# --------------------------------------------------------------------------- #
# Binary routing: curves and RouteLLM metrics
# --------------------------------------------------------------------------- #


def call_performance_curve(
    scores: ArrayLike,
    strong_perf: ArrayLike,
    weak_perf: ArrayLike,
    num_thresholds: int = 10,
    name: str = "",
) -> Curve:
    """RouteLLM's call-performance curve for a router's scores.

    ``scores[i]`` is the router's P(strong wins) for item i; ``strong_perf``
    and ``weak_perf`` are the per-item qualities (0/1 or graded) of the two
    models. Returns ``num_thresholds + 1`` points, one per quantile edge of the
    scores (see the module docstring), from 100% strong calls down to 0%.
    """
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)):
        raise ValueError(f"num_thresholds must be an integer, got {num_thresholds!r}")
    if num_thresholds < 1:
        raise ValueError(f"num_thresholds must be >= 1, got {num_thresholds}")
    s = _check_scores(scores)
    sp, wp = _check_perfs(strong_perf, weak_perf)
    if len(s) != len(sp):
        raise ValueError(f"length mismatch: {len(s)} scores vs {len(sp)} items of model quality")

    # pandas.qcut's edges: Series.quantile(linspace(0, 1, q + 1)), i.e. np.percentile
    # with linear interpolation at those levels times 100.
    edges = np.percentile(s, np.linspace(0.0, 1.0, num_thresholds + 1) * 100.0)
    n = len(s)
    points = []
    for i, edge in enumerate(edges):
        strong = s > edge if i == len(edges) - 1 else s >= edge
        perf = float(np.where(strong, sp, wp).mean())
        points.append(CurvePoint(float(edge), int(strong.sum()) / n, perf))
    return Curve(tuple(points), name)


def pgr(performance: ArrayLike, strong_mean: float, weak_mean: float) -> Any:
    """Performance gap recovered: (perf - weak) / (strong - weak); float or array."""
    s, w = _check_gap(strong_mean, weak_mean)
    out = (np.asarray(performance, dtype=float) - w) / (s - w)
    return float(out) if out.ndim == 0 else out


def auc(curve: Curve) -> float:
    """Area under performance vs strong-call share (share in [0, 1]), trapezoid rule."""
    x, y = curve.sorted_by_share()
    return _trapezoid(y, x)


def apgr(curve: Curve, strong_mean: float, weak_mean: float) -> float:
    """Average performance gap recovered, as RouteLLM's ``apgr_metric``.

    ``(AUC - weak_AUC) / (strong_AUC - weak_AUC)``, all three by the trapezoid
    rule over the curve's share-sorted x values (share in [0, 1]). 0.5 is a
    random router, 1.0 a router that matches the strong model at every budget.
    """
    s, w = _check_gap(strong_mean, weak_mean)
    x, y = curve.sorted_by_share()
    if len(x) < 2 or x[-1] == x[0]:
        raise ValueError("APGR is undefined: the curve spans no range of strong-call shares")
    area = _trapezoid(y, x)
    weak_area = _trapezoid(np.full(len(x), w), x)
    strong_area = _trapezoid(np.full(len(x), s), x)
    return (area - weak_area) / (strong_area - weak_area)


def cpt(curve: Curve, target_pgr: float, strong_mean: float, weak_mean: float) -> float:
    """Call-performance threshold: strong-call PERCENT needed to reach ``target_pgr``.

    ``target_pgr`` is a fraction (0.5 for CPT(50%)). As RouteLLM's
    ``pct_call_metric``: ``np.interp(weak + target * (strong - weak),
    performances, strong_pcts)`` on the share-sorted points. Like
    ``np.interp`` it clamps outside the curve's performance range, and it
    assumes performance rises with the share (RouteLLM does not check this;
    on a non-monotone curve the value is what RouteLLM's code would report).
    """
    t = float(target_pgr)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"target_pgr must be a fraction in [0, 1] (0.5 for 50%), got {target_pgr!r}")
    s, w = _check_gap(strong_mean, weak_mean)
    x, y = curve.sorted_by_share()
    return float(np.interp(t * (s - w) + w, y, 100.0 * x))


def curve_metrics(
    curve: Curve,
    strong_mean: float,
    weak_mean: float,
    targets: Sequence[float] = CPT_TARGETS,
) -> dict[str, float]:
    """RouteLLM's metrics table row: ``{"apgr", "auc", "cpt_20", "cpt_50", "cpt_80"}``."""
    out = {"apgr": apgr(curve, strong_mean, weak_mean), "auc": auc(curve)}
    for t in targets:
        out[f"cpt_{round(100 * t):d}"] = cpt(curve, t, strong_mean, weak_mean)
    return out


def optimal_curve(strong_perf: ArrayLike, weak_perf: ArrayLike, num_points: int = 10) -> Curve:
    """The oracle router at budgets 0, 100/num_points, ..., 100% strong calls.

    With budget p the oracle sends to the strong model only items where it is
    better than the weak one, best gain first. For 0/1 qualities RouteLLM
    counts fractional calls (``min(n * p, #gains)``, MMLU/GSM8K); for graded
    qualities it takes the ``int(n * p)`` largest positive gaps (MT-Bench).
    ``strong_share`` holds the budget p; ``threshold`` is NaN.
    """
    if isinstance(num_points, bool) or not isinstance(num_points, (int, np.integer)) or num_points < 1:
        raise ValueError(f"num_points must be an integer >= 1, got {num_points!r}")
    sp, wp = _check_perfs(strong_perf, weak_perf)
    n = len(sp)
    binary = bool(np.isin(sp, (0.0, 1.0)).all() and np.isin(wp, (0.0, 1.0)).all())
    gain = sp - wp
    order = np.argsort(-gain, kind="stable")
    n_pos = int((gain > 0).sum())
    points = []
    for pct in np.linspace(0.0, 100.0, num_points + 1):
        budget = pct / 100.0
        if binary:
            perf = (float(wp.sum()) + min(n * budget, n_pos)) / n
        else:
            k = int(n * budget)
            strong = np.zeros(n, dtype=bool)
            if n_pos > k:
                strong[order[:k]] = True
            else:
                strong = gain > 0
            perf = float(np.where(strong, sp, wp).mean())
        points.append(CurvePoint(math.nan, float(budget), perf))
    return Curve(tuple(points), "optimal")


def optimal_apgr(strong_perf: ArrayLike, weak_perf: ArrayLike, num_points: int = 10) -> float:
    """APGR of :func:`optimal_curve`, against the per-item means of the two models."""
    sp, wp = _check_perfs(strong_perf, weak_perf)
    return apgr(optimal_curve(sp, wp, num_points), float(sp.mean()), float(wp.mean()))


def random_baseline(
    strong_perf: ArrayLike,
    weak_perf: ArrayLike,
    seeds: int = 100,
    num_thresholds: int = 10,
    strong_mean: float | None = None,
    weak_mean: float | None = None,
) -> RandomBaseline:
    """RouteLLM's random router, repeated over ``seeds`` seeds.

    RouteLLM's ``RandomRouter`` scores each item with ``random.uniform(0, 1)``
    after ``random.seed(0)``; seed s here draws the same stream from
    ``random.Random(s)``, so seed 0 reproduces RouteLLM's single random run
    when the items are in the same order. Means default to the per-item means.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    sp, wp = _check_perfs(strong_perf, weak_perf)
    s_mean = float(sp.mean()) if strong_mean is None else float(strong_mean)
    w_mean = float(wp.mean()) if weak_mean is None else float(weak_mean)
    _check_gap(s_mean, w_mean)
    n = len(sp)
    apgrs = np.empty(seeds)
    thr = np.empty((seeds, num_thresholds + 1))
    shares = np.empty_like(thr)
    perfs = np.empty_like(thr)
    cpts = np.empty((seeds, len(CPT_TARGETS)))
    for seed in range(seeds):
        rng = random.Random(seed)
        # random.uniform(0, 1) == 0 + 1 * random(): the identical stream.
        scores = np.fromiter((rng.random() for _ in range(n)), dtype=float, count=n)
        curve = call_performance_curve(scores, sp, wp, num_thresholds)
        apgrs[seed] = apgr(curve, s_mean, w_mean)
        thr[seed], shares[seed], perfs[seed] = curve.thresholds, curve.strong_shares, curve.performances
        cpts[seed] = [cpt(curve, t, s_mean, w_mean) for t in CPT_TARGETS]
    mean_curve = Curve.from_arrays(thr.mean(0), shares.mean(0), perfs.mean(0), name="random")
    lo, hi = np.percentile(apgrs, [2.5, 97.5])
    band = (np.percentile(perfs, 2.5, axis=0), np.percentile(perfs, 97.5, axis=0))
    return RandomBaseline(
        apgr=float(apgrs.mean()),
        interval=(float(lo), float(hi)),
        curve=mean_curve,
        apgrs=apgrs,
        band=band,
        cpt_mean={t: float(c) for t, c in zip(CPT_TARGETS, cpts.mean(0))},
    )


def cost_saving_ratio(cpt_router: float, cpt_random: float) -> float:
    """RouteLLM Table 6: strong calls the random router needs per strong call of ours.

    Both arguments are CPT(x%) at the same PGR x (same units); the ratio is
    ``cpt_random / cpt_router`` (e.g. 49.0% / 13.4% = 3.66x). A router that
    reaches the target with no strong calls gives ``inf``.
    """
    r, b = float(cpt_router), float(cpt_random)
    if not (math.isfinite(r) and math.isfinite(b)) or r < 0 or b < 0:
        raise ValueError(f"CPTs must be finite and >= 0, got router={cpt_router!r}, random={cpt_random!r}")
    if r == 0:
        return math.inf
    return b / r


# --------------------------------------------------------------------------- #
# N-way routing: RouterBench AIQ
# --------------------------------------------------------------------------- #


def non_decreasing_convex_hull(costs: ArrayLike, qualities: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """RouterBench's non-decreasing convex hull of (cost, quality) points.

    The upper concave hull, cut at its highest point: every cost can mix two
    neighbouring operating points (so the frontier is concave), and spending
    more than the best point needs buys nothing (so it never decreases).
    Returns hull costs and qualities, sorted by cost.
    """
    c = _vector(costs, "costs")
    q = _vector(qualities, "qualities")
    if len(c) != len(q):
        raise ValueError(f"length mismatch: {len(c)} costs vs {len(q)} qualities")
    _no_nan(c, "costs")
    _no_nan(q, "qualities")
    # Best quality per distinct cost, sorted by cost.
    uc, inv = np.unique(c, return_inverse=True)
    uq = np.full(len(uc), -np.inf)
    np.maximum.at(uq, inv, q)
    hull: list[tuple[float, float]] = []
    for x, y in zip(uc.tolist(), uq.tolist()):
        # Drop the last hull point while it lies on or below the chord to (x, y).
        while len(hull) >= 2:
            (x0, y0), (x1, y1) = hull[-2], hull[-1]
            if (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0:
                hull.pop()
            else:
                break
        hull.append((x, y))
    hx = np.array([h[0] for h in hull])
    hy = np.array([h[1] for h in hull])
    top = int(np.argmax(hy))  # concave: rises to its maximum, then falls
    return hx[: top + 1], hy[: top + 1]


def aiq(
    costs: ArrayLike,
    qualities: ArrayLike,
    cost_range: tuple[float, float] | None = None,
) -> float:
    """RouterBench AIQ: mean height of the non-decreasing convex hull over a cost range.

    ``AIQ = 1 / (c_max - c_min) * integral_{c_min}^{c_max} hull(c) dc`` (the
    RouterBench paper's definition). The hull is extended flat to the right
    of its best point and counts as 0 left of the router's cheapest point.
    ``cost_range`` defaults to the points' own (min, max) cost; pass one common
    range to compare routers. RouterBench's code (``evaluation/AIQ.py``)
    integrates from each hull's first point to the largest cost of all routers
    compared and divides by that cost, i.e. ``cost_range=(0, common_max)``.
    """
    hx, hy = non_decreasing_convex_hull(costs, qualities)
    c = np.asarray(costs, dtype=float)
    lo, hi = (float(c.min()), float(c.max())) if cost_range is None else map(float, cost_range)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ValueError(
            f"AIQ needs a cost range of positive width, got ({lo!r}, {hi!r}); "
            "with a single distinct cost there is nothing to integrate"
        )
    if lo > c.min() or hi < c.max():
        raise ValueError(f"cost_range ({lo!r}, {hi!r}) must cover all costs ({c.min()!r} to {c.max()!r})")
    xs, ys = hx, hy
    if hi > xs[-1]:
        xs, ys = np.append(xs, hi), np.append(ys, ys[-1])
    return _trapezoid(ys, xs) / (hi - lo)


def curve_aiq(curve: Curve, strong_cost: float = 1.0, weak_cost: float = 0.0) -> float:
    """AIQ of a binary router's call-performance curve (RouterBench, applied to two models).

    A point with strong-call share s costs ``s * strong_cost + (1 - s) * weak_cost`` per
    call; AIQ is taken over the common range from all-weak to all-strong cost, so routers
    on the same benchmark compare. With no prices, the defaults make cost = strong share.
    """
    sc, wc = float(strong_cost), float(weak_cost)
    if not (math.isfinite(sc) and math.isfinite(wc)) or sc <= wc:
        raise ValueError(f"strong_cost must exceed weak_cost, got {strong_cost!r} <= {weak_cost!r}")
    shares = curve.strong_shares
    costs = shares * sc + (1.0 - shares) * wc
    return aiq(costs, curve.performances, cost_range=(min(wc, float(costs.min())), max(sc, float(costs.max()))))


# --------------------------------------------------------------------------- #
# Data diagnostics and baselines
# --------------------------------------------------------------------------- #


def nearest_similarity(
    bench_emb: ArrayLike,
    train_emb: ArrayLike,
    max_block: int = 1 << 24,
) -> np.ndarray:
    """Per benchmark prompt, the max cosine similarity to any training prompt.

    Rows are L2-normalised here; the similarity matrix is built in blocks of
    at most ``max_block`` entries so large training sets fit in memory.
    """
    b = np.asarray(bench_emb)
    t = np.asarray(train_emb)
    for arr, nm in ((b, "bench_emb"), (t, "train_emb")):
        if arr.ndim != 2:
            raise ValueError(f"{nm} must be a 2-D (items, dim) array, got shape {arr.shape}")
        if arr.shape[0] == 0:
            raise ValueError(f"{nm} is empty")
    if b.shape[1] != t.shape[1]:
        raise ValueError(f"embedding dims differ: bench {b.shape[1]} vs train {t.shape[1]}")
    dtype = np.float32 if b.dtype == np.float32 and t.dtype == np.float32 else np.float64
    b, t = b.astype(dtype, copy=False), t.astype(dtype, copy=False)

    def unit(x: np.ndarray, nm: str) -> np.ndarray:
        if not np.isfinite(x).all():
            raise ValueError(f"{nm} contains NaN or infinite values")
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        zero = int((norms[:, 0] == 0).sum())
        if zero:
            raise ValueError(f"{nm} has {zero} all-zero rows; cosine similarity is undefined")
        return x / norms

    b, t = unit(b, "bench_emb"), unit(t, "train_emb")
    rows = max(1, int(max_block) // t.shape[0])
    best = np.empty(b.shape[0], dtype=np.float64)
    for start in range(0, b.shape[0], rows):
        best[start : start + rows] = (b[start : start + rows] @ t.T).max(axis=1)
    return best


def benchmark_similarity(
    bench_emb: ArrayLike,
    train_emb: ArrayLike,
    max_block: int = 1 << 24,
) -> float:
    """RouteLLM section 5.3: mean over benchmark prompts of the max cosine similarity to training prompts.

    Rows are L2-normalised here; the similarity matrix is built in blocks of
    at most ``max_block`` entries so large training sets fit in memory.
    """
    return float(nearest_similarity(bench_emb, train_emb, max_block).mean())


def _text_length(prompt: Any) -> int:
    """Characters of a prompt: a string, or the user turns of a role/content conversation."""
    if isinstance(prompt, str):
        return len(prompt)
    if isinstance(prompt, Sequence):
        total = 0
        messages = [m for m in prompt if isinstance(m, Mapping)]
        if len(messages) != len(prompt):
            raise TypeError("a conversation must be a list of role/content mappings")
        users = [m for m in messages if m.get("role", "user") == "user"] or messages
        for m in users:
            content = m.get("content", "")
            if isinstance(content, str):
                total += len(content)
            elif isinstance(content, Sequence):
                total += sum(len(part.get("text", "")) for part in content if isinstance(part, Mapping))
        return total
    raise TypeError(f"a prompt must be a string or a list of messages, got {type(prompt).__name__}")


def length_heuristic_scores(prompts: Sequence[Any]) -> np.ndarray:
    """The length baseline: a longer prompt gets a higher strong score.

    The score is the prompt's character count (user turns for a
    conversation). Only the order matters: thresholds are score quantiles.
    """
    if isinstance(prompts, str):
        raise TypeError("prompts must be a sequence of prompts, not a single string")
    items = list(prompts)
    if not items:
        raise ValueError("prompts is empty")
    return np.array([_text_length(p) for p in items], dtype=float)
