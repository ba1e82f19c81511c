"""The thin layer both adapters share: the default router, route names, one decision per call.

No routing logic lives here: decisions come from ``core.Router.route`` (or
``core.Router.route``); this module only maps the names users give (children, choices)
to the router's routes and reports decisions.
"""

from __future__ import annotations

from typing import Any

from core import Conversation, RouteDecision, Router, UnknownModelError

from .events import RouteDecisionEvent, dispatcher


def route_of(router: Router, name: str | None) -> str | None:
    """The route ``name`` stands for ("strong", "weak" or a model name), or ``None``."""
    if not name:
        return None
    try:
        return router.resolve_route(name)
    except UnknownModelError:
        return None


def decide(router: Router, conversation: Conversation, **settings: Any) -> RouteDecision:
    """``router.route`` with the adapter's settings (threshold or strong share; N-way: cost
    weight, budget or minimum quality, and the models to choose among)."""
    return router.route(conversation, **settings)


async def adecide(router: Router, conversation: Conversation, **settings: Any) -> RouteDecision:
    """``decide`` off the event loop (the first call loads the encoder)."""
    return await router.aroute(conversation, **settings)


def emit_decision(decision: RouteDecision, child: str | None, source: str) -> None:
    """Fire a ``RouteDecisionEvent`` through the instrumentation dispatcher."""
    dispatcher.event(RouteDecisionEvent(decision=decision.record(), child=child, source=source))
