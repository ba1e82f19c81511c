"""Fake children with failure modes, for the LangChain adapter tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from fake_chat_model import FakeToolChatModel


class ChildError(ConnectionError):
    """What a failing fake child raises: a connection failure, which is transient (falls back)."""


class FailingChatModel(FakeToolChatModel):
    """Fails on ``_generate`` and/or before its first streamed chunk, or after ``fail_after`` chunks."""

    fail_generate: bool = True
    fail_stream_start: bool = True
    fail_after: int | None = None

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.fail_generate:
            raise ChildError(f"{self.model_name} is down")
        return super()._generate(messages, stop, run_manager, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self.fail_stream_start:
            raise ChildError(f"{self.model_name} cannot stream")
        for i, chunk in enumerate(super()._stream(messages, stop, run_manager, **kwargs)):
            if self.fail_after is not None and i >= self.fail_after:
                raise ChildError(f"{self.model_name} broke mid-stream")
            yield chunk


class NoStreamChatModel(FakeToolChatModel):
    """A child without streaming hooks: the router must still stream it, as one chunk."""

    _stream = BaseChatModel._stream  # type: ignore[assignment]


class NamedChunksChatModel(FakeToolChatModel):
    """Puts ``model_name`` on every streamed chunk (the router must keep one)."""

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            chunk.message.response_metadata = {**chunk.message.response_metadata, "model_name": self.model_name}
            yield chunk


class AnonymousChatModel(FakeToolChatModel):
    """Sends no ``model_name`` at all, and no last-chunk marker (the router names it)."""

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        result = super()._generate(messages, stop, run_manager, **kwargs)
        result.generations[0].message.response_metadata = {}
        return result

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            chunk.message.response_metadata = {}
            chunk.message.chunk_position = None
            yield chunk


class RecordingBindChatModel(FakeToolChatModel):
    """Remembers the kwargs its ``bind_tools`` got."""

    bind_calls: list[dict[str, Any]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> Any:
        self.bind_calls.append({"tools": list(tools), "tool_choice": tool_choice, **kwargs})
        kwargs.pop("parallel_tool_calls", None)
        return super().bind_tools(tools, tool_choice=tool_choice, **kwargs)


# -- N-way: children of the router trained in tests/conftest.py (nway_router) ----------------------
NWAY_CHILDREN = ("gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", "mistral-7b-chat")
"""The children: fewer than the router knows (calls are routed among these only)."""


class EmptyResultChatModel(FakeToolChatModel):
    """Answers ``ChatResult(generations=[])`` (a provider that returned no choices)."""

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[])

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[])


class HangingChatModel(FakeToolChatModel):
    """A synchronous child that blocks until released (a provider that never answers)."""

    _release: Any = PrivateAttr(default_factory=threading.Event)

    def release(self) -> None:
        self._release.set()

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self._release.wait(30)
        return super()._generate(messages, stop, run_manager, **kwargs)


class StatusError(Exception):
    """An HTTP error as provider SDKs raise it (``status_code`` on the exception)."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


class StatusFailingChatModel(FakeToolChatModel):
    """Fails with an HTTP status (404: unknown model, a configuration error; 503: transient)."""

    status_code: int = 404

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        raise StatusError(self.status_code)


class JsonModeChatModel(FakeToolChatModel):
    """Structured output by JSON mode, as ChatOpenAI's json_schema/json_mode: a ``response_format``
    binding and a parser of the message text. Answers ``reply`` whatever it is asked."""

    reply: str = '{"x": 1}'

    def with_structured_output(self, schema: Any, *, include_raw: bool = False, method: str = "json_schema",
                               **kwargs: Any) -> Any:
        from langchain_core.output_parsers import PydanticOutputParser

        return self.bind(response_format={"type": "json_object", "method": method}) | PydanticOutputParser(pydantic_object=schema)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        from langchain_core.messages import AIMessage
        from langchain_core.outputs import ChatGeneration

        self.calls.append({"response_format": kwargs.get("response_format")})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.reply))])
