"""Adapt a router to the user's traffic with their labels: ``winroute adapt``.

The base router's predictor is kept and wrapped in an :class:`~core.predictors.AdaptedPredictor`
whose in-domain corrections (ridge + kernel kNN) are fitted on the labels; the result is a normal
Router artifact, calibrated on the user's prompts. Optionally (``refit=True``) the base predictor
is first re-fitted on its recipe's public training data plus the labels, weighted as the
evaluation harness's in-domain protocol weights them (``core.evaluation.protocols.pairwise``); measured in
docs/adaptation.md, that costs a full training run and did not help consistently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..data.records import Comparison
from ..embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ..evaluation.protocols.pairwise import (
    IN_DOMAIN_SOURCE,
    load_training_set,
    resolve_in_domain_weight,
    train_predictor_router,
)
from ..policies import threshold_for_share
from ..predictors import AdaptedPredictor, Predictor
from ..prompt_sketch import MissingSketchError, PromptSketch, build_sketch
from ..recipes import load_recipe
from ..router import Router
from ..training import pairwise_data
from .errors import AdaptationError
from .labels import label_battles

__all__ = ["LABEL_SKETCH_SIZE", "adapt_router", "refit_base_predictor"]

#: Centroids summarising the labelled prompts, added to the base's sketch (so `inspect` sees them).
LABEL_SKETCH_SIZE = 256


def refit_base_predictor(
    base: Any,
    battles: Sequence[Comparison],
    *,
    data_dir: str | Path | None = None,
    in_domain_weight: float | str = "balanced",
    cache_dir: str | Path | None = None,
) -> Predictor:
    """Re-fit the base router's predictor on its recipe's training battles plus ``battles``.

    ``battles`` are in the predictor's names (:func:`label_battles`); each gets the in-domain
    weight of the harness's protocol (``"balanced"``: the labels together weigh as much as the
    whole training set).
    """
    recipe = (base.metadata.get("recipe") or {}).get("config")
    if not recipe or not Path(recipe).is_file():
        raise AdaptationError(
            f"refit needs the base router's training recipe; router {base.name!r} records "
            f"{recipe or 'none'}{'' if not recipe else ' (not found from here)'}"
        )
    config = load_recipe(recipe, kind="pairwise")
    embedder = DiskCachedEmbedder(base.embedder, EmbeddingCache(cache_dir))
    training = load_training_set(config, embedder, data_dir=data_dir)
    weight = resolve_in_domain_weight(in_domain_weight, training, len(battles))
    labels = [replace(c, source=IN_DOMAIN_SOURCE, weight=c.weight * weight) for c in battles]
    refit = train_predictor_router(
        config.predictor,
        training.comparisons + labels,
        config,
        embedder,
        strong=base.strong,
        weak=base.weak,
        predictor_models=dict(base.predictor_models),
    )
    return refit.predictor


def adapt_router(
    base: Any,
    comparisons: Sequence[Comparison],
    *,
    calibration_prompts: Sequence[str] | None = None,
    strong_share: float = 0.5,
    params: Mapping[str, Any] | None = None,
    refit: bool = False,
    data_dir: str | Path | None = None,
    name: str | None = None,
    strong: str | None = None,
    weak: str | None = None,
) -> Any:
    """A new Router: ``base`` plus in-domain corrections fitted on ``comparisons`` (the user's labels).

    The threshold sends ``strong_share`` of the reference prompts strong: ``calibration_prompts``
    (e.g. the unlabeled pool the labels were chosen from), else the labelled prompts themselves,
    scored with each label's own kNN term left out. An adapted router's in-domain part is
    replaced, not stacked: pass all your labels each time.

    ``strong`` / ``weak`` name your own models when they are not the base router's: the labels
    may then compare them, they take the base's strong and weak roles, and the adapted router
    routes between them (its decisions name them).
    """
    if not 0.0 <= strong_share <= 1.0:
        raise AdaptationError(f"strong_share must be in [0, 1], got {strong_share}")
    roles = {m: r for m, r in ((strong, "strong"), (weak, "weak")) if m}
    battles = label_battles(base, comparisons, roles=roles)
    strong_name = base.predictor_models.get(base.strong, base.strong)
    weak_name = base.predictor_models.get(base.weak, base.weak)
    new_strong, new_weak = strong or base.strong, weak or base.weak
    if new_strong == new_weak:
        raise AdaptationError(f"strong and weak model are the same ({new_strong!r})")
    base_predictor = base.predictor
    if refit:
        base_predictor = refit_base_predictor(base, battles, data_dir=data_dir)
    data = pairwise_data(battles, base.embedder)
    predictor = AdaptedPredictor(strong=strong_name, weak=weak_name, **dict(params or {}))
    try:
        predictor.with_base(base_predictor).fit(data)
    except ValueError as exc:
        raise AdaptationError(f"cannot adapt on these labels: {exc}") from exc
    sketch = _combined_sketch(base, predictor.label_embeddings_)
    base_info = {
        k: base.metadata[k] for k in ("recipe", "n_battles", "n_prompts", "prompt_sketch") if k in base.metadata
    }
    router = Router(
        predictor,
        base.embedder,
        strong=new_strong,
        weak=new_weak,
        predictor_models={new_strong: strong_name, new_weak: weak_name},
        last_k_user_turns=base.last_k_user_turns,
        name=name or f"{base.name}-adapted",
        metadata={
            "adapted_from": {
                "name": base.name,
                "predictor": base.predictor.kind,
                "strong": base.strong,
                "weak": base.weak,
                **base_info,
            },
            "adaptation": {
                "n_labels": len(battles),
                "n_prompts": len(predictor.label_residuals_),
                "params": predictor.get_params(),
                "refit": bool(refit),
                "calibrated_on": "calibration prompts"
                if calibration_prompts
                else "labelled prompts (leave-one-out kNN)",
                "n_calibration_prompts": len(calibration_prompts)
                if calibration_prompts
                else len(predictor.loo_scores_),
            },
            "prompt_sketch": {
                "method": "base sketch + labelled prompts",
                "k": len(sketch.counts),
                "n_prompts": sketch.n_prompts,
            },
        },
        prompt_sketch=sketch.to_tensors(),
    )
    if calibration_prompts:
        reference = router.score_texts([p for p in calibration_prompts if p.strip()])
    else:
        reference = np.asarray(predictor.loo_scores_, dtype=float)
    router.reference_scores = np.sort(reference)
    router.threshold = threshold_for_share(reference, strong_share)
    return router


def _combined_sketch(base: Any, label_embeddings: np.ndarray) -> PromptSketch:
    """The base's training-prompt sketch (if any) plus a sketch of the labelled prompts."""
    labels = build_sketch(label_embeddings, k=LABEL_SKETCH_SIZE)
    try:
        prior = PromptSketch.from_router(base)
    except MissingSketchError:
        return labels
    return PromptSketch(
        np.concatenate([prior.centroids, labels.centroids]), np.concatenate([prior.counts, labels.counts])
    )
