"""Children that answer with nothing, hang, or break mid-stream (issue 18, finding 7): the call is
never lost; it falls back, times out into a fallback, or fails naming the child."""

from __future__ import annotations

import pytest
from li_fakes import HARD, EmptyStreamLLM, HangingLLM, MidStreamFailingLLM
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import MockLLM

from core.child_calls import EmptyAnswerError
from llamaindex_router import ROUTER_KEY, RouterLLM

HARD_PROMPT = f"a {HARD} question"
MESSAGES = [ChatMessage(role="user", content=HARD_PROMPT)]


def _check(record: dict) -> None:
    assert record["route"] == "strong" and record["child"] == "weak" and record["fallback"]
    assert "EmptyAnswerError" in record["error"]


def test_empty_stream_falls_back_sync(kw_router):
    llm = RouterLLM(strong=EmptyStreamLLM(), weak=MockLLM(), core=kw_router)
    chunks = list(llm.stream_chat(MESSAGES))
    assert chunks and chunks[-1].message.content  # the weak child answered
    _check(chunks[0].message.additional_kwargs[ROUTER_KEY])
    completion = list(llm.stream_complete(HARD_PROMPT))  # was: a pydantic ValidationError (LLMCompletionEndEvent)
    assert completion and completion[-1].text
    _check(completion[0].additional_kwargs[ROUTER_KEY])


async def test_empty_stream_falls_back_async(kw_router):
    llm = RouterLLM(strong=EmptyStreamLLM(), weak=MockLLM(), core=kw_router)
    chunks = [c async for c in await llm.astream_chat(MESSAGES)]
    _check(chunks[0].message.additional_kwargs[ROUTER_KEY])
    completion = [c async for c in await llm.astream_complete(HARD_PROMPT)]
    assert completion[-1].text
    _check(completion[0].additional_kwargs[ROUTER_KEY])


def test_empty_stream_without_fallback_is_a_clear_error(kw_router):
    llm = RouterLLM(strong=EmptyStreamLLM(), weak=MockLLM(), core=kw_router, fallback=False)
    with pytest.raises(EmptyAnswerError, match="child 'strong': its stream ended without a chunk"):
        list(llm.stream_complete(HARD_PROMPT))


def test_hanging_child_times_out_into_fallback(kw_router):
    hanging = HangingLLM()
    try:
        llm = RouterLLM(strong=hanging, weak=MockLLM(), core=kw_router, timeout=0.5)
        response = llm.complete(HARD_PROMPT)
        record = response.additional_kwargs[ROUTER_KEY]
        assert record["child"] == "weak" and record["fallback"] and "ChildTimeoutError" in record["error"]
        assert "did not answer within 0.5 s" in record["error"]
    finally:
        hanging.release()


def test_mid_stream_failure_names_the_child(kw_router):
    llm = RouterLLM(strong=MidStreamFailingLLM(), weak=MockLLM(), core=kw_router)
    stream = llm.stream_complete(HARD_PROMPT)
    next(stream)
    with pytest.raises(RuntimeError, match="mid-stream") as info:
        next(stream)
    assert any("child 'strong' failed after 1 chunk(s)" in note for note in info.value.__notes__)


class _NotFound(Exception):
    status_code = 404


class _WrongModelLLM(MockLLM):
    """A child configured with a model name the server does not know (HTTP 404)."""

    def complete(self, prompt: str, formatted: bool = False, **kwargs):  # type: ignore[override]
        raise _NotFound("The model `gpt-typo` does not exist")


def test_configuration_errors_are_raised_not_hidden(kw_router):
    weak = MockLLM()
    with pytest.raises(_NotFound) as info:
        RouterLLM(strong=_WrongModelLLM(), weak=weak, core=kw_router).complete(HARD_PROMPT)
    assert any("not transient" in note for note in info.value.__notes__)
    widened = RouterLLM(strong=_WrongModelLLM(), weak=weak, core=kw_router, fallback_on=(_NotFound,))
    assert widened.complete(HARD_PROMPT).additional_kwargs[ROUTER_KEY]["fallback"]


async def test_default_route_for_nothing_to_score(kw_router):
    from core import InvalidConversationError
    from llama_index.core.base.llms.types import ImageBlock

    system_only = [ChatMessage(role="system", content="You are terse.")]
    with pytest.raises(InvalidConversationError):
        RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router).chat(system_only)
    llm = RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router, default_route="strong")
    record = llm.chat(system_only).message.additional_kwargs[ROUTER_KEY]
    assert record["child"] == "strong" and record["reason"].startswith("default route")
    image_only = [ChatMessage(role="user", blocks=[ImageBlock(url="https://example.invalid/cat.png")])]
    assert (await llm.achat(image_only)).message.additional_kwargs[ROUTER_KEY]["child"] == "strong"
    assert llm.chat(MESSAGES).message.additional_kwargs[ROUTER_KEY]["reason"] != record["reason"]  # text is scored
    with pytest.raises(Exception, match="medium"):
        RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router, default_route="medium")
