"""LangChain messages and runnable inputs -> winroute conversations."""

from __future__ import annotations

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.prompts import ChatPromptTemplate

from core import InvalidConversationError, routing_input
from langchain_router import ROUTER_KEY, input_to_conversation, to_conversation

CALL = {"name": "f", "args": {}, "id": "c1", "type": "tool_call"}


def test_roles_content_tool_calls_and_route() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:,"}}
    messages = [
        SystemMessage("sys"),
        HumanMessage(content=[{"type": "text", "text": "look"}, image]),
        AIMessage("", tool_calls=[CALL], response_metadata={ROUTER_KEY: {"route": "strong", "child_route": "weak"}}),
        ToolMessage("42", tool_call_id="c1"),
        FunctionMessage("x", name="f"),
        ChatMessage(role="developer", content="dev"),
        AIMessage("done"),
    ]
    conversation = to_conversation(messages)
    assert [m["role"] for m in conversation] == [
        "system", "user", "assistant", "tool", "function", "developer", "assistant"
    ]
    assert conversation[1]["content"][1] == image
    assert conversation[2]["tool_calls"] == [CALL] and conversation[2]["route"] == "weak"  # the route that answered
    assert conversation[6]["tool_calls"] == [] and "route" not in conversation[6]
    assert routing_input(conversation[:4]).sticky_route == "weak"


def test_invalid_tool_calls_count_as_pending() -> None:
    ai = AIMessage("", invalid_tool_calls=[{"name": "f", "args": "{oops", "id": "c1", "error": "bad json",
                                            "type": "invalid_tool_call"}])
    assert to_conversation([HumanMessage("hi"), ai])[1]["tool_calls"]


def test_runnable_inputs() -> None:
    assert input_to_conversation("hi") == "hi"
    prompt = ChatPromptTemplate.from_messages([("system", "s"), ("human", "{q}")])
    assert input_to_conversation(prompt.invoke({"q": "hey"}))[-1] == {"role": "user", "content": "hey"}
    assert input_to_conversation([("human", "a"), ("ai", "b")])[1]["role"] == "assistant"
    assert input_to_conversation(HumanMessage("x")) == [{"role": "user", "content": "x"}]
    assert input_to_conversation({"question": "q", "n": 3}) == "q"
    assert input_to_conversation({"input": "i", "context": "c"}) == "i"
    assert input_to_conversation({"a": "1", "b": "2"}, input_key="b") == "2"
    with pytest.raises(InvalidConversationError, match="pass input_key"):
        input_to_conversation({"a": "1", "b": "2"})
    with pytest.raises(InvalidConversationError, match="no key 'c'"):
        input_to_conversation({"a": "1"}, input_key="c")
    with pytest.raises(InvalidConversationError, match="cannot route an input of type int"):
        input_to_conversation(3)
    with pytest.raises(InvalidConversationError, match="cannot read messages"):
        input_to_conversation([object()])
