"""Turning per-model outcomes into battles: between models, between capability tiers, or a prompt's
pair-free difficulty."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

import numpy as np

from core.data.models import canonical_model
from core.data.records import Comparison, Outcome

__all__ = [
    "DIFFICULTY_PAIR",
    "DIFFICULTY_SCALES",
    "difficulty_comparisons",
    "outcomes_to_comparisons",
    "pair_gain",
    "tier_comparisons",
    "tier_name",
]

#: The pseudo-models of difficulty battles: P("hard" beats "easy") on a prompt is its difficulty.
DIFFICULTY_PAIR: tuple[str, str] = ("hard", "easy")
#: How a difficulty target is scaled (see :func:`difficulty_comparisons`).
DIFFICULTY_SCALES = ("raw", "rank", "gain")


def _group_outcomes(outcomes: Iterable[Outcome]) -> dict[tuple[str, str], tuple[str, dict[str, list[float]]]]:
    """(source, prompt_id or prompt) -> (prompt, model -> scores)."""
    groups: dict[tuple[str, str], tuple[str, dict[str, list[float]]]] = {}
    for o in outcomes:
        key = (o.source, o.prompt_id or o.prompt)
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = (o.prompt, {})
        entry[1].setdefault(o.model, []).append(o.score)
    return groups


def _battle(prompt: str, a: str, b: str, sa: float, sb: float, source: str) -> Comparison:
    """Higher score wins (1.0 / 0.0); equal scores tie (0.5)."""
    outcome = 1.0 if sa > sb else 0.0 if sa < sb else 0.5
    return Comparison(prompt, a, b, outcome, source)


def outcomes_to_comparisons(
    outcomes: Iterable[Outcome], *, pairs: Iterable[tuple[str, str]] | None = None
) -> list[Comparison]:
    """Every pair of models scored on the same prompt becomes one battle.

    Prompts are grouped by (source, prompt_id, or the prompt text when there is no id);
    a model scored twice on one prompt gets its mean score. Without ``pairs`` the models
    of each battle are in sorted order; with ``pairs`` (names canonicalised) only those
    pairs are emitted, oriented as given.
    """
    wanted = None if pairs is None else list(dict.fromkeys((canonical_model(a), canonical_model(b)) for a, b in pairs))
    out: list[Comparison] = []
    for (source, _), (prompt, per_model) in _group_outcomes(outcomes).items():
        if len(per_model) < 2:
            continue
        scores = {m: (v[0] if len(v) == 1 else sum(v) / len(v)) for m, v in per_model.items()}
        if wanted is None:
            todo: Iterable[tuple[str, str]] = combinations(sorted(scores), 2)
        else:
            todo = [(a, b) for a, b in wanted if a != b and a in scores and b in scores]
        out.extend(_battle(prompt, a, b, scores[a], scores[b], source) for a, b in todo)
    return out


def tier_name(tier: int) -> str:
    """Name of capability tier ``tier`` (1 = best) as a pseudo-model in tier battles."""
    return f"tier-{tier}"


def tier_comparisons(outcomes: Iterable[Outcome], n_tiers: int = 3) -> list[Comparison]:
    """Battles between capability tiers instead of between models.

    Within each source, models are ranked by mean score and split into ``n_tiers`` groups
    (RouteLLM grouped models into tiers to fight label sparsity). On each prompt a tier
    scores the mean of its models' scores, and every pair of tiers battles (higher wins,
    equal ties). Tiers are per source, so a source with easy and hard models alike still
    says which prompts separate its stronger models from its weaker ones.
    """
    if n_tiers < 2:
        raise ValueError(f"n_tiers must be >= 2, got {n_tiers}")
    by_source: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_source.setdefault(o.source, []).append(o)
    out: list[Comparison] = []
    for source, items in by_source.items():
        totals: dict[str, list[float]] = {}
        for o in items:
            totals.setdefault(o.model, []).append(o.score)
        ranked = sorted(totals, key=lambda m: (-sum(totals[m]) / len(totals[m]), m))
        if len(ranked) < n_tiers:
            raise ValueError(f"source {source!r} has {len(ranked)} models, fewer than n_tiers={n_tiers}")
        size, extra = divmod(len(ranked), n_tiers)
        tier_of: dict[str, int] = {}
        start = 0
        for t in range(n_tiers):
            end = start + size + (1 if t < extra else 0)
            tier_of.update((m, t + 1) for m in ranked[start:end])
            start = end
        for (_, _), (prompt, per_model) in _group_outcomes(items).items():
            tiers: dict[int, list[float]] = {}
            for model, scores in per_model.items():
                tiers.setdefault(tier_of[model], []).extend(scores)
            means = {t: sum(v) / len(v) for t, v in tiers.items()}
            for a, b in combinations(sorted(means), 2):
                out.append(_battle(prompt, tier_name(a), tier_name(b), means[a], means[b], source))
    return out


def difficulty_comparisons(outcomes: Iterable[Outcome], *, min_models: int = 2, scale: str = "raw") -> list[Comparison]:
    """One pair-free battle per prompt: P("hard" beats "easy") = the prompt's difficulty.

    Difficulty = 1 - the mean score of every model scored on the prompt (``min_models`` at
    least). It does not depend on which two models a user routes between: a prompt most
    models fail is one to send to the stronger model. ``scale="rank"`` replaces it by its
    percentile within the prompt's source, so sources whose models are all strong (or whose
    judge grades leniently) span the same range as the others. ``scale="gain"`` replaces it by
    what a strong model gains over a middling one on a prompt that hard (:func:`pair_gain`):
    the hardest prompts, which both fail, gain little.
    """
    if scale not in DIFFICULTY_SCALES:
        raise ValueError(f"difficulty scale must be one of {', '.join(DIFFICULTY_SCALES)}, got {scale!r}")
    if min_models < 1:
        raise ValueError(f"min_models must be >= 1, got {min_models}")
    rows: list[tuple[str, str, dict[str, float]]] = []
    for (source, _), (prompt, per_model) in _group_outcomes(outcomes).items():
        if len(per_model) >= min_models:
            rows.append((prompt, source, {m: sum(v) / len(v) for m, v in per_model.items()}))
    values = np.array([1.0 - sum(means.values()) / len(means) for _, _, means in rows])
    by_source: dict[str, list[int]] = {}
    for i, (_, source, _) in enumerate(rows):
        by_source.setdefault(source, []).append(i)
    for idx in by_source.values():
        if scale == "rank":
            from scipy.stats import rankdata  # training-time only: keeps scipy off the import path

            values[idx] = (rankdata(values[idx]) - 1) / max(1, len(idx) - 1)  # ties share their mean rank
        elif scale == "gain":
            values[idx] = pair_gain([rows[i][2] for i in idx])
    hard, easy = DIFFICULTY_PAIR
    return [Comparison(prompt, hard, easy, float(v), source) for (prompt, source, _), v in zip(rows, values)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _level(offsets: np.ndarray, seen: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per row, the ``x`` at which the mean of ``sigmoid(x - offsets)`` over the ``seen`` cells is
    ``target`` (bisection: the mean rises with ``x``)."""
    low, high = np.full(len(target), -30.0), np.full(len(target), 30.0)
    counts = seen.sum(axis=1)
    for _ in range(60):
        x = (low + high) / 2
        mean = np.where(seen, _sigmoid(x[:, None] - offsets), 0.0).sum(axis=1) / counts
        low, high = np.where(mean < target, x, low), np.where(mean < target, high, x)
    return (low + high) / 2


def pair_gain(items: Sequence[Mapping[str, float]], *, clip: float = 0.02, rounds: int = 10) -> np.ndarray:
    """Per item of one source, what its best model gains over its median model there, under a Rasch model.

    Model abilities and item difficulties ``b`` are fitted together (joint maximum likelihood,
    ``rounds`` alternations: each model's ability reproduces its mean score, each item's
    difficulty the item's mean score over the models run on it). The gain is
    ``sigmoid(best - b) - sigmoid(median - b)``: small for items every model solves and for
    items every model fails, largest in between, where a strong model earns its price. Mean
    scores are clipped to ``[clip, 1 - clip]`` so that every estimate is finite.
    """
    models = sorted({m for item in items for m in item})
    column = {m: j for j, m in enumerate(models)}
    scores = np.full((len(items), len(models)), np.nan)
    for i, item in enumerate(items):
        for m, v in item.items():
            scores[i, column[m]] = v
    seen = ~np.isnan(scores)
    item_mean = np.clip(np.nanmean(scores, axis=1), clip, 1 - clip)
    model_mean = np.clip(np.nanmean(scores, axis=0), clip, 1 - clip)
    ability, difficulty = np.log(model_mean / (1 - model_mean)), np.zeros(len(items))
    for _ in range(rounds):
        difficulty = -_level(-np.broadcast_to(ability, scores.shape), seen, item_mean)
        ability = _level(np.broadcast_to(difficulty, scores.T.shape), seen.T, model_mean)
    return _sigmoid(ability.max() - difficulty) - _sigmoid(np.median(ability) - difficulty)
