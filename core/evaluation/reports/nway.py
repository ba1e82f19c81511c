"""The N-way report: single models, oracle, random and each router's cost-weight sweep on one
benchmark's cost-quality plane, as a plain-text table, JSON and CSV rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .pairwise import json_safe

__all__ = ["EPS", "REFERENCE_MODEL", "NWayReport", "RouterCurve"]

REFERENCE_MODEL = "gpt-4-1106-preview"
EPS = 1e-9


@dataclass
class RouterCurve:
    """One router's sweep over cost weights, scored with the realised quality and cost."""

    name: str
    kind: str
    origin: str  # "trained on the fly" or the artifact directory
    params: dict[str, Any]
    models: list[str]
    weights: np.ndarray
    qualities: np.ndarray
    costs: np.ndarray
    expected_costs: np.ndarray
    predicted_qualities: np.ndarray  # mean predicted quality of the chosen models
    shares: np.ndarray  # (weights, benchmark models): share of items sent to each model
    predictions: np.ndarray  # (items, benchmark models) predicted quality (NaN: model not routed to)
    fit_seconds: float | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def pareto_points(self) -> list[int]:
        """Indices of the sweep's Pareto-optimal operating points (no other point is at most as
        expensive and better), by cost; one index per distinct point."""
        keep: list[int] = []
        best = -np.inf
        for i in np.lexsort((-self.qualities, self.costs)):
            if self.qualities[i] > best + EPS:
                keep.append(int(i))
                best = float(self.qualities[i])
        return keep


@dataclass
class NWayReport:
    """Single models, oracle, random and routers on one N-way benchmark's cost-quality plane."""

    benchmark: str
    models: list[str]
    n_items: int
    single_quality: np.ndarray
    single_cost: np.ndarray
    oracle: tuple[float, float]  # (quality, cost)
    random: tuple[float, float]
    routers: dict[str, RouterCurve]
    cost_range: tuple[float, float]
    zero_router_aiq: float
    reference: str  # gpt-4-1106-preview, else the best single model
    diagnostic: dict[str, dict[str, dict[str, Any]]]  # router -> model -> {"0", "1", "partial", counts}
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.benchmark

    def single(self, model: str) -> tuple[float, float]:
        j = self.models.index(model)
        return float(self.single_quality[j]), float(self.single_cost[j])

    @property
    def cheapest(self) -> str:
        order = np.lexsort((-self.single_quality, self.single_cost))
        return self.models[int(order[0])]

    @property
    def best(self) -> str:
        order = np.lexsort((self.single_cost, -self.single_quality))
        return self.models[int(order[0])]

    # -- text --------------------------------------------------------------------------------
    def table(self) -> str:
        info = self.info
        ref_q, ref_c = self.single(self.reference)
        best_q, best_c = self.single(self.best)
        lk = info.get("leakage", {})
        rules = ", ".join(f"{r} {n}" for r, n in lk.get("by_rule", {}).items())
        lines = [
            f"N-way routing on {self.benchmark} test: {self.n_items} items x {len(self.models)} models; "
            f"routers trained on {info.get('n_train')} train prompts",
        ]
        if info.get("max_items") or info.get("max_train"):
            lines.append(
                f"  seeded subsample (seed {info.get('seed')}): {self.n_items} of {info.get('n_test_after_cleaning')} "
                f"test items, {info.get('n_train')} of {info.get('n_train_total')} train prompts"
            )
        lines += [
            f"  test prompts also in train, removed: {lk.get('removed', 0)} of {lk.get('test_prompts', '?')} "
            f"({rules}; compared on {lk.get('compared', '?')}"
            + (f", embedding cosine >= {lk.get('threshold')}" if lk.get("embedding_checked") else "")
            + ")",
            f"  test items with a missing score, dropped: {info.get('dropped_missing_score', 0)}",
            f"  cost per call (USD): {info.get('cost_basis')}",
            f"  ref = {self.reference}"
            + (" (not in this benchmark: the best single model)" if self.reference != REFERENCE_MODEL else ""),
            "",
        ]
        width = max(36, *(len(m) + 11 for m in self.models), *(len(n) + 7 for n in self.routers))
        head = f"{'model / router':<{width}} {'quality':>8} {'cost/call $':>12} {'cost vs ref':>14}"
        lines += [head, "-" * len(head)]
        for j in np.argsort(self.single_cost, kind="stable"):
            m = self.models[int(j)]
            tag = " (cheapest)" if m == self.cheapest else " (best)" if m == self.best else ""
            lines.append(
                f"{(m + tag):<{width}} {self.single_quality[j]:8.4f} {self.single_cost[j]:12.6f} "
                f"{self.single_cost[j] / ref_c:13.3f}x"
            )
        for label, (q, c) in (
            ("oracle (best per item, cheapest tie)", self.oracle),
            ("random N-way (uniform, expected)", self.random),
        ):
            lines.append(f"{label:<{width}} {q:8.4f} {c:12.6f} {c / ref_c:13.3f}x")
        for name, r in self.routers.items():
            i = int(np.argmax(r.weights == 0.0)) if (r.weights == 0.0).any() else 0
            lines.append(
                f"{name + ' (w=0)':<{width}} {r.qualities[i]:8.4f} {r.costs[i]:12.6f} {r.costs[i] / ref_c:13.3f}x"
            )
        lo, hi = self.cost_range
        lines += [
            "",
            f"AIQ (RouterBench: area under the non-decreasing convex hull / cost range ${lo:.6f}-${hi:.6f}): "
            f"single models' hull (zero router) {self.zero_router_aiq:.4f}; "
            + "; ".join(f"{n} {r.summary['aiq']:.4f}" for n, r in self.routers.items()),
            f"best single model: {self.best} {best_q:.4f} at ${best_c:.6f}; cheapest: {self.cheapest} "
            f"{self.single(self.cheapest)[0]:.4f} at ${self.single(self.cheapest)[1]:.6f}; "
            f"half of {self.reference}'s cost: ${ref_c / 2:.6f}",
            "margin = router quality - the line from the cheapest to the best single model (flat at the best "
            f"model's quality beyond its cost); BELOW = by more than half an item ({0.5 / self.n_items:.4f}); "
            "hull = the same check on the router's non-decreasing convex hull",
            "",
        ]
        h2 = (
            f"{'router':<{max(12, *(len(n) for n in self.routers))}}  {'AIQ':>6}  {'matches best single':<38}  "
            f"{'min margin over cheapest-best line':<54}  quality at <= half {self.reference} cost"
        )
        lines += [h2, "-" * len(h2)]
        for name, r in self.routers.items():
            s = r.summary
            m = s["match_best"]
            match = (
                f"at ${m['cost']:.6f} ({m['cost'] / best_c:.0%} of its cost)"
                if m["reached"]
                else f"never: best {m['best_quality']:.4f} at ${m['cost']:.6f}"
            )
            lm = s["line"]
            margin = (
                f"{lm['min_margin']:+.4f} ({lm['min_margin'] * self.n_items:+.1f} items) at ${lm['at_cost']:.6f} "
                + ("ok" if not lm["below"] else f"BELOW at {lm['n_below']} pt")
                + ("; hull BELOW" if lm.get("hull_below") else "; hull ok")
                if lm["min_margin"] is not None
                else "n/a"
            )
            h = s["half_reference"]
            half = (
                f"{h['quality']:.4f} at ${h['cost']:.6f} (hull {h['hull_quality']:.4f}); "
                f"{'reaches' if h['reached'] else 'misses'} {ref_q:.4f}"
                if h["quality"] is not None
                else "no point that cheap"
            )
            lines.append(
                f"{name:<{max(12, *(len(n) for n in self.routers))}}  {s['aiq']:6.4f}  {match:<38}  {margin:<54}  {half}"
            )
        fits = [f"{n} {r.fit_seconds:.1f} s" for n, r in self.routers.items() if r.fit_seconds is not None]
        if fits:
            lines += ["", "training time: " + ", ".join(fits)]
        lines += [
            "",
            f"Router sweeps ({len(next(iter(self.routers.values())).weights)} cost weights w; the Pareto-optimal "
            "points, by cost): w -> quality, cost per call, most used models",
        ]
        for name, r in self.routers.items():
            lines.append(f"  {name}:")
            for i in r.pareto_points():
                top = np.argsort(-r.shares[i])[:3]
                used = ", ".join(f"{self.models[j]} {r.shares[i, j]:.0%}" for j in top if r.shares[i, j] > 0)
                lines.append(f"    w={r.weights[i]:<10.4g} {r.qualities[i]:.4f}  ${r.costs[i]:.6f}  {used}")
        if self.diagnostic:
            classes = [
                c for c in ("0", "1", "partial") if any(d[m][f"n_{c}"] for d in self.diagnostic.values() for m in d)
            ]
            lines += [
                "",
                "PROCEED diagnostic: mean predicted score on the test items where the model's true score was "
                + " / ".join(classes)
                + " (n items per class)",
            ]
            mw = max(len(m) for m in self.models)
            heads = "  ".join(f"{n:^{7 * len(classes)}}" for n in self.diagnostic)
            lines.append(f"  {'model':<{mw}}  {heads}  n ({' / '.join(classes)})")
            for m in self.models:
                cells = []
                for d in self.diagnostic.values():
                    row = d.get(m)
                    cells.append(
                        " ".join(f"{row[c]:6.3f}" if row and row[c] is not None else f"{'-':>6}" for c in classes)
                    )
                counts = next((d[m] for d in self.diagnostic.values() if m in d), None)
                n = " / ".join(str(counts[f"n_{c}"]) for c in classes) if counts else ""
                lines.append(f"  {m:<{mw}}  " + "  ".join(f"{c:^{7 * len(classes)}}" for c in cells) + f"  {n}")
        return "\n".join(lines)

    # -- files -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return json_safe(
            {
                "benchmark": self.benchmark,
                "n_items": self.n_items,
                "models": self.models,
                "single_models": {
                    m: {"quality": float(q), "cost": float(c)}
                    for m, q, c in zip(self.models, self.single_quality, self.single_cost)
                },
                "cheapest": self.cheapest,
                "best": self.best,
                "reference": self.reference,
                "oracle": {"quality": self.oracle[0], "cost": self.oracle[1]},
                "random": {"quality": self.random[0], "cost": self.random[1]},
                "cost_range": list(self.cost_range),
                "zero_router_aiq": self.zero_router_aiq,
                "routers": {
                    n: {
                        "kind": r.kind,
                        "origin": r.origin,
                        "params": r.params,
                        "fit_seconds": r.fit_seconds,
                        **r.summary,
                        "points": [
                            {
                                "cost_weight": float(r.weights[i]),
                                "quality": float(r.qualities[i]),
                                "cost": float(r.costs[i]),
                                "expected_cost": float(r.expected_costs[i]),
                                "predicted_quality": float(r.predicted_qualities[i]),
                                "shares": {m: float(s) for m, s in zip(self.models, r.shares[i]) if s > 0},
                            }
                            for i in range(len(r.weights))
                        ],
                    }
                    for n, r in self.routers.items()
                },
                "diagnostic": self.diagnostic,
                "info": self.info,
            }
        )

    def point_rows(self) -> list[dict[str, Any]]:
        rows = [
            {"kind": "single", "name": m, "cost_weight": "", "quality": float(q), "cost": float(c), "expected_cost": ""}
            for m, q, c in zip(self.models, self.single_quality, self.single_cost)
        ]
        rows += [
            {"kind": kind, "name": kind, "cost_weight": "", "quality": point[0], "cost": point[1], "expected_cost": ""}
            for kind, point in (("oracle", self.oracle), ("random", self.random))
        ]
        for n, r in self.routers.items():
            rows += [
                {
                    "kind": "router",
                    "name": n,
                    "cost_weight": float(r.weights[i]),
                    "quality": float(r.qualities[i]),
                    "cost": float(r.costs[i]),
                    "expected_cost": float(r.expected_costs[i]),
                }
                for i in range(len(r.weights))
            ]
        return rows

    def diagnostic_rows(self) -> list[dict[str, Any]]:
        return [{"router": n, "model": m, **row} for n, d in self.diagnostic.items() for m, row in d.items()]
