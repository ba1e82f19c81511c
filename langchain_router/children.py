"""Calling a child chat model through its private hooks, inside the router's own run.

``RouterChatModel`` delegates to the chosen child's ``_generate`` / ``_stream`` (not its
public ``invoke``), so that callbacks see one run and usage is counted once. These helpers
do what ``BaseChatModel`` would have done around those hooks that still matters for a
child: its rate limiter, its streaming opt-outs, its tool binding.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableBinding


@dataclass(frozen=True)
class ToolSpec:
    """Tools bound on the router, applied at call time through the chosen child's ``bind_tools``."""

    tools: Sequence[Any]
    tool_choice: Any = None
    options: Mapping[str, Any] = field(default_factory=dict)


def bind_child(child: BaseChatModel, spec: ToolSpec | None) -> tuple[BaseChatModel, dict[str, Any]]:
    """The model to call and the kwargs its own ``bind_tools`` would pass (none without tools)."""
    if spec is None:
        return child, {}
    extra = dict(spec.options)
    if spec.tool_choice is not None:
        extra["tool_choice"] = spec.tool_choice
    bound: Any = child.bind_tools(list(spec.tools), **extra)
    kwargs: dict[str, Any] = {}
    while isinstance(bound, RunnableBinding):
        kwargs = {**bound.kwargs, **kwargs}  # an outer binding's kwargs win, as at call time
        bound = bound.bound
    if not isinstance(bound, BaseChatModel):
        raise TypeError(
            f"{type(child).__name__}.bind_tools returned a {type(bound).__name__}, not a binding of a chat "
            "model; RouterChatModel cannot call it inside its own run"
        )
    return bound, kwargs


@lru_cache(maxsize=256)
def _takes_run_manager(func: Callable[..., Any]) -> bool:
    return "run_manager" in inspect.signature(func).parameters


def _rm(func: Callable[..., Any], run_manager: Any) -> dict[str, Any]:
    target = getattr(func, "__func__", func)
    return {"run_manager": run_manager} if _takes_run_manager(target) else {}


def can_stream(child: BaseChatModel, *, async_api: bool, **kwargs: Any) -> bool:
    """Whether the child has a streaming hook and nothing (its settings, the call) turns streaming off."""
    cls = type(child)
    sync_impl = cls._stream is not BaseChatModel._stream
    async_impl = cls._astream is not BaseChatModel._astream
    if not (sync_impl or (async_api and async_impl)):
        return False
    disabled = getattr(child, "_streaming_disabled", None)
    if callable(disabled):
        return not disabled(**kwargs)
    if child.disable_streaming is True:  # pragma: no cover - langchain-core < 1.7
        return False
    return not (child.disable_streaming == "tool_calling" and kwargs.get("tools"))


def generate(
    child: BaseChatModel,
    messages: list[BaseMessage],
    stop: list[str] | None,
    run_manager: CallbackManagerForLLMRun | None,
    kwargs: Mapping[str, Any],
) -> ChatResult:
    """The child's ``_generate``, with the router's run manager."""
    if child.rate_limiter:
        child.rate_limiter.acquire(blocking=True)
    return child._generate(messages, stop=stop, **_rm(child._generate, run_manager), **kwargs)


async def agenerate(
    child: BaseChatModel,
    messages: list[BaseMessage],
    stop: list[str] | None,
    run_manager: AsyncCallbackManagerForLLMRun | None,
    kwargs: Mapping[str, Any],
) -> ChatResult:
    """The child's ``_agenerate``, with the router's run manager."""
    if child.rate_limiter:
        await child.rate_limiter.aacquire(blocking=True)
    return await child._agenerate(messages, stop=stop, **_rm(child._agenerate, run_manager), **kwargs)


def stream(
    child: BaseChatModel,
    messages: list[BaseMessage],
    stop: list[str] | None,
    run_manager: CallbackManagerForLLMRun | None,
    kwargs: Mapping[str, Any],
) -> Iterator[ChatGenerationChunk]:
    """The child's ``_stream``; a child that cannot stream answers as one chunk."""
    if not can_stream(child, async_api=False, **kwargs):
        yield result_to_chunk(generate(child, messages, stop, run_manager, kwargs))
        return
    if child.rate_limiter:
        child.rate_limiter.acquire(blocking=True)
    yield from child._stream(messages, stop=stop, run_manager=run_manager, **kwargs)


async def astream(
    child: BaseChatModel,
    messages: list[BaseMessage],
    stop: list[str] | None,
    run_manager: AsyncCallbackManagerForLLMRun | None,
    kwargs: Mapping[str, Any],
) -> AsyncIterator[ChatGenerationChunk]:
    """The child's ``_astream`` (which may run its sync ``_stream``); else one chunk."""
    if not can_stream(child, async_api=True, **kwargs):
        yield result_to_chunk(await agenerate(child, messages, stop, run_manager, kwargs))
        return
    if child.rate_limiter:
        await child.rate_limiter.aacquire(blocking=True)
    async for chunk in child._astream(messages, stop=stop, run_manager=run_manager, **kwargs):
        yield chunk


def result_to_chunk(result: ChatResult) -> ChatGenerationChunk:
    """A whole answer as the one, last chunk of a stream (tool calls and usage kept)."""
    if not result.generations:
        raise ValueError("the child model returned no generations")
    generation = result.generations[0]
    message = generation.message
    metadata = {**(result.llm_output or {}), **message.response_metadata}
    if isinstance(message, AIMessage):
        chunk = AIMessageChunk(
            content=message.content,
            additional_kwargs=dict(message.additional_kwargs),
            response_metadata=metadata,
            tool_calls=list(message.tool_calls),
            invalid_tool_calls=list(message.invalid_tool_calls),
            usage_metadata=message.usage_metadata,
            id=message.id,
            name=message.name,
            chunk_position="last",
        )
    else:
        chunk = AIMessageChunk(
            content=message.content, response_metadata=metadata, id=message.id, chunk_position="last"
        )
    return ChatGenerationChunk(message=chunk, generation_info=generation.generation_info)


def model_name(child: BaseChatModel) -> str:
    """A child's model name: its LangSmith model name, a model attribute, or its type."""
    try:
        name = child._get_ls_params().get("ls_model_name")
    except Exception:  # noqa: BLE001 - a child's tracing hook must not break routing
        name = None
    for candidate in (name, getattr(child, "model_name", None), getattr(child, "model", None)):
        if isinstance(candidate, str) and candidate:
            return candidate
    return child._llm_type


def provider(child: BaseChatModel) -> str:
    """A child's provider as it reports it to LangSmith (``ls_provider``), else its type."""
    try:
        name = child._get_ls_params().get("ls_provider")
    except Exception:  # noqa: BLE001 - a child's tracing hook must not break routing
        name = None
    return name if isinstance(name, str) and name else child._llm_type
