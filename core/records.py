"""The routing record the adapters put on every answer: a decision as a flat, JSON-safe dict.

The router's own names are prefixed ``router_`` (``router_model``: the model the router's
predictor knows the route by; ``router_scores``: its P(win) per router model), so that they
are not mistaken for the child that answered (``child``, ``child_route``, ``child_model``,
added by the adapters). Fields a decision does not have are left out: a two-model record has
no empty ``qualities`` / ``costs`` / ``utilities``, an N-way one no ``router_scores``.
"""

from __future__ import annotations

import math
from typing import Any

from .router import RouteDecision

_RENAMED = {"model": "router_model", "scores": "router_scores"}
_OPTIONAL = ("router_scores", "qualities", "costs", "utilities")


def decision_record(decision: RouteDecision) -> dict[str, Any]:
    """JSON-safe dict of ``decision`` (NaN scores/thresholds, e.g. of sticky or forced calls, become ``None``)."""
    record = {_RENAMED.get(k, k): v for k, v in decision.as_dict().items()}
    for key in ("score", "threshold"):
        value = record.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            record[key] = None
    for key in _OPTIONAL:
        if not record.get(key):
            record.pop(key, None)
    return record
