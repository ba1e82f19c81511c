"""Turning predictor scores into decisions: thresholds and their calibration to a strong-call share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validation import check_number


def check_share(strong_share: float) -> float:
    return check_number(strong_share, "strong_share", low=0.0, high=1.0)


def check_threshold(threshold: float) -> float:
    return check_number(threshold, "threshold", low=0.0, high=1.0)


def threshold_for_share(reference_scores: Sequence[float] | np.ndarray, strong_share: float) -> float:
    """Threshold under which ``strong_share`` of ``reference_scores`` would go to the strong model.

    A score routes strong when ``score >= threshold``. The ends hold for any prompt, not only the
    reference ones (a new prompt may score outside their range): share 1 gives 0.0, so every
    score routes strong, and share 0 gives 1.0, which only a score of exactly 1 reaches.
    """
    share = check_share(strong_share)
    ref = np.sort(np.asarray(reference_scores, dtype=np.float64))
    if ref.size == 0:
        raise ValueError("cannot calibrate a threshold without reference scores")
    if np.isnan(ref).any():
        raise ValueError("reference scores contain NaN")
    if share <= 0.0:
        return 1.0
    if share >= 1.0:
        return 0.0
    return float(np.quantile(ref, 1.0 - share))


def strong_mask(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Which scores route to the strong model."""
    return np.asarray(scores) >= threshold


# -- N-way (PROCEED): trade predicted quality against cost --------------------------------------
def check_cost_weight(cost_weight: float) -> float:
    return check_number(cost_weight, "cost_weight", low=0.0)


def utilities(qualities: np.ndarray, costs: np.ndarray, cost_weight: float, quality_weight: float = 1.0) -> np.ndarray:
    """PROCEED's utility ``w_q * q_i - w_c * c_i`` per prompt and model (costs in USD per call)."""
    return quality_weight * np.asarray(qualities) - check_cost_weight(cost_weight) * np.asarray(costs)


def choose_by_utility(qualities: np.ndarray, costs: np.ndarray, cost_weight: float, allowed: np.ndarray | None = None) -> np.ndarray:
    """Index of the model with the highest utility per prompt; ties go to the cheaper model.

    With two models this is the binary threshold rule: strong iff
    ``q_strong - q_weak >= cost_weight * (c_strong - c_weak)``.
    """
    u = utilities(qualities, costs, cost_weight)
    if allowed is not None:
        u = np.where(allowed, u, -np.inf)
    best = u.max(axis=1, keepdims=True)
    tied = u >= best - 1e-12
    return np.where(tied, np.asarray(costs), np.inf).argmin(axis=1)


def choose_cheapest_reaching(qualities: np.ndarray, costs: np.ndarray, min_quality: float, allowed: np.ndarray | None = None) -> np.ndarray:
    """The cheapest model predicted to reach ``min_quality``; where none does, the best predicted one
    (the cheapest among equals)."""
    q = np.asarray(qualities)
    ok = q >= float(min_quality)
    if allowed is not None:
        ok &= allowed
        q = np.where(allowed, q, -np.inf)
    costs = np.asarray(costs)
    cheapest = np.where(ok, costs, np.inf).argmin(axis=1)
    best = np.where(q >= q.max(axis=1, keepdims=True) - 1e-12, costs, np.inf).argmin(axis=1)
    return np.where(ok.any(axis=1), cheapest, best)


def cost_weight_for_budget(qualities: np.ndarray, costs: np.ndarray, budget: float, *, iterations: int = 80) -> float:
    """The smallest cost weight whose choices on these prompts cost at most ``budget`` USD per call on average.

    The chosen model's cost never rises with the weight, so a bisection on its logarithm finds it.
    """
    costs = np.asarray(costs)
    if len(costs) == 0:
        raise ValueError("cannot calibrate a budget without reference prompts")
    budget = check_number(budget, "budget (USD per call)", low=0.0)

    def spend(w: float) -> float:
        return float(np.take_along_axis(costs, choose_by_utility(qualities, costs, w)[:, None], 1).mean())

    if spend(0.0) <= budget:
        return 0.0
    lo, hi = -12.0, 12.0  # log10 of the weight: 1e12 quality per USD already picks the cheapest everywhere
    if spend(10.0**hi) > budget:
        return 10.0**hi  # even the cheapest models exceed the budget: spend as little as possible
    for _ in range(iterations):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if spend(10.0**mid) <= budget else (mid, hi)
    return float(10.0**hi)
