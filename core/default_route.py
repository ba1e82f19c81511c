"""A configurable route for conversations with nothing to score (system-only, image-only).

The router scores user text. A well-formed conversation without any (only a system prompt,
only images) cannot be scored; with a default route it goes there (reason ``"default
route: ..."``) instead of raising. Malformed input still raises ``InvalidConversationError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .conversation import USER_ROLES, content_text
from .errors import InvalidConversationError
from .router import RouteDecision


@dataclass(frozen=True)
class DefaultRoute:
    """The route (already resolved by the router) for conversations with no user text; None: raise."""

    route: str | None = None


def has_user_text(conversation: Any) -> bool | None:
    """Whether a well-formed conversation has user text to score (None when it is not well formed)."""
    if isinstance(conversation, str):
        return bool(conversation.strip())
    if not isinstance(conversation, Sequence) or not conversation:
        return None
    found = False
    for message in conversation:
        if not isinstance(message, Mapping) or "role" not in message:
            return None
        if str(message["role"]).lower() in USER_ROLES:
            try:
                text, _ = content_text(message.get("content"))
            except InvalidConversationError:
                return None
            found = found or bool(text.strip())
    return found


def decide_or_default(
    router: Any, conversation: Any, settings: Mapping[str, Any], default: DefaultRoute
) -> RouteDecision:
    """``router.route(conversation, **settings)``, or the default route when there is nothing to score."""
    if default.route is not None and has_user_text(conversation) is False:
        return RouteDecision(
            router.model_for(default.route),
            default.route,
            math.nan,
            math.nan,
            "default route: the conversation has no user text to score",
            False,
            router.name,
        )
    return router.route(conversation, **settings)
