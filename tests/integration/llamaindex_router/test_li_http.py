"""Real clients over real HTTP: OpenAILike children behind RouterLLM (chat, stream, a query engine
routed on the question, a FunctionAgent with a tool), against the loopback OpenAI-compatible
server of tests/openai_server.py. Sockets are limited to 127.0.0.1."""

from __future__ import annotations

import pytest
from li_fakes import HARD
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.embeddings import MockEmbedding
from llama_index.llms.openai_like import OpenAILike
from openai_server import closed_port_url

from llamaindex_router import QuestionRoutedQueryEngine, RouterLLM, collect_routes, router_record

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def like(server, model: str, **kw) -> OpenAILike:
    return OpenAILike(
        model=model, api_base=kw.pop("api_base", server.base_url), api_key="sk-local", is_chat_model=True,
        is_function_calling_model=True, context_window=8192, max_retries=0, **kw,
    )


def test_chat_and_stream_over_http(openai_server, kw_router) -> None:
    llm = RouterLLM(strong=like(openai_server, "scripted-strong"), weak=like(openai_server, "scripted-weak"), core=kw_router)
    response = llm.chat([ChatMessage(role="user", content=f"a {HARD} one")])
    assert response.message.content == f"[scripted-strong] a {HARD} one"
    assert router_record(response)["child"] == "strong"
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="an easy one")]))
    assert chunks[-1].message.content == "[scripted-weak] an easy one" and router_record(chunks[0])["child"] == "weak"


def test_downed_server_falls_back(openai_server, kw_router) -> None:
    strong = like(openai_server, "scripted-strong", api_base=closed_port_url())
    llm = RouterLLM(strong=strong, weak=like(openai_server, "scripted-weak"), core=kw_router)
    record = router_record(llm.chat([ChatMessage(role="user", content=f"a {HARD} one")]))
    assert record["route"] == "strong" and record["child"] == "weak" and record["fallback"]


def test_query_engine_routed_on_the_question_over_http(openai_server, kw_router) -> None:
    doc = Document(text=f"The Eiffel Tower is 330 metres tall; climbing it is {HARD} work.")
    index = VectorStoreIndex.from_documents([doc], embed_model=MockEmbedding(embed_dim=8))
    llm = RouterLLM(strong=like(openai_server, "scripted-strong"), weak=like(openai_server, "scripted-weak"), core=kw_router)
    engine = QuestionRoutedQueryEngine(index.as_query_engine(llm=llm))
    with collect_routes() as routes:
        answer = engine.query("How tall is the Eiffel Tower?")
    assert {e.route for e in routes.decisions} == {"weak"}
    assert str(answer).startswith("[scripted-weak]")


async def test_function_agent_with_a_tool_over_http(openai_server, kw_router) -> None:
    def add(a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    llm = RouterLLM(strong=like(openai_server, "scripted-strong"), weak=like(openai_server, "scripted-weak"), core=kw_router)
    agent = FunctionAgent(tools=[add], llm=llm)
    with collect_routes() as routes:
        result = await agent.run(user_msg=f"A {HARD} sum: add 2 and 3")
    assert "5.0" in str(result)
    assert routes.decisions[0].route == "strong"
    assert all(e.route == "strong" for e in routes.decisions)  # the tool turn stays with its child
    assert any("sticky" in e.reason for e in routes.decisions[1:])
