"""RouterSelector: a LlamaIndex selector that picks a ``RouterQueryEngine``/``RouterRetriever`` choice.

Choices are matched to the router's routes by ``ToolMetadata.name`` ("strong", "weak" or
a model name) or, when no choice is named so, by position (``router.models`` order:
strong first). The query text is scored once with the ``core`` router.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from llama_index.core.base.base_selector import BaseSelector, MultiSelection, SingleSelection
from llama_index.core.bridge.pydantic import Field
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.core.schema import QueryBundle
from llama_index.core.tools.types import ToolMetadata

from core import RouteDecision, Router

from .messages import decision_record
from .routing import adecide, decide, default_router, emit_decision, route_of, router_routes


class RouterSelection(MultiSelection):
    """A ``SelectorResult`` with one selection plus the routing decision behind it."""

    model: str = Field(description="the router's model for the chosen route")
    route: str = Field(description="the chosen route")
    score: Optional[float] = Field(default=None, description="the router's score for the query")
    threshold: float = Field(description="the cut-off the score was compared with")
    choice: Optional[str] = Field(default=None, description="name of the chosen choice, if it has one")
    decision: Dict[str, Any] = Field(default_factory=dict, description="RouteDecision.as_dict()")


class RouterSelector(BaseSelector):
    """Selects the choice serving the route the ``core`` router picks for the query.

    ``RouterSelector()`` uses the bundled default router; give a ``core`` router and/or a
    ``threshold`` or ``strong_share`` to change it. Sync and async.
    """

    def __init__(
        self,
        core: Optional[Router] = None,
        *,
        threshold: Optional[float] = None,
        strong_share: Optional[float] = None,
    ) -> None:
        self.core = core
        self.threshold = threshold
        self.strong_share = strong_share
        self.router.threshold_for(threshold=threshold, strong_share=strong_share)  # validate now

    @property
    def router(self) -> Router:
        """The core router in use (``core``, or the shared bundled default)."""
        return self.core if self.core is not None else default_router()

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        """No prompts: the router does not use an LLM."""

    def choice_routes(self, choices: Sequence[ToolMetadata]) -> Dict[str, int]:
        """Route -> index of the choice serving it (by name, else by position)."""
        routes = router_routes(self.router)
        by_name: Dict[str, int] = {}
        for i, choice in enumerate(choices):
            route = route_of(self.router, choice.name)
            if route is None:
                continue
            if route in by_name:
                raise ValueError(
                    f"choices {choices[by_name[route]].name!r} and {choice.name!r} both stand for route {route!r}"
                )
            by_name[route] = i
        if by_name:
            missing = [r for r in routes if r not in by_name]
            if missing:
                raise ValueError(f"no choice is named for route(s) {', '.join(missing)}; name every choice or none")
            return by_name
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
        record = decision_record(decision)
        return RouterSelection(
            selections=[SingleSelection(index=index, reason=f"{decision.reason} -> {decision.route} ({decision.model})")],
            model=decision.model,
            route=decision.route,
            score=record["score"],
            threshold=decision.threshold,
            choice=name,
            decision=record,
        )

    def _select(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> RouterSelection:
        self.choice_routes(choices)  # bad choices fail before scoring
        decision = decide(self.router, query.query_str, threshold=self.threshold, strong_share=self.strong_share)
        return self._result(choices, decision)

    async def _aselect(self, choices: Sequence[ToolMetadata], query: QueryBundle) -> RouterSelection:
        self.choice_routes(choices)
        decision = await adecide(
            self.router, query.query_str, threshold=self.threshold, strong_share=self.strong_share
        )
        return self._result(choices, decision)
