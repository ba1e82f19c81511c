"""Test doubles for the LlamaIndex adapter: controllable routers and misbehaving child LLMs."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, AsyncGenerator, Generator, List

import numpy as np
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM

from core import RandomPredictor, RouteDecision, Router

STRONG_MODEL, WEAK_MODEL = "big-model", "small-model"
HARD = "hard"  # prompts containing this word go strong with the keyword router


class KeywordPredictor(RandomPredictor):
    """P(strong wins) = 0.9 for prompts containing ``HARD``, else 0.1."""

    def predict(self, queries: Any, strong: str, weak: str) -> np.ndarray:
        self.model_index(strong), self.model_index(weak)
        return np.array([0.9 if HARD in t.lower() else 0.1 for t in queries.texts], dtype=np.float64)


class ZeroEmbedder:
    """An embedder that needs no model (for routers whose predictor ignores embeddings)."""

    model_id = "zero"
    max_tokens = 10**9

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 4), dtype=np.float32)

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros(len(texts), dtype=bool)


def keyword_router(**kwargs: Any) -> Router:
    """A router whose decision the test controls: strong iff the user text says ``HARD``."""
    predictor = KeywordPredictor()
    predictor.models_ = [STRONG_MODEL, WEAK_MODEL]
    return Router(predictor, ZeroEmbedder(), strong=STRONG_MODEL, weak=WEAK_MODEL, name="keyword", **kwargs)


class ThreeWayRouter:
    """Duck-typed N-way router (the shape core is expected to grow): routes are model names."""

    name = "three-way"
    kind = "nway"
    models = routes = ("alpha", "beta", "gamma")

    def __init__(self, pick: str = "gamma") -> None:
        self.pick = pick

    def resolve_route(self, name: str) -> str:
        if name not in self.models:
            from core import UnknownModelError

            raise UnknownModelError(name)
        return name

    def threshold_for(self, *, threshold: Any = None, strong_share: Any = None) -> float:
        return 0.5

    def route(self, conversation: Any, *, threshold: Any = None, strong_share: Any = None, models: Any = None) -> RouteDecision:
        scores = {m: (0.8 if m == self.pick else 0.1) for m in self.models}
        return RouteDecision(self.pick, self.pick, 0.8, 0.5, f"argmax -> {self.pick}", False, self.name, scores)


class SpyFunctionLLM(MockFunctionCallingLLM):
    """MockFunctionCallingLLM that records which of its tool hooks ran."""

    calls: List[str] = Field(default_factory=list, exclude=True)

    def _prepare_chat_with_tools(self, tools: Any, **kwargs: Any) -> dict:  # type: ignore[override]
        self.calls.append("prepare")
        return super()._prepare_chat_with_tools(tools, **kwargs)

    def get_tool_calls_from_response(self, response: ChatResponse, error_on_no_tool_call: bool = False, **kwargs: Any):  # type: ignore[override]
        self.calls.append("get_tool_calls")
        return super().get_tool_calls_from_response(response, error_on_no_tool_call=error_on_no_tool_call, **kwargs)


class FailingLLM(MockFunctionCallingLLM):
    """Every call raises; streams raise on the first ``next`` (like a real client), not at call time."""

    def _boom(self) -> None:
        raise ConnectionError("provider down")  # transient: the router falls back

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self._boom()

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self._boom()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self._boom()

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self._boom()

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Generator[ChatResponse, None, None]:
        self._boom()
        yield  # pragma: no cover

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):  # type: ignore[override]
        self._boom()
        yield  # pragma: no cover

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any):  # type: ignore[override]
        async def gen() -> AsyncGenerator[ChatResponse, None]:
            self._boom()
            yield  # pragma: no cover

        return gen()

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):  # type: ignore[override]
        self._boom()


class MidStreamFailingLLM(MockLLM):
    """Streams one chunk, then raises."""

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):  # type: ignore[override]
        yield CompletionResponse(text="partial", delta="partial")
        raise RuntimeError("connection reset mid-stream")


class KeyedLLM(MockLLM):
    """A child holding a credential, as provider LLMs do."""

    api_key: str = "sk-test-SECRET-123"


# -- N-way: children of the router trained in tests/conftest.py (nway_router) ----------------------
NWAY_CHILDREN = ("gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", "mistral-7b-chat")
"""The children: fewer than the router knows (calls are routed among these only)."""


class EmptyStreamLLM(MockLLM):
    """Streams end without a single chunk (a provider that closed the stream at once)."""

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any):  # type: ignore[override]
        return iter(())

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):  # type: ignore[override]
        return iter(())

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any):  # type: ignore[override]
        async def gen() -> AsyncGenerator[ChatResponse, None]:
            return
            yield  # pragma: no cover

        return gen()

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):  # type: ignore[override]
        async def gen() -> AsyncGenerator[CompletionResponse, None]:
            return
            yield  # pragma: no cover

        return gen()


class HangingLLM(MockLLM):
    """A synchronous child that blocks until released (a provider that never answers)."""

    _release: Any = PrivateAttr(default_factory=threading.Event)

    def release(self) -> None:
        self._release.set()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self._release.wait(30)
        return CompletionResponse(text="too late")

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self._release.wait(30)
        return ChatResponse(message=ChatMessage(role="assistant", content="too late"))
