"""What ``winroute evaluate`` runs, one function per kind of evaluation: evaluate, print each table,
write the files (``--out``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..costs import DEFAULT_OUTPUT_TOKENS
from ..embeddings import make_embedder
from ..embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ..recipes import NWayRecipe, load_recipe, shipped_recipe
from .benchmarks.nway import NWAY_BENCHMARKS, load_nway_items, nway_benchmark_key
from .benchmarks.pairwise import load_routellm_benchmark
from .errors import BadScoresError, EvaluationError
from .files import write_loso_report, write_nway_report, write_report
from .harness.loso import evaluate_loso
from .harness.nway import evaluate_nway
from .harness.pairwise import EvalSettings, Harness
from .harness.scores import blended_price_ratio, evaluate_scores
from .protocols.nway import DEFAULT_NWAY_ROUTERS
from .protocols.pairwise import default_config_path
from .reports.loso import LosoReport
from .reports.nway import NWayReport
from .reports.pairwise import BenchmarkReport

__all__ = ["evaluate_routellm_benchmark", "run_loso", "run_nway", "run_pairwise"]


def run_pairwise(
    benchmarks: Sequence[str],
    routers: Sequence[str] | None = None,
    *,
    settings: EvalSettings | None = None,
    data_dir: str | Path | None = None,
    train_data_dir: str | Path | None = None,
    config: str | Path | None = None,
    cache_dir: str | Path | None = None,
    strong: str | None = None,
    weak: str | None = None,
    judge: str | None = None,
    out: str | Path | None = None,
    plot: bool = True,
) -> list[BenchmarkReport]:
    """What ``winroute evaluate --benchmark gsm8k mmlu ...`` runs: print each report's table, write its files."""
    harness = Harness(
        data_dir=data_dir,
        train_data_dir=train_data_dir,
        config=config,
        cache_dir=cache_dir,
        strong=strong,
        weak=weak,
        judge=judge,
        settings=settings,
    )
    reports = []
    for report in harness.iter_run(benchmarks, routers or ["default"]):
        print(report.table())
        print()
        if out:
            write_report(report, out, plot=plot)
        reports.append(report)
    if out:
        print(f"wrote JSON, CSV{'' if not plot else ' and PNG'} files to {out}")
    return reports


def _recipe_for(source: str, config: str | None) -> NWayRecipe | None:
    """The N-way recipe whose predictor / embedder / output-token settings apply (None: defaults)."""
    if config:
        try:
            return load_recipe(config, kind="nway")
        except ValueError as exc:
            raise EvaluationError(f"--config: {exc} (e.g. configs/{source}.toml)") from None
    path = shipped_recipe(source)
    return None if path is None else load_recipe(path, kind="nway")


def run_nway(
    benchmarks: Sequence[str],
    *,
    routers: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    config: str | None = None,
    max_items: int | None = None,
    max_train: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    plot: bool = True,
    embedder: Any = None,
    verbose: bool = True,
) -> list[NWayReport]:
    """What ``winroute evaluate --benchmark routerbench-zs llmrouter`` runs: print each table."""
    cache = EmbeddingCache(cache_dir)
    reports = []
    for bench in benchmarks:
        key = nway_benchmark_key(bench)
        if key is None:
            raise EvaluationError(f"unknown N-way benchmark {bench!r}; known: {', '.join(NWAY_BENCHMARKS)}")
        recipe = _recipe_for(NWAY_BENCHMARKS[key], config)
        model_id = recipe.embedder if recipe is not None else None
        emb = embedder
        if emb is None or (model_id and getattr(emb, "model_id", None) != model_id):
            emb = DiskCachedEmbedder(make_embedder(model_id) if model_id else make_embedder(), cache)
        params = {recipe.predictor: recipe.predictor_params} if recipe is not None else {}
        started = time.perf_counter()
        items = load_nway_items(
            key,
            data_dir=data_dir,
            embedder=emb,
            max_items=max_items,
            max_train=max_train,
            seed=seed,
            output_tokens=recipe.output_tokens if recipe is not None else DEFAULT_OUTPUT_TOKENS,
            verbose=verbose,
        )
        report = evaluate_nway(
            items, list(routers or DEFAULT_NWAY_ROUTERS), embedder=emb, recipe_params=params, verbose=verbose
        )
        report.info["recipe"] = getattr(recipe, "path", None)
        report.info["seconds"] = round(time.perf_counter() - started, 1)
        print(report.table())
        print()
        if out:
            write_nway_report(report, out, plot=plot)
        reports.append(report)
    if out:
        print(f"wrote JSON, CSV{'' if not plot else ' and PNG'} files to {out}")
    return reports


def run_loso(
    recipes: Sequence[str | Path] | None = None,
    *,
    sources: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    seeds: int = 100,
    max_items: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    plot: bool = True,
) -> LosoReport:
    """What ``winroute evaluate --protocol leave-one-source-out`` runs: the generalization yardstick,
    every recipe (default: ``configs/default.toml``) trained without each source and scored on it."""
    report = evaluate_loso(
        recipes or [str(default_config_path())],
        sources=sources,
        data_dir=data_dir,
        cache_dir=cache_dir,
        seeds=seeds,
        max_items=max_items,
        seed=seed,
    )
    print(report.table())
    if out:
        for path in write_loso_report(report, out, plot=plot):
            print(f"wrote {path}")
    return report


def evaluate_routellm_benchmark(
    router: Any, benchmark: str, *, data_dir: str | Path | None = None, out_dir: str | Path | None = None
) -> BenchmarkReport:
    """Evaluate one core.Router on GSM8K or MMLU (out-of-domain); optionally write JSON, CSV and a PNG."""
    items = load_routellm_benchmark(benchmark, router.strong, router.weak, data_dir)
    try:
        scores = {router.name: router.score_texts(items.prompts)}
    except FloatingPointError as exc:
        raise BadScoresError(f"router {router.name!r}: {exc}") from exc
    report = evaluate_scores(items, scores, price_ratio=blended_price_ratio(router.strong, router.weak, data_dir))
    if out_dir is not None:
        write_report(report, out_dir)
    return report
