"""The leave-one-source-out (LOSO) protocol: the yardstick that decides which recipe ships.

For each held-out source of :data:`core.evaluation.yardstick.YARDSTICK`, every recipe is
trained on its own sources minus the held-out one (all of its splits), decontaminated
against the held-out prompts (exact, containment and embedding similarity, as ``winroute
train`` does), and scored on the held-out items with the source's fixed strong / weak pair.
Each fold is reported as any benchmark is (APGR, CPT, random with its 95% band, the length
heuristic, the oracle); the summary ranks recipes by their macro mean and their worst source.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data import decontaminate
from ..data.records import Comparison, Outcome
from ..embeddings import make_embedder
from ..embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ..recipes import load_recipe, recipe_battles, recipe_records, target_aliases
from .benchmarks import BenchmarkItems
from .errors import EvaluationError
from .plots import _matplotlib
from .protocols import train_predictor_router
from .runner import LENGTH, ORACLE, RANDOM, BenchmarkReport, evaluate_scores
from .yardstick import YARDSTICK, YardstickSource, load_source_items, record_group, yardstick_source

__all__ = [
    "LOSO",
    "LosoReport",
    "RecipeRun",
    "overlapping_prompts",
    "run_loso",
    "train_fold_router",
    "write_loso_report",
]

LOSO = "leave-one-source-out"


def _log(msg: str) -> None:
    print(f"[loso] {msg}", flush=True)


@dataclass
class RecipeRun:
    """One recipe's fold: what it trained on and how long it took (None scores: it could not train)."""

    recipe: str
    battles: int = 0
    dropped: int = 0
    seconds: float = 0.0
    skipped: str = ""


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


def _belongs_to(source: str, drop: frozenset[str] = frozenset()) -> Any:
    """A predicate: does a training record belong to the held-out ``source`` (or overlap it: ``drop``)?"""

    def test(record: Outcome | Comparison) -> bool:
        return (
            record.prompt in drop
            or record_group(record.source, record.prompt, getattr(record, "prompt_id", "")) == source
        )

    return test


@dataclass(frozen=True)
class _Prompt:
    prompt: str


def overlapping_prompts(
    records: Sequence[Any], items: BenchmarkItems, embedder: Any, threshold: float = 0.95
) -> frozenset[str]:
    """Training prompts of ``records`` outside the held-out source that overlap its items.

    The rules of ``winroute train``'s decontamination (exact, containment, embedding
    similarity >= ``threshold``), run once per fold for every recipe's records together.
    """
    outside = _belongs_to(items.name)
    prompts = list(dict.fromkeys(r.prompt for r in records if not outside(r)))
    kept, _ = decontaminate([_Prompt(p) for p in prompts], items.prompts, embed=embedder.embed, threshold=threshold)
    return frozenset(prompts) - {k.prompt for k in kept}


def train_fold_router(
    config: Any,
    items: BenchmarkItems,
    embedder: Any,
    *,
    records: Any = None,
    data_dir: str | Path | None = None,
    overlapping: frozenset[str] | None = None,
) -> tuple[Any, RecipeRun]:
    """``config`` trained without ``items``' source and decontaminated against its prompts, for its pair.

    ``overlapping`` are the training prompts found to overlap the held-out items (by
    :func:`overlapping_prompts`; None: the recipe decontaminates against them itself). Raises
    ValueError when the recipe cannot train without that source (e.g. a pair-specific recipe
    that never saw the held-out pair).
    """
    run = RecipeRun(Path(config.path).stem or config.name)
    started = time.perf_counter()
    records = records if records is not None else recipe_records(config, data_dir)
    drop = overlapping or frozenset()
    comparisons, report = recipe_battles(
        config,
        embedder,
        data_dir=data_dir,
        extra_eval_prompts=() if overlapping is not None else items.prompts,
        exclude=_belongs_to(items.name, drop),
        records=records,
    )
    if not comparisons:
        raise ValueError("no training battles left once the held-out source is removed")
    own = {r.prompt for r in (*records.outcomes, *records.comparisons)}
    run.battles = len(comparisons)
    run.dropped = len(own & drop) + (0 if report is None else report.n_dropped)
    router = train_predictor_router(
        config.predictor,
        comparisons,
        config,
        embedder,
        strong=items.strong,
        weak=items.weak,
        predictor_models=target_aliases(config, items.strong, items.weak),
    )
    run.seconds = round(time.perf_counter() - started, 1)
    return router, run


def _fold_scores(
    config: Any,
    label: str,
    items: BenchmarkItems,
    records: Any,
    embedder: Any,
    data_dir: str | Path | None,
    overlapping: frozenset[str],
) -> tuple[np.ndarray | None, RecipeRun]:
    """Train ``config`` without the held-out source and score its items (None: it could not train)."""
    started = time.perf_counter()
    try:
        router, run = train_fold_router(
            config, items, embedder, records=records, data_dir=data_dir, overlapping=overlapping
        )
    except ValueError as exc:
        return None, RecipeRun(
            label, skipped=str(exc).splitlines()[0][:300], seconds=round(time.perf_counter() - started, 1)
        )
    run.recipe = label
    scores = np.asarray(router.score_texts(items.prompts), dtype=float)
    run.seconds = round(time.perf_counter() - started, 1)
    return scores, run


def run_loso(
    recipes: Sequence[str | Path],
    *,
    sources: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    seeds: int = 100,
    max_items: int | None = None,
    seed: int = 0,
    verbose: bool = True,
) -> LosoReport:
    """Train every recipe once per held-out source and evaluate it there (see the module docstring).

    ``recipes`` are TOML recipe files; a recipe's label is its file stem. ``max_items`` scores
    a seeded subsample of each held-out source (quick runs; training is unchanged).
    """
    if not recipes:
        raise EvaluationError("give at least one recipe to evaluate")
    configs = {Path(r).stem: load_recipe(r, kind="pairwise") for r in recipes}
    if len(configs) != len(recipes):
        raise EvaluationError(f"recipes need distinct file names (their labels): {[str(r) for r in recipes]}")
    chosen = [yardstick_source(s) for s in (sources or [s.name for s in YARDSTICK])]
    cache = EmbeddingCache(cache_dir)
    embedders: dict[str, Any] = {}
    loaded: dict[tuple[Any, ...], Any] = {}  # recipes over the same sources share one load
    records = {}
    for label, cfg in configs.items():
        key = (
            *sorted(s for s, w in cfg.sources.items() if w > 0),
            cfg.target == "models",
        )  # what recipe_records checks
        if key not in loaded:
            loaded[key] = recipe_records(cfg, data_dir)
        records[label] = loaded[key]
    report = LosoReport(
        list(configs),
        settings={
            "recipes": {label: cfg.path for label, cfg in configs.items()},
            "seeds": seeds,
            "max_items": max_items,
            "seed": seed,
        },
    )
    checker = DiskCachedEmbedder(make_embedder(), cache)  # one decontamination embedder for every recipe
    everything = [r for data in loaded.values() for r in (*data.outcomes, *data.comparisons)]
    for src in chosen:
        every_item = load_source_items(src.name, data_dir)
        items = every_item.sample(max_items, seed)
        if verbose:
            _log(f"{src.name}: {len(items)} items, {src.strong} vs {src.weak}")
        overlapping = overlapping_prompts(everything, every_item, checker)  # all of it, even when sampled
        scores: dict[str, np.ndarray] = {}
        runs: list[RecipeRun] = []
        for label, cfg in configs.items():
            if cfg.embedder not in embedders:
                embedders[cfg.embedder] = DiskCachedEmbedder(make_embedder(cfg.embedder), cache)
            sc, run = _fold_scores(cfg, label, items, records[label], embedders[cfg.embedder], data_dir, overlapping)
            runs.append(run)
            if verbose:
                _log(
                    f"  {label}: "
                    + (
                        f"skipped ({run.skipped})"
                        if sc is None
                        else f"{run.battles:,} battles, {run.dropped:,} dropped as overlapping, {run.seconds:.0f} s"
                    )
                )
            if sc is not None:
                scores[label] = sc
        rep = evaluate_scores(items, scores, seeds=seeds, protocol=LOSO)
        rep.notes = [f"{r.recipe}: not trained ({r.skipped})" for r in runs if r.skipped]
        report.folds.append((src, rep, runs))
    return report


def plot_loso(report: LosoReport, path: str | Path) -> Path:
    """Grouped bars: APGR per held-out source for every recipe, the length heuristic and random's band."""
    Figure, FigureCanvasAgg = _matplotlib()
    names = [*report.recipes, LENGTH]
    sources = [src.name for src, _, _ in report.folds]
    fig = Figure(figsize=(max(10, 1.1 * len(sources) + 3), 6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(sources))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        vals = [report.apgr(name)[s] for s in sources]
        ax.bar(
            x + (i - (len(names) - 1) / 2) * width,
            vals,
            width,
            label=name,
            color="lightgrey" if name == LENGTH else None,
            edgecolor="black" if name == LENGTH else None,
        )
    for j, (_, rep, _) in enumerate(report.folds):
        lo, hi = rep.random_interval
        ax.fill_between([j - 0.45, j + 0.45], [lo, lo], [hi, hi], color="tab:red", alpha=0.15, linewidth=0)
    ax.axhline(0.5, color="tab:red", linestyle="--", linewidth=1, label="random (band: 95% of seeds)")
    ax.set_xticks(x)
    ax.set_xticklabels(sources, rotation=30, ha="right")
    ax.set_ylabel("APGR on the held-out source")
    ax.set_ylim(0.25, 0.85)
    ax.set_title("Leave-one-source-out: each source scored by recipes trained on the others")
    ax.legend(loc="upper left", fontsize="small", ncol=2)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


def write_loso_report(report: LosoReport, out_dir: str | Path, *, plot: bool = True) -> list[Path]:
    """``loso.json``, ``loso_apgr.csv`` (one row per source x router), ``loso.txt`` and ``loso.png``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "loso.json", out / "loso_apgr.csv", out / "loso.txt"]
    paths[0].write_text(json.dumps(report.to_json(), indent=2, default=float), encoding="utf-8")
    with paths[1].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "strong", "weak", "router", "apgr", "apgr_lo", "apgr_hi", "cpt_50", "cpt_80"])
        for src, rep, _ in report.folds:
            for name, row in rep.rows.items():
                writer.writerow(
                    [
                        src.name,
                        src.strong,
                        src.weak,
                        name,
                        *(row.get(k, "") for k in ("apgr", "apgr_lo", "apgr_hi", "cpt_50", "cpt_80")),
                    ]
                )
    paths[2].write_text(report.table() + "\n", encoding="utf-8")
    if plot:
        paths.append(plot_loso(report, out / "loso.png"))
    return paths
