"""The server's OpenAI-compatible API, driven over loopback HTTP with the real ``openai`` client and
``langchain_openai.ChatOpenAI``: chat, streaming, tools (sticky tool turns), structured output,
fallback on a downed or slow upstream, upstream errors mapped to OpenAI errors. The upstreams are
the scripted models of tests/openai_server.py (a 135M model cannot call tools or fill a schema)
and, in one test, the real SmolLM2-135M."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from openai_server import SMOLLM, closed_port_url
from pydantic import BaseModel
from serve_support import config_dict

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

ALWAYS_STRONG = {"winroute": {"threshold": 0.0}}
ALWAYS_WEAK = {"winroute": {"threshold": 1.0}}
TOOLS = [{"type": "function", "function": {
    "name": "add", "description": "Add two numbers.",
    "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]},
}}]


class Sum(BaseModel):
    a: int
    b: int


def client(server, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=kw.pop("api_key", "unused"), max_retries=0, **kw)


@pytest.fixture
def server(start, openai_server, tmp_path):
    return start(config_dict(openai_server.base_url, tmp_path))


def test_chat_goes_where_the_policy_says_and_reports_the_decision(server, openai_server, default_router) -> None:
    c = client(server)
    raw = c.chat.completions.with_raw_response.create(
        model="winroute", messages=[{"role": "user", "content": "Say hello to Ada"}], extra_body=ALWAYS_STRONG)
    answer = raw.parse()
    assert answer.choices[0].message.content == "[scripted-strong] Say hello to Ada"
    record = answer.model_extra["winroute"]
    assert record["route"] == "strong" and record["child"] == "scripted-strong" and record["threshold"] == 0.0
    assert record["request_id"] == answer.id and raw.headers["x-winroute-request-id"] == answer.id
    assert raw.headers["x-winroute-route"] == "strong" and raw.headers["x-winroute-model"] == "scripted-strong"
    assert raw.headers["x-winroute-fallback"] == "false"
    expected = default_router.route("Say hello to Ada").score
    assert float(raw.headers["x-winroute-score"]) == pytest.approx(expected)
    assert answer.usage.prompt_tokens == 5 and answer.usage.total_tokens == 10  # the upstream's own count, passed through
    sent = openai_server.requests[-1]
    assert sent["model"] == "scripted-strong" and "winroute" not in sent  # routing settings are not forwarded

    weak = c.chat.completions.create(model=f"router-{default_router.name}-1.0", messages=[{"role": "user", "content": "hi"}])
    assert weak.model_extra["winroute"]["route"] == "weak" and weak.model_extra["winroute"]["threshold"] == 1.0
    # the policy's default threshold is the router's own
    plain = c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}])
    assert plain.model_extra["winroute"]["threshold"] == pytest.approx(default_router.threshold)
    assert plain.model_extra["winroute"]["route"] == default_router.route("hi").route


def test_models_and_unknown_model(server, default_router) -> None:
    c = client(server)
    ids = [m.id for m in c.models.list()]
    assert ids[0] == "winroute" and ids[1].startswith(f"router-{default_router.name}-")
    with pytest.raises(openai.NotFoundError) as info:
        c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found" and "router-" in info.value.message


def test_bad_requests_get_openai_style_400s(server) -> None:
    c = client(server)
    with pytest.raises(openai.BadRequestError, match="messages"):
        c.chat.completions.create(model="winroute", messages=[])
    with pytest.raises(openai.BadRequestError, match="unknown winroute setting"):
        c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}],
                                  extra_body={"winroute": {"treshold": 0.2}})
    with pytest.raises(openai.BadRequestError, match="threshold"):
        c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}],
                                  extra_body={"winroute": {"threshold": 7}})
    with pytest.raises(openai.BadRequestError, match="user message"):
        c.chat.completions.create(model="winroute", messages=[{"role": "system", "content": "be brief"}])
    response = httpx.post(f"{server.base_url}/chat/completions", content=b"{not json", timeout=10)
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


def test_streaming_with_and_without_usage(server, openai_server) -> None:
    c = client(server)
    messages = [{"role": "user", "content": "Say hello to Ada"}]
    chunks = list(c.chat.completions.create(model="winroute", messages=messages, stream=True,
                                            stream_options={"include_usage": True}, extra_body=ALWAYS_WEAK))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == "[scripted-weak] Say hello to Ada"
    assert chunks[0].model_extra["winroute"]["route"] == "weak" and len({ch.id for ch in chunks}) == 1
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 5
    assert openai_server.requests[-1]["stream"] is True
    quiet = list(c.chat.completions.create(model="winroute", messages=messages, stream=True, extra_body=ALWAYS_WEAK))
    assert all(ch.usage is None for ch in quiet) and all(ch.choices for ch in quiet)
    # winroute asked the upstream for usage (to log tokens) without passing it on
    assert openai_server.requests[-1]["stream_options"] == {"include_usage": True}


def test_tools_and_a_sticky_tool_turn(server, openai_server) -> None:
    c = client(server)
    messages = [{"role": "user", "content": "Please add 2 and 3"}]
    first = c.chat.completions.create(model="winroute", messages=messages, tools=TOOLS,
                                      tool_choice={"type": "function", "function": {"name": "add"}}, extra_body=ALWAYS_STRONG)
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and json.loads(call.function.arguments) == {"a": 2.0, "b": 3.0}
    assert openai_server.requests[-1]["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert openai_server.requests[-1]["tools"] == TOOLS
    messages += [first.choices[0].message.model_dump(exclude_none=True, exclude={"model_extra"}),
                 {"role": "tool", "tool_call_id": call.id, "content": "5.0"}]
    # the tool's answer would go weak by the threshold, but the turn stays on the child that called the tool
    second = c.chat.completions.create(model="winroute", messages=messages, tools=TOOLS, extra_body=ALWAYS_WEAK)
    assert second.choices[0].message.content == "The result is 5.0."
    assert second.model_extra["winroute"]["route"] == "strong"
    assert second.model_extra["winroute"]["reason"] == "sticky: inside a tool-call turn"
    assert all("route" not in m for m in openai_server.requests[-1]["messages"])
    # a new user turn is routed afresh
    messages += [{"role": "assistant", "content": "The result is 5.0."}, {"role": "user", "content": "thanks"}]
    third = c.chat.completions.create(model="winroute", messages=messages, extra_body=ALWAYS_WEAK)
    assert third.model_extra["winroute"]["route"] == "weak"


def test_streamed_tool_calls_are_sticky_too(server) -> None:
    c = client(server)
    messages = [{"role": "user", "content": "Please add 2 and 3"}]
    chunks = list(c.chat.completions.create(model="winroute", messages=messages, tools=TOOLS, stream=True,
                                            extra_body=ALWAYS_WEAK))
    call = next(tc for ch in chunks if ch.choices for tc in ch.choices[0].delta.tool_calls or [])
    messages += [{"role": "assistant", "content": None, "tool_calls": [call.model_dump(exclude={"index"}, exclude_none=True)]},
                 {"role": "tool", "tool_call_id": call.id, "content": "5.0"}]
    second = c.chat.completions.create(model="winroute", messages=messages, tools=TOOLS, extra_body=ALWAYS_STRONG)
    assert second.model_extra["winroute"]["route"] == "weak" and second.choices[0].message.content == "The result is 5.0."


def test_structured_output_json_schema(server, openai_server) -> None:
    out = client(server).chat.completions.parse(model="winroute", messages=[{"role": "user", "content": "What is 2 plus 40?"}],
                                                response_format=Sum, extra_body=ALWAYS_STRONG)
    assert out.choices[0].message.parsed == Sum(a=2, b=40)
    assert openai_server.requests[-1]["response_format"]["type"] == "json_schema"


def test_fallback_on_a_downed_or_slow_upstream(start, openai_server, tmp_path) -> None:
    down = config_dict(openai_server.base_url, tmp_path, children={
        "strong": {"base_url": closed_port_url(), "model": "scripted-strong"},
        "weak": {"base_url": openai_server.base_url, "model": "scripted-weak"}})
    server = start(down)
    c = client(server)
    raw = c.chat.completions.with_raw_response.create(model="winroute", messages=[{"role": "user", "content": "hello"}],
                                                      extra_body=ALWAYS_STRONG)
    answer = raw.parse()
    record = answer.model_extra["winroute"]
    assert record["route"] == "strong" and record["child"] == "scripted-weak" and record["fallback"]
    assert record["fallback_from"] == "scripted-strong" and "Connection" in record["error"]
    assert raw.headers["x-winroute-fallback"] == "true" and raw.headers["x-winroute-model"] == "scripted-weak"
    streamed = list(c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hello"}],
                                              stream=True, extra_body=ALWAYS_STRONG))
    assert streamed[0].model_extra["winroute"]["child"] == "scripted-weak"
    assert "".join(ch.choices[0].delta.content or "" for ch in streamed if ch.choices) == "[scripted-weak] hello"

    slow = config_dict(openai_server.base_url, tmp_path / "slow", policy={"timeout": 0.5}, children={
        "strong": {"base_url": openai_server.base_url, "model": "slow-strong"},
        "weak": {"base_url": openai_server.base_url, "model": "scripted-weak"}})
    (tmp_path / "slow").mkdir()
    record = client(start(slow)).chat.completions.create(
        model="winroute", messages=[{"role": "user", "content": "hello"}], extra_body=ALWAYS_STRONG).model_extra["winroute"]
    assert record["fallback"] and record["child"] == "scripted-weak" and "within 0.5 s" in record["error"]


def test_upstream_errors_are_mapped_not_hidden(start, openai_server, tmp_path) -> None:
    typo = config_dict(openai_server.base_url, tmp_path, children={
        "strong": {"base_url": openai_server.base_url, "model": "gpt-typo"},
        "weak": {"base_url": openai_server.base_url, "model": "scripted-weak"}})
    c = client(start(typo))
    before = len(openai_server.requests)
    with pytest.raises(openai.NotFoundError) as info:  # a configuration error: no fallback
        c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}], extra_body=ALWAYS_STRONG)
    assert info.value.code == "model_not_found" and "gpt-typo" in info.value.message
    assert "not transient; no fallback" in info.value.message
    assert [r["model"] for r in openai_server.requests[before:]] == ["gpt-typo"]

    busy = config_dict(openai_server.base_url, tmp_path / "busy", children={
        "strong": {"base_url": openai_server.base_url, "model": "busy-strong"},
        "weak": {"base_url": closed_port_url(), "model": "scripted-weak"}})
    (tmp_path / "busy").mkdir()
    c = client(start(busy))
    with pytest.raises(openai.InternalServerError) as info:  # every child failed: the chosen child's error
        c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}], extra_body=ALWAYS_STRONG)
    assert info.value.status_code == 503 and "failed too" in info.value.message
    with pytest.raises(openai.InternalServerError):
        list(c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}], stream=True,
                                       extra_body=ALWAYS_STRONG))


def test_langchain_chat_openai_against_the_server(server, openai_server) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model="winroute", base_url=server.base_url, api_key="unused", max_retries=0,
                     extra_body=ALWAYS_STRONG)
    answer = llm.invoke("Say hello to Ada")
    assert answer.content == "[scripted-strong] Say hello to Ada" and answer.usage_metadata["input_tokens"] == 5
    merged = None
    for chunk in llm.stream("Say hello to Ada"):
        merged = chunk if merged is None else merged + chunk
    assert merged.content == answer.content
    assert llm.with_structured_output(Sum).invoke("What is 2 plus 40?") == Sum(a=2, b=40)

    def add(a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    tooled = llm.bind_tools([add])
    history = [HumanMessage("Please add 2 and 3")]
    call = tooled.invoke(history)
    assert call.tool_calls[0]["name"] == "add" and call.tool_calls[0]["args"] == {"a": 2.0, "b": 3.0}
    history += [call, ToolMessage("5.0", tool_call_id=call.tool_calls[0]["id"])]
    assert tooled.invoke(history).content == "The result is 5.0."


def test_real_small_model_answers_through_the_server(start, openai_server, tmp_path) -> None:
    """SmolLM2-135M generates a few tokens (slow on 2 CPU cores: one short call)."""
    raw = config_dict(openai_server.base_url, tmp_path, children={
        "strong": {"base_url": openai_server.base_url, "model": "scripted-strong"},
        "weak": {"base_url": openai_server.base_url, "model": SMOLLM, "timeout": 300}})
    answer = client(start(raw)).chat.completions.create(model="winroute", messages=[{"role": "user", "content": "Hi!"}],
                                                        max_tokens=3, extra_body=ALWAYS_WEAK)
    assert isinstance(answer.choices[0].message.content, str) and answer.choices[0].message.content.strip()
    assert answer.model == SMOLLM and answer.model_extra["winroute"]["child"] == SMOLLM
