"""LlamaIndex messages <-> winroute conversations, and the routing record stored on responses.

Every response (and stream chunk) a ``RouterLLM`` returns carries its routing record under
``additional_kwargs[ROUTER_KEY]``, on the ``ChatResponse`` and on its ``message``. The copy
on the message is what makes routing *sticky* inside a tool-call turn: the agent keeps the
message in its history and the next call reads the route back. Provider integrations copy
a message's ``additional_kwargs`` into their API payloads, so the router strips its key
(``strip_router_metadata``) before a history reaches any child model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock, ToolCallBlock

ROUTER_KEY = "winroute"
"""Key of the routing record in ``additional_kwargs`` of responses, chunks and messages."""

_ROLES = {
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.DEVELOPER: "system",
}


def router_record(obj: Any) -> dict[str, Any] | None:
    """The routing record on a ``ChatResponse``, ``CompletionResponse`` or ``ChatMessage``, if any."""
    for holder in (obj, getattr(obj, "message", None)):
        extra = getattr(holder, "additional_kwargs", None)
        if isinstance(extra, Mapping) and isinstance(extra.get(ROUTER_KEY), Mapping):
            return dict(extra[ROUTER_KEY])
    return None


def has_tool_calls(message: ChatMessage) -> bool:
    """Whether an (assistant) message asks for tool calls, as blocks or as legacy ``tool_calls``."""
    return any(isinstance(b, ToolCallBlock) for b in message.blocks) or bool(
        (message.additional_kwargs or {}).get("tool_calls")
    )


def to_conversation(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Turn LlamaIndex chat messages into the role/content dicts ``core.Router.route`` takes.

    Text blocks become text parts; other blocks (images, audio, documents...) become typed
    parts that the router ignores and counts. An assistant message says whether it has
    pending tool calls and which route produced it (from its routing record).
    """
    conversation: list[dict[str, Any]] = []
    for message in messages:
        role = _ROLES.get(message.role, message.role.value)
        parts: list[dict[str, Any]] = []
        for block in message.blocks:
            if isinstance(block, TextBlock):
                parts.append({"type": "text", "text": block.text})
            elif not isinstance(block, ToolCallBlock):
                parts.append({"type": str(getattr(block, "block_type", type(block).__name__))})
        entry: dict[str, Any] = {"role": role, "content": parts}
        if role == "assistant":
            entry["tool_calls"] = has_tool_calls(message)
            record = router_record(message)
            if record and record.get("child_route"):
                entry["route"] = record["child_route"]
        conversation.append(entry)
    return conversation


def strip_router_metadata(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """Copies of ``messages`` without the routing record (other messages are passed as they are)."""
    out: list[ChatMessage] = []
    for message in messages:
        extra = message.additional_kwargs or {}
        if ROUTER_KEY in extra:
            kept = {k: v for k, v in extra.items() if k != ROUTER_KEY}
            message = message.model_copy(update={"additional_kwargs": kept})
        out.append(message)
    return out
