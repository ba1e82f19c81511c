"""RouteDecision's flat record: the router's names prefixed, fields the decision lacks left out, JSON-safe."""

from __future__ import annotations

import json
import math

from core.decision import RouteDecision


def test_two_model_record() -> None:
    decision = RouteDecision("gpt-4", "strong", 0.7, 0.5, "score >= threshold", scores={"gpt-4": 0.7, "mixtral": 0.3})
    record = decision.record()
    assert record["router_model"] == "gpt-4" and record["router_scores"] == {"gpt-4": 0.7, "mixtral": 0.3}
    assert "model" not in record and "scores" not in record
    assert not {"qualities", "costs", "utilities"} & set(record)
    assert (record["route"], record["score"], record["threshold"]) == ("strong", 0.7, 0.5)


def test_nway_and_sticky_records_are_json_safe() -> None:
    nway = RouteDecision("b", "b", math.nan, math.nan, "best utility", qualities={"a": 0.4, "b": math.inf},
                         costs={"a": 0.1, "b": 0.2}, utilities={"a": 0.3, "b": 0.5})
    record = nway.record()
    assert "router_scores" not in record and record["qualities"] == {"a": 0.4, "b": None}
    assert record["score"] is None and record["threshold"] is None
    json.dumps(record, allow_nan=False)
