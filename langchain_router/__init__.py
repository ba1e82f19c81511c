"""winroute for LangChain: a routing chat model and a router over whole chains.

- ``RouterChatModel``: a ``BaseChatModel`` that sends each call to a strong or a weak child
  model (a two-model ``core.Router``) or to one of N children (a ``core.NWayRouter``), as
  the winroute router decides (offline, local embeddings).
- ``route_runnable`` / ``RouterChatModel.as_runnable``: a RunnableBranch-style router that
  scores an input once and runs one of two (or N) chains.
"""

from __future__ import annotations

from .chat_model import RouterChatModel
from core import default_router
from .fakes import FakeToolChatModel
from .messages import ROUTER_KEY, input_to_conversation, router_record, to_conversation
from .runnable import RouteKey, route_runnable

__all__ = [
    "ROUTER_KEY",
    "FakeToolChatModel",
    "RouteKey",
    "RouterChatModel",
    "default_router",
    "input_to_conversation",
    "route_runnable",
    "router_record",
    "to_conversation",
]
