"""RAG: query and chat engines route on the user's question, not on the retrieved context
(issue 19 item 4). The keyword router sends a call strong iff its user text says "hard"; the
only document says it, the question does not: scored with the templated prompt the call goes
strong, routed on the question it goes weak."""

from __future__ import annotations

import pytest
from li_fakes import HARD
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM

from core import InvalidConversationError
from llamaindex_router import QuestionRoutedChatEngine, QuestionRoutedQueryEngine, RouterLLM, collect_routes, route_on

QUESTION = "How tall is the Eiffel Tower?"


@pytest.fixture()
def index() -> VectorStoreIndex:
    doc = Document(text=f"The Eiffel Tower is 330 metres tall; climbing it is {HARD} work.")
    return VectorStoreIndex.from_documents([doc], embed_model=MockEmbedding(embed_dim=8))


@pytest.fixture()
def llm(kw_router) -> RouterLLM:
    return RouterLLM(strong=MockLLM(max_tokens=3), weak=MockLLM(max_tokens=3), core=kw_router)


def _routes(run) -> list[str]:
    with collect_routes() as collector:
        run()
    return [e.route for e in collector.decisions]


def test_query_engine_routes_on_the_question(index, llm) -> None:
    engine = index.as_query_engine(llm=llm)
    assert set(_routes(lambda: engine.query(QUESTION))) == {"strong"}  # the context decided
    assert set(_routes(lambda: QuestionRoutedQueryEngine(engine).query(QUESTION))) == {"weak"}
    assert set(_routes(lambda: QuestionRoutedQueryEngine(engine).query(f"A {HARD} one: {QUESTION}"))) == {"strong"}


async def test_query_engine_routes_on_the_question_async(index, llm) -> None:
    engine = QuestionRoutedQueryEngine(index.as_query_engine(llm=llm))
    with collect_routes() as collector:
        await engine.aquery(QUESTION)
    assert {e.route for e in collector.decisions} == {"weak"}


def test_chat_engine_routes_on_the_message(index, llm) -> None:
    engine = index.as_chat_engine(chat_mode="condense_question", llm=llm)
    assert "strong" in _routes(lambda: engine.chat(QUESTION))
    wrapped = QuestionRoutedChatEngine(index.as_chat_engine(chat_mode="condense_question", llm=llm))
    assert set(_routes(lambda: wrapped.chat(QUESTION))) == {"weak"}
    assert wrapped.chat_history  # delegates
    wrapped.reset()
    assert not wrapped.chat_history


def test_route_on_by_hand_and_bad_input(llm) -> None:
    with route_on("easy question"):
        assert llm.complete(f"context: {HARD} stuff\nquestion: easy question").additional_kwargs["winroute"]["route"] == "weak"
    assert llm.complete(f"context: {HARD} stuff").additional_kwargs["winroute"]["route"] == "strong"  # outside: reset
    with pytest.raises(InvalidConversationError, match="route_on"):
        with route_on("  "):
            pass
