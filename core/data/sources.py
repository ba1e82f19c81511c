"""The training sources: which labelled sources a recipe can name, and loading their records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.data.battles import outcomes_to_comparisons
from core.data.importers import (
    load_alpaca_eval,
    load_fastchat,
    load_llmrouter,
    load_llmrouter_prices,
    load_routellm_eval,
    load_routerbench,
    load_zeroeval,
    resolve_data_dir,
)
from core.data.records import Comparison, Outcome

__all__ = [
    "ALL_TRAINING_SOURCES",
    "DEFAULT_TRAINING_SOURCES",
    "NWAY_SOURCES",
    "TrainingData",
    "load_nway_source",
    "load_training_sources",
    "training_source",
]

DEFAULT_TRAINING_SOURCES: tuple[str, ...] = ("alpaca_eval", "arena_bench_v1", "routerbench_zs", "llmrouter")
#: Every labelled source a recipe may train on: the defaults plus RouteLLM's GSM8K / MMLU files
#: (GPT-4 vs Mixtral correctness) and ZeroEval's CRUX / MATH-L5 matrices (~45 models per item).
ALL_TRAINING_SOURCES: tuple[str, ...] = (*DEFAULT_TRAINING_SOURCES, "routellm", "zeroeval")
#: Record source tags that belong to a training source of another name (a recipe weighs the latter).
_SOURCE_OF_TAG = {
    "routellm_gsm8k": "routellm",
    "routellm_mmlu": "routellm",
    "zeroeval_crux": "zeroeval",
    "zeroeval_math-l5": "zeroeval",
}


def training_source(tag: str) -> str:
    """The training source (a recipe's ``[sources]`` key) that a record's source tag comes from."""
    return _SOURCE_OF_TAG.get(tag, tag)


@dataclass
class TrainingData:
    """What a router trains on: pairwise battles plus per-model outcomes (scores, costs)."""

    comparisons: list[Comparison] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def models(self) -> list[str]:
        """Sorted names of every model in either list."""
        names = {o.model for o in self.outcomes}
        for c in self.comparisons:
            names.add(c.model_a)
            names.add(c.model_b)
        return sorted(names)

    @property
    def sources(self) -> list[str]:
        """Sorted source tags present."""
        return sorted({o.source for o in self.outcomes} | {c.source for c in self.comparisons})

    def __str__(self) -> str:
        return (
            f"TrainingData({len(self.comparisons)} comparisons, {len(self.outcomes)} outcomes, "
            f"{len(self.models)} models, sources={self.sources})"
        )


def _load_outcome_source(root: Path, name: str) -> list[Outcome]:
    """Outcomes of one outcome-type source (train split where there is one)."""
    if name == "arena_bench_v1":
        return load_fastchat(root / "arena_bench_v1", source="arena_bench_v1")
    if name == "routerbench_zs":
        return load_routerbench(root / "routerbench_zs", split="train", source="routerbench_zs")
    if name == "llmrouter":
        return load_llmrouter(root / "llmrouter", split="train", source="llmrouter")
    if name == "routellm":
        return load_routellm_eval(root / "routellm" / "gsm8k") + load_routellm_eval(root / "routellm" / "mmlu")
    if name == "zeroeval":
        return load_zeroeval(root / "zeroeval")
    raise ValueError(f"unknown training source {name!r}; known: {list(ALL_TRAINING_SOURCES)}")


def load_training_sources(
    data_dir: str | Path | None = None,
    sources: Sequence[str] = DEFAULT_TRAINING_SOURCES,
    *,
    derive_comparisons: bool = True,
) -> TrainingData:
    """Load training sources from ``data_dir`` (or ``$WINROUTE_DATA``).

    ``alpaca_eval`` contributes comparisons only; ``arena_bench_v1``, ``routerbench_zs``
    (train split), ``llmrouter`` (train split), ``routellm`` (GSM8K and MMLU) and
    ``zeroeval`` (CRUX and MATH-L5) contribute outcomes and, with
    ``derive_comparisons``, their pairwise battles via :func:`outcomes_to_comparisons`.
    Nothing is decontaminated here: run :func:`core.data.decontaminate` on the result.
    """
    root = resolve_data_dir(data_dir)
    data = TrainingData()
    for name in dict.fromkeys(sources):
        if name == "alpaca_eval":
            data.comparisons.extend(load_alpaca_eval(root / "alpaca_eval", source="alpaca_eval"))
            continue
        outcomes = _load_outcome_source(root, name)
        data.outcomes.extend(outcomes)
        if derive_comparisons:
            data.comparisons.extend(outcomes_to_comparisons(outcomes))
    return data


#: The sources an N-way recipe trains on: each has a train and a test split, per-model scores and costs.
NWAY_SOURCES: tuple[str, ...] = ("routerbench_zs", "llmrouter")


def load_nway_source(
    source: str, split: str, data_dir: str | Path | None = None
) -> tuple[list[Outcome], dict[str, tuple[float, float]] | None]:
    """Outcomes of one N-way source split, and token prices where the source has them (LLMRouter)."""
    root = resolve_data_dir(data_dir)
    if source == "routerbench_zs":
        return load_routerbench(root / "routerbench_zs", split), None
    if source == "llmrouter":
        return load_llmrouter(root / "llmrouter", split), load_llmrouter_prices(root / "llmrouter")
    raise ValueError(f"unknown N-way source {source!r}; known: {list(NWAY_SOURCES)}")
