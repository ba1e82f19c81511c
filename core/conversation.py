"""Turning a string or a list of role/content messages into the text a router scores.

Routing looks at user turns only, never at tool results or assistant text. Inside
one tool-call turn (tool results or pending tool calls after the last user message)
the route is *sticky*: it stays with the model that started the turn, since
providers' tool-message formats do not mix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from .errors import InvalidConversationError
from .sanitize import MAX_TEXT_CHARS, clean_text
from .validation import check_int

Message = Mapping[str, Any]
Conversation = str | Sequence[Message]

USER_ROLES = frozenset({"user", "human"})
TOOL_ROLES = frozenset({"tool", "function"})
ASSISTANT_ROLES = frozenset({"assistant", "ai"})


@dataclass(frozen=True)
class RoutingInput:
    """What the router scores, plus what it learnt while extracting it.

    ``notes`` say what was done to the text to make it routable (capped, surrogates replaced);
    ``capped``: it was over :data:`~core.sanitize.MAX_TEXT_CHARS` and only its head and tail are read.
    """

    text: str
    sticky_route: str | None = None
    ignored_parts: int = 0
    notes: tuple[str, ...] = ()
    capped: bool = False


def content_text(content: Any, *, where: str = "message") -> tuple[str, int]:
    """Text of a message's content (a string or a list of parts) and the count of non-text parts."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        texts: list[str] = []
        ignored = 0
        for j, part in enumerate(content):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping) and part.get("type", "text") == "text":
                text = part.get("text", "")
                if not isinstance(text, str):  # str(None) would route the word "None"
                    raise InvalidConversationError(
                        f"{where}: text part {j} has 'text' of type {type(text).__name__}, not a string"
                    )
                texts.append(text)
            elif isinstance(part, Mapping):
                ignored += 1
            else:
                raise InvalidConversationError(
                    f"{where}: content part of type {type(part).__name__} is neither a string nor a mapping"
                )
        return "\n".join(t for t in texts if t), ignored
    raise InvalidConversationError(
        f"{where}: content must be a string or a list of parts, got {type(content).__name__}"
    )


def routing_input(conversation: Conversation, *, last_k_user_turns: int = 1) -> RoutingInput:
    """Extract the user text to score from ``conversation``.

    ``last_k_user_turns`` user messages (most recent last) are joined. A recorded
    ``route`` on an assistant message inside the current tool-call turn makes the
    result sticky.
    """
    check_int(last_k_user_turns, "last_k_user_turns", low=1)
    if isinstance(conversation, str):
        if not conversation.strip():
            raise InvalidConversationError("cannot route an empty prompt")
        text, notes = clean_text(conversation)  # bounded and cleaned once, where text enters the router
        return RoutingInput(text, notes=notes, capped=len(conversation) > MAX_TEXT_CHARS)
    if not isinstance(conversation, Sequence) or isinstance(conversation, (bytes, bytearray)):
        raise InvalidConversationError(
            f"a conversation is a string or a list of role/content messages, got {type(conversation).__name__}"
        )
    messages = cast("Sequence[Message]", conversation)  # a string returned above; mypy cannot tell
    if len(conversation) == 0:
        raise InvalidConversationError("cannot route an empty conversation (no messages)")

    user_texts: list[str] = []
    ignored = 0
    last_user_index = -1
    for i, message in enumerate(conversation):
        if not isinstance(message, Mapping) or "role" not in message:
            raise InvalidConversationError(
                f"message {i} must be a mapping with 'role' and 'content', got {message!r:.80}"
            )
        role = str(message["role"]).lower()
        if role in USER_ROLES:
            text, n = content_text(message.get("content"), where=f"message {i}")
            ignored += n
            if text.strip():
                user_texts.append(text)
            last_user_index = i
    if not user_texts:
        raise InvalidConversationError(
            "the conversation has no user message with text to route on"
            + (f" ({ignored} non-text content parts were ignored)" if ignored else "")
        )
    joined = "\n".join(user_texts[-last_k_user_turns:])
    text, notes = clean_text(joined)
    return RoutingInput(text, _sticky_route(messages, last_user_index), ignored, notes, len(joined) > MAX_TEXT_CHARS)


def _sticky_route(conversation: Sequence[Message], last_user_index: int) -> str | None:
    """The route recorded on the assistant message that opened the current tool-call turn."""
    tail = conversation[last_user_index + 1 :]
    in_tool_turn = any(
        str(m["role"]).lower() in TOOL_ROLES or (str(m["role"]).lower() in ASSISTANT_ROLES and m.get("tool_calls"))
        for m in tail
    )
    if not in_tool_turn:
        return None
    for message in reversed(tail):
        if str(message["role"]).lower() in ASSISTANT_ROLES and message.get("route"):
            return str(message["route"])
    return None
