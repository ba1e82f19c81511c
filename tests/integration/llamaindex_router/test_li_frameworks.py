"""RouterLLM and RouterSelector inside LlamaIndex's engines and agents, decided by the real default router."""

from __future__ import annotations

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.base.response.schema import StreamingResponse
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM, MockLLMWithChatMemoryOfLastCall
from llama_index.core.query_engine import RouterQueryEngine
from llama_index.core.retrievers import RouterRetriever
from llama_index.core.tools import FunctionTool, QueryEngineTool, RetrieverTool

from llamaindex_router import ROUTER_KEY, RouterLLM, RouterSelection, RouterSelector, WinrouteEmbedding

DOCS = [
    "The Eiffel Tower is in Paris. It was finished in 1889 and is 330 metres tall.",
    "Photosynthesis turns light, water and carbon dioxide into glucose and oxygen in chloroplasts.",
    "The Rust borrow checker enforces that a value has either one mutable or many shared references.",
    "Mount Kilimanjaro in Tanzania is the highest mountain in Africa at 5,895 metres.",
]
QUESTIONS = [
    "How tall is the Eiffel Tower?",
    "Prove that the borrow checker rules out data races, step by step, with a formal argument.",
]


@pytest.fixture(scope="module")
def index(default_router) -> VectorStoreIndex:
    embed = WinrouteEmbedding.from_router(default_router)
    return VectorStoreIndex.from_documents([Document(text=t) for t in DOCS], embed_model=embed)


def expected_child(router, text: str) -> str:
    return router.route(text).route


# -- query engines -------------------------------------------------------------------------------
async def test_vector_index_query_engine(index, default_router, routes):
    llm = RouterLLM(strong=MockLLM(), weak=MockLLM(), core=default_router)
    engine = index.as_query_engine(llm=llm, similarity_top_k=1)
    response = engine.query(QUESTIONS[0])
    assert "Eiffel Tower" in str(response)  # MockLLM echoes the prompt: the retrieved context made it in
    assert response.source_nodes and "Paris" in response.source_nodes[0].get_content()
    response = await engine.aquery(QUESTIONS[0])
    assert "330 metres" in str(response)
    assert len(routes.decisions) == 2 and routes.decisions[0].decision["router"] == default_router.name
    assert routes.decisions[0].child in ("strong", "weak")


def test_vector_index_streaming_query_engine(index, default_router, routes):
    llm = RouterLLM(strong=MockLLM(), weak=MockLLM(), core=default_router)
    engine = index.as_query_engine(llm=llm, similarity_top_k=1, streaming=True)
    response = engine.query(QUESTIONS[0])
    assert isinstance(response, StreamingResponse)
    text = "".join(response.response_gen)
    assert "Eiffel Tower" in text
    assert len(routes.decisions) == 1


def test_simple_chat_engine(default_router, routes):
    strong = MockLLMWithChatMemoryOfLastCall(is_chat_model=True)
    weak = MockLLMWithChatMemoryOfLastCall(is_chat_model=True)
    llm = RouterLLM(strong=strong, weak=weak, core=default_router)
    engine = SimpleChatEngine.from_defaults(llm=llm)
    first = engine.chat(QUESTIONS[0])
    second = engine.chat(QUESTIONS[1])
    assert str(first) and str(second)
    history = engine.chat_history
    assert [m.role.value for m in history] == ["user", "assistant", "user", "assistant"]
    assert history[1].additional_kwargs[ROUTER_KEY]["child"] == routes.decisions[0].child
    seen = strong.last_chat_messages or weak.last_chat_messages
    assert seen and all(ROUTER_KEY not in m.additional_kwargs for m in seen)
    streamed = engine.stream_chat("And Kilimanjaro?")
    assert "".join(streamed.response_gen)
    assert [d.child for d in routes.decisions] == [expected_child(default_router, q) for q in [*QUESTIONS, "And Kilimanjaro?"]]


# -- agent ------------------------------------------------------------------------------------------
def add(a: int = 2, b: int = 3) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent(default_router, routes, streaming):
    llm = RouterLLM(strong=MockFunctionCallingLLM(), weak=MockFunctionCallingLLM(), core=default_router)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=add)], llm=llm, streaming=streaming)
    handler = agent.run(user_msg="What is 2 + 3? Use the add tool.")
    tool_results, streamed = [], []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            tool_results.append(event.tool_output.content)
        elif isinstance(event, AgentStream):
            streamed.append(event)
    result = await handler
    assert tool_results == ["5"]
    assert str(result.response.content) == "Tool calls complete."
    first, second = routes.decisions
    assert first.child == expected_child(default_router, "What is 2 + 3? Use the add tool.")
    assert not first.reason.startswith("sticky") and first.score is not None
    assert second.reason == "sticky: inside a tool-call turn" and second.child == first.child
    assert result.response.additional_kwargs[ROUTER_KEY]["child"] == first.child
    assert bool(streamed) is streaming


# -- RouterSelector in RouterQueryEngine / RouterRetriever ----------------------------------------
@pytest.fixture(scope="module")
def engines(index):
    """A query engine on a 'strong' and one on a 'weak' mock LLM (answers of 5 and 1 words)."""
    strong, weak = MockLLM(max_tokens=5), MockLLM(max_tokens=1)
    tools = [
        QueryEngineTool.from_defaults(index.as_query_engine(llm=weak), name="weak", description="cheap answers"),
        QueryEngineTool.from_defaults(index.as_query_engine(llm=strong), name="strong", description="best answers"),
    ]
    return tools, weak


@pytest.mark.parametrize("question", QUESTIONS)
async def test_router_query_engine(engines, default_router, routes, question):
    tools, weak = engines
    engine = RouterQueryEngine(selector=RouterSelector(default_router), query_engine_tools=tools, llm=weak)
    route = expected_child(default_router, question)
    for response in (engine.query(question), await engine.aquery(question)):
        result = response.metadata["selector_result"]
        assert isinstance(result, RouterSelection)
        assert result.route == route and result.choice == route and tools[result.ind].metadata.name == route
        assert result.model == default_router.model_for(route) and 0.0 <= result.score <= 1.0
        assert len(str(response).split()) == (5 if route == "strong" else 1)
    assert [d.source for d in routes.decisions] == ["selector", "selector"]


async def test_router_retriever(index, default_router):
    tools = [  # by position: strong first
        RetrieverTool.from_defaults(index.as_retriever(similarity_top_k=3), description="deep retrieval"),
        RetrieverTool.from_defaults(index.as_retriever(similarity_top_k=1), description="shallow retrieval"),
    ]
    retriever = RouterRetriever(RouterSelector(default_router), tools, llm=MockLLM())
    for question in QUESTIONS:
        want = 3 if expected_child(default_router, question) == "strong" else 1
        assert len(retriever.retrieve(question)) == want
        assert len(await retriever.aretrieve(question)) == want


# -- embeddings and concurrency -------------------------------------------------------------------
async def test_winroute_embedding(default_router):
    embed = WinrouteEmbedding.from_router(default_router)
    vector = embed.get_query_embedding("How tall is the Eiffel Tower?")
    assert len(vector) == default_router.embedder.dim
    assert await embed.aget_query_embedding("How tall is the Eiffel Tower?") == pytest.approx(vector)
    batch = embed.get_text_embedding_batch(DOCS[:2])
    assert len(batch) == 2 and batch[0] != batch[1]
    assert embed.to_dict()["model_name"] == default_router.embedder.model_id and "embedder" not in embed.to_json()


async def test_concurrent_calls_route_as_sequential_ones(default_router):
    import asyncio

    from llama_index.core.base.llms.types import ChatMessage

    llm = RouterLLM(strong=MockLLM(max_tokens=2), weak=MockLLM(max_tokens=1), core=default_router)
    prompts = [*QUESTIONS, "And Kilimanjaro?", "Write a sonnet about routers."] * 3
    responses = await asyncio.gather(*(llm.achat([ChatMessage(role="user", content=p)]) for p in prompts))
    assert [r.additional_kwargs[ROUTER_KEY]["child"] for r in responses] == [
        expected_child(default_router, p) for p in prompts
    ]
