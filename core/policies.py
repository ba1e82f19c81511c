"""Turning scores into decisions: thresholds and their calibration to a strong-call share (two
models), utilities, budgets and minimum qualities (N models); and the policy objects a router holds."""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .errors import InvalidArgumentError
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


def choose_by_utility(
    qualities: np.ndarray, costs: np.ndarray, cost_weight: float, allowed: np.ndarray | None = None
) -> np.ndarray:
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


def choose_cheapest_reaching(
    qualities: np.ndarray, costs: np.ndarray, min_quality: float, allowed: np.ndarray | None = None
) -> np.ndarray:
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


# -- policies as objects: what a router applies to its scorer's output -------------------------
PAIRWISE, NWAY = "pairwise", "nway"
"""The two kinds of scorer a policy reads: a win probability for a pair, or per-model qualities and costs."""

SETTINGS: dict[str, tuple[str, ...]] = {
    PAIRWISE: ("threshold", "strong_share"),
    NWAY: ("cost_weight", "budget_per_1k", "min_quality"),
}
"""The per-call settings each kind of router takes (every other one is refused by :func:`policy_for`)."""

SETTING_NAMES: tuple[str, ...] = (*SETTINGS[PAIRWISE], *SETTINGS[NWAY])
"""Every per-call setting: an adapter passes them all to ``Router.route`` (None: not set), the router takes its own."""

CALIBRATION_SETTINGS: dict[str, str] = {PAIRWISE: "strong_share"}
"""The setting calibrating a router of that kind cannot do without (an N-way router may just take new reference prompts)."""

_KIND_WORDS = {PAIRWISE: "a two-model", NWAY: "an N-way"}


@dataclass(frozen=True)
class Choice:
    """A policy's choice for a batch of prompts: a column of the scorer's table per prompt, and why."""

    index: np.ndarray
    score: np.ndarray
    reasons: list[str]
    utilities: np.ndarray | None = None


class Policy(ABC):
    """Turns a scorer's table (prompts x routes: values, costs, which routes are allowed) into choices.

    A policy that needs the router's reference prompts (a strong share, a budget) is first
    :meth:`resolved` against them into one that does not (a threshold, a cost weight).
    """

    kind: ClassVar[str]
    needs_reference: ClassVar[bool] = False

    def resolved(self, reference: tuple[np.ndarray, np.ndarray] | None) -> Policy:
        """This policy as one that needs no reference (``reference``: the reference prompts' values and costs)."""
        return self

    @property
    def level(self) -> float:
        """The number a resolved policy is set by (a threshold, a cost weight): what ``calibrate`` returns."""
        raise InvalidArgumentError(f"{type(self).__name__} must be resolved against reference prompts first")

    @property
    def cutoff(self) -> float:
        """The score at or above which a call goes strong (a decision's ``threshold``); NaN for N models."""
        return float("nan")

    def fields(self) -> dict[str, float | None]:
        """The settings a saved router records for this (resolved) policy; :func:`policy_for` reads them back."""
        raise InvalidArgumentError(f"{type(self).__name__} must be resolved against reference prompts first")

    def choose(self, values: np.ndarray, costs: np.ndarray, allowed: np.ndarray) -> Choice:
        """Pick one column per row of ``values`` (routes of ``allowed`` only)."""
        raise InvalidArgumentError(f"{type(self).__name__} must be resolved against reference prompts first")


@dataclass(frozen=True)
class Threshold(Policy):
    """Two models: strong (column 0) when P[strong beats weak] ``>= threshold``."""

    threshold: float = 0.5
    kind: ClassVar[str] = PAIRWISE

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_threshold(self.threshold))

    @property
    def level(self) -> float:
        return self.threshold

    @property
    def cutoff(self) -> float:
        return self.threshold

    def fields(self) -> dict[str, float | None]:
        return {"threshold": self.threshold}

    def choose(self, values: np.ndarray, costs: np.ndarray, allowed: np.ndarray) -> Choice:
        p, t = np.asarray(values, dtype=np.float64)[:, 0], self.threshold
        strong = strong_mask(p, t)
        reasons = [f"score {s:.3f} {'>=' if up else '<'} threshold {t:.3f}" for s, up in zip(p, strong)]
        return Choice(np.where(strong, 0, 1), p, reasons)


@dataclass(frozen=True)
class StrongShare(Policy):
    """Two models: the threshold that sends ``strong_share`` of the reference prompts strong."""

    strong_share: float
    kind: ClassVar[str] = PAIRWISE
    needs_reference: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "strong_share", check_share(self.strong_share))

    def resolved(self, reference: tuple[np.ndarray, np.ndarray] | None) -> Threshold:
        if reference is None:
            raise InvalidArgumentError(
                "strong_share needs reference scores, which this router has none of; call calibrate(prompts, strong_share) first"
            )
        return Threshold(threshold_for_share(reference[0][:, 0], self.strong_share))


@dataclass(frozen=True)
class CostWeight(Policy):
    """N models: the highest utility ``q - cost_weight * cost`` (costs in USD per call)."""

    cost_weight: float = 0.0
    kind: ClassVar[str] = NWAY

    def __post_init__(self) -> None:
        object.__setattr__(self, "cost_weight", check_cost_weight(self.cost_weight))

    @property
    def level(self) -> float:
        return self.cost_weight

    def fields(self) -> dict[str, float | None]:
        return {"cost_weight": self.cost_weight, "min_quality": None}

    def choose(self, values: np.ndarray, costs: np.ndarray, allowed: np.ndarray) -> Choice:
        q, c, w = np.asarray(values), np.asarray(costs), self.cost_weight
        index = choose_by_utility(q, c, w, allowed)
        u = utilities(q, c, w)
        rows = np.arange(len(q))
        reasons = [
            f"highest utility q - {w:.4g} x cost: {u[j, k]:.4f} (quality {q[j, k]:.3f}, ${c[j, k]:.6f})"
            for j, k in enumerate(index)
        ]
        return Choice(index, q[rows, index], reasons, np.where(allowed, u, -np.inf))


@dataclass(frozen=True)
class Budget(Policy):
    """N models: the utility rule at the cost weight whose choices on the reference prompts cost
    at most ``budget_per_1k`` USD per 1,000 calls on average."""

    budget_per_1k: float
    kind: ClassVar[str] = NWAY
    needs_reference: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "budget_per_1k", check_number(self.budget_per_1k, "budget_per_1k", low=0.0))

    def resolved(self, reference: tuple[np.ndarray, np.ndarray] | None) -> CostWeight:
        if reference is None:
            raise InvalidArgumentError(
                "this router has no reference prompts; call calibrate(prompts, budget_per_1k=...) first"
            )
        return CostWeight(cost_weight_for_budget(reference[0], reference[1], self.budget_per_1k / 1000.0))


@dataclass(frozen=True)
class MinQuality(Policy):
    """N models: the cheapest predicted to reach ``min_quality`` (none does: the best predicted one).

    ``then`` sets the cost weight the decision's utilities are reported at.
    """

    min_quality: float
    then: CostWeight | Budget = CostWeight()
    kind: ClassVar[str] = NWAY

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_quality", check_number(self.min_quality, "min_quality", low=0.0, high=1.0))

    @property
    def needs_reference(self) -> bool:  # type: ignore[override]
        return self.then.needs_reference

    def resolved(self, reference: tuple[np.ndarray, np.ndarray] | None) -> MinQuality:
        return MinQuality(self.min_quality, _weight_of(self.then.resolved(reference)))

    @property
    def level(self) -> float:
        return self.then.level

    def fields(self) -> dict[str, float | None]:
        return {"cost_weight": self.then.level, "min_quality": self.min_quality}

    def choose(self, values: np.ndarray, costs: np.ndarray, allowed: np.ndarray) -> Choice:
        q, m = np.asarray(values), self.min_quality
        index = choose_cheapest_reaching(q, costs, m, allowed)
        best = q[np.arange(len(q)), index]
        reasons = [
            f"cheapest model predicted to reach quality {m:.2f} ({v:.3f})"
            if v >= m
            else f"no model is predicted to reach quality {m:.2f}: the best predicted one"
            for v in best
        ]
        u = utilities(q, costs, self.then.level)
        return Choice(index, best, reasons, np.where(allowed, u, -np.inf))


def policy_for(
    kind: str,
    default: Policy,
    *,
    threshold: float | None = None,
    strong_share: float | None = None,
    cost_weight: float | None = None,
    budget_per_1k: float | None = None,
    min_quality: float | None = None,
) -> Policy:
    """The policy the per-call settings ask for (``default`` when none is given), checked in one place.

    Settings of the other kind of router, two settings that contradict each other, or a bad
    value are an :class:`~core.errors.InvalidArgumentError` naming them.
    """
    given = {
        "threshold": threshold,
        "strong_share": strong_share,
        "cost_weight": cost_weight,
        "budget_per_1k": budget_per_1k,
        "min_quality": min_quality,
    }
    own = SETTINGS[kind]
    wrong = [k for k, v in given.items() if v is not None and k not in own]
    if wrong:
        words, other = _KIND_WORDS[kind], _KIND_WORDS[NWAY if kind == PAIRWISE else PAIRWISE]
        raise InvalidArgumentError(
            f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a setting of {words} router "
            f"(but of {other} one); {words} router takes {' or '.join(own)}"
        )
    if kind == PAIRWISE:
        if threshold is not None and strong_share is not None:
            raise InvalidArgumentError("give either threshold or strong_share, not both")
        if threshold is not None:
            return Threshold(threshold)
        return default if strong_share is None else StrongShare(strong_share)
    if cost_weight is not None and budget_per_1k is not None:
        raise InvalidArgumentError("give either cost_weight or budget_per_1k, not both")
    weight: CostWeight | Budget | None = (
        CostWeight(cost_weight) if cost_weight is not None else None if budget_per_1k is None else Budget(budget_per_1k)
    )
    if min_quality is not None:
        return MinQuality(min_quality, weight or _weight_of(default))
    return default if weight is None else weight


def _weight_of(policy: Policy) -> CostWeight | Budget:
    if isinstance(policy, MinQuality):
        return policy.then
    if isinstance(policy, (CostWeight, Budget)):
        return policy
    raise InvalidArgumentError(f"{type(policy).__name__} is not a policy of an N-way router")


def recalibrated(current: Policy, resolved: Policy) -> Policy:
    """A router's policy after calibrating it to ``resolved``: a minimum quality it has stays (at the new cost weight)."""
    if isinstance(current, MinQuality) and isinstance(resolved, CostWeight):
        return MinQuality(current.min_quality, resolved)
    return resolved
