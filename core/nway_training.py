"""Training N-way routers: per-model outcomes -> quality predictor + model specs -> an N-way Router.

``winroute train`` runs an N-way recipe (``kind = "nway"`` in the TOML; see
``configs/routerbench_zs.toml``) through :func:`run_nway_recipe`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .costs import ModelSpec, estimate_tokens, specs_by_name, specs_from_costs, specs_from_prices
from .data.records import Outcome
from .embeddings import Embedder, make_embedder
from .features import prompt_features
from .policies import CostWeight
from .predictors import QUALITY_PREDICTORS, OutcomeData, QualityPredictor, Queries
from .router import Router
from .scorers import QualityScorer, Reference

NWAY_SOURCES = ("routerbench_zs", "llmrouter")


def outcome_matrix(
    outcomes: Iterable[Outcome], models: Sequence[str] | None = None
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Unique prompts, models, and their mean score and cost matrices (NaN where not run).

    ``models`` keeps only those models, in that order (each must have outcomes).
    """
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    costs: dict[tuple[str, str], list[float]] = defaultdict(list)
    prompts: dict[str, None] = {}
    seen: dict[str, None] = {}
    for o in outcomes:
        prompts.setdefault(o.prompt)
        seen.setdefault(o.model)
        scores[o.prompt, o.model].append(o.score)
        if o.cost is not None:
            costs[o.prompt, o.model].append(o.cost)
    names = list(seen) if models is None else list(models)
    missing = [m for m in names if m not in seen]
    if missing:
        raise ValueError(f"model(s) {missing} have no outcomes; models with outcomes: {', '.join(seen)}")
    texts = list(prompts)
    s = np.full((len(texts), len(names)), np.nan)
    c = np.full((len(texts), len(names)), np.nan)
    column = {m: j for j, m in enumerate(names)}
    row = {p: i for i, p in enumerate(texts)}
    for (p, m), values in scores.items():
        if m in column:
            s[row[p], column[m]] = float(np.mean(values))
    for (p, m), values in costs.items():
        if m in column:
            c[row[p], column[m]] = float(np.mean(values))
    keep = ~np.isnan(s).all(axis=1)
    return [t for t, k in zip(texts, keep) if k], names, s[keep], c[keep]


def sample_prompts(outcomes: Sequence[Outcome], n: int, *, seed: int = 0) -> list[Outcome]:
    """The outcomes of a seeded sample of ``n`` distinct prompts (all of them if there are fewer)."""
    if n < 1:
        raise ValueError(f"max_prompts must be >= 1, got {n}")
    prompts = list(dict.fromkeys(o.prompt for o in outcomes))
    if n >= len(prompts):
        return list(outcomes)
    keep = {prompts[i] for i in np.random.default_rng(seed).choice(len(prompts), size=n, replace=False)}
    return [o for o in outcomes if o.prompt in keep]


def outcome_data(outcomes: Iterable[Outcome], embedder: Embedder, models: Sequence[str] | None = None) -> OutcomeData:
    """Encode each unique prompt once and index the outcomes by prompt and model."""
    texts, names, scores, costs = outcome_matrix(outcomes, models)
    if not texts:
        raise ValueError("no outcomes to train on")
    return OutcomeData(Queries(embedder.embed(texts), prompt_features(texts), texts), names, scores, costs)


def make_quality_predictor(kind: str, params: Mapping[str, Any] | None = None) -> QualityPredictor:
    """Instantiate a quality predictor by its registered kind."""
    from .training import make_predictor

    return make_predictor(kind, params, QUALITY_PREDICTORS)


def train_nway_router(
    data: OutcomeData,
    specs: Iterable[ModelSpec] | Mapping[str, ModelSpec],
    *,
    predictor: str | QualityPredictor = "knn_quality",
    predictor_params: Mapping[str, Any] | None = None,
    embedder: Embedder | None = None,
    cost_weight: float = 0.0,
    name: str = "winroute-nway",
    metadata: Mapping[str, Any] | None = None,
) -> Router:
    """Fit one quality regressor per declared model and wrap them with the specs in a router.

    The training prompts become the router's reference set (for budget calibration).
    """
    specs = specs_by_name(specs)
    missing = [m for m in specs if m not in data.models]
    if missing:
        raise ValueError(
            f"declared model(s) {missing} have no outcomes; models with outcomes: {', '.join(data.models)}"
        )
    columns = [data.models.index(m) for m in specs]
    data = OutcomeData(
        data.queries, list(specs), data.scores[:, columns], None if data.costs is None else data.costs[:, columns]
    )
    est = make_quality_predictor(predictor, predictor_params) if isinstance(predictor, str) else predictor
    started = time.perf_counter()
    est.fit(data)
    seconds = time.perf_counter() - started
    embedder = embedder or make_embedder()
    texts = list(data.queries.texts or [])
    reference = Reference(est.predict(data.queries, list(specs)), estimate_tokens(texts, embedder)) if texts else None
    router = Router(
        QualityScorer(est, specs, embedder),
        CostWeight(cost_weight),
        reference=reference,
        name=name,
        metadata={
            **dict(metadata or {}),
            "n_prompts": len(data),
            "n_models": len(specs),
            "fit_seconds": round(seconds, 1),
        },
    )
    return router


# -- N-way recipes --------------------------------------------------------------------------------
@dataclass
class NWayRecipe:
    """A parsed N-way recipe (see configs/routerbench_zs.toml)."""

    name: str
    source: str
    out: str = "router-nway"
    split: str = "train"
    predictor: str = "knn_quality"
    predictor_params: dict[str, Any] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    model_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    output_tokens: float = 256.0
    cost_weight: float = 0.0
    max_prompts: int | None = None
    seed: int = 0
    embedder: str = "sentence-transformers/all-MiniLM-L6-v2"
    path: str = ""


def load_nway_recipe(path: str | Path) -> NWayRecipe:
    """Read and validate an N-way TOML recipe; errors name the file and the key."""
    from .recipes import read_recipe

    file, raw = read_recipe(path)
    if raw.get("kind") != "nway":
        raise ValueError(f'{file}: not an N-way recipe (expected kind = "nway")')
    for key in ("name", "source"):
        if key not in raw:
            raise ValueError(f"{file}: missing required key {key!r}")
    if raw["source"] not in NWAY_SOURCES:
        raise ValueError(f"{file}: source must be one of {list(NWAY_SOURCES)}, got {raw['source']!r}")
    if raw.get("split", "train") not in ("train", "test"):
        raise ValueError(f"{file}: split must be 'train' or 'test'")
    overrides = raw.get("model", {})
    if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
        raise ValueError(f'{file}: [model."<name>"] tables must hold spec fields')
    return NWayRecipe(
        name=str(raw["name"]),
        source=str(raw["source"]),
        out=str(raw.get("out", "router-nway")),
        split=str(raw.get("split", "train")),
        predictor=str(raw.get("predictor", "knn_quality")),
        predictor_params=dict(raw.get("predictor_params", {})),
        models=[str(m) for m in raw.get("models", [])],
        model_overrides={str(k): dict(v) for k, v in overrides.items()},
        output_tokens=float(raw.get("output_tokens", 256.0)),
        cost_weight=float(raw.get("cost_weight", 0.0)),
        max_prompts=int(raw["max_prompts"]) if "max_prompts" in raw else None,
        seed=int(raw.get("seed", 0)),
        embedder=str(raw.get("embedder", NWayRecipe.embedder)),
        path=str(file),
    )


def load_nway_source(
    source: str, split: str, data_dir: str | Path | None = None
) -> tuple[list[Outcome], dict[str, tuple[float, float]] | None]:
    """Outcomes of one N-way source split, and token prices where the source has them (LLMRouter)."""
    from .data import load_llmrouter, load_llmrouter_prices, load_routerbench, resolve_data_dir

    root = resolve_data_dir(data_dir)
    if source == "routerbench_zs":
        return load_routerbench(root / "routerbench_zs", split), None
    if source == "llmrouter":
        return load_llmrouter(root / "llmrouter", split), load_llmrouter_prices(root / "llmrouter")
    raise ValueError(f"unknown N-way source {source!r}; known: {list(NWAY_SOURCES)}")


def recipe_specs(
    recipe: NWayRecipe,
    models: Sequence[str],
    costs: np.ndarray | None,
    prices: Mapping[str, tuple[float, float]] | None,
) -> list[ModelSpec]:
    """Each model's spec: measured mean cost per call where the data has costs, else token prices;
    fields in the recipe's ``[model."<name>"]`` tables override."""
    from .data import canonical_model

    if prices is None:
        if costs is None:
            raise ValueError(f"{recipe.path}: source {recipe.source!r} has neither measured costs nor token prices")
        specs = specs_from_costs(models, costs, output_tokens=recipe.output_tokens)
    else:
        specs = specs_from_prices(models, prices, output_tokens=recipe.output_tokens)
    overrides = {canonical_model(k): v for k, v in recipe.model_overrides.items()}
    return [ModelSpec.from_dict({**s.as_dict(), **overrides.get(s.name, {})}) for s in specs]


def run_nway_recipe(recipe: NWayRecipe, *, data_dir: str | Path | None = None, out: str | Path | None = None) -> Router:
    """Load the source split, fit, and save the router to ``out`` (or the recipe's)."""
    from .data import canonical_model

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
    models = [canonical_model(m) for m in recipe.models] or None
    data = outcome_data(outcomes, embedder, models)
    specs = recipe_specs(recipe, data.models, data.costs, prices)
    router = train_nway_router(
        data,
        specs,
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
    router.save(out or recipe.out)
    return router
