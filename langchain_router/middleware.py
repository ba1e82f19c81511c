"""RouterMiddleware: an agent middleware that routes every model call of a ``create_agent`` run.

LangChain's own ``ModelRouterMiddleware`` (with ``WinrouteDecisionModel`` as its classifier)
decides once per agent run, on the latest user message. ``RouterMiddleware`` decides at
every model call, as ``RouterChatModel`` does: on the latest user turn, sticky inside a
tool-call turn (the child that started it finishes it), with fallback to the other child
on a transient failure. Each call's routing record is on the AI message
(``response_metadata["winroute"]``) and the latest one in the agent's state (``winroute``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NotRequired

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ExtendedModelResponse
from langchain_core.messages import AIMessage
from langgraph.types import Command

from core.policies import SETTING_NAMES

from .chat_model import RouterChatModel
from .messages import ROUTER_KEY, router_record

POLICY_KEY = "winroute_policy"
"""State (or runtime context) key of per-run routing settings, e.g. ``{"strong_share": 0.2}``."""
_POLICY = frozenset(SETTING_NAMES)


class RouterState(AgentState):
    """Agent state with the latest routing record and optional per-run routing settings."""

    winroute: NotRequired[dict[str, Any]]
    winroute_policy: NotRequired[dict[str, Any]]


class RouterMiddleware(AgentMiddleware[RouterState]):
    """Routes each model call of an agent between the children of a ``RouterChatModel``.

    ``RouterMiddleware(strong=big, weak=small)`` (any ``RouterChatModel`` arguments: ``core``,
    ``models``, ``threshold``, ``strong_share``, ``fallback``, ``fallback_on``, ``timeout``,
    ``default_route`` ...) or ``RouterMiddleware(router=RouterChatModel(...))``. The agent's own
    model is replaced at each call; pass either child (or any model) to ``create_agent``.

    Per run, routing settings may be given in the input state or the runtime context under
    ``"winroute_policy"`` (``agent.invoke({"messages": [...], "winroute_policy":
    {"threshold": 0.3}})``); the state's win over the context's.

    Prefer it over ``ModelRouterMiddleware`` + ``WinrouteDecisionModel`` when calls inside one
    run differ (a follow-up turn in a thread, a long tool loop whose answer the weak model can
    write), or when you want fallback and per-call records; prefer ``ModelRouterMiddleware``
    to fix one model for the whole run, or to route on labels with your own criteria.
    """

    state_schema = RouterState

    def __init__(self, router: RouterChatModel | None = None, **kwargs: Any) -> None:
        if router is not None and kwargs:
            raise ValueError(f"give either router= or RouterChatModel arguments ({', '.join(kwargs)}), not both")
        self.router = router if router is not None else RouterChatModel(**kwargs)
        if not isinstance(self.router, RouterChatModel):
            raise TypeError(f"router= must be a RouterChatModel, got {type(self.router).__name__}")

    def _policy(self, request: ModelRequest[Any]) -> dict[str, Any]:
        context = request.runtime.context if request.runtime is not None else None
        merged: dict[str, Any] = {}
        for source in (context, request.state):
            value = source.get(POLICY_KEY) if isinstance(source, Mapping) else getattr(source, POLICY_KEY, None)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise TypeError(f"{POLICY_KEY} must be a mapping of routing settings, got {type(value).__name__}")
            unknown = sorted(set(value) - _POLICY)
            if unknown:
                raise ValueError(f"{POLICY_KEY}: unknown routing setting(s) {unknown}; known: {sorted(_POLICY)}")
            merged.update(value)
        return merged

    def _routed(self, request: ModelRequest[Any]) -> ModelRequest[Any]:
        settings = {**request.model_settings, **self._policy(request)}
        return request.override(model=self.router, model_settings=settings)

    @staticmethod
    def _with_record(response: Any) -> Any:
        """The response, plus a state update with the call's routing record."""
        inner = response.model_response if isinstance(response, ExtendedModelResponse) else response
        messages = inner.result if isinstance(inner, ModelResponse) else [inner]
        record = next((r for m in messages if isinstance(m, AIMessage) and (r := router_record(m))), None)
        if record is None or isinstance(response, ExtendedModelResponse):
            return response
        return ExtendedModelResponse(model_response=inner, command=Command(update={ROUTER_KEY: record}))

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> Any:
        """Route this call (fallback and stickiness happen inside the router)."""
        return self._with_record(handler(self._routed(request)))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> Any:
        """Async twin of ``wrap_model_call``."""
        return self._with_record(await handler(self._routed(request)))
