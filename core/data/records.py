"""Canonical training records: pairwise comparisons and per-model outcomes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """One battle: ``outcome`` is P(model_a beats model_b) in [0, 1] (0.5 = tie)."""

    prompt: str
    model_a: str
    model_b: str
    outcome: float
    source: str = ""
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.outcome <= 1.0:
            raise ValueError(f"Comparison.outcome must be in [0, 1], got {self.outcome!r}")
        if self.model_a == self.model_b:
            raise ValueError(f"Comparison needs two different models, got {self.model_a!r} twice")


@dataclass(frozen=True)
class Outcome:
    """How well one model did on one prompt: ``score`` in [0, 1], ``cost`` in USD if known."""

    prompt: str
    model: str
    score: float
    cost: float | None = None
    source: str = ""
    prompt_id: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"Outcome.score must be in [0, 1], got {self.score!r}")
        if self.cost is not None and self.cost < 0:
            raise ValueError(f"Outcome.cost must be >= 0, got {self.cost!r}")
