"""RouterSelector: a LlamaIndex selector that picks a ``RouterQueryEngine``/``RouterRetriever`` choice.

Choices are matched to the router's routes by ``ToolMetadata.name`` ("strong", "weak" or
a model name) or, when no choice is named so, by position (``router.models`` order:
strong first). With an N-way router, choices named after some of its models are chosen
among (one of N); unnamed choices stand for all its models, in order. The query text is
scored once with the ``core`` router.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.base_selector import BaseSelector, MultiSelection, SingleSelection
from llama_index.core.bridge.pydantic import Field
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.core.schema import QueryBundle
from llama_index.core.tools.types import ToolMetadata

from core import RouteDecision, Router, default_router, load_router
from core.dispatch import check_settings, child_routes, router_routes
from core.policies import SETTING_NAMES

from .routing import adecide, decide, emit_decision, route_of


class RouterSelection(MultiSelection):
    """A ``SelectorResult`` with one selection plus the routing decision behind it."""

    model: str = Field(description="the router's model for the chosen route")
    route: str = Field(description="the chosen route (N-way: the chosen model)")
    score: float | None = Field(
        default=None, description="the router's score for the query (N-way: the chosen model's quality)"
    )
    threshold: float | None = Field(
        default=None, description="the cut-off the score was compared with (None for N-way)"
    )
    choice: str | None = Field(default=None, description="name of the chosen choice, if it has one")
    qualities: dict[str, float | None] = Field(
        default_factory=dict, description="N-way: each candidate's predicted quality"
    )
    costs: dict[str, float | None] = Field(
        default_factory=dict, description="N-way: each candidate's expected USD per call"
    )
    utilities: dict[str, float | None] = Field(default_factory=dict, description="N-way: each candidate's utility")
    decision: dict[str, Any] = Field(default_factory=dict, description="RouteDecision.as_dict()")


class RouterSelector(BaseSelector):
    """Selects the choice serving the route the ``core`` router picks for the query.

    ``RouterSelector()`` uses the bundled default router; give a ``core`` router and/or a
    ``threshold`` or ``strong_share`` to change it. With an N-way ``core.Router`` (or the path
    of a saved one), name the choices after its models: the query goes to the one the router
    picks among them, as ``cost_weight``, ``budget_per_1k`` or ``min_quality`` trade quality
    against cost. Sync and async.
    """

    def __init__(
        self,
        core: Router | str | os.PathLike | None = None,
        **settings: float | None,
    ) -> None:
        """``settings``: the router's per-call settings (``core.policies.SETTING_NAMES``), kept as attributes."""
        self.core = load_router(core) if isinstance(core, (str, os.PathLike)) else core
        unknown = sorted(set(settings) - set(SETTING_NAMES))
        if unknown:
            raise TypeError(f"RouterSelector got unknown setting(s) {unknown}; it takes {', '.join(SETTING_NAMES)}")
        for name in SETTING_NAMES:
            setattr(self, name, settings.get(name))
        check_settings(self.router, self._given())  # validate now

    def _given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SETTING_NAMES}

    def _settings(self, routes: dict[str, int]) -> dict[str, Any]:
        return {**check_settings(self.router, self._given(), validate=False), "models": list(routes)}

    @property
    def router(self) -> Router:
        """The core router in use (``core``, or the shared bundled default)."""
        return self.core if self.core is not None else default_router()

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        """No prompts: the router does not use an LLM."""

    def choice_routes(self, choices: Sequence[ToolMetadata]) -> dict[str, int]:
        """Route -> index of the choice serving it: by name (every choice named after a route or a model
        of the router, as many as it can choose among), else by position (one choice per route, in order)."""
        routes = router_routes(self.router)
        named = [(str(c.name), i) for i, c in enumerate(choices) if route_of(self.router, c.name) is not None]
        if named:
            unnamed = [
                repr(c.name) if c.name else f"#{i}" for i, c in enumerate(choices) if i not in dict(named).values()
            ]
            if unnamed:
                raise ValueError(
                    f"choice(s) {', '.join(unnamed)} name no route or model of router {self.router.name!r}; "
                    f"name every choice after one of its routes or models ({', '.join(routes)}) or none"
                )
            keyed = child_routes(self.router, [name for name, _ in named], what="choice")  # two for one route fail
            return {route: dict(named)[name] for name, route in keyed.items()}
        if len(choices) != len(routes):
            raise ValueError(
                f"RouterSelector needs {len(routes)} choices in the order {', '.join(routes)} "
                f"(or choices named after the routes or models), got {len(choices)}"
            )
        return {route: i for i, route in enumerate(routes)}

    def _result(self, choices: Sequence[ToolMetadata], decision: RouteDecision) -> RouterSelection:
        index = self.choice_routes(choices)[decision.route]
        name = choices[index].name
        emit_decision(decision, name or str(index), "selector")
        record = decision.record()
        if decision.route == decision.model:  # N-way: the route is the model
            reason = f"{decision.reason} -> {decision.model}"
        else:
            reason = f"{decision.reason} -> {decision.route} ({decision.model})"
        return RouterSelection(
            selections=[SingleSelection(index=index, reason=reason)],
            model=decision.model,
            route=decision.route,
            score=record["score"],
            threshold=record["threshold"],
            choice=name,
            qualities=record.get("qualities") or {},
            costs=record.get("costs") or {},
            utilities=record.get("utilities") or {},
            decision=record,
        )

    def _select(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> RouterSelection:
        routes = self.choice_routes(choices)  # bad choices fail before scoring
        decision = decide(self.router, query.query_str, **self._settings(routes))
        return self._result(choices, decision)

    async def _aselect(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> RouterSelection:
        routes = self.choice_routes(choices)
        decision = await adecide(self.router, query.query_str, **self._settings(routes))
        return self._result(choices, decision)
