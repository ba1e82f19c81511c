"""The two-model benchmark report: routers and baselines on one benchmark under one protocol,
as a plain-text table, JSON and CSV rows."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..metrics import Curve, RandomBaseline
from ..protocols.pairwise import BALANCED, IN_DOMAIN, OUT_OF_DOMAIN

__all__ = ["BASELINES", "LENGTH", "ORACLE", "RANDOM", "BenchmarkReport", "json_safe"]

LENGTH = "length heuristic"
RANDOM = "random (mean)"
ORACLE = "oracle"
BASELINES = (LENGTH, RANDOM, ORACLE)


def _finite_or_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def json_safe(obj: Any) -> Any:
    """Replace NaN / inf by None (JSON has neither), numpy scalars by Python numbers."""
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    return _finite_or_none(obj)


def _weight_text(setting: Any, routers: Mapping[str, Mapping[str, Any]]) -> str:
    """``30`` or ``balanced (~332 per label)`` for the table header."""
    if setting != BALANCED:
        return f"{float(setting):g}"
    per = [w for info in routers.values() for w in info.get("label_weight_per_fold", [])]
    return f"balanced (~{np.mean(per):.0f} per label)" if per else "balanced"


@dataclass
class BenchmarkReport:
    """Metrics of the routers and baselines on one benchmark under one protocol."""

    benchmark: str
    strong: str
    weak: str
    n_items: int
    dropped_contaminated: int
    strong_mean: float
    weak_mean: float
    rows: dict[str, dict[str, float]]
    curves: dict[str, Curve] = field(repr=False)
    random_interval: tuple[float, float] = (float("nan"), float("nan"))
    cost_saved: dict[str, float] = field(default_factory=dict)
    protocol: str = OUT_OF_DOMAIN
    random: RandomBaseline | None = field(default=None, repr=False)
    similarity: float | None = None
    routers: dict[str, dict[str, Any]] = field(default_factory=dict)
    benchmark_info: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    cost_basis: str = "strong-call share (no prices)"
    notes: list[str] = field(default_factory=list)

    @property
    def router_names(self) -> list[str]:
        """Evaluated routers, without the baselines."""
        return [n for n in self.rows if n not in BASELINES]

    @property
    def stem(self) -> str:
        """File name stem: ``<benchmark>`` (out-of-domain) or ``<benchmark>-in-domain``."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", self.benchmark).strip("_") or "benchmark"
        return safe if self.protocol == OUT_OF_DOMAIN else f"{safe}-{self.protocol}"

    def table(self) -> str:
        """A plain-text table: the routers, then length heuristic, random and oracle."""
        info = self.benchmark_info
        total = info.get("n_total", self.n_items + self.dropped_contaminated)
        drops = f"{self.dropped_contaminated} contaminated dropped"
        if info.get("dropped_unscored"):
            drops += f", {info['dropped_unscored']} without both scores dropped"
        if info.get("max_items"):
            drops += f", seeded subsample of {self.n_items} (--max-items)"
        head = [
            f"{self.benchmark} [{self.protocol}]: {self.n_items} of {total} items ({drops})",
            f"  strong {self.strong} = {self.strong_mean:.3f}, weak {self.weak} = {self.weak_mean:.3f}"
            + ("" if self.similarity is None else f"; benchmark-dataset similarity {self.similarity:.3f}"),
        ]
        if self.protocol == IN_DOMAIN and self.settings.get("cross_fit"):
            cf = self.settings["cross_fit"]
            head.append(
                f"  in-domain: {cf['k']}-fold cross-fit, seed {cf['seed']}, at most {cf['max_labels']} labels "
                f"per fold (used {min(cf['labels_per_fold'])}-{max(cf['labels_per_fold'])}), "
                f"label weight {_weight_text(self.settings.get('in_domain_weight', 1.0), self.routers)}"
            )
        cols = ["apgr", "cpt_20", "cpt_50", "cpt_80", "saving_50", "saving_80", "aiq"]
        labels = ["APGR", "CPT(20%)", "CPT(50%)", "CPT(80%)", "save@50", "save@80", "AIQ"]
        width = max([len(n) for n in self.rows] + [24]) + 2
        lines = [*head, f"{'router':<{width}}" + "".join(f"{c:>10}" for c in labels)]
        for name, row in self.rows.items():
            cells = []
            for c in cols:
                v = row.get(c)
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    cells.append(f"{'-':>10}")
                elif c.startswith("cpt"):
                    cells.append(f"{v:>9.1f}%")
                elif c.startswith("saving"):
                    cells.append(f"{'inf':>10}" if math.isinf(v) else f"{v:>9.2f}x")
                else:
                    cells.append(f"{v:>10.3f}")
            lines.append(f"{name:<{width}}" + "".join(cells))
        lo, hi = self.random_interval
        seeds = self.settings.get("seeds", 100)
        lines.append(f"random: 95% of {seeds} seeds within APGR [{lo:.3f}, {hi:.3f}]; AIQ cost axis: {self.cost_basis}")
        if self.cost_saved:
            per_router = [
                f"{n} {self.cost_saved.get(f'{n} at CPT(50%)', float('nan')):.1%}/"
                f"{self.cost_saved.get(f'{n} at CPT(80%)', float('nan')):.1%}"
                for n in self.router_names
            ]
            lines.append("cost saved vs. always-strong at CPT(50%)/CPT(80%), catalog prices: " + ", ".join(per_router))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Everything: benchmark facts, settings, every metric and every curve point."""
        return json_safe(
            {
                "benchmark": self.benchmark,
                "protocol": self.protocol,
                "strong": self.strong,
                "weak": self.weak,
                "n_items": self.n_items,
                "dropped_contaminated": self.dropped_contaminated,
                "strong_mean": self.strong_mean,
                "weak_mean": self.weak_mean,
                "similarity": self.similarity,
                "cost_basis": self.cost_basis,
                "benchmark_info": self.benchmark_info,
                "settings": self.settings,
                "routers": self.routers,
                "rows": self.rows,
                "random_interval": list(self.random_interval),
                "cost_saved": self.cost_saved,
                "notes": self.notes,
                "curves": {
                    name: {
                        "thresholds": c.thresholds.tolist(),
                        "strong_share": c.strong_shares.tolist(),
                        "performance": c.performances.tolist(),
                    }
                    for name, c in self.curves.items()
                },
            }
        )

    def metric_rows(self) -> list[dict[str, Any]]:
        """One CSV row per router / baseline."""
        keys = ["apgr", "apgr_lo", "apgr_hi", "auc", "cpt_20", "cpt_50", "cpt_80", "saving_50", "saving_80", "aiq"]
        out = []
        for name, row in self.rows.items():
            rec = {"benchmark": self.benchmark, "protocol": self.protocol, "router": name}
            rec.update({k: _finite_or_none(row.get(k)) for k in keys})
            out.append(rec)
        return out

    def point_rows(self) -> list[dict[str, Any]]:
        """One CSV row per curve point."""
        out = []
        for name, c in self.curves.items():
            for p in c:
                out.append(
                    {
                        "benchmark": self.benchmark,
                        "protocol": self.protocol,
                        "router": name,
                        "threshold": _finite_or_none(p.threshold),
                        "strong_pct": p.strong_pct,
                        "performance": p.performance,
                    }
                )
        return out
