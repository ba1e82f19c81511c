"""Real clients over real HTTP: ChatOpenAI children behind RouterChatModel, RouterMiddleware and
ModelRouterMiddleware + WinrouteDecisionModel inside create_agent, against the loopback
OpenAI-compatible server of tests/openai_server.py (scripted models for tool calls and JSON,
the real SmolLM2-135M for plain text). Sockets are limited to 127.0.0.1."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelChoice, ModelRouterMiddleware
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from openai import NotFoundError
from openai_server import SMOLLM, closed_port_url
from pydantic import BaseModel

from langchain_router import ROUTER_KEY, RouterChatModel, RouterMiddleware, WinrouteDecisionModel, collect_route_stats, router_record

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


@tool
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


class Sum(BaseModel):
    a: int
    b: int


def chat(server, model: str, **kw) -> ChatOpenAI:
    return ChatOpenAI(model=model, base_url=kw.pop("base_url", server.base_url), api_key="sk-local", max_retries=0, **kw)


def test_invoke_stream_and_usage_over_http(openai_server, default_router) -> None:
    llm = RouterChatModel(strong=chat(openai_server, "scripted-strong"), weak=chat(openai_server, "scripted-weak"),
                          core=default_router, threshold=1.0)
    with collect_route_stats() as stats:
        answer = llm.invoke("Say hello to Ada")
        chunks = list(llm.stream("Say hello to Ada"))
    assert answer.content == "[scripted-weak] Say hello to Ada"
    record = router_record(answer)
    assert record["child"] == "scripted-weak" and record["child_provider"] == "openai"
    assert answer.usage_metadata["input_tokens"] == 5  # the server's count, once
    merged = chunks[0]
    for c in chunks[1:]:
        merged += c
    assert merged.content == answer.content and router_record(merged)["child_route"] == "weak"
    assert stats.calls == 2 and stats.routes["weak"] == 2
    assert openai_server.requests[-1]["model"] == "scripted-weak" and openai_server.requests[-1]["stream"] is True


def test_structured_output_json_schema_over_http(openai_server, default_router) -> None:
    llm = RouterChatModel(strong=chat(openai_server, "scripted-strong"), weak=chat(openai_server, "scripted-weak"),
                          core=default_router, threshold=0.0)
    out = llm.with_structured_output(Sum, include_raw=True).invoke("What is 2 plus 40?")
    assert out["parsed"] == Sum(a=2, b=40) and router_record(out["raw"])["child"] == "scripted-strong"
    sent = openai_server.requests[-1]
    assert sent["response_format"]["type"] == "json_schema" and sent["model"] == "scripted-strong"


def test_unknown_model_is_raised_a_downed_server_falls_back(openai_server, default_router) -> None:
    weak = chat(openai_server, "scripted-weak")
    wrong = RouterChatModel(strong=chat(openai_server, "gpt-typo"), weak=weak, core=default_router, threshold=0.0)
    before = len(openai_server.requests)
    with pytest.raises(NotFoundError):
        wrong.invoke("hello")  # a configuration error: no silent fallback
    assert [r["model"] for r in openai_server.requests[before:]] == ["gpt-typo"]
    down = RouterChatModel(strong=chat(openai_server, "scripted-strong", base_url=closed_port_url()), weak=weak,
                           core=default_router, threshold=0.0)
    record = router_record(down.invoke("hello"))
    assert record["fallback"] and record["child_route"] == "weak" and "ConnectionError" in record["error"]
    busy = RouterChatModel(strong=chat(openai_server, "busy-strong"), weak=weak, core=default_router, threshold=0.0)
    assert router_record(busy.invoke("hello"))["fallback"]  # 503: transient


def test_real_small_model_answers_through_the_router(openai_server, default_router) -> None:
    """SmolLM2-135M generates a few tokens (slow on 2 CPU cores: one short call)."""
    llm = RouterChatModel(strong=chat(openai_server, "scripted-strong"), weak=chat(openai_server, SMOLLM, max_tokens=3),
                          core=default_router, threshold=1.0)
    answer = llm.invoke("Hi!")
    assert isinstance(answer.content, str) and answer.content.strip()
    assert router_record(answer)["child"] == SMOLLM and answer.response_metadata["model_name"] == SMOLLM


def test_router_middleware_agent_over_http(openai_server, default_router) -> None:
    strong = chat(openai_server, "scripted-strong", base_url=closed_port_url())  # downed
    weak = chat(openai_server, "scripted-weak")
    agent = create_agent(weak, [add], middleware=[RouterMiddleware(strong=strong, weak=weak, core=default_router)])
    out = agent.invoke({"messages": [HumanMessage("Please add 2 and 3")], "winroute_policy": {"threshold": 0.0}})
    ais = [m for m in out["messages"] if isinstance(m, AIMessage)]
    assert ais[0].tool_calls and ais[-1].content == "The result is 5.0."
    first, last = router_record(ais[0]), router_record(ais[-1])
    assert first["route"] == "strong" and first["fallback"] and first["child"] == "scripted-weak"
    assert last["reason"] == "sticky: inside a tool-call turn" and out[ROUTER_KEY] == last
    assert any(isinstance(m, ToolMessage) and m.content == "5.0" for m in out["messages"])


async def test_model_router_middleware_with_winroute_classifier_over_http(openai_server, default_router) -> None:
    strong, weak = chat(openai_server, "scripted-strong"), chat(openai_server, "scripted-weak")
    middleware = ModelRouterMiddleware(
        choices={"strong": ModelChoice(strong, "hard tasks"), "weak": ModelChoice(weak, "easy tasks")},
        instructions="Pick the cheapest model that can do the task.",
        classifier=WinrouteDecisionModel(core=default_router),
    )
    agent = create_agent(weak, [add], middleware=[middleware])
    prompt = "Please add 2 and 3"
    out = await agent.ainvoke({"messages": [HumanMessage(prompt)]})
    expected = default_router.route(prompt).route
    assert out["model_route"].choice == expected and out["model_route"].decision["route"] == expected
    ais = [m for m in out["messages"] if isinstance(m, AIMessage)]
    assert {m.response_metadata["model_name"] for m in ais} == {f"scripted-{expected}"}
    assert ais[-1].content == "The result is 5.0."


@pytest.mark.parametrize("native", [True, False])
def test_agent_response_format_through_the_router(openai_server, default_router, native: bool) -> None:
    """create_agent(response_format=...) with RouterMiddleware: provider-native structured output when every
    child's profile supports it (the router's profile says so), else the tool strategy."""
    profile = {"structured_output": native, "tool_calling": True}
    strong = chat(openai_server, "scripted-strong", profile=profile)
    weak = chat(openai_server, "scripted-weak", profile=profile)
    agent = create_agent(weak, [], response_format=Sum, middleware=[RouterMiddleware(strong=strong, weak=weak, core=default_router)])
    before = len(openai_server.requests)
    out = agent.invoke({"messages": [HumanMessage("What is 2 plus 40?")]})
    assert out["structured_response"] == Sum(a=2, b=40)
    sent = openai_server.requests[before]
    if native:
        assert sent["response_format"]["type"] == "json_schema" and not sent.get("tools")
    else:
        assert sent["tools"][0]["function"]["name"] == "Sum" and "response_format" not in sent
    assert out[ROUTER_KEY]["child"] in ("scripted-strong", "scripted-weak")
