"""Training recipes: a small TOML file says what data, weights and predictor make a router.

One schema for both kinds of router: ``kind = "pairwise"`` (the default; battles from several
sources -> a win predictor, e.g. configs/default.toml) or ``kind = "nway"`` (one source's per-model
outcomes -> a quality predictor and model specs, e.g. configs/routerbench_zs.toml). One entry point,
:func:`run_recipe`, trains either: ``winroute train configs/default.toml`` is how the bundled
default router is built.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal, overload

import numpy as np

from .costs import ModelSpec, specs_from_costs, specs_from_prices
from .data import (
    NWAY_SOURCES,
    decontaminate,
    difficulty_comparisons,
    load_eval_prompts,
    load_nway_source,
    load_training_sources,
    outcomes_to_comparisons,
    tier_comparisons,
    tier_name,
)
from .data.battles import DIFFICULTY_PAIR, DIFFICULTY_SCALES
from .data.decontaminate import DecontaminationReport
from .data.models import canonical_model
from .data.records import Comparison, Outcome
from .data.sources import ALL_TRAINING_SOURCES, DEFAULT_TRAINING_SOURCES, TrainingData
from .embeddings import Embedder, make_embedder
from .embeddings.cache import DiskCachedEmbedder
from .router import Router
from .training import outcome_data, sample_prompts, train_nway_router, train_router

#: What a pairwise predictor learns: battles between the sources' models, between capability tiers,
#: or each prompt's pair-free difficulty (see core.data.battles).
TARGETS = ("models", "tiers", "difficulty")
_MINILM = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(kw_only=True)
class Recipe:
    """What every recipe says: its name, where the router is saved, the predictor and the embedder."""

    kind: ClassVar[str]
    name: str
    out: str = "router"
    predictor: str = ""
    predictor_params: dict[str, Any] = field(default_factory=dict)
    embedder: str = _MINILM
    path: str = ""


@dataclass(kw_only=True)
class PairwiseRecipe(Recipe):
    """A two-model recipe: battles from several sources -> a win predictor (see configs/default.toml)."""

    kind: ClassVar[str] = "pairwise"
    strong: str
    weak: str
    predictor: str = "mf"
    sources: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DEFAULT_TRAINING_SOURCES, 1.0))
    strong_share: float = 0.5
    decontaminate_benchmarks: list[str] = field(default_factory=lambda: ["gsm8k", "mmlu"])
    decontaminate_threshold: float = 0.95
    n_tiers: int = 0
    target: str = "models"
    difficulty_scale: str = "raw"
    min_models: int = 2
    balance_sources: bool = False

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; choose from {', '.join(TARGETS)}")
        if self.difficulty_scale not in DIFFICULTY_SCALES:
            raise ValueError(
                f"unknown difficulty scale {self.difficulty_scale!r}; choose from {', '.join(DIFFICULTY_SCALES)}"
            )
        if self.target == "tiers" and self.n_tiers < 2:
            raise ValueError(f"a tiers target needs n_tiers >= 2, got {self.n_tiers}")
        unknown = sorted(set(self.sources) - set(ALL_TRAINING_SOURCES))
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}; known: {list(ALL_TRAINING_SOURCES)}")
        if any(w < 0 for w in self.sources.values()):
            raise ValueError("source weights must be >= 0")
        clash = sorted({"gsm8k", "mmlu"} & set(self.decontaminate_benchmarks))
        if self.sources.get("routellm", 0) > 0 and clash:
            raise ValueError(
                f"the routellm source is RouteLLM's {' and '.join(clash)} itself: decontaminating against "
                f"{clash} would drop it; set [decontaminate] benchmarks = [] or give routellm weight 0"
            )


@dataclass(kw_only=True)
class NWayRecipe(Recipe):
    """An N-way recipe: one source's per-model outcomes -> a quality predictor and model specs
    (see configs/routerbench_zs.toml)."""

    kind: ClassVar[str] = "nway"
    source: str
    out: str = "router-nway"
    split: str = "train"
    predictor: str = "knn_quality"
    models: list[str] = field(default_factory=list)
    model_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    output_tokens: float = 256.0
    cost_weight: float = 0.0
    max_prompts: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.source not in NWAY_SOURCES:
            raise ValueError(f"source must be one of {list(NWAY_SOURCES)}, got {self.source!r}")
        if self.split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {self.split!r}")
        if self.max_prompts is not None and self.max_prompts < 1:
            raise ValueError(f"max_prompts must be >= 1, got {self.max_prompts}")


#: Keys a recipe file may hold at its top level, per kind (anything else is a typo and an error).
_COMMON_KEYS = {"kind", "name", "out", "predictor", "predictor_params", "embedder"}
_KEYS = {
    "pairwise": _COMMON_KEYS
    | {"strong", "weak", "strong_share", "balance_sources", "sources", "target", "tiers", "decontaminate"},
    "nway": _COMMON_KEYS
    | {"source", "split", "models", "model", "output_tokens", "cost_weight", "max_prompts", "seed"},
}
#: Keys of a pairwise recipe's tables.
_TABLE_KEYS = {
    "target": {"kind", "min_models", "scale", "n_tiers"},
    "tiers": {"n_tiers"},
    "decontaminate": {"benchmarks", "threshold"},
}
_REQUIRED = {"pairwise": ("name", "strong", "weak"), "nway": ("name", "source")}


def shipped_recipe(name: str) -> Path | None:
    """``configs/<name>.toml`` in the working directory, else the project's own (None: neither exists)."""
    for base in (Path("configs"), Path(__file__).resolve().parents[1] / "configs"):
        if (base / f"{name}.toml").is_file():
            return base / f"{name}.toml"
    return None


def read_recipe(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """A recipe file and its parsed TOML; errors name the file."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"recipe not found: {file}")
    try:
        return file, tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{file}: invalid TOML: {exc}") from exc


def _pairwise_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """The flat fields of a pairwise recipe from its TOML tables."""
    decon = raw.get("decontaminate", {})
    target = dict(raw.get("target", {}))
    n_tiers = int(target.get("n_tiers", raw.get("tiers", {}).get("n_tiers", 0)))
    kind = str(target.get("kind", "tiers" if n_tiers else "models"))
    sources = {str(k): float(v) for k, v in raw.get("sources", {}).items()}
    return dict(
        strong=canonical_model(str(raw["strong"])),
        weak=canonical_model(str(raw["weak"])),
        predictor=str(raw.get("predictor", "mf")),
        sources=sources or dict.fromkeys(DEFAULT_TRAINING_SOURCES, 1.0),
        strong_share=float(raw.get("strong_share", 0.5)),
        decontaminate_benchmarks=list(decon.get("benchmarks", ["gsm8k", "mmlu"])),
        decontaminate_threshold=float(decon.get("threshold", 0.95)),
        n_tiers=n_tiers if kind == "tiers" else 0,
        target=kind,
        difficulty_scale=str(target.get("scale", "raw")),
        min_models=int(target.get("min_models", 2)),
        balance_sources=bool(raw.get("balance_sources", False)),
    )


def _nway_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of an N-way recipe from its TOML (``[model."<name>"]`` tables override specs)."""
    overrides = raw.get("model", {})
    if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
        raise ValueError('[model."<name>"] tables must hold spec fields')
    return dict(
        source=str(raw["source"]),
        split=str(raw.get("split", "train")),
        predictor=str(raw.get("predictor", "knn_quality")),
        models=[str(m) for m in raw.get("models", [])],
        model_overrides={str(k): dict(v) for k, v in overrides.items()},
        output_tokens=float(raw.get("output_tokens", 256.0)),
        cost_weight=float(raw.get("cost_weight", 0.0)),
        max_prompts=int(raw["max_prompts"]) if "max_prompts" in raw else None,
        seed=int(raw.get("seed", 0)),
    )


#: The kinds of recipe (the TOML's ``kind``; pairwise when absent): the class and how its fields are read.
_RECIPES: dict[str, tuple[type[Recipe], Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "pairwise": (PairwiseRecipe, _pairwise_fields),
    "nway": (NWayRecipe, _nway_fields),
}


@overload
def load_recipe(path: str | Path, *, kind: Literal["pairwise"]) -> PairwiseRecipe: ...
@overload
def load_recipe(path: str | Path, *, kind: Literal["nway"]) -> NWayRecipe: ...
@overload
def load_recipe(path: str | Path, *, kind: None = None) -> Recipe: ...
def load_recipe(path: str | Path, *, kind: str | None = None) -> Recipe:
    """Read and validate a TOML recipe of either kind; errors name the file and the offending key.

    ``kind`` requires that kind (a command that trains only pairwise routers says so rather than
    failing later on a missing field).
    """
    file, raw = read_recipe(path)
    found = raw.get("kind", "pairwise")
    if found not in _RECIPES:
        raise ValueError(f"{file}: unknown kind {found!r}; choose from {', '.join(_RECIPES)}")
    if kind is not None and found != kind:
        raise ValueError(f"{file}: this needs a {kind} recipe, and this one is {found} (kind = {found!r})")
    unknown = sorted(set(raw) - _KEYS[found])
    unknown += [
        f"{t}.{k}" for t in _TABLE_KEYS if isinstance(raw.get(t), dict) for k in raw[t] if k not in _TABLE_KEYS[t]
    ]
    if unknown:
        raise ValueError(f"{file}: unknown key(s) {unknown} for a {found} recipe; known: {sorted(_KEYS[found])}")
    missing = [key for key in _REQUIRED[found] if key not in raw]
    if missing:
        raise ValueError(f"{file}: missing required key(s) {missing}")
    cls, fields = _RECIPES[found]
    try:
        return cls(
            name=str(raw["name"]),
            out=str(raw.get("out", cls.out)),
            predictor_params=dict(raw.get("predictor_params", {})),
            embedder=str(raw.get("embedder", _MINILM)),
            path=str(file),
            **fields(raw),
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{file}: {exc}") from None


def target_aliases(config: PairwiseRecipe, strong: str, weak: str) -> dict[str, str]:
    """What the predictor calls ``strong`` and ``weak``: capability tiers, the difficulty pair, or themselves."""
    if config.target == "tiers":
        return {strong: tier_name(1), weak: tier_name(config.n_tiers)}
    if config.target == "difficulty":
        return dict(zip((strong, weak), DIFFICULTY_PAIR))
    return {}


def balanced(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Reweight battles so that every source weighs the same in total (its mean weight stays 1)."""
    totals: dict[str, float] = {}
    for c in comparisons:
        totals[c.source] = totals.get(c.source, 0.0) + c.weight
    target = sum(totals.values()) / max(1, len(totals))
    return [replace(c, weight=c.weight * target / totals[c.source]) for c in comparisons]


def recipe_records(config: PairwiseRecipe, data_dir: str | Path | None = None) -> TrainingData:
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
    config: PairwiseRecipe,
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


def _train_pairwise(recipe: PairwiseRecipe, data_dir: str | Path | None) -> Router:
    """Load, decontaminate, weight and fit a pairwise recipe.

    Embeddings go through the on-disk cache (``$WINROUTE_CACHE``, as ``winroute evaluate``'s),
    so a second recipe over the same sources skips the embedding work.
    """
    embedder = DiskCachedEmbedder(make_embedder(recipe.embedder))
    comparisons, report = recipe_battles(recipe, embedder, data_dir=data_dir)
    if report is not None:
        print(report)
    router = train_router(
        comparisons,
        predictor=recipe.predictor,
        predictor_params=recipe.predictor_params,
        strong=recipe.strong,
        weak=recipe.weak,
        embedder=embedder,
        source_weights=recipe.sources,
        strong_share=recipe.strong_share,
        name=recipe.name,
        predictor_models=target_aliases(recipe, recipe.strong, recipe.weak),
        metadata={
            "recipe": {
                "config": recipe.path,
                "predictor": recipe.predictor,
                "predictor_params": recipe.predictor_params,
                "sources": recipe.sources,
                "target": recipe.target,
                "n_tiers": recipe.n_tiers,
                "difficulty_scale": recipe.difficulty_scale if recipe.target == "difficulty" else None,
                "balance_sources": recipe.balance_sources,
                "decontaminated_against": recipe.decontaminate_benchmarks,
                "decontamination_threshold": recipe.decontaminate_threshold,
                "dropped_by_decontamination": None if report is None else report.n_dropped,
            },
        },
    )
    router.embedder = embedder.inner  # the returned router routes without writing to the cache
    return router


def recipe_specs(
    recipe: NWayRecipe,
    models: Sequence[str],
    costs: np.ndarray | None,
    prices: Mapping[str, tuple[float, float]] | None,
) -> list[ModelSpec]:
    """Each model's spec: measured mean cost per call where the data has costs, else token prices;
    fields in the recipe's ``[model."<name>"]`` tables override."""
    if prices is None:
        if costs is None:
            raise ValueError(f"{recipe.path}: source {recipe.source!r} has neither measured costs nor token prices")
        specs = specs_from_costs(models, costs, output_tokens=recipe.output_tokens)
    else:
        specs = specs_from_prices(models, prices, output_tokens=recipe.output_tokens)
    overrides = {canonical_model(k): v for k, v in recipe.model_overrides.items()}
    return [ModelSpec.from_dict({**s.as_dict(), **overrides.get(s.name, {})}) for s in specs]


def _train_nway(recipe: NWayRecipe, data_dir: str | Path | None) -> Router:
    """Load the source split and fit one quality regressor per model."""
    embedder = make_embedder(recipe.embedder)
    outcomes, prices = load_nway_source(recipe.source, recipe.split, data_dir)
    if recipe.max_prompts is not None:
        outcomes = sample_prompts(outcomes, recipe.max_prompts, seed=recipe.seed)
    known = {o.model for o in outcomes}
    unknown = sorted({canonical_model(m) for m in [*recipe.models, *recipe.model_overrides]} - known)
    if unknown:
        raise ValueError(
            f"{recipe.path}: unknown model(s) {unknown} for source {recipe.source!r}; it has: {', '.join(sorted(known))}"
        )
    data = outcome_data(outcomes, embedder, [canonical_model(m) for m in recipe.models] or None)
    return train_nway_router(
        data,
        recipe_specs(recipe, data.models, data.costs, prices),
        predictor=recipe.predictor,
        predictor_params=recipe.predictor_params,
        embedder=embedder,
        cost_weight=recipe.cost_weight,
        name=recipe.name,
        metadata={
            "recipe": {
                "config": recipe.path,
                "source": recipe.source,
                "split": recipe.split,
                "predictor": recipe.predictor,
                "predictor_params": recipe.predictor_params,
            }
        },
    )


def run_recipe(recipe: Recipe, *, data_dir: str | Path | None = None, out: str | Path | None = None) -> Router:
    """Train the router a recipe of either kind describes and save it to ``out`` (or the recipe's).

    This is what ``winroute train`` runs.
    """
    if isinstance(recipe, PairwiseRecipe):
        router = _train_pairwise(recipe, data_dir)
    elif isinstance(recipe, NWayRecipe):
        router = _train_nway(recipe, data_dir)
    else:
        raise TypeError(f"not a recipe: {type(recipe).__name__}")
    router.save(out or recipe.out)
    return router
