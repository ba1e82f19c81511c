"""winroute for LangChain: a routing chat model and a router over whole chains.

- ``RouterChatModel``: a ``BaseChatModel`` that sends each call to a strong or a weak child
  model (a two-model ``core.Router``) or to one of N children (an N-way ``core.Router``), as
  the winroute router decides (offline, local embeddings).
- ``WinrouteDecisionModel``: a LangChain decision model (``classifier=`` of
  ``ModelRouterMiddleware``) answering "which route?" with a winroute router.
- ``RouterMiddleware``: an agent middleware routing every model call of a ``create_agent``
  run (needs the ``langchain`` package: ``pip install "winroute[langchain]"``).
- ``route_runnable`` / ``RouterChatModel.as_runnable``: a RunnableBranch-style router that
  scores an input once and runs one of two (or N) chains.
"""

from __future__ import annotations

from typing import Any

from core import default_router
from core.child_calls import ChildTimeoutError, EmptyAnswerError

from .chat_model import RouterChatModel
from .decision_model import WinrouteChoiceAnswer, WinrouteDecisionModel, WinrouteNoulAnswer
from .messages import ROUTER_KEY, input_to_conversation, router_record, to_conversation
from .runnable import RouteKey, route_runnable
from .stats import RouteStats, collect_route_stats

__all__ = [
    "ROUTER_KEY",
    "ChildTimeoutError",
    "EmptyAnswerError",
    "RouteKey",
    "RouteStats",
    "RouterChatModel",
    "RouterMiddleware",
    "WinrouteChoiceAnswer",
    "WinrouteDecisionModel",
    "WinrouteNoulAnswer",
    "collect_route_stats",
    "default_router",
    "input_to_conversation",
    "route_runnable",
    "router_record",
    "to_conversation",
]


def __getattr__(name: str) -> Any:
    """``RouterMiddleware`` imports the ``langchain`` package (agents) only when asked for."""
    if name == "RouterMiddleware":
        from .middleware import RouterMiddleware

        return RouterMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
