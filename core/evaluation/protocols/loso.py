"""The leave-one-source-out (LOSO) protocol's training: each recipe without the held-out source.

For each held-out source of :data:`core.evaluation.benchmarks.yardstick.YARDSTICK`, every
recipe is trained on its own sources minus the held-out one (all of its splits),
decontaminated against the held-out prompts (exact, containment and embedding similarity, as
``winroute train`` does), for the source's fixed strong / weak pair.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...data import decontaminate
from ...data.records import Comparison, Outcome
from ...recipes import recipe_battles, recipe_records, target_aliases
from ..benchmarks.pairwise import BenchmarkItems
from ..benchmarks.yardstick import record_group
from .pairwise import train_predictor_router

__all__ = ["LOSO", "RecipeRun", "fold_scores", "overlapping_prompts", "train_fold_router"]

LOSO = "leave-one-source-out"


@dataclass
class RecipeRun:
    """One recipe's fold: what it trained on and how long it took (None scores: it could not train)."""

    recipe: str
    battles: int = 0
    dropped: int = 0
    seconds: float = 0.0
    skipped: str = ""


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


def fold_scores(
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
