"""RouteDecision: which model a call goes to, and why (what adapters record with every call)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RouteDecision:
    """Which model a call goes to, and why.

    ``route`` is what a conversation records to stay with its model inside a tool-call turn:
    ``"strong"`` / ``"weak"`` for a two-model router, the model's name for an N-way one.
    """

    model: str
    route: str
    score: float
    threshold: float
    reason: str
    truncated: bool = False
    router: str = "winroute"
    scores: Mapping[str, float] = field(default_factory=dict)
    # N-way decisions: every candidate's predicted quality, expected cost (USD) and utility
    qualities: Mapping[str, float] = field(default_factory=dict)
    costs: Mapping[str, float] = field(default_factory=dict)
    utilities: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dict (for response metadata and logs)."""
        out = asdict(self)
        for key in ("scores", "qualities", "costs", "utilities"):
            out[key] = {k: _finite_or_none(v) for k, v in getattr(self, key).items()}
        # sticky decisions have no score, N-way ones no threshold; JSON has no NaN
        out["score"], out["threshold"] = _finite_or_none(self.score), _finite_or_none(self.threshold)
        return out


def _finite_or_none(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else float(x)
