"""The thin layer both adapters share: the default router, route names, one decision per call.

No routing logic lives here: decisions come from ``core.Router.route`` (or
``core.NWayRouter.route``); this module only maps the names users give (children, choices)
to the router's routes and reports decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from core import Conversation, RouteDecision, Router, UnknownModelError, default_router
from core.nway_children import child_models, is_nway

from .events import RouteDecisionEvent, dispatcher
from .messages import decision_record


def router_routes(router: Router) -> list[str]:
    """The router's routes, in the order of ``router.models`` (strong first for a binary router)."""
    return [router.resolve_route(model) for model in router.models]


def route_of(router: Router, name: Optional[str]) -> Optional[str]:
    """The route ``name`` stands for ("strong", "weak" or a model name), or ``None``."""
    if not name:
        return None
    try:
        return router.resolve_route(name)
    except UnknownModelError:
        return None


def match_names(router: Router, names: Sequence[str], what: str) -> dict[str, str]:
    """Map each of ``names`` (children) to the route it serves; every route needs exactly one.

    With an N-way router each name must be one of its models, and the router may know more
    models than there are names (calls are then routed among the names' models).
    """
    if is_nway(router):
        return child_models(router, names, what, "children" if what == "child" else f"{what}s")
    routes: dict[str, str] = {}
    for name in names:
        route = route_of(router, name)
        if route is None:
            raise UnknownModelError(
                f"{what} {name!r} is neither a route nor a model of router {router.name!r} "
                f"(routes: {', '.join(router_routes(router))}; models: {', '.join(router.models)})"
            )
        if route in routes.values():
            other = next(n for n, r in routes.items() if r == route)
            raise ValueError(f"{what}s {other!r} and {name!r} both stand for the {route!r} route")
        routes[name] = route
    missing = [r for r in router_routes(router) if r not in routes.values()]
    if missing:
        raise ValueError(f"no {what} for route(s) {', '.join(missing)} of router {router.name!r}")
    return routes


def decide(router: Router, conversation: Conversation, **settings: Any) -> RouteDecision:
    """``router.route`` with the adapter's settings (threshold or strong share; N-way: cost
    weight, budget or minimum quality, and the models to choose among)."""
    return router.route(conversation, **settings)


async def adecide(router: Router, conversation: Conversation, **settings: Any) -> RouteDecision:
    """``decide`` off the event loop (the first call loads the encoder)."""
    return await router.aroute(conversation, **settings)


def emit_decision(decision: RouteDecision, child: Optional[str], source: str) -> None:
    """Fire a ``RouteDecisionEvent`` through the instrumentation dispatcher."""
    dispatcher.event(RouteDecisionEvent(decision=decision_record(decision), child=child, source=source))
