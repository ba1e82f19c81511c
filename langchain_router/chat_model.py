"""RouterChatModel: a LangChain chat model that routes each call to one of its children.

Two children (strong/weak) with a two-model ``core.Router``, or N children named after the
models of an N-way ``core.Router``. The adapter is thin: it turns the messages into a
conversation, asks the core router for a decision, calls the chosen child's own
``_generate`` / ``_stream`` inside the router's run, and records the decision on the
answer (``response_metadata["winroute"]``).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import aclosing, closing
from dataclasses import dataclass
from typing import Any, Self

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import run_in_executor
from pydantic import Field, PrivateAttr, field_validator, model_validator

from core import (
    InvalidConversationError,
    ModelSpec,
    RouteDecision,
    Router,
    UnknownModelError,
    default_router,
    load_router,
    routing_input,
)
from core.child_calls import EmptyAnswerError
from core.costs import specs_by_name
from core.default_route import DefaultRoute, decide_or_default
from core.dispatch import Dispatcher, Served, check_settings, child_routes, priced
from core.policies import SETTING_NAMES

from . import children as delegate
from .messages import to_conversation
from .profiles import common_profile
from .records import StreamMarker, mark_result, trace_child
from .runnable import route_runnable
from .structured import STRUCTURED_KEY, split_structured, structured_runnable

logger = logging.getLogger(__name__)

_ALIASES = (("children", "models"), ("router", "core"))
_TOOL_KWARGS = ("tools", "tool_choice", "tool_options")
_STRUCTURED_KWARGS = ("ls_structured_output_format", "structured_output_format")


@dataclass(frozen=True)
class _Call:
    """One call, prepared: the decision, and what the child gets."""

    decision: RouteDecision
    forced: bool
    stop: list[str] | None
    kwargs: dict[str, Any]
    tools: delegate.ToolSpec | None
    structured: Mapping[str, dict[str, Any]] | None = None


class RouterChatModel(BaseChatModel):
    """Routes each call to one of its child chat models with a winroute router.

    Two children, with a two-model ``core.Router`` (default: the bundled default router,
    offline): ``strong=`` and ``weak=``, or ``models=``, a mapping whose keys are routes
    (``"strong"``/``"weak"``) or the router's model names. ``threshold`` or ``strong_share``
    set the cut-off (default: the router's own threshold).

    N children, with an N-way ``core.Router`` (``core=``, the router or the path of a saved one):
    ``models=`` (or ``children=``) maps each of the router's model names to its child; the
    router may know more models than there are children: calls are routed among the
    children only. ``specs`` (a list of ``ModelSpec`` or a mapping of names to them, one per
    child) price the children for routing; without it the router's own prices apply.
    ``cost_weight`` (quality per USD given up), ``budget_per_1k`` (USD per 1,000 calls, on the
    router's reference prompts) or ``min_quality`` (the cheapest child predicted to reach it)
    set the trade-off (default: the router's own).

    Per call (kwargs of ``invoke``/``stream``/``bind``): ``model=`` a route or a child's name
    forces that child; ``threshold=`` / ``strong_share=`` (two-model) or ``cost_weight=`` /
    ``budget_per_1k=`` / ``min_quality=`` (N-way) override the model's settings. The fields
    can also be made configurable with ``configurable_fields``.

    Routing reads the user turns only. Inside a tool-call turn (tool results or pending tool
    calls after the last user message) the call stays with the child that started the turn
    (reason ``"sticky: inside a tool-call turn"``), read back from the AI message's record.

    The decision is recorded under ``response_metadata["winroute"]`` (the router's decision,
    with every candidate's predicted ``qualities``, ``costs`` and ``utilities`` for an N-way
    router, plus ``child``, ``child_route``, ``child_model``, ``forced``, ``fallback``,
    ``fallback_from``, ``error``); the child's ``model_name`` and ``usage_metadata`` are kept.
    When streaming, the record is on the first chunk and ``model_name`` on one chunk.

    With ``fallback`` (default), a child that fails transiently before answering (or before
    its first streamed chunk: connection error, timeout, HTTP 429/5xx, an empty answer; or the
    types in ``fallback_on``) hands the call to the next child: the other one, or with N
    children the others by the decision's utility, best first. Other errors (a 404 for an
    unknown model name, a bad request) are raised. ``timeout`` bounds each child's answer.
    An error after streaming started is raised with a note, never swallowed. Children may be
    ``init_chat_model`` strings (``strong="openai:gpt-4o"``); ``default_route`` takes
    conversations with no user text to score; ``profile`` is what every child supports. ``temperature`` / ``max_tokens``, when set, are
    passed to the chosen child as call kwargs; ``stop`` is the default stop list. The
    children's own callbacks, cache and ``output_version`` are not used: the router's are.
    Bind tools on the router (``bind_tools``), not on the children.

    Example:
        ```python
        from langchain_openai import ChatOpenAI
        from langchain_router import RouterChatModel

        llm = RouterChatModel(strong=ChatOpenAI(model="gpt-4o"), weak=ChatOpenAI(model="gpt-4o-mini"))
        answer = llm.invoke("Prove that sqrt(2) is irrational.")
        answer.response_metadata["winroute"]["child"]  # who answered; "reason" says why

        llm = RouterChatModel(
            core="router-nway",  # a saved N-way router, e.g. from `winroute train`
            models={"gpt-4-1106-preview": ChatOpenAI(model="gpt-4-1106-preview"),
                    "gpt-3.5-turbo-1106": ChatOpenAI(model="gpt-3.5-turbo-1106")},
            cost_weight=50.0,
        )
        llm.invoke("Write a SQL query that finds duplicate emails.", min_quality=0.8)
        ```
    """

    strong: BaseChatModel | None = Field(default=None, exclude=True)
    """The strong (expensive) child of a two-model router."""
    weak: BaseChatModel | None = Field(default=None, exclude=True)
    """The weak (cheap) child of a two-model router."""
    models: dict[str, BaseChatModel] | None = Field(default=None, exclude=True)
    """Children by route or the router's model name (``children=`` is the same): two for a
    two-model router, one or more for an N-way router."""
    core: Router | None = Field(default=None, exclude=True)
    """The winroute router that decides, or the path of a saved one (``router=`` is the same;
    default: the bundled default router)."""
    specs: list[ModelSpec] | dict[str, ModelSpec] | None = Field(default=None, exclude=True)
    """N-way: the children's prices (one ``ModelSpec`` per child); default: the router's own."""
    threshold: float | None = None
    """Two-model: score at or above which a call goes strong (default: the router's own)."""
    strong_share: float | None = None
    """Two-model: target share of strong calls, turned into a threshold on the router's reference scores."""
    cost_weight: float | None = None
    """N-way: quality given up per USD of expected cost (utility ``quality - cost_weight * cost``)."""
    budget_per_1k: float | None = None
    """N-way: USD per 1,000 calls, turned into a cost weight on the router's reference prompts."""
    min_quality: float | None = None
    """N-way: route to the cheapest child predicted to reach this quality (0 to 1)."""
    fallback: bool = True
    """Whether a failing child hands the call to another one."""
    streaming: bool = False
    """Whether ``invoke`` streams from the child under the hood."""
    temperature: float | None = None
    """Passed to the chosen child as a call kwarg when set."""
    max_tokens: int | None = None
    """Passed to the chosen child as a call kwarg when set."""
    stop: list[str] | None = None
    """Default stop sequences."""
    fallback_on: tuple[type[BaseException], ...] | None = None
    """Exception types that hand a call to another child (like ``with_fallbacks(exceptions_to_handle=...)``);
    None: transient failures only (connection, timeout, rate limit, 5xx, empty answer), so that a
    configuration or request error (a 404 for an unknown model, a bad request) is raised."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds a child may take to answer (to its first chunk when streaming); a child over it
    raises ``ChildTimeoutError`` (a transient failure: the call falls back). None: no limit."""
    default_route: str | None = None
    """Route (or child name) for conversations with no user text to score (system-only,
    image-only); None: such a call raises ``InvalidConversationError``."""

    _routes: tuple[str, ...] = PrivateAttr(default=())
    _children: dict[str, BaseChatModel] = PrivateAttr(default_factory=dict)
    _labels: dict[str, str] = PrivateAttr(default_factory=dict)
    _aliases: dict[str, set[str]] = PrivateAttr(default_factory=dict)
    _router: Router = PrivateAttr()
    _default: DefaultRoute = PrivateAttr(default_factory=DefaultRoute)

    # -- construction ----------------------------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _accept_aliases(cls, data: Any) -> Any:
        """``children=`` is ``models=`` and ``router=`` is ``core=``."""
        if isinstance(data, dict):
            data = dict(data)
            for alias, field in _ALIASES:
                if alias in data:
                    if data.get(field) is not None:
                        raise ValueError(f"give either {alias}= or {field}=, not both")
                    data[field] = data.pop(alias)
        return data

    @field_validator("strong", "weak", mode="before")
    @classmethod
    def _init_child(cls, value: Any) -> Any:
        """A string child is a model for ``init_chat_model`` (``"openai:gpt-4o"``)."""
        return _init_chat_model(value) if isinstance(value, str) else value

    @field_validator("models", mode="before")
    @classmethod
    def _init_children(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: _init_chat_model(v) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("core", mode="before")
    @classmethod
    def _load_core(cls, value: Any) -> Any:
        """A path names a saved router (two-model or N-way)."""
        return load_router(value) if isinstance(value, (str, os.PathLike)) else value

    @model_validator(mode="after")
    def _resolve_children(self) -> Self:
        """Map each child to the route it serves, price the children, and check the settings."""
        core = self.core if self.core is not None else default_router()
        given = self._given_children(core)
        try:
            keyed = child_routes(core, list(given))  # child name -> route
        except UnknownModelError as exc:
            raise ValueError(f"models=: {exc}") from None
        self._router = priced(core, keyed, self.specs)
        check_settings(self._router, {k: getattr(self, k) for k in SETTING_NAMES}, models=list(keyed.values()))
        self._routes = tuple(keyed.values())
        self._children = {route: given[key] for key, route in keyed.items()}
        # a child keyed by a route that is no model (strong/weak) is named after its own model; else by its key
        labels = {
            route: delegate.model_name(given[key]) if key.strip().lower() == route and route not in core.models else key
            for key, route in keyed.items()
        }
        if len(set(labels.values())) < len(labels):
            labels = {route: f"{label}@{route}" for route, label in labels.items()}
        self._labels = labels
        self._aliases = {route: {labels[route], key, delegate.model_name(given[key])} for key, route in keyed.items()}
        if self.default_route is not None:
            try:
                self._default = DefaultRoute(self.resolve(self.default_route))
            except UnknownModelError as exc:
                raise ValueError(f"default_route: {exc}") from None
        if self.profile is None:
            self.profile = common_profile([child.profile for child in self._children.values()])
        return self

    def _given_children(self, core: Router) -> dict[str, BaseChatModel]:
        """The children by the name given: ``models=``, or ``strong=`` / ``weak=`` (the routes' names)."""
        pair = {name: child for name, child in (("strong", self.strong), ("weak", self.weak)) if child is not None}
        if self.models is not None and pair:
            raise ValueError("give either strong= and weak=, or models=, not both")
        given = dict(self.models) if self.models is not None else pair
        if not given:
            raise ValueError(
                "RouterChatModel needs its children: strong= and weak=, or models={route or model name: child, ...} "
                f"(router {core.name!r}: routes {', '.join(core.routes)}; models {', '.join(core.models)})"
            )
        return given

    @property
    def router(self) -> Router:
        """The core router in use: ``core`` (or the shared bundled default), priced by ``specs`` when given."""
        return self._router

    @property
    def children(self) -> dict[str, BaseChatModel]:
        """The children by route (``"strong"``/``"weak"``, or the N-way router's model names)."""
        return dict(self._children)

    @property
    def child_names(self) -> dict[str, str]:
        """The children's names by route (as in the records and for ``model=``)."""
        return dict(self._labels)

    def resolve(self, name: str) -> str:
        """The route of a child: a route, a child's name or model, or a router model name a child serves."""
        return self._dispatcher().resolve(name, self.router)

    def _dispatcher(self) -> Dispatcher:
        """Calls the children with this model's fallback settings (``core.dispatch``)."""
        return Dispatcher.of(self, self._routes, self._labels, aliases=self._aliases)

    # -- LangChain identity ------------------------------------------------------------------
    @property
    def _llm_type(self) -> str:
        return "winroute-router"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        router = self.router
        params: dict[str, Any] = {
            "router": router.name,
            "router_models": {route: router.model_for(route) for route in router.routes},
            **{f"router_{k}": v for k, v in router.resolved_policy(None, self._routes).fields().items()},
            **{k: getattr(self, k) for k in router.settings},
        }
        if self.specs is not None:
            params["specs"] = {name: spec.as_dict() for name, spec in specs_by_name(self.specs).items()}
        params.update(
            fallback=self.fallback,
            routes=dict(self._labels),
            children={
                route: {"_type": child._llm_type, **child._identifying_params}
                for route, child in self._children.items()
            },
        )
        params.update(self._default_kwargs())
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider="winroute", ls_model_type="chat")
        model = kwargs.get("model")
        if isinstance(model, str):
            try:
                params["ls_model_name"] = self._labels[self.resolve(model)]
            except UnknownModelError:
                params["ls_model_name"] = model
        else:
            params["ls_model_name"] = "winroute:" + "|".join(self._labels[r] for r in self._routes)
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _default_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in (("temperature", self.temperature), ("max_tokens", self.max_tokens)) if v is not None}

    # -- deciding ----------------------------------------------------------------------------
    def _prepare(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> _Call:
        """Split router kwargs from child kwargs and decide where the call goes."""
        kwargs = dict(kwargs)
        forced = kwargs.pop("model", None)
        settings = {k: kwargs.pop(k, None) for k in SETTING_NAMES}
        tools, tool_choice, tool_options = (kwargs.pop(k, None) for k in _TOOL_KWARGS)
        structured = kwargs.pop(STRUCTURED_KEY, None)
        for key in _STRUCTURED_KWARGS:
            kwargs.pop(key, None)
        # an empty tool list still carries options (create_agent binds response_format that way)
        spec = delegate.ToolSpec(list(tools), tool_choice, dict(tool_options or {})) if tools or tool_options else None
        decision = self._decide(messages, forced, settings)
        return _Call(
            decision,
            forced is not None,
            stop if stop is not None else self.stop,
            {**self._default_kwargs(), **kwargs},
            spec,
            structured,
        )

    def _settings(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The call's routing settings when it gives any, else this model's."""
        if all(v is None for v in given.values()):
            given = {k: getattr(self, k) for k in SETTING_NAMES}
        return check_settings(self.router, given, validate=False)  # the router checks the values

    def _decide(self, messages: list[BaseMessage], forced: Any, given: Mapping[str, Any]) -> RouteDecision:
        router = self.router
        if not messages:
            raise InvalidConversationError("cannot route an empty conversation (no messages)")
        if forced is not None:
            route = self.resolve(forced)
            return RouteDecision(
                router.model_for(route), route, math.nan, math.nan, f"forced: model={forced!r}", False, router.name
            )
        settings = {**self._settings(given), "models": list(self._routes)}
        try:
            return decide_or_default(router, to_conversation(messages), settings, self._default)
        except InvalidConversationError as exc:
            names = " or ".join(f"model={route!r}" for route in self._routes)
            raise InvalidConversationError(f"{exc}; pass {names} to choose a child without routing") from exc

    def _bind(self, route: str, call: _Call) -> tuple[BaseChatModel, dict[str, Any]]:
        """The child to call and its kwargs: the call's, over what its tool / structured-output binding would pass."""
        child, bound = delegate.bind_child(self._children[route], call.tools)
        if call.structured is not None:
            bound = {**bound, **call.structured[route]}
        return child, {**bound, **call.kwargs}

    def _record(self, dispatch: Dispatcher, call: _Call, served: Served[Any]) -> dict[str, Any]:
        child = self._children[served.route]
        return dispatch.record(
            call.decision,
            served,
            child_model=delegate.model_name(child),
            child_provider=delegate.provider(child),
            forced=call.forced,
        )

    # -- generating --------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = self._prepare(messages, stop, kwargs)
        dispatch = self._dispatcher()

        def generate(route: str) -> ChatResult:
            child, child_kwargs = self._bind(route, call)
            result = delegate.generate(child, messages, call.stop, run_manager, child_kwargs)
            return _checked(result, dispatch.who(route))

        served = dispatch.run(call.decision, generate)
        return mark_result(served.value, trace_child(run_manager, self._record(dispatch, call, served)))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = await run_in_executor(None, self._prepare, messages, stop, kwargs)
        dispatch = self._dispatcher()

        async def agenerate(route: str) -> ChatResult:
            child, child_kwargs = self._bind(route, call)
            result = await delegate.agenerate(child, messages, call.stop, run_manager, child_kwargs)
            return _checked(result, dispatch.who(route))

        served = await dispatch.arun(call.decision, agenerate)
        return mark_result(served.value, trace_child(run_manager, self._record(dispatch, call, served)))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        call = self._prepare(messages, stop, kwargs)

        def start(route: str) -> Iterator[ChatGenerationChunk]:
            child, child_kwargs = self._bind(route, call)
            return delegate.stream(child, messages, call.stop, run_manager, child_kwargs)

        dispatch = self._dispatcher()
        served = dispatch.stream(call.decision, start)
        marker = StreamMarker(
            trace_child(run_manager, self._record(dispatch, call, served)), self._labels[served.route]
        )
        with closing(served.value) as chunks:
            for chunk in chunks:
                yield marker.mark(chunk)
        if (tail := marker.tail()) is not None:
            yield tail

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        call = await run_in_executor(None, self._prepare, messages, stop, kwargs)

        def start(route: str) -> AsyncIterator[ChatGenerationChunk]:
            child, child_kwargs = self._bind(route, call)
            return delegate.astream(child, messages, call.stop, run_manager, child_kwargs)

        dispatch = self._dispatcher()
        served = await dispatch.astream(call.decision, start)
        marker = StreamMarker(
            trace_child(run_manager, self._record(dispatch, call, served)), self._labels[served.route]
        )
        async with aclosing(served.value) as chunks:  # type: ignore[type-var]
            async for chunk in chunks:
                yield marker.mark(chunk)
        if (tail := marker.tail()) is not None:
            yield tail

    # -- tools, structured output, chains ----------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools on the router; each call binds them through the chosen child's ``bind_tools``.

        ``tool_choice`` and other options (e.g. ``parallel_tool_calls``, ``strict``) are handed
        to the child's ``bind_tools`` as given, so each child formats them its own way.
        """
        bound: dict[str, Any] = {"tools": list(tools)}
        for key in (*_STRUCTURED_KWARGS, *SETTING_NAMES, "model"):  # the router's own kwargs stay with it
            if key in kwargs:
                bound[key] = kwargs.pop(key)
        if tool_choice is not None:
            bound["tool_choice"] = tool_choice
        if kwargs:
            bound["tool_options"] = kwargs
        return self.bind(**bound)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: str = "json_schema",
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Structured output in one routed call, each child formatting it its own way.

        ``method`` defaults to ``"json_schema"`` (as ``ChatOpenAI``'s); each child gets what its
        own ``with_structured_output(schema, method=method, **kwargs)`` would bind (a child
        without that method, e.g. one with only tool calling, does what it does for it), and
        the answer is parsed by the parser of the child that gave it. A parsing error is
        raised (with ``include_raw``: returned under ``parsing_error``), never retried on
        another child; the raw message carries the routing record.
        """
        per_route = {route: split_structured(child, schema, method, kwargs) for route, child in self._children.items()}
        tracing = {"kwargs": {"method": method, **kwargs}, "schema": schema}
        return structured_runnable(self, per_route, include_raw=include_raw, tracing=tracing)

    def as_runnable(
        self,
        runnables: Mapping[str, Runnable[Any, Any] | Callable[[Any], Any]],
        *,
        input_key: str | None = None,
        fallback: bool | None = None,
    ) -> Runnable[Any, Any]:
        """Route whole chains with this model's router and settings (see ``route_runnable``).

        Keys are routes, children's names or core model names (with an N-way router, any of
        its models: the input is routed among the chains given); ``fallback`` defaults to
        this model's setting.
        """
        return route_runnable(
            runnables,
            self.router,
            **{k: getattr(self, k) for k in SETTING_NAMES},
            input_key=input_key,
            fallback=self.fallback if fallback is None else fallback,
            resolve=self._resolve_chain_key,
        )

    def _resolve_chain_key(self, key: str) -> str:
        try:
            return self.resolve(key)
        except UnknownModelError:
            return self.router.resolve_route(key)  # any model of the router: chains need not match the children

    # -- batching and token counting --------------------------------------------------------
    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        if "model" not in kwargs:
            self._warm(inputs)
        return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        if "model" not in kwargs:
            await run_in_executor(None, self._warm, inputs)
        return await super().abatch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    def _warm(self, inputs: Sequence[LanguageModelInput]) -> None:
        """Embed a batch's prompts in one go, so the per-call routing hits the embedder's cache."""
        conversations = []
        for value in inputs:
            try:
                conversation = to_conversation(self._convert_input(value).to_messages())
                routing_input(conversation)
            except Exception:  # noqa: BLE001 - the call itself reports it
                continue
            conversations.append(conversation)
        if len(conversations) > 1:
            try:
                router = self.router
                router.embedder.embed(
                    [routing_input(c, last_k_user_turns=router.last_k_user_turns).text for c in conversations]
                )
            except Exception:  # noqa: BLE001 - warming is best effort
                logger.debug("winroute: warming the embedding cache failed", exc_info=True)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        """Counted by the strong child (the one whose context window usually matters); N-way: the first child."""
        return self._children[self._routes[0]].get_num_tokens_from_messages(messages, tools=tools)

    def get_token_ids(self, text: str) -> list[int]:
        """Tokenised by the strong child; N-way: the first child."""
        return self._children[self._routes[0]].get_token_ids(text)


def _checked(result: ChatResult, who: str) -> ChatResult:
    """A child's result with no generation is an empty answer (may fall back), not an IndexError later."""
    if not result.generations:
        raise EmptyAnswerError(f"{who} returned no generations")
    return result


def _init_chat_model(spec: str) -> BaseChatModel:
    """``init_chat_model(spec)`` (the ``langchain`` package), with a clear error when it is missing."""
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:  # pragma: no cover - the langchain extra installs it
        raise ImportError(
            f"a child given as a string ({spec!r}) is built with langchain's init_chat_model: "
            'pip install "winroute[langchain]"'
        ) from exc
    return init_chat_model(spec)
