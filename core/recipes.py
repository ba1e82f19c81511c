"""Training recipes: a small TOML file says what data, weights and predictor make a router.

``winroute train configs/default.toml`` is how the bundled default router is built.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .data import (
    decontaminate,
    difficulty_comparisons,
    load_eval_prompts,
    load_training_sources,
    outcomes_to_comparisons,
    tier_comparisons,
    tier_name,
)
from .data.decontaminate import DecontaminationReport
from .data.models import canonical_model
from .data.records import Comparison, Outcome
from .data.training import ALL_TRAINING_SOURCES, DEFAULT_TRAINING_SOURCES, DIFFICULTY_PAIR, TrainingData
from .embeddings import Embedder, make_embedder
from .embeddings.cache import DiskCachedEmbedder
from .router import Router
from .training import train_router

KNOWN_SOURCES = ALL_TRAINING_SOURCES
#: What the predictor learns: battles between the sources' models, between capability tiers,
#: or each prompt's pair-free difficulty (see core.data.training).
TARGETS = ("models", "tiers", "difficulty")


@dataclass
class RecipeConfig:
    """A parsed training recipe (see configs/default.toml for every field)."""

    name: str
    strong: str
    weak: str
    out: str = "router"
    predictor: str = "mf"
    predictor_params: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DEFAULT_TRAINING_SOURCES, 1.0))
    embedder: str = "sentence-transformers/all-MiniLM-L6-v2"
    strong_share: float = 0.5
    decontaminate_benchmarks: list[str] = field(default_factory=lambda: ["gsm8k", "mmlu"])
    decontaminate_threshold: float = 0.95
    n_tiers: int = 0
    target: str = "models"
    difficulty_scale: str = "raw"
    min_models: int = 2
    balance_sources: bool = False
    path: str = ""

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; choose from {', '.join(TARGETS)}")
        if self.target == "tiers" and self.n_tiers < 2:
            raise ValueError(f"a tiers target needs n_tiers >= 2, got {self.n_tiers}")
        clash = sorted({"gsm8k", "mmlu"} & set(self.decontaminate_benchmarks))
        if self.sources.get("routellm", 0) > 0 and clash:
            raise ValueError(
                f"the routellm source is RouteLLM's {' and '.join(clash)} itself: decontaminating against "
                f"{clash} would drop it; set [decontaminate] benchmarks = [] or give routellm weight 0"
            )


def read_recipe(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """A recipe file and its parsed TOML; errors name the file."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"recipe not found: {file}")
    try:
        return file, tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{file}: invalid TOML: {exc}") from exc


def recipe_kind(path: str | Path) -> str:
    """``"nway"`` for an N-way recipe (``kind = "nway"``), else ``"pairwise"``."""
    return str(read_recipe(path)[1].get("kind", "pairwise"))


def load_config(path: str | Path) -> RecipeConfig:
    """Read and validate a TOML recipe; errors name the file and the offending key."""
    file, raw = read_recipe(path)
    for key in ("name", "strong", "weak"):
        if key not in raw:
            raise ValueError(f"{file}: missing required key {key!r}")
    sources = {str(k): float(v) for k, v in raw.get("sources", {}).items()}
    unknown = sorted(set(sources) - set(KNOWN_SOURCES))
    if unknown:
        raise ValueError(f"{file}: unknown source(s) {unknown}; known: {list(KNOWN_SOURCES)}")
    if any(w < 0 for w in sources.values()):
        raise ValueError(f"{file}: source weights must be >= 0")
    decon = raw.get("decontaminate", {})
    target = dict(raw.get("target", {}))
    n_tiers = int(target.get("n_tiers", raw.get("tiers", {}).get("n_tiers", 0)))
    kind = str(target.get("kind", "tiers" if n_tiers else "models"))
    config = dict(
        name=str(raw["name"]),
        strong=canonical_model(str(raw["strong"])),
        weak=canonical_model(str(raw["weak"])),
        out=str(raw.get("out", "router")),
        predictor=str(raw.get("predictor", "mf")),
        predictor_params=dict(raw.get("predictor_params", {})),
        sources=sources or dict.fromkeys(DEFAULT_TRAINING_SOURCES, 1.0),
        embedder=str(raw.get("embedder", RecipeConfig.embedder)),
        strong_share=float(raw.get("strong_share", 0.5)),
        decontaminate_benchmarks=list(decon.get("benchmarks", ["gsm8k", "mmlu"])),
        decontaminate_threshold=float(decon.get("threshold", 0.95)),
        n_tiers=n_tiers if kind == "tiers" else 0,
        target=kind,
        difficulty_scale=str(target.get("scale", "raw")),
        min_models=int(target.get("min_models", 2)),
        balance_sources=bool(raw.get("balance_sources", False)),
        path=str(file),
    )
    try:
        return RecipeConfig(**config)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{file}: {exc}") from None


def target_aliases(config: RecipeConfig, strong: str, weak: str) -> dict[str, str]:
    """What the predictor calls ``strong`` and ``weak``: capability tiers, the difficulty pair, or themselves."""
    if config.target == "tiers":
        return {strong: tier_name(1), weak: tier_name(config.n_tiers)}
    if config.target == "difficulty":
        return dict(zip((strong, weak), DIFFICULTY_PAIR))
    return {}


def balanced(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Reweight battles so that every source weighs the same in total (its mean weight stays 1)."""
    from dataclasses import replace

    totals: dict[str, float] = {}
    for c in comparisons:
        totals[c.source] = totals.get(c.source, 0.0) + c.weight
    target = sum(totals.values()) / max(1, len(totals))
    return [replace(c, weight=c.weight * target / totals[c.source]) for c in comparisons]


def recipe_records(config: RecipeConfig, data_dir: str | Path | None = None) -> TrainingData:
    """The records of the recipe's sources (weight > 0), before battles are formed."""
    used = [s for s, w in config.sources.items() if w > 0]
    if not used:
        raise ValueError(f"recipe {config.path or config.name!r} gives every source weight 0")
    if config.target != "models" and "alpaca_eval" in used:
        raise ValueError(
            f"{config.path}: a {config.target} target needs per-model outcomes; alpaca_eval has only pairwise "
            "preferences: give it weight 0"
        )
    return load_training_sources(data_dir, used, derive_comparisons=False)


#: The encoder whose cosine the near-duplicate threshold (0.95) is measured in, for every recipe: a
#: static table's cosines run higher (0.95 there joins unrelated reading passages), so the default
#: recipe on it dropped 175 training prompts by that rule where the same recipe on MiniLM drops 1.
DECONTAMINATION_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"


@lru_cache(maxsize=1)
def _decontamination_encoder() -> Embedder:
    return make_embedder(DECONTAMINATION_EMBEDDER)


def _checker(embedder: Embedder) -> Embedder:
    """What embeds for the near-duplicate rule: ``embedder`` if it is the MiniLM encoder, else MiniLM
    through the same on-disk cache as ``embedder`` (the default cache when it has none)."""
    if getattr(embedder, "model_id", None) == DECONTAMINATION_EMBEDDER:
        return embedder
    return DiskCachedEmbedder(_decontamination_encoder(), getattr(embedder, "cache", None))


def recipe_battles(
    config: RecipeConfig,
    embedder: Embedder,
    *,
    data_dir: str | Path | None = None,
    extra_eval_prompts: Sequence[str] = (),
    exclude: Callable[[Outcome | Comparison], bool] | None = None,
    records: TrainingData | None = None,
) -> tuple[list[Comparison], DecontaminationReport | None]:
    """The recipe's training battles (model pairs, capability tiers or difficulty), decontaminated.

    Records for which ``exclude`` is true are dropped before battles are formed (the
    leave-one-source-out protocol drops the held-out source this way). Decontamination is
    against the recipe's benchmarks plus ``extra_eval_prompts`` (e.g. the benchmark being
    evaluated, when the recipe does not already cover it). ``records`` are the recipe's
    sources when already loaded (:func:`recipe_records`), to load them once for many folds.
    The near-duplicate rule embeds with :data:`DECONTAMINATION_EMBEDDER` whatever ``embedder``
    is (the 0.95 threshold is on its scale), through the on-disk cache.
    """
    data = recipe_records(config, data_dir) if records is None else records
    keep = (lambda r: True) if exclude is None else (lambda r: not exclude(r))
    outcomes = [o for o in data.outcomes if keep(o)]
    if config.target == "tiers":
        comparisons = tier_comparisons(outcomes, config.n_tiers)
    elif config.target == "difficulty":
        comparisons = difficulty_comparisons(outcomes, min_models=config.min_models, scale=config.difficulty_scale)
    else:
        comparisons = [c for c in data.comparisons if keep(c)] + outcomes_to_comparisons(outcomes)
    if config.balance_sources:
        comparisons = balanced(comparisons)
    eval_prompts = list(extra_eval_prompts)
    if config.decontaminate_benchmarks:
        eval_prompts += load_eval_prompts(data_dir, config.decontaminate_benchmarks)
    if not eval_prompts:
        return comparisons, None
    kept, report = decontaminate(
        comparisons, eval_prompts, embed=_checker(embedder).embed, threshold=config.decontaminate_threshold
    )
    return list(kept), report


def run_recipe(config: RecipeConfig, *, data_dir: str | Path | None = None, out: str | Path | None = None) -> Router:
    """Load, decontaminate, weight and fit; save the router to ``out`` (or the config's).

    Embeddings go through the on-disk cache (``$WINROUTE_CACHE``, as ``winroute evaluate``'s),
    so a second recipe over the same sources skips the embedding work.
    """
    embedder = DiskCachedEmbedder(make_embedder(config.embedder))
    comparisons, report = recipe_battles(config, embedder, data_dir=data_dir)
    if report is not None:
        print(report)
    router = train_router(
        comparisons,
        predictor=config.predictor,
        predictor_params=config.predictor_params,
        strong=config.strong,
        weak=config.weak,
        embedder=embedder,
        source_weights=config.sources,
        strong_share=config.strong_share,
        name=config.name,
        predictor_models=target_aliases(config, config.strong, config.weak),
        metadata={
            "recipe": {
                "config": config.path,
                "predictor": config.predictor,
                "predictor_params": config.predictor_params,
                "sources": config.sources,
                "target": config.target,
                "n_tiers": config.n_tiers,
                "difficulty_scale": config.difficulty_scale if config.target == "difficulty" else None,
                "balance_sources": config.balance_sources,
                "decontaminated_against": config.decontaminate_benchmarks,
                "decontamination_threshold": config.decontaminate_threshold,
                "dropped_by_decontamination": None if report is None else report.n_dropped,
            },
        },
    )
    router.embedder = embedder.inner  # the returned router routes without writing to the cache
    router.save(out or config.out)
    return router
