"""winroute for LlamaIndex: ``RouterLLM`` (an LLM routing between child LLMs) and ``RouterSelector``.

Both delegate every decision to a ``core.Router`` (two models; the bundled default unless
given one) or an N-way ``core.Router`` (N models, trading predicted quality against cost) and
report it in ``additional_kwargs["winroute"]`` and as ``RouteDecisionEvent``s.
"""

from __future__ import annotations

from core import default_router

from .base import RouterLLM
from .embeddings import WinrouteEmbedding
from .events import RouteCollector, RouteDecisionEvent, RouteFallbackEvent, collect_routes
from .messages import ROUTER_KEY, router_record, strip_router_metadata, to_conversation
from .question import QuestionRoutedChatEngine, QuestionRoutedQueryEngine, route_on
from .selector import RouterSelection, RouterSelector

__all__ = [
    "ROUTER_KEY",
    "QuestionRoutedChatEngine",
    "QuestionRoutedQueryEngine",
    "RouteCollector",
    "RouteDecisionEvent",
    "RouteFallbackEvent",
    "RouterLLM",
    "RouterSelection",
    "RouterSelector",
    "WinrouteEmbedding",
    "collect_routes",
    "default_router",
    "route_on",
    "router_record",
    "strip_router_metadata",
    "to_conversation",
]
