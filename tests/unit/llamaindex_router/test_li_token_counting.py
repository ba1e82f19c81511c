"""One RouterLLM call is one LLM event pair, its tokens counted once (issue 19 item 4): the router
and its children share ``Settings.callback_manager``, as when a user sets it before building them."""

from __future__ import annotations

import pytest
from li_fakes import HARD
from llama_index.core import Settings
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.llms import MockLLM

from llamaindex_router import ROUTER_KEY, RouterLLM


@pytest.fixture()
def counter():
    handler = TokenCountingHandler(tokenizer=lambda text: text.split())  # offline: no tiktoken download
    previous = Settings._callback_manager
    Settings.callback_manager = CallbackManager([handler])
    try:
        yield handler
    finally:
        Settings._callback_manager = previous


def _llm(kw_router) -> RouterLLM:
    return RouterLLM(strong=MockLLM(max_tokens=4), weak=MockLLM(max_tokens=4), core=kw_router)


def test_chat_counts_one_event(counter, kw_router):
    llm = _llm(kw_router)
    assert counter in llm.callback_manager.handlers and counter in llm.children["strong"].callback_manager.handlers
    response = llm.chat([ChatMessage(role="user", content=f"a {HARD} question about four words")])
    assert response.message.additional_kwargs[ROUTER_KEY]["child"] == "strong"
    assert len(counter.llm_token_counts) == 1
    event = counter.llm_token_counts[0]
    assert counter.total_llm_token_count == event.prompt_token_count + event.completion_token_count


def test_stream_and_complete_count_one_event_each(counter, kw_router):
    llm = _llm(kw_router)
    list(llm.stream_complete("an easy one"))
    llm.complete(f"a {HARD} one")
    assert len(counter.llm_token_counts) == 2


async def test_async_chat_counts_one_event(counter, kw_router):
    llm = _llm(kw_router)
    await llm.achat([ChatMessage(role="user", content="hello there")])
    assert len(counter.llm_token_counts) == 1
