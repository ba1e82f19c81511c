"""The leave-one-source-out (LOSO) harness: the yardstick that decides which recipe ships.

Every recipe is trained once per held-out source of
:data:`core.evaluation.benchmarks.yardstick.YARDSTICK` (:mod:`core.evaluation.protocols.loso`)
and scored on the held-out items with the source's fixed strong / weak pair. Each fold is
reported as any benchmark is (APGR, CPT, random with its 95% band, the length heuristic, the
oracle); the summary ranks recipes by their macro mean and their worst source.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...embeddings import make_embedder
from ...embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ...recipes import load_recipe, recipe_records
from ..benchmarks.yardstick import YARDSTICK, load_source_items, yardstick_source
from ..errors import EvaluationError
from ..protocols.loso import LOSO, RecipeRun, fold_scores, overlapping_prompts
from ..reports.loso import LosoReport
from .scores import evaluate_scores

__all__ = ["evaluate_loso"]


def _log(msg: str) -> None:
    print(f"[loso] {msg}", flush=True)


def evaluate_loso(
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
            sc, run = fold_scores(cfg, label, items, records[label], embedders[cfg.embedder], data_dir, overlapping)
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
