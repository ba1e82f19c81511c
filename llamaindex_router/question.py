"""Routing a RAG call on the user's question, not on the prompt the engine builds around it.

A query or chat engine hands its LLM a templated prompt: instructions, the retrieved context
and, somewhere, the question. Scored whole, the context decides the route ("How tall is the
Eiffel Tower?" went strong with a page of retrieved text around it). Inside
``route_on(question)`` every ``RouterLLM`` call routes on ``question`` instead (the call
itself still gets the full prompt); ``QuestionRoutedQueryEngine`` and
``QuestionRoutedChatEngine`` wrap an engine so that each query or chat message does so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.base.response.schema import RESPONSE_TYPE
from llama_index.core.chat_engine.types import AGENT_CHAT_RESPONSE_TYPE, BaseChatEngine, StreamingAgentChatResponse
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import QueryBundle

from core import InvalidConversationError

_QUESTION: ContextVar[str | None] = ContextVar("winroute_question", default=None)


def routing_question() -> str | None:
    """The text RouterLLM calls route on right now, if ``route_on`` set one."""
    return _QUESTION.get()


@contextmanager
def route_on(question: str) -> Iterator[None]:
    """Route every ``RouterLLM`` call inside the block on ``question``."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidConversationError(f"route_on needs the user's question as non-empty text, got {question!r:.80}")
    token = _QUESTION.set(question)
    try:
        yield
    finally:
        _QUESTION.reset(token)


class QuestionRoutedQueryEngine(BaseQueryEngine):
    """A query engine whose ``RouterLLM`` calls route on the query string (see ``route_on``)."""

    def __init__(self, engine: BaseQueryEngine) -> None:
        self.engine = engine
        super().__init__(callback_manager=engine.callback_manager)

    def _get_prompt_modules(self) -> PromptMixinType:
        return {"engine": self.engine}

    def _query(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        with route_on(query_bundle.query_str):
            return self.engine.query(query_bundle)

    async def _aquery(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        with route_on(query_bundle.query_str):
            return await self.engine.aquery(query_bundle)


class QuestionRoutedChatEngine(BaseChatEngine):
    """A chat engine whose ``RouterLLM`` calls route on each user message (see ``route_on``).

    Streaming: routing happens when the stream starts, inside the call.
    """

    def __init__(self, engine: BaseChatEngine) -> None:
        self.engine = engine

    def reset(self) -> None:
        self.engine.reset()

    @property
    def chat_history(self) -> list[ChatMessage]:
        return self.engine.chat_history

    def chat(
        self, message: str, chat_history: list[ChatMessage] | None = None, **kwargs: Any
    ) -> AGENT_CHAT_RESPONSE_TYPE:
        with route_on(message):
            return self.engine.chat(message, chat_history, **kwargs)

    def stream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None, **kwargs: Any
    ) -> StreamingAgentChatResponse:
        with route_on(message):
            return self.engine.stream_chat(message, chat_history, **kwargs)

    async def achat(
        self, message: str, chat_history: list[ChatMessage] | None = None, **kwargs: Any
    ) -> AGENT_CHAT_RESPONSE_TYPE:
        with route_on(message):
            return await self.engine.achat(message, chat_history, **kwargs)

    async def astream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None, **kwargs: Any
    ) -> StreamingAgentChatResponse:
        with route_on(message):
            return await self.engine.astream_chat(message, chat_history, **kwargs)
