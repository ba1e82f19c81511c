"""How the N-way evaluation gets its routers: quality predictors trained on the benchmark's train
split (``kind`` or ``kind:name=value,...``), saved N-way router directories, or router objects."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...artifacts import read_json
from ...embeddings import make_embedder
from ...embeddings.cache import DiskCachedEmbedder
from ...nway_router import NWayRouter
from ...predictors import QUALITY_PREDICTORS
from ...training import train_nway_router
from ..benchmarks.nway import NWayItems
from ..errors import EvaluationError

__all__ = ["DEFAULT_NWAY_ROUTERS", "nway_router", "parse_router_spec"]

DEFAULT_NWAY_ROUTERS = ("knn_quality", "mlp_quality")


def parse_router_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``knn_quality`` or ``knn_quality:k=100,temperature=0.5`` -> (kind, params)."""
    kind, _, rest = str(spec).strip().partition(":")
    params: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        name, eq, value = part.partition("=")
        if not eq:
            raise EvaluationError(f"router {spec!r}: parameters are name=value pairs separated by commas")
        params[name.strip()] = (
            json.loads(value.strip().lower())
            if value.strip().lower() in ("true", "false")
            else (_number(value.strip()))
        )
    return kind, params


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def nway_router(
    spec: Any, items: NWayItems, embedder: Any, recipe_params: Mapping[str, Mapping[str, Any]]
) -> tuple[Any, str, str, dict[str, Any], float | None]:
    """The router a spec names, with its kind, origin, parameters and fit seconds (None: not fitted here)."""
    if not isinstance(spec, (str, Path)):  # a router object: NWayRouter or anything with its predict_texts
        return spec, spec.predictor.kind, "in memory", spec.predictor.get_params(), None
    kind, params = parse_router_spec(str(spec))
    if kind in QUALITY_PREDICTORS:
        merged = {**dict(recipe_params.get(kind, {})), **params}
        started = time.perf_counter()
        router = train_nway_router(
            items.train,
            items.specs,
            predictor=kind,
            predictor_params=merged,
            embedder=embedder,
            name=f"{items.benchmark}-{kind}",
        )
        return router, kind, "trained on the fly", merged, time.perf_counter() - started
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "router.json").is_file():
        meta = read_json(path / "router.json")
        if meta.get("kind") != "nway":
            raise EvaluationError(
                f"{path} holds a two-model router; N-way benchmarks need an N-way router (winroute train configs/{items.source}.toml)"
            )
        model_id = str(meta.get("embedder"))
        emb = (
            embedder if getattr(embedder, "model_id", None) == model_id else DiskCachedEmbedder(make_embedder(model_id))
        )
        router = NWayRouter.load(path, embedder=emb)
        return router, router.predictor.kind, str(path), router.predictor.get_params(), None
    raise EvaluationError(
        f"unknown N-way router {spec!r}: use {', '.join(QUALITY_PREDICTORS)} (trained on the fly, optionally "
        "'kind:name=value,...' for parameters) or a saved N-way router directory"
    )
