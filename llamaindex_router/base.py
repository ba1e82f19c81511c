"""RouterLLM: a LlamaIndex ``FunctionCallingLLM`` that sends each call to one of its child LLMs.

Two children (strong/weak) with a two-model ``core.Router``, or N children named after the
models of an N-way ``core.Router``. For every call the ``core`` router scores the
conversation's user turns and picks a child;
the call (with its tools, if any) goes to that child's own methods, and the decision is
recorded in ``additional_kwargs[ROUTER_KEY]`` of the response, of every stream chunk and
of the response message, and fired as a ``RouteDecisionEvent``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import aclosing, closing
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.constants import DEFAULT_NUM_OUTPUTS
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import LLM, ToolSelection

from core import Conversation, ModelSpec, RouteDecision, Router, default_router, load_router
from core.default_route import DefaultRoute, decide_or_default
from core.dispatch import Dispatcher, Served, check_settings, child_routes, describe, priced
from core.errors import UnknownModelError
from core.policies import SETTING_NAMES

from .events import RouteFallbackEvent, dispatcher
from .messages import ROUTER_KEY, has_tool_calls, router_record, strip_router_metadata, to_conversation
from .question import routing_question
from .routing import emit_decision

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

R = TypeVar("R")
_TOOL_ONLY_KWARGS = ("allow_parallel_tool_calls", "tool_required", "verbose")


class RouterLLM(FunctionCallingLLM):
    """Routes every chat/complete call between child LLMs with a winroute router.

    Built like ``RouterChatModel``. Two children with a two-model ``core.Router`` (default:
    the bundled default): ``RouterLLM(strong=llm_a, weak=llm_b)`` or
    ``RouterLLM(models={"gpt-4-1106-preview": llm_a, "mixtral-8x7b-instruct-v0.1": llm_b})``
    (keys are routes or the router's model names); ``threshold`` or ``strong_share``
    override its cut-off.

    N children with an N-way ``core.Router`` (``core=`` the router or the path of a saved one):
    ``models=`` (or ``children=``) maps the router's model names to child LLMs; calls are
    routed among the children only. ``specs`` (one ``ModelSpec`` per child) price them for
    routing (default: the router's prices); ``cost_weight``, ``budget_per_1k`` or
    ``min_quality`` set the quality/cost trade-off (default: the router's own).

    Per call, the same settings can be given as kwargs of ``chat``/``complete``/``stream_*``
    and their async forms (``llm.complete(prompt, cost_weight=100.0)``); they are not passed
    to the child. With ``fallback`` a child that fails transiently before producing output
    (connection error, timeout, HTTP 429/5xx, a stream without a chunk; or the types in
    ``fallback_on``) hands the call to the next child (N-way: the others by the decision's
    utility, best first), the record says so and a ``RouteFallbackEvent`` is fired; other
    errors are raised with a note. Dispatch is ``core.dispatch``'s, as for ``RouterChatModel``. Every decision, with each candidate's predicted quality, cost and
    utility for an N-way router, is in ``additional_kwargs["winroute"]`` and fired as a
    ``RouteDecisionEvent``. Children and router are excluded from serialization and repr
    (children may hold API keys).
    """

    strong: Any | None = Field(default=None, exclude=True, repr=False, description="the strong child LLM")
    weak: Any | None = Field(default=None, exclude=True, repr=False, description="the weak child LLM")
    models: dict[str, Any] | None = Field(
        default=None, exclude=True, repr=False, description="alternatively: children by route or model name"
    )
    core: Any | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="the core.Router (two models or N) deciding (None: bundled default)",
    )
    specs: Any | None = Field(
        default=None, exclude=True, repr=False, description="N-way: the children's ModelSpecs (None: the router's)"
    )
    threshold: float | None = Field(default=None, description="score cut-off; None: the router's own")
    strong_share: float | None = Field(default=None, description="target share of strong calls")
    cost_weight: float | None = Field(
        default=None, description="N-way: quality given up per USD of expected cost; None: the router's own"
    )
    budget_per_1k: float | None = Field(
        default=None,
        description="N-way: USD per 1,000 calls, turned into a cost weight on the router's reference prompts",
    )
    min_quality: float | None = Field(
        default=None, description="N-way: route to the cheapest child predicted to reach this quality"
    )
    fallback: bool = Field(default=True, description="retry on another child when the chosen one raises")
    fallback_on: tuple[type, ...] | None = Field(
        default=None,
        exclude=True,
        description="exception types that fall back (like with_fallbacks(exceptions_to_handle=...)); "
        "None: transient failures only (connection, timeout, rate limit, 5xx, empty answer)",
    )
    default_route: str | None = Field(
        default=None,
        description="route (or child name) for conversations with no user text to score (system-only, "
        "image-only); None: such a call raises InvalidConversationError",
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="seconds a child may take to answer (to its first chunk when streaming); None: no limit",
    )

    _children: dict[str, LLM] = PrivateAttr(default_factory=dict)
    _routes: dict[str, str] = PrivateAttr(default_factory=dict)
    _router: Router = PrivateAttr()
    _default: DefaultRoute = PrivateAttr(default_factory=DefaultRoute)

    def __init__(
        self,
        *,
        strong: LLM | None = None,
        weak: LLM | None = None,
        models: Mapping[str, LLM] | None = None,
        core: Router | str | os.PathLike | None = None,
        specs: Sequence[ModelSpec] | Mapping[str, ModelSpec] | None = None,
        fallback: bool = True,
        children: Mapping[str, LLM] | None = None,
        router: Router | str | os.PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        """``kwargs``: the per-call settings (``core.policies.SETTING_NAMES``) and the other fields."""
        if children is not None:
            if models is not None:
                raise ValueError("give either children= or models=, not both")
            models = children
        if router is not None:
            if core is not None:
                raise ValueError("give either router= or core=, not both")
            core = router
        if isinstance(core, (str, os.PathLike)):
            core = load_router(core)
        pair = {name: child for name, child in (("strong", strong), ("weak", weak)) if child is not None}
        if models is not None and pair:
            raise ValueError("give either strong= and weak=, or models=, not both")
        given = dict(models) if models is not None else pair
        base = core if core is not None else default_router()
        if not given:
            raise ValueError(
                "RouterLLM needs its children: strong= and weak=, or models={route or model name: llm, ...} "
                f"(router {base.name!r}: routes {', '.join(base.routes)}; models {', '.join(base.models)})"
            )
        for name, child in given.items():
            if not isinstance(child, LLM):
                raise TypeError(f"child {name!r} must be a LlamaIndex LLM, got {type(child).__name__}")
        super().__init__(
            strong=strong,
            weak=weak,
            models=None if models is None else given,
            core=core,
            specs=specs,
            fallback=fallback,
            **kwargs,
        )
        self._routes = child_routes(base, list(given))
        self._router = priced(base, self._routes, specs)
        settings = {k: getattr(self, k) for k in SETTING_NAMES}
        check_settings(self._router, settings, models=list(self._routes.values()))  # fail now
        self._children = given
        if self.default_route is not None:
            try:
                self._default = DefaultRoute(self._dispatcher().resolve(self.default_route, self.router))
            except UnknownModelError as exc:
                raise ValueError(f"default_route: {exc}") from None

    @property
    def router(self) -> Router:
        """The core router in use: ``core`` (or the shared bundled default), priced by ``specs`` when given."""
        return self._router

    @property
    def children(self) -> dict[str, LLM]:
        """The child LLMs by name (route or model name)."""
        return dict(self._children)

    @classmethod
    def class_name(cls) -> str:
        return "RouterLLM"

    @property
    def metadata(self) -> LLMMetadata:
        """Smallest child context window and output; chat/function calling only if every child has it."""
        metas = [child.metadata for child in self._children.values()]
        outputs = [m.num_output for m in metas if m.num_output and m.num_output > 0]
        names = ", ".join(f"{name}={m.model_name}" for name, m in zip(self._children, metas))
        roles = {m.system_role for m in metas}
        return LLMMetadata(
            context_window=min(m.context_window for m in metas),
            num_output=min(outputs) if outputs else DEFAULT_NUM_OUTPUTS,
            is_chat_model=all(m.is_chat_model for m in metas),
            is_function_calling_model=all(
                m.is_function_calling_model and isinstance(c, FunctionCallingLLM)
                for m, c in zip(metas, self._children.values())
            ),
            model_name=f"winroute:{getattr(self.router, 'name', 'router')}({names})",
            system_role=roles.pop() if len(roles) == 1 else MessageRole.SYSTEM,
        )

    # -- routing ---------------------------------------------------------------------------
    def _settings(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The call's routing settings (popped from its kwargs; this LLM's when it gives none) and the rest."""
        rest = dict(kwargs)
        given = {k: rest.pop(k, None) for k in SETTING_NAMES}
        if all(v is None for v in given.values()):
            given = {k: getattr(self, k) for k in SETTING_NAMES}
        settings = check_settings(self.router, given, validate=False)  # the router checks the values
        return {**settings, "models": list(self._routes.values())}, rest

    def _route(self, conversation: Conversation, settings: dict[str, Any]) -> RouteDecision:
        decision = decide_or_default(self.router, routing_question() or conversation, settings, self._default)
        return self._announce(decision)

    async def _aroute(self, conversation: Conversation, settings: dict[str, Any]) -> RouteDecision:
        decision = await asyncio.to_thread(
            decide_or_default, self.router, routing_question() or conversation, settings, self._default
        )
        return self._announce(decision)

    def _announce(self, decision: RouteDecision) -> RouteDecision:
        emit_decision(decision, self._dispatcher().child(decision.route), "llm")
        return decision

    # -- dispatching (core.dispatch) -------------------------------------------------------------
    def _dispatcher(self, decision: RouteDecision | None = None) -> Dispatcher:
        """Calls the children with this LLM's fallback settings; a fallback from ``decision`` fires a
        ``RouteFallbackEvent``."""
        labels = {route: name for name, route in self._routes.items()}
        on_fallback = None if decision is None else partial(_fire_fallback, decision, labels)
        return Dispatcher.of(self, list(labels), labels, on_fallback=on_fallback)

    def _quiet(self, name: str) -> LLM:
        """The child to call, without the callback handlers the router shares with it.

        The router fires one LLM event pair per call (with the child's response and usage);
        a child sharing a handler with it (``Settings.callback_manager`` set before both were
        built, e.g. a ``TokenCountingHandler``) would fire a second and count tokens twice. Such
        a child is called as a shallow copy whose callback manager keeps only its own handlers.
        """
        child = self._children[name]
        mine = self.callback_manager.handlers if self.callback_manager is not None else []
        theirs = child.callback_manager.handlers if child.callback_manager is not None else []
        if not any(h in mine for h in theirs):
            return child
        manager = CallbackManager()
        manager.handlers = [h for h in theirs if h not in mine]  # CallbackManager([]) would take the global ones
        return child.model_copy(update={"callback_manager": manager})

    def _record(self, dispatch: Dispatcher, decision: RouteDecision, served: Served[Any]) -> dict[str, Any]:
        model = self._children[dispatch.child(served.route)].metadata.model_name
        return dispatch.record(decision, served, child_model=model)

    def _run(self, decision: RouteDecision, call: Callable[[LLM], R]) -> tuple[R, dict[str, Any]]:
        dispatch = self._dispatcher(decision)
        served = dispatch.run(decision, lambda route: call(self._quiet(dispatch.child(route))))
        return served.value, self._record(dispatch, decision, served)

    async def _arun(self, decision: RouteDecision, call: Callable[[LLM], Awaitable[R]]) -> tuple[R, dict[str, Any]]:
        dispatch = self._dispatcher(decision)
        served = await dispatch.arun(decision, lambda route: call(self._quiet(dispatch.child(route))))
        return served.value, self._record(dispatch, decision, served)

    def _run_stream(
        self, decision: RouteDecision, start: Callable[[LLM], Iterator[R]], mark: Callable[[R, dict], R]
    ) -> Iterator[R]:
        """The chosen child's stream, each chunk marked; started (and fallen back) on first iteration."""
        dispatch = self._dispatcher(decision)

        def gen() -> Iterator[R]:
            served = dispatch.stream(decision, lambda route: start(self._quiet(dispatch.child(route))))
            record = self._record(dispatch, decision, served)
            with closing(served.value) as chunks:
                for chunk in chunks:
                    yield mark(chunk, record)

        return gen()

    def _arun_stream(
        self,
        decision: RouteDecision,
        start: Callable[[LLM], Awaitable[AsyncIterator[R]]],
        mark: Callable[[R, dict], R],
    ) -> AsyncIterator[R]:
        dispatch = self._dispatcher(decision)

        async def gen() -> AsyncIterator[R]:
            served = await dispatch.astream(decision, lambda route: start(self._quiet(dispatch.child(route))))
            record = self._record(dispatch, decision, served)
            async with aclosing(served.value) as chunks:  # type: ignore[type-var]
                async for chunk in chunks:
                    yield mark(chunk, record)

        return gen()

    # -- chat --------------------------------------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        settings, kwargs = self._settings(kwargs)
        decision = self._route(to_conversation(messages), settings)
        clean, (tools, rest) = strip_router_metadata(messages), _split_tools(kwargs)

        def call(child: LLM) -> ChatResponse:
            if tools is None:
                return child.chat(clean, **rest)
            return _tool_caller(child).chat_with_tools(tools, chat_history=list(clean), **rest)

        response, record = self._run(decision, call)
        return _mark_chat(response, record)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        settings, kwargs = self._settings(kwargs)
        decision = await self._aroute(to_conversation(messages), settings)
        clean, (tools, rest) = strip_router_metadata(messages), _split_tools(kwargs)

        async def call(child: LLM) -> ChatResponse:
            if tools is None:
                return await child.achat(clean, **rest)
            return await _tool_caller(child).achat_with_tools(tools, chat_history=list(clean), **rest)

        response, record = await self._arun(decision, call)
        return _mark_chat(response, record)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        settings, kwargs = self._settings(kwargs)
        decision = self._route(to_conversation(messages), settings)
        clean, (tools, rest) = strip_router_metadata(messages), _split_tools(kwargs)

        def start(child: LLM) -> ChatResponseGen:
            if tools is None:
                return child.stream_chat(clean, **rest)
            return _tool_caller(child).stream_chat_with_tools(tools, chat_history=list(clean), **rest)

        return self._run_stream(decision, start, _mark_chat)  # type: ignore[return-value]

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        settings, kwargs = self._settings(kwargs)
        decision = await self._aroute(to_conversation(messages), settings)
        clean, (tools, rest) = strip_router_metadata(messages), _split_tools(kwargs)

        async def start(child: LLM) -> ChatResponseAsyncGen:
            if tools is None:
                return await child.astream_chat(clean, **rest)
            return await _tool_caller(child).astream_chat_with_tools(tools, chat_history=list(clean), **rest)

        return self._arun_stream(decision, start, _mark_chat)  # type: ignore[return-value]

    # -- complete ----------------------------------------------------------------------------
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        settings, kwargs = self._settings(kwargs)
        decision = self._route(prompt, settings)
        response, record = self._run(decision, lambda c: c.complete(prompt, formatted=formatted, **kwargs))
        return _mark_completion(response, record)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        settings, kwargs = self._settings(kwargs)
        decision = await self._aroute(prompt, settings)

        async def call(child: LLM) -> CompletionResponse:
            return await child.acomplete(prompt, formatted=formatted, **kwargs)

        response, record = await self._arun(decision, call)
        return _mark_completion(response, record)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        settings, kwargs = self._settings(kwargs)
        decision = self._route(prompt, settings)
        return self._run_stream(  # type: ignore[return-value]
            decision, lambda c: c.stream_complete(prompt, formatted=formatted, **kwargs), _mark_completion
        )

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        settings, kwargs = self._settings(kwargs)
        decision = await self._aroute(prompt, settings)

        async def start(child: LLM) -> CompletionResponseAsyncGen:
            return await child.astream_complete(prompt, formatted=formatted, **kwargs)

        return self._arun_stream(decision, start, _mark_completion)  # type: ignore[return-value]

    # -- tools -------------------------------------------------------------------------------
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The kwargs of ``chat``: the messages plus the tools and tool options for the chosen child."""
        messages = list(chat_history or [])
        if user_msg:
            messages.append(
                ChatMessage(role=MessageRole.USER, content=user_msg) if isinstance(user_msg, str) else user_msg
            )
        return {
            "messages": messages,
            "tools": list(tools),
            "verbose": verbose,
            "allow_parallel_tool_calls": allow_parallel_tool_calls,
            "tool_required": tool_required,
            **kwargs,
        }

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Tool calls parsed by the child that answered; placeholder responses give none."""
        record = router_record(response)
        name = record.get("child") if record else None
        child = self._children.get(name) if isinstance(name, str) else None
        if isinstance(child, FunctionCallingLLM):
            return child.get_tool_calls_from_response(response, error_on_no_tool_call=error_on_no_tool_call, **kwargs)
        if has_tool_calls(response.message):  # not ours (e.g. rebuilt by a framework): any child that parses it
            for other in self._children.values():
                if isinstance(other, FunctionCallingLLM):
                    try:
                        calls = other.get_tool_calls_from_response(response, error_on_no_tool_call=False, **kwargs)
                    except Exception:  # noqa: BLE001 - another child's format
                        continue
                    if calls:
                        return calls
        if error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but got 0 tool calls.")
        return []


# -- helpers -----------------------------------------------------------------------------------
def _split_tools(kwargs: Mapping[str, Any]) -> tuple[list | None, dict[str, Any]]:
    """Separate ``tools`` from the other kwargs; tool-only options are dropped without tools."""
    rest = dict(kwargs)
    tools = rest.pop("tools", None)
    if tools is None:
        for key in _TOOL_ONLY_KWARGS:
            rest.pop(key, None)
    return (None if tools is None else list(tools)), rest


def _tool_caller(child: LLM) -> FunctionCallingLLM:
    if not isinstance(child, FunctionCallingLLM):
        raise TypeError(f"{type(child).__name__} is not a FunctionCallingLLM: it cannot be given tools")
    return child


def _fire_fallback(decision: RouteDecision, labels: Mapping[str, str], failed: str, nxt: str, exc: Exception) -> None:
    """A ``RouteFallbackEvent`` for the instrumentation dispatcher (``Dispatcher``'s ``on_fallback``)."""
    dispatcher.event(
        RouteFallbackEvent(
            decision=decision.record(),
            failed_child=labels[failed],
            fallback_child=labels[nxt],
            error=describe(exc),
        )
    )


def _mark_chat(response: ChatResponse, record: dict[str, Any]) -> ChatResponse:
    response.additional_kwargs = {**(response.additional_kwargs or {}), ROUTER_KEY: dict(record)}
    response.message.additional_kwargs = {**(response.message.additional_kwargs or {}), ROUTER_KEY: dict(record)}
    return response


def _mark_completion(response: CompletionResponse, record: dict[str, Any]) -> CompletionResponse:
    response.additional_kwargs = {**(response.additional_kwargs or {}), ROUTER_KEY: dict(record)}
    return response
