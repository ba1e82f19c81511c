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

    def record(self) -> dict[str, Any]:
        """The flat routing record adapters put on every answer: :meth:`as_dict` with the router's
        own names prefixed ``router_`` (``router_model``: the model the router's predictor knows the
        route by; ``router_scores``: its P(win) per router model), so that they are not mistaken for
        the child that answered (``child``, ``child_route``, ``child_model``, added by the adapters),
        and without the fields this kind of decision does not have (a two-model record has no empty
        ``qualities`` / ``costs`` / ``utilities``, an N-way one no ``router_scores``)."""
        record = {_RENAMED.get(k, k): v for k, v in self.as_dict().items()}
        for key in _OPTIONAL:
            if not record.get(key):
                record.pop(key, None)
        return record


_RENAMED = {"model": "router_model", "scores": "router_scores"}
_OPTIONAL = ("router_scores", "qualities", "costs", "utilities")


def _finite_or_none(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else float(x)
