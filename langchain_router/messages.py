"""LangChain messages <-> winroute conversations, and the routing record on responses.

Every message (and the first streamed chunk) a ``RouterChatModel`` returns carries its
routing record under ``response_metadata[ROUTER_KEY]``. The record's ``route`` is what
makes routing *sticky* inside a tool-call turn: agents keep the AI message in their
history, and the next call reads the route back from it (``to_conversation``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)
from langchain_core.prompt_values import PromptValue

from core import InvalidConversationError

ROUTER_KEY = "winroute"
"""Key of the routing record in ``response_metadata`` of router responses."""

_DICT_INPUT_KEYS = ("messages", "input", "question", "query", "prompt", "text")


def router_record(message: BaseMessage) -> dict[str, Any] | None:
    """The routing record a ``RouterChatModel`` stored on ``message``, if any."""
    record = (getattr(message, "response_metadata", None) or {}).get(ROUTER_KEY)
    return dict(record) if isinstance(record, Mapping) else None


def _role(message: BaseMessage) -> str:
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ToolMessage):
        return "tool"
    if isinstance(message, FunctionMessage):
        return "function"
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ChatMessage):
        return message.role
    return message.type


def to_conversation(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Turn LangChain messages into the role/content dicts that ``core.Router.route`` takes.

    Content (a string or a list of parts) is passed as is: the router scores text parts and
    ignores, and counts, the others (images, audio...). An AI message carries its pending
    tool calls and the route recorded on it, so that the router keeps a tool-call turn on
    the model that started it.
    """
    conversation: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, BaseMessage):
            raise InvalidConversationError(f"message {i} is a {type(message).__name__}, not a LangChain message")
        item: dict[str, Any] = {"role": _role(message), "content": message.content}
        if isinstance(message, AIMessage):
            item["tool_calls"] = [*message.tool_calls, *message.invalid_tool_calls]
            record = router_record(message)
            route = record and (record.get("child_route") or record.get("route"))
            if route:
                item["route"] = route
        conversation.append(item)
    return conversation


def input_to_conversation(value: Any, *, input_key: str | None = None) -> str | list[dict[str, Any]]:
    """The conversation to route for a runnable's input.

    Accepts what chat models and prompts accept: a string, a ``PromptValue``, a message or
    a list of messages (or message-likes: tuples, dicts, strings), and a dict, from which
    ``input_key`` is taken (by default the only string value or a usual key such as
    ``"input"``, ``"question"`` or ``"messages"``).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, PromptValue):
        return to_conversation(value.to_messages())
    if isinstance(value, BaseMessage):
        return to_conversation([value])
    if isinstance(value, Mapping):
        return input_to_conversation(_pick_dict_value(value, input_key))
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        try:
            messages = convert_to_messages(value)
        except (ValueError, TypeError, NotImplementedError) as exc:
            raise InvalidConversationError(f"cannot read messages from the input: {exc}") from exc
        return to_conversation(messages)
    raise InvalidConversationError(
        f"cannot route an input of type {type(value).__name__}: give a string, messages, a PromptValue "
        "or a dict (with input_key naming the field to route on)"
    )


def _pick_dict_value(value: Mapping[str, Any], input_key: str | None) -> Any:
    if input_key is not None:
        if input_key not in value:
            raise InvalidConversationError(f"input has no key {input_key!r} to route on (keys: {sorted(value)})")
        return value[input_key]
    strings = [k for k, v in value.items() if isinstance(v, str)]
    if len(strings) == 1:
        return value[strings[0]]
    for key in _DICT_INPUT_KEYS:
        if key in value:
            return value[key]
    raise InvalidConversationError(
        f"cannot tell which field of the input to route on (keys: {sorted(value)}); pass input_key="
    )
