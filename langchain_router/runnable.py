"""A RunnableBranch-style router over whole chains: score the input once, run one chain.

``route_runnable({"strong": chain_a, "weak": chain_b})`` (a two-model router) or
``route_runnable({"gpt-4-1106-preview": a, "mixtral-8x7b-instruct-v0.1": b, ...}, nway_router)``
(an N-way router, choosing among the chains given) is ``RouteKey | RouterRunnable``:
``RouteKey`` turns the input into a conversation, asks the core router for a decision and
emits ``{"key": route, "input": input, "decision": record}``; ``RouterRunnable`` runs the
chain for that key. invoke, batch (one embedding batch for all inputs), stream and their
async forms all work; streaming streams the chosen chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Optional, Union

from langchain_core.runnables import Runnable, RunnableConfig, RunnableSequence, RunnableSerializable
from langchain_core.runnables.base import coerce_to_runnable
from langchain_core.runnables.config import run_in_executor
from langchain_core.runnables.router import RouterRunnable
from pydantic import ConfigDict

from core import NWayRouter, Router, default_router, routing_input
from core.nway_children import check_settings, is_nway
from core.records import decision_record

from .messages import input_to_conversation

ROUTES = ("strong", "weak")


class RouteKey(RunnableSerializable[Any, dict[str, Any]]):
    """Scores an input once and says which route takes it (the first step of ``route_runnable``)."""

    router: Union[Router, NWayRouter]
    threshold: float | None = None
    strong_share: float | None = None
    cost_weight: float | None = None
    budget_per_1k: float | None = None
    min_quality: float | None = None
    models: Optional[list[str]] = None
    """N-way: the models to choose among (the chains' keys); None: all the router's."""
    input_key: str | None = None
    name: str | None = "winroute_route"

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def _decide_batch(self, inputs: list[Any]) -> list[dict[str, Any] | Exception]:
        """One decision (or the error that prevents it) per input, with one embedding batch."""
        results: list[dict[str, Any] | Exception | None] = [None] * len(inputs)
        conversations: dict[int, Any] = {}
        for i, value in enumerate(inputs):
            try:
                conversation = input_to_conversation(value, input_key=self.input_key)
                routing_input(conversation)  # validate alone, so one bad input fails alone
            except Exception as exc:  # noqa: BLE001 - reported per input
                results[i] = exc
            else:
                conversations[i] = conversation
        if conversations:
            settings = check_settings(
                self.router,
                {k: getattr(self, k) for k in ("threshold", "strong_share", "cost_weight", "budget_per_1k", "min_quality")},
                validate=False,
            )
            if is_nway(self.router) and self.models is not None:
                settings["models"] = self.models
            decisions = self.router.route_batch(list(conversations.values()), **settings)
            for i, decision in zip(conversations, decisions):
                results[i] = {"key": decision.route, "input": inputs[i], "decision": decision_record(decision)}
        return [r if r is not None else RuntimeError("no decision") for r in results]

    def _decide(self, value: Any) -> dict[str, Any]:
        result = self._decide_batch([value])[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def _adecide(self, value: Any) -> dict[str, Any]:
        return await run_in_executor(None, self._decide, value)

    async def _adecide_batch(self, inputs: list[Any]) -> list[dict[str, Any] | Exception]:
        return await run_in_executor(None, self._decide_batch, inputs)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> dict[str, Any]:
        return self._call_with_config(self._decide, input, config)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self._acall_with_config(self._adecide, input, config)

    def batch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        return self._batch_with_config(self._decide_batch, inputs, config, return_exceptions=return_exceptions)

    async def abatch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        return await self._abatch_with_config(
            self._adecide_batch, inputs, config, return_exceptions=return_exceptions
        )


def route_runnable(
    runnables: Mapping[str, Runnable[Any, Any] | Callable[[Any], Any]],
    router: Router | NWayRouter | None = None,
    *,
    threshold: float | None = None,
    strong_share: float | None = None,
    cost_weight: float | None = None,
    budget_per_1k: float | None = None,
    min_quality: float | None = None,
    input_key: str | None = None,
    fallback: bool = False,
    resolve: Callable[[str], str] | None = None,
    name: str = "winroute_router",
) -> Runnable[Any, Any]:
    """Route each input to one of several whole chains, scoring it once.

    ``router`` (default: the bundled default router) is a two-model ``core.Router``:
    ``runnables`` maps a route (``"strong"``/``"weak"``) or a model name that the router or
    ``resolve`` knows to a runnable, both routes need one, and ``threshold`` or
    ``strong_share`` set the cut-off. Or it is a ``core.NWayRouter``: ``runnables`` maps
    some of its model names to runnables, each input goes to the chain of the model chosen
    among those, and ``cost_weight``, ``budget_per_1k`` or ``min_quality`` set the trade-off.
    ``input_key`` names the field of dict inputs to route on. With ``fallback``, a chain
    that raises (before its first streamed chunk) hands the input to the other (N-way: the
    others in the order given).
    """
    router = router if router is not None else default_router()
    settings = {
        "threshold": threshold, "strong_share": strong_share,
        "cost_weight": cost_weight, "budget_per_1k": budget_per_1k, "min_quality": min_quality,
    }
    check_settings(router, settings, validate=False)  # settings of the other kind of router fail here
    resolve = resolve or router.resolve_route
    chains: dict[str, Runnable[Any, Any]] = {}
    for key, runnable in runnables.items():
        route = resolve(key)
        if route in chains:
            raise ValueError(f"two runnables given for the {route} route (keys {list(runnables)})")
        chains[route] = coerce_to_runnable(runnable)
    nway = is_nway(router)
    routes = list(chains) if nway else list(ROUTES)
    if nway and not chains:
        raise ValueError("route_runnable needs at least one runnable, keyed by a model of the N-way router")
    missing = [r for r in routes if r not in chains]
    if missing:
        raise ValueError(f"route_runnable needs a runnable for both routes; missing: {missing}")
    check_settings(router, settings, models=routes if nway else None)  # bad settings fail here, not per call
    if fallback and len(routes) > 1:
        chains = {route: chains[route].with_fallbacks([chains[r] for r in routes if r != route]) for route in routes}
    key = RouteKey(router=router, **settings, models=routes if nway else None, input_key=input_key)
    return RunnableSequence(key, RouterRunnable(runnables=chains), name=name)
