"""Running a router on RouteLLM's GSM8K / MMLU benchmarks beside the baselines we always report."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.models import canonical_model
from ..data.records import Outcome
from .metrics import (
    CPT_TARGETS,
    Curve,
    call_performance_curve,
    cost_saving_ratio,
    curve_metrics,
    length_heuristic_scores,
    optimal_curve,
    random_baseline,
)

ROUTELLM_BENCHMARKS = ("gsm8k", "mmlu")


@dataclass
class BenchmarkItems:
    """Per-item quality of the strong and weak model on one benchmark."""

    name: str
    prompts: list[str]
    strong_perf: np.ndarray
    weak_perf: np.ndarray
    dropped_contaminated: int = 0

    def __post_init__(self) -> None:
        if not self.prompts:
            raise ValueError(f"benchmark {self.name!r} has no items left to evaluate")
        if float(self.strong_perf.mean()) == float(self.weak_perf.mean()):
            raise ValueError(f"benchmark {self.name!r}: strong and weak models score the same; PGR is undefined")


def benchmark_items(
    outcomes: Sequence[Outcome], strong: str, weak: str, *, name: str, exclude_prompts: Sequence[str] = ()
) -> BenchmarkItems:
    """Align outcomes into per-item strong/weak arrays, dropping ``exclude_prompts`` (exact match)."""
    strong_c, weak_c = canonical_model(strong), canonical_model(weak)
    excluded = set(exclude_prompts)
    by_item: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        item = by_item.setdefault(o.prompt_id or o.prompt, {"prompt": o.prompt})
        item[canonical_model(o.model)] = o.score
    models = {m for item in by_item.values() for m in item if m != "prompt"}
    for role, model in (("strong", strong_c), ("weak", weak_c)):
        if model not in models:
            raise ValueError(f"benchmark {name!r} has no scores for the {role} model {model!r}; it has {sorted(models)}")
    kept = [i for i in by_item.values() if strong_c in i and weak_c in i]
    clean = [i for i in kept if i["prompt"] not in excluded]
    return BenchmarkItems(
        name,
        [i["prompt"] for i in clean],
        np.array([i[strong_c] for i in clean], dtype=float),
        np.array([i[weak_c] for i in clean], dtype=float),
        len(kept) - len(clean),
    )


def load_routellm_benchmark(benchmark: str, strong: str, weak: str, data_dir: str | Path | None = None) -> BenchmarkItems:
    """RouteLLM's GSM8K or MMLU file, decontaminated with its contaminated_prompts.jsonl."""
    from ..data.importers import load_contaminated_prompts, load_routellm_eval, resolve_data_dir

    if benchmark not in ROUTELLM_BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose from {', '.join(ROUTELLM_BENCHMARKS)}")
    root = resolve_data_dir(data_dir) / "routellm" / benchmark
    path = root / "gsm8k_responses.csv" if benchmark == "gsm8k" else root / "responses"
    contaminated = load_contaminated_prompts(root / "contaminated_prompts.jsonl")
    return benchmark_items(load_routellm_eval(path), strong, weak, name=benchmark, exclude_prompts=contaminated)


@dataclass
class BenchmarkReport:
    """Metrics of a router and the baselines on one benchmark."""

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

    def table(self) -> str:
        """A plain-text table, router first, then baselines."""
        head = (
            f"{self.benchmark}: {self.n_items} items ({self.dropped_contaminated} contaminated dropped); "
            f"strong {self.strong} = {self.strong_mean:.3f}, weak {self.weak} = {self.weak_mean:.3f}"
        )
        cols = ["apgr"] + [f"cpt_{round(100 * t)}" for t in CPT_TARGETS]
        lines = [head, f"{'router':<24}" + "".join(f"{c.upper():>10}" for c in cols)]
        for name, row in self.rows.items():
            lines.append(f"{name:<24}" + "".join(f"{row[c]:>10.3f}" if c == "apgr" else f"{row[c]:>9.1f}%" for c in cols))
        lo, hi = self.random_interval
        lines.append(f"random: 95% of seeds within APGR [{lo:.3f}, {hi:.3f}] (100 seeds)")
        for name, saved in self.cost_saved.items():
            lines.append(f"{name}: {saved:.1%} of the all-strong cost saved")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "strong": self.strong,
            "weak": self.weak,
            "n_items": self.n_items,
            "dropped_contaminated": self.dropped_contaminated,
            "strong_mean": self.strong_mean,
            "weak_mean": self.weak_mean,
            "rows": self.rows,
            "random_interval": list(self.random_interval),
            "cost_saved": self.cost_saved,
            "curves": {
                name: {"thresholds": c.thresholds.tolist(), "strong_share": c.strong_shares.tolist(), "performance": c.performances.tolist()}
                for name, c in self.curves.items()
            },
        }


def evaluate_scores(
    items: BenchmarkItems,
    scores: Mapping[str, np.ndarray],
    *,
    strong: str,
    weak: str,
    price_ratio: float | None = None,
    seeds: int = 100,
) -> BenchmarkReport:
    """Metrics for each named score vector plus random, prompt-length and oracle baselines.

    ``price_ratio`` = weak cost / strong cost per call; when given, the report says what share of
    the all-strong cost each router saves at its CPT(50%) and CPT(80%).
    """
    s_mean, w_mean = float(items.strong_perf.mean()), float(items.weak_perf.mean())
    all_scores = {**scores, "length heuristic": length_heuristic_scores(items.prompts)}
    curves: dict[str, Curve] = {}
    rows: dict[str, dict[str, float]] = {}
    for name, sc in all_scores.items():
        if len(sc) != len(items.prompts):
            raise ValueError(f"{name}: {len(sc)} scores for {len(items.prompts)} benchmark items")
        curves[name] = call_performance_curve(sc, items.strong_perf, items.weak_perf, name=name)
        rows[name] = curve_metrics(curves[name], s_mean, w_mean)
    rand = random_baseline(items.strong_perf, items.weak_perf, seeds=seeds)
    curves["random"] = rand.curve
    rows["random (mean)"] = {"apgr": rand.apgr, **{f"cpt_{round(100 * t)}": v for t, v in rand.cpt_mean.items()}}
    curves["oracle"] = optimal_curve(items.strong_perf, items.weak_perf)
    rows["oracle"] = curve_metrics(curves["oracle"], s_mean, w_mean)
    cost_saved: dict[str, float] = {}
    if price_ratio is not None:
        for name in scores:
            for t in (50, 80):
                share = rows[name][f"cpt_{t}"] / 100.0
                cost_saved[f"{name} at CPT({t}%)"] = 1.0 - (share + (1.0 - share) * price_ratio)
            rows[name]["saving_ratio_50"] = cost_saving_ratio(rows[name]["cpt_50"], rand.cpt_mean[0.5])
    return BenchmarkReport(
        items.name, strong, weak, len(items.prompts), items.dropped_contaminated, s_mean, w_mean,
        rows, curves, rand.interval, cost_saved,
    )


def blended_price_ratio(strong: str, weak: str, data_dir: str | Path | None = None) -> float | None:
    """Weak/strong cost per call from the price catalog (mean of input and output $/1M), if both are priced."""
    from ..data.importers import resolve_data_dir
    from ..data.models import load_price_catalog

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


def evaluate_routellm_benchmark(
    router: Any, benchmark: str, *, data_dir: str | Path | None = None, out_dir: str | Path | None = None
) -> BenchmarkReport:
    """Evaluate ``router`` (a core.Router) on GSM8K or MMLU; optionally write JSON and a PNG plot."""
    items = load_routellm_benchmark(benchmark, router.strong, router.weak, data_dir)
    scores = {router.name: router.score_texts(items.prompts)}
    report = evaluate_scores(
        items, scores, strong=router.strong, weak=router.weak,
        price_ratio=blended_price_ratio(router.strong, router.weak, data_dir),
    )
    if out_dir is not None:
        write_report(report, out_dir)
    return report


def write_report(report: BenchmarkReport, out_dir: str | Path) -> Path:
    """``<benchmark>.json`` and ``<benchmark>.png`` in ``out_dir``."""
    from .plots import plot_curves

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{report.benchmark}.json").write_text(json.dumps(report.to_json(), indent=2))
    curves = {k: v for k, v in report.curves.items() if k not in ("oracle",)}
    plot_curves(
        curves, report.strong_mean, report.weak_mean, out / f"{report.benchmark}.png",
        title=f"{report.benchmark}: {report.strong} vs {report.weak}", optimal=report.curves["oracle"],
        strong_label=report.strong, weak_label=report.weak,
    )
    return out
