"""A RunnableBranch-style router over whole chains: score the input once, run one chain.

``route_runnable({"strong": chain_a, "weak": chain_b})`` (a two-model router) or
``route_runnable({"gpt-4-1106-preview": a, "mixtral-8x7b-instruct-v0.1": b, ...}, router)``
(an N-way router, choosing among the chains given) is ``RouteKey | RouterRunnable``:
``RouteKey`` turns the input into a conversation, asks the core router for a decision and
emits ``{"key": route, "input": input, "decision": record}``; ``RouterRunnable`` runs the
chain for that key. invoke, batch (one embedding batch for all inputs), stream and their
async forms all work; streaming streams the chosen chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableSequence, RunnableSerializable
from langchain_core.runnables.base import coerce_to_runnable
from langchain_core.runnables.config import run_in_executor
from langchain_core.runnables.router import RouterRunnable
from pydantic import ConfigDict

from core import Router, default_router, routing_input
from core.dispatch import check_settings, child_routes
from core.policies import SETTING_NAMES

from .messages import input_to_conversation


class RouteKey(RunnableSerializable[Any, dict[str, Any]]):
    """Scores an input once and says which route takes it (the first step of ``route_runnable``)."""

    router: Router
    threshold: float | None = None  # the per-call settings (core.policies.SETTING_NAMES), None: the router's own
    strong_share: float | None = None
    cost_weight: float | None = None
    budget_per_1k: float | None = None
    min_quality: float | None = None
    models: list[str] | None = None
    """The routes to choose among (the chains' keys); None: all the router's."""
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
            settings = check_settings(self.router, {k: getattr(self, k) for k in SETTING_NAMES}, validate=False)
            decisions = self.router.route_batch(list(conversations.values()), models=self.models, **settings)
            for i, decision in zip(conversations, decisions):
                results[i] = {"key": decision.route, "input": inputs[i], "decision": decision.record()}
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
        return await self._abatch_with_config(self._adecide_batch, inputs, config, return_exceptions=return_exceptions)


def route_runnable(
    runnables: Mapping[str, Runnable[Any, Any] | Callable[[Any], Any]],
    router: Router | None = None,
    *,
    input_key: str | None = None,
    fallback: bool = False,
    resolve: Callable[[str], str] | None = None,
    name: str = "winroute_router",
    **settings: float | None,
) -> Runnable[Any, Any]:
    """Route each input to one of several whole chains, scoring it once.

    ``router`` (default: the bundled default router) is a ``core.Router``; ``runnables`` maps
    its routes or model names (or names ``resolve`` knows) to runnables: both routes of a
    two-model router, some models of an N-way one (each input then goes to the chain of the
    model chosen among those). ``settings`` are the router's per-call settings
    (``core.policies.SETTING_NAMES``: ``threshold`` or ``strong_share`` for two models;
    ``cost_weight``, ``budget_per_1k`` or ``min_quality`` for N). ``input_key`` names the
    field of dict inputs to route on. With ``fallback``, a chain that raises (before its
    first streamed chunk) hands the input to the others, in the order given.
    """
    router = router if router is not None else default_router()
    options: dict[str, Any] = dict(settings)
    router.policy_for(None, **options)  # unknown settings, or settings of the other kind of router, fail here
    resolve = resolve or router.resolve_route
    chains: dict[str, Runnable[Any, Any]] = {}
    for key, runnable in runnables.items():
        route = resolve(key)
        if route in chains:
            raise ValueError(f"two runnables given for the {route} route (keys {list(runnables)})")
        chains[route] = coerce_to_runnable(runnable)
    routes = list(child_routes(router, list(chains), what="runnable").values())  # the routes the router can take
    check_settings(router, settings, models=routes)  # bad settings fail here, not per call
    if fallback and len(routes) > 1:
        chains = {route: chains[route].with_fallbacks([chains[r] for r in routes if r != route]) for route in routes}
    route_key = RouteKey(router=router, **options, models=routes, input_key=input_key)
    return RunnableSequence(route_key, RouterRunnable(runnables=chains), name=name)
