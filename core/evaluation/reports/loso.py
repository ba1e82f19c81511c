"""The leave-one-source-out report: per held-out source, every recipe's benchmark report beside the
baselines, and the summary that ranks recipes by their macro mean and their worst source."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..benchmarks.yardstick import YardstickSource
from ..protocols.loso import LOSO, RecipeRun
from .pairwise import LENGTH, ORACLE, RANDOM, BenchmarkReport

__all__ = ["LosoReport"]


@dataclass
class LosoReport:
    """Per held-out source, the benchmark report of every recipe beside the baselines."""

    recipes: list[str]
    folds: list[tuple[YardstickSource, BenchmarkReport, list[RecipeRun]]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def apgr(self, name: str) -> dict[str, float]:
        """APGR of a recipe (or baseline) per held-out source (NaN where it could not train)."""
        return {src.name: float(rep.rows.get(name, {}).get("apgr", math.nan)) for src, rep, _ in self.folds}

    def summary(self) -> dict[str, dict[str, Any]]:
        """Macro mean, worst source and counts beating random and the length heuristic, per row."""
        out: dict[str, dict[str, Any]] = {}
        length = self.apgr(LENGTH)
        for name in [*self.recipes, LENGTH, RANDOM]:
            per = self.apgr(name)
            vals = {k: v for k, v in per.items() if math.isfinite(v)}
            if not vals:
                out[name] = {"mean": math.nan, "worst": math.nan, "worst_source": "", "n": 0}
                continue
            worst = min(vals, key=vals.__getitem__)
            out[name] = {
                "mean": float(np.mean(list(vals.values()))),
                "worst": vals[worst],
                "worst_source": worst,
                "n": len(vals),
                "above_random": sum(v > 0.5 for v in vals.values()),
                "above_length": sum(v > length[k] for k, v in vals.items()),
            }
        return out

    def table(self) -> str:
        """Per-source APGR (CPT(50%) in brackets) and the summary, as plain text."""
        cols = [*self.recipes, LENGTH, RANDOM, ORACLE]
        width = max([len(s.name) for s, _, _ in self.folds] + [22]) + 2
        cw = max([len(c) for c in cols] + [12]) + 2
        lines = [f"{'held-out source':<{width}}{'items':>7}" + "".join(f"{c:>{cw}}" for c in cols)]
        for src, rep, _ in self.folds:
            cells = []
            for c in cols:
                row = rep.rows.get(c)
                if row is None:
                    cells.append(f"{'-':>{cw}}")
                    continue
                cpt = row.get("cpt_50", math.nan)
                text = f"{row['apgr']:.3f}" + (f" ({cpt:.0f}%)" if c != RANDOM and math.isfinite(cpt) else "")
                cells.append(f"{text:>{cw}}")
            lines.append(f"{src.name:<{width}}{rep.n_items:>7}" + "".join(cells))
        summ = self.summary()
        lines.append("")
        lines.append(f"{'summary (APGR)':<{width}}{'':>7}" + "".join(f"{c:>{cw}}" for c in cols[:-1]))
        for key, label in (("mean", "macro mean"), ("worst", "worst source")):
            lines.append(f"{label:<{width}}{'':>7}" + "".join(f"{summ[c][key]:>{cw}.3f}" for c in cols[:-1]))
        lines.append(
            f"{'worst is':<{width}}{'':>7}" + "".join(f"{summ[c]['worst_source'][: cw - 2]:>{cw}}" for c in cols[:-1])
        )
        n = len(self.folds)
        for key, label in (("above_random", "sources > 0.50"), ("above_length", "sources > length")):
            lines.append(
                f"{label:<{width}}{'':>7}"
                + "".join(f"{str(summ[c].get(key, '-')) + '/' + str(n):>{cw}}" for c in cols[:-1])
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": LOSO,
            "recipes": self.recipes,
            "settings": self.settings,
            "summary": self.summary(),
            "folds": [
                {
                    "source": src.name,
                    "traffic": src.traffic,
                    "strong": src.strong,
                    "weak": src.weak,
                    "why": src.why,
                    "report": rep.to_json(),
                    "training": [vars(r) for r in runs],
                }
                for src, rep, runs in self.folds
            ],
        }
