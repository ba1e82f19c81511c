"""Adding a training-prompt sketch (:mod:`core.prompt_sketch`) to a router saved without one."""

from __future__ import annotations

from pathlib import Path

from ..embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ..loading import load_router
from ..prompt_sketch import DEFAULT_SKETCH_SIZE, build_sketch, sketch_meta
from ..recipes import load_recipe, recipe_battles
from ..router import Router

__all__ = ["add_sketch_from_recipe"]


def add_sketch_from_recipe(
    router_dir: str | Path,
    config_path: str | Path,
    *,
    data_dir: str | Path | None = None,
    out: str | Path | None = None,
    cache_dir: str | Path | None = None,
    k: int = DEFAULT_SKETCH_SIZE,
    seed: int = 0,
) -> Path:
    """Add the sketch of a recipe's training prompts to a saved router, leaving its predictor untouched.

    The prompts are the recipe's decontaminated training battles' distinct prompts, in the order
    ``winroute train`` indexes them (:func:`core.recipes.recipe_battles`, then
    :func:`core.training.pairwise_data`), embedded with the router's embedder through the on-disk
    cache. The router is written back to ``out`` (default: in place).
    """
    router = load_router(router_dir)
    if not isinstance(router, Router):
        raise ValueError(f"{router_dir} holds an N-way router; training-prompt sketches are for two-model routers")
    config = load_recipe(config_path, kind="pairwise")
    if config.embedder != router.embedder.model_id:
        raise ValueError(f"recipe embedder {config.embedder!r} differs from the router's {router.embedder.model_id!r}")
    embedder = DiskCachedEmbedder(router.embedder, EmbeddingCache(cache_dir))
    comparisons, _ = recipe_battles(config, embedder, data_dir=data_dir)
    weights = config.sources
    prompts = list(dict.fromkeys(c.prompt for c in comparisons if weights.get(c.source, 1.0) * c.weight > 0))
    sketch = build_sketch(embedder.embed(prompts), k=k, seed=seed)
    router.prompt_sketch = sketch.to_tensors()
    router.metadata["prompt_sketch"] = sketch_meta(sketch, k=k, seed=seed)
    return router.save(out or router_dir)
