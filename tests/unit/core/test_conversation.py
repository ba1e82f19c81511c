from __future__ import annotations

import pytest

from core import InvalidConversationError, routing_input


def test_string_is_routed_as_is() -> None:
    assert routing_input("hello").text == "hello"


@pytest.mark.parametrize("bad", ["", "   ", [], ()])
def test_empty_inputs_raise(bad: object) -> None:
    with pytest.raises(InvalidConversationError, match="empty"):
        routing_input(bad)  # type: ignore[arg-type]


def test_routes_on_last_user_turn_not_tool_or_assistant_text() -> None:
    conv = [
        {"role": "system", "content": "be terse"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "second question"},
    ]
    assert routing_input(conv).text == "second question"
    assert routing_input(conv, last_k_user_turns=2).text == "first question\nsecond question"


def test_non_text_parts_are_ignored_and_counted() -> None:
    conv = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "describe"}]}]
    result = routing_input(conv)
    assert result.text == "describe"
    assert result.ignored_parts == 1


def test_only_images_is_a_clear_error() -> None:
    conv = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    with pytest.raises(InvalidConversationError, match="no user message with text.*1 non-text"):
        routing_input(conv)


def test_no_user_message_is_an_error() -> None:
    with pytest.raises(InvalidConversationError, match="no user message"):
        routing_input([{"role": "system", "content": "hi"}])


def test_malformed_messages_are_errors() -> None:
    with pytest.raises(InvalidConversationError, match="message 0"):
        routing_input([{"content": "no role"}])
    with pytest.raises(InvalidConversationError, match="content must be"):
        routing_input([{"role": "user", "content": 42}])
    with pytest.raises(InvalidConversationError, match="string or a list"):
        routing_input(42)  # type: ignore[arg-type]


def test_sticky_inside_tool_call_turn() -> None:
    conv = [
        {"role": "user", "content": "what is the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "name": "weather"}], "route": "weak"},
        {"role": "tool", "content": "sunny"},
    ]
    assert routing_input(conv).sticky_route == "weak"
    # a new user turn ends the tool-call turn
    assert routing_input([*conv, {"role": "assistant", "content": "sunny"}, {"role": "user", "content": "thanks"}]).sticky_route is None


def test_not_sticky_without_tool_activity() -> None:
    conv = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "route": "strong"}]
    assert routing_input(conv).sticky_route is None
