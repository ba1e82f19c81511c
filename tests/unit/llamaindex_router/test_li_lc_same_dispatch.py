"""RouterChatModel (LangChain) and RouterLLM (LlamaIndex) dispatch the same way: both go through
``core.dispatch``, so an empty stream, a non-transient error, every child failing and the
routing record look the same from either framework.

Each scenario runs on both adapters and in all four call modes (call, async call, stream, async
stream), on the same keyword router (no encoder: prompts saying "hard" go to the strong child).
The children are real framework classes (a ``BaseChatModel``, a LlamaIndex ``MockLLM``) scripted
to answer, to stream nothing, or to raise: a real provider cannot be made to fail on cue offline.
The file sits with the LlamaIndex tests for their keyword router; it needs both frameworks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from li_fakes import HARD, STRONG_MODEL, WEAK_MODEL, keyword_router
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import MockLLM

from core.dispatch import describe
from langchain_router import RouterChatModel
from langchain_router import router_record as lc_record
from llamaindex_router import RouterLLM, collect_routes
from llamaindex_router import router_record as li_record

PROMPT = f"a {HARD} question"  # the keyword router sends it to the strong child
PARTS = ("the answer", " is 42")
FRONTS = ("langchain", "llamaindex")
MODES = ("call", "acall", "stream", "astream")
ADAPTER_ONLY = {"child_model", "child_provider", "forced"}  # fields one adapter adds about its child


def _act(label: str, behaviour: Any, calls: list[str]) -> None:
    calls.append(label)
    if isinstance(behaviour, Exception):
        raise type(behaviour)(*behaviour.args)  # a fresh exception per call: notes never pile up


class ScriptedChatModel(BaseChatModel):
    """A LangChain child that answers ``PARTS``, answers with nothing (``"empty"``) or raises."""

    label: str
    behaviour: Any = "ok"
    calls: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
        _act(self.label, self.behaviour, self.calls)
        if self.behaviour == "empty":
            return ChatResult(generations=[])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="".join(PARTS)))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        _act(self.label, self.behaviour, self.calls)
        if self.behaviour != "empty":
            for part in PARTS:
                yield ChatGenerationChunk(message=AIMessageChunk(content=part))


class ScriptedLLM(MockLLM):
    """A LlamaIndex child that answers ``PARTS``, streams nothing (``"empty"``) or raises."""

    label: str = "scripted"
    behaviour: Any = "ok"
    calls: list = Field(default_factory=list)

    def __init__(self, label: str, behaviour: Any = "ok") -> None:  # MockLLM.__init__ takes no extra fields
        super().__init__()
        self.label, self.behaviour = label, behaviour

    def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:  # type: ignore[override]
        _act(self.label, self.behaviour, self.calls)
        return ChatResponse(message=ChatMessage(role="assistant", content="".join(PARTS)))

    async def achat(self, messages: Any, **kwargs: Any) -> ChatResponse:  # type: ignore[override]
        return self.chat(messages, **kwargs)

    def stream_chat(self, messages: Any, **kwargs: Any) -> Iterator[ChatResponse]:  # type: ignore[override]
        def gen() -> Iterator[ChatResponse]:
            _act(self.label, self.behaviour, self.calls)
            if self.behaviour == "empty":
                return
            text = ""
            for part in PARTS:
                text += part
                yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=part)

        return gen()

    async def astream_chat(self, messages: Any, **kwargs: Any) -> AsyncIterator[ChatResponse]:  # type: ignore[override]
        async def gen() -> AsyncIterator[ChatResponse]:
            for chunk in self.stream_chat(messages, **kwargs):
                yield chunk

        return gen()


def build(front: str, strong: Any, weak: Any) -> tuple[Any, dict[str, list[str]]]:
    """The adapter with a strong and a weak scripted child (named after the router's models), and their calls."""
    child = ScriptedChatModel if front == "langchain" else ScriptedLLM
    children = {STRONG_MODEL: child(label=STRONG_MODEL, behaviour=strong), WEAK_MODEL: child(label=WEAK_MODEL, behaviour=weak)}
    adapter = RouterChatModel if front == "langchain" else RouterLLM
    return adapter(models=children, core=keyword_router()), {name: c.calls for name, c in children.items()}


def ask(llm: Any, mode: str) -> tuple[str, dict[str, Any]]:
    """The answer's text and routing record, through one of the four call modes."""
    if isinstance(llm, RouterChatModel):
        if mode == "call":
            message = llm.invoke(PROMPT)
            return message.content, lc_record(message)
        if mode == "acall":
            message = asyncio.run(llm.ainvoke(PROMPT))
            return message.content, lc_record(message)

        async def collect() -> list:
            return [chunk async for chunk in llm.astream(PROMPT)]

        chunks = list(llm.stream(PROMPT)) if mode == "stream" else asyncio.run(collect())
        return "".join(c.content for c in chunks), lc_record(chunks[0])
    messages = [ChatMessage(role="user", content=PROMPT)]
    if mode == "call":
        response = llm.chat(messages)
        return response.message.content, li_record(response)
    if mode == "acall":
        response = asyncio.run(llm.achat(messages))
        return response.message.content, li_record(response)

    async def acollect() -> list:
        return [chunk async for chunk in await llm.astream_chat(messages)]

    chunks = list(llm.stream_chat(messages)) if mode == "stream" else asyncio.run(acollect())
    return "".join(c.delta or "" for c in chunks), li_record(chunks[0])


def shared(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ADAPTER_ONLY}


@pytest.mark.parametrize("mode", ["stream", "astream"])
@pytest.mark.parametrize("front", FRONTS)
def test_an_empty_stream_falls_back(front: str, mode: str) -> None:
    llm, calls = build(front, strong="empty", weak="ok")
    text, record = ask(llm, mode)
    assert text == "".join(PARTS) and calls == {STRONG_MODEL: [STRONG_MODEL], WEAK_MODEL: [WEAK_MODEL]}
    assert record["route"] == "strong" and record["child"] == WEAK_MODEL and record["child_route"] == "weak"
    assert record["fallback"] is True and record["fallback_from"] == STRONG_MODEL
    assert record["error"] == f"EmptyAnswerError: the strong child {STRONG_MODEL!r}: its stream ended without a chunk"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("front", FRONTS)
def test_a_non_transient_error_is_raised_with_a_note_and_no_fallback(front: str, mode: str) -> None:
    llm, calls = build(front, strong=ValueError("bad request: no such parameter"), weak="ok")
    with pytest.raises(ValueError, match="bad request") as info:
        ask(llm, mode)
    assert calls == {STRONG_MODEL: [STRONG_MODEL], WEAK_MODEL: []}
    assert info.value.__notes__ == [
        f"winroute: the strong child {STRONG_MODEL!r} failed with an error that is not transient; no fallback "
        "(set fallback_on=(...) to fall back on it)"
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("front", FRONTS)
def test_every_child_failing_raises_the_first_error_with_notes(front: str, mode: str) -> None:
    llm, calls = build(front, strong=ConnectionError("strong is down"), weak=TimeoutError("weak timed out"))
    with pytest.raises(ConnectionError, match="strong is down") as info:
        ask(llm, mode)
    assert calls == {STRONG_MODEL: [STRONG_MODEL], WEAK_MODEL: [WEAK_MODEL]}
    assert info.value.__notes__ == [
        f"winroute: fallback from the strong child {STRONG_MODEL!r} to the weak child {WEAK_MODEL!r} "
        "failed too: TimeoutError: weak timed out"
    ]


@pytest.mark.parametrize("mode", MODES)
def test_both_adapters_write_the_same_record(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """Same decision fields, same child fields, the whole error (no cut); the fallback is logged by both."""
    error = ConnectionError("upstream reset the connection; " + "x" * 600)
    records = {}
    for front in FRONTS:
        llm, _ = build(front, strong=error, weak="ok")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="winroute"), collect_routes() as routes:
            text, records[front] = ask(llm, mode)
        assert text == "".join(PARTS)
        assert [r.getMessage() for r in caplog.records if r.name == "winroute"] == [
            f"winroute: the strong child {STRONG_MODEL!r} failed ({describe(error)}); "
            f"falling back to the weak child {WEAK_MODEL!r}"
        ]
        fallbacks = [(e.failed_child, e.fallback_child, e.error) for e in routes.fallbacks]
        assert fallbacks == ([(STRONG_MODEL, WEAK_MODEL, describe(error))] if front == "llamaindex" else [])
    langchain, llamaindex = records["langchain"], records["llamaindex"]
    assert shared(langchain) == shared(llamaindex)
    record = shared(langchain)
    assert record["error"] == describe(error) and len(record["error"]) > 600  # the whole message
    assert record["route"] == "strong" and record["router_model"] == STRONG_MODEL and record["router"] == "keyword"
    assert (record["child"], record["child_route"], record["fallback"], record["fallback_from"]) == (
        WEAK_MODEL, "weak", True, STRONG_MODEL,
    )
    assert record["score"] == pytest.approx(0.9) and record["threshold"] is not None
