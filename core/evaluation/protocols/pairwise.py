"""The two evaluation protocols (DESIGN.md section 5) and the training they need.

* **out-of-domain**: routers train on the recipe's training sources only (loaded and
  decontaminated exactly as :func:`core.recipes.run_recipe` does, nothing saved).
* **in-domain augmentation**: the same training set plus at most ``max_labels`` labelled
  benchmark items (strong vs weak outcome -> one :class:`~core.data.Comparison` each,
  source ``"in_domain"``), with k-fold cross-fitting: the items are split into k folds,
  fold f is scored by a router trained on labels drawn only from the other folds, so every
  scored item comes from a router that never saw it. Exact duplicate prompts (after
  normalisation) share a fold, so a copy of a test item is never a training label.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...data import normalize_prompt
from ...data.records import Comparison
from ...embeddings import Embedder
from ...recipes import PairwiseRecipe, recipe_battles, shipped_recipe, target_aliases
from ...training import train_router
from ..benchmarks.pairwise import BenchmarkItems
from ..errors import EvaluationError

__all__ = [
    "BALANCED",
    "IN_DOMAIN",
    "OUT_OF_DOMAIN",
    "PROTOCOLS",
    "CrossFitPlan",
    "TrainingSet",
    "config_key",
    "cross_fit_scores",
    "default_config_path",
    "in_domain_comparisons",
    "load_training_set",
    "make_cross_fit_plan",
    "parse_in_domain_weight",
    "predictor_params",
    "resolve_in_domain_weight",
    "train_predictor_router",
]

OUT_OF_DOMAIN = "out-of-domain"
IN_DOMAIN = "in-domain"
PROTOCOLS: tuple[str, ...] = (OUT_OF_DOMAIN, IN_DOMAIN)
IN_DOMAIN_SOURCE = "in_domain"
#: In-domain weight rule: the labels together weigh as much as the whole (weighted) training set.
BALANCED = "balanced"


def default_config_path() -> Path:
    """``configs/default.toml`` in the working directory, else the project's own."""
    return shipped_recipe("default") or Path(__file__).resolve().parents[3] / "configs" / "default.toml"


@dataclass
class TrainingSet:
    """A recipe's training battles after decontamination, and what decontamination did."""

    comparisons: list[Comparison]
    config: PairwiseRecipe
    decontaminated_against: list[str]
    dropped: int = 0
    report: str = ""
    n_tiers: int = 0

    def predictor_models(self, strong: str, weak: str) -> dict[str, str]:
        """What the predictor calls the strong and weak model: their capability tiers, or themselves."""
        return target_aliases(self.config, strong, weak)

    @property
    def prompts(self) -> list[str]:
        """Distinct training prompts (what the benchmark-dataset similarity compares to)."""
        return list(dict.fromkeys(c.prompt for c in self.comparisons))


def load_training_set(
    config: PairwiseRecipe,
    embedder: Embedder,
    *,
    data_dir: str | Path | None = None,
    extra_eval: BenchmarkItems | None = None,
    verbose: bool = True,
) -> TrainingSet:
    """The recipe's sources, decontaminated against its benchmarks (+ ``extra_eval``'s prompts).

    Built by :func:`core.recipes.recipe_battles`, as ``winroute train`` builds them. When
    the evaluated benchmark is not one the recipe already decontaminates against (MT-Bench,
    the user's own data), its prompts are removed from training too: out-of-domain must mean
    unseen.
    """
    against = list(config.decontaminate_benchmarks)
    extra: list[str] = []
    if extra_eval is not None and extra_eval.name not in against:
        extra = list(extra_eval.prompts)
        against.append(extra_eval.name)
    try:
        comparisons, report = recipe_battles(config, embedder, data_dir=data_dir, extra_eval_prompts=extra)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from exc
    dropped, text = (report.n_dropped, str(report)) if report is not None else (0, "")
    if verbose and text:
        print(text)
    if not comparisons:
        raise EvaluationError("no training battles left after decontamination")
    n_tiers = int(getattr(config, "n_tiers", 0) or 0)
    return TrainingSet(list(comparisons), config, against, dropped, text, n_tiers)


def predictor_params(config: Any, kind: str) -> dict[str, Any]:
    """The recipe's predictor parameters when it trains this kind, else the kind's defaults.

    A recipe's ``checkpoint_dir`` belongs to its own training run, not to the harness's refits.
    """
    params = dict(config.predictor_params) if kind == config.predictor else {}
    params.pop("checkpoint_dir", None)
    return params


def train_predictor_router(
    kind: str,
    comparisons: Sequence[Comparison],
    config: Any,
    embedder: Any,
    *,
    strong: str,
    weak: str,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    predictor_models: dict[str, str] | None = None,
) -> Any:
    """Fit one named predictor on ``comparisons`` with the recipe's source weights (not saved).

    ``predictor_models`` maps strong / weak to their names in the battles (capability tiers).
    """
    return train_router(
        comparisons,
        predictor=kind,
        predictor_params=predictor_params(config, kind) if params is None else params,
        strong=strong,
        weak=weak,
        embedder=embedder,
        source_weights=config.sources,
        strong_share=config.strong_share,
        name=name or kind,
        predictor_models=predictor_models or {},
        with_sketch=False,
    )


def parse_in_domain_weight(text: str) -> float | str:
    """``--in-domain-weight``: ``"balanced"`` or a positive number (argparse type)."""
    import argparse

    if text.strip().lower() == BALANCED:
        return BALANCED
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or {BALANCED!r}, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def resolve_in_domain_weight(weight: float | str, training: TrainingSet, n_labels: int) -> float:
    """The weight of one in-domain battle: a number, or ``"balanced"``.

    ``"balanced"`` = (total weight of the training battles, source weights applied) / number of
    labels, so ~1,500 labels count as much as ~350k public battles together; at weight 1 they
    would be 0.4% of the signal and change next to nothing.
    """
    if isinstance(weight, str):
        if weight.strip().lower() != BALANCED:
            raise EvaluationError(f"in-domain weight must be a positive number or {BALANCED!r}, got {weight!r}")
        if n_labels < 1:
            raise EvaluationError("no in-domain labels to weight")
        sources = training.config.sources
        total = sum(c.weight * sources.get(c.source, 1.0) for c in training.comparisons)
        return total / n_labels
    value = float(weight)
    if not value > 0 or value != value or value == float("inf"):
        raise EvaluationError(f"in-domain weight must be > 0 and finite, got {weight!r}")
    return value


def in_domain_comparisons(
    items: BenchmarkItems,
    index: Sequence[int] | np.ndarray,
    *,
    weight: float = 1.0,
    names: dict[str, str] | None = None,
) -> list[Comparison]:
    """One battle per labelled item: strong beats weak (1), loses (0) or ties (0.5).

    ``names`` renames the two models as the training battles call them (e.g. tier-1 / tier-3),
    so the labels land on the same predictor coefficients the router scores with.
    """
    if weight <= 0:
        raise EvaluationError(f"in-domain weight must be > 0, got {weight}")
    names = names or {}
    a, b = names.get(items.strong, items.strong), names.get(items.weak, items.weak)
    out = []
    for i in index:
        s, w = float(items.strong_perf[i]), float(items.weak_perf[i])
        outcome = 1.0 if s > w else 0.0 if s < w else 0.5
        out.append(Comparison(items.prompts[i], a, b, outcome, IN_DOMAIN_SOURCE, weight))
    return out


@dataclass
class CrossFitPlan:
    """Folds of a k-fold cross-fit: ``test[f]`` is scored by a router trained on ``labels[f]``."""

    k: int
    seed: int
    max_labels: int
    test: list[np.ndarray]
    labels: list[np.ndarray]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "seed": self.seed,
            "max_labels": self.max_labels,
            "fold_sizes": [len(t) for t in self.test],
            "labels_per_fold": [len(fold) for fold in self.labels],
        }

    def check(self, n: int) -> None:
        """Every item scored exactly once, never by a router that saw it."""
        seen = np.concatenate(self.test)
        if len(seen) != n or len(np.unique(seen)) != n:
            raise AssertionError("cross-fit folds do not cover every item exactly once")
        for test, labels in zip(self.test, self.labels):
            if np.intersect1d(test, labels).size:
                raise AssertionError("a fold's router was trained on one of its own test items")


def make_cross_fit_plan(items: BenchmarkItems, *, k: int = 5, seed: int = 0, max_labels: int = 1500) -> CrossFitPlan:
    """Seeded k folds over groups of identical prompts; up to ``max_labels`` labels per fold."""
    if k < 2:
        raise EvaluationError(f"cross-fitting needs k >= 2 folds, got {k}")
    if max_labels < 1:
        raise EvaluationError(f"max_labels must be >= 1, got {max_labels}")
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(items.prompts):
        groups.setdefault(normalize_prompt(p), []).append(i)
    if len(groups) < k:
        raise EvaluationError(f"{len(groups)} distinct prompts cannot be split into k={k} folds")
    rng = np.random.default_rng(seed)
    keys = list(groups)
    order = rng.permutation(len(keys))
    fold_of_group = np.empty(len(keys), dtype=np.int64)
    fold_of_group[order] = np.arange(len(keys)) % k
    fold = np.empty(len(items), dtype=np.int64)
    for g, key in enumerate(keys):
        fold[groups[key]] = fold_of_group[g]
    test, labels = [], []
    for f in range(k):
        t = np.flatnonzero(fold == f)
        pool = np.flatnonzero(fold != f)
        lab = pool if len(pool) <= max_labels else np.sort(rng.choice(pool, size=max_labels, replace=False))
        test.append(t)
        labels.append(lab)
    plan = CrossFitPlan(k, seed, max_labels, test, labels)
    plan.check(len(items))
    return plan


def cross_fit_scores(
    plan: CrossFitPlan,
    n: int,
    fit_and_score: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Scores of all ``n`` items: fold f's come from ``fit_and_score(f, labels[f], test[f])``."""
    out = np.full(n, np.nan)
    for f, (test, lab) in enumerate(zip(plan.test, plan.labels)):
        scores = np.asarray(fit_and_score(f, lab, test), dtype=float)
        if scores.shape != (len(test),):
            raise EvaluationError(f"fold {f}: got {scores.shape} scores for {len(test)} items")
        out[test] = scores
    return out


def config_key(config: Any, kind: str) -> str:
    """A stable key of what a trained router depends on (for reusing results)."""
    return json.dumps(
        {
            "kind": kind,
            "params": predictor_params(config, kind),
            "sources": config.sources,
            "n_tiers": getattr(config, "n_tiers", 0),
            "embedder": config.embedder,
            "decontaminate": [config.decontaminate_benchmarks, config.decontaminate_threshold],
        },
        sort_keys=True,
        default=str,
    )
