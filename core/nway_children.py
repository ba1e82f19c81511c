"""Helpers the framework adapters share: children named after a router's models, priced by specs.

Shared by ``langchain_router`` and ``llamaindex_router``. No routing logic lives here: decisions
come from ``Router.route``; this module maps the names users give to the router's models, checks
the settings once (through ``Router.policy_for``), and orders the fallbacks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .costs import ModelSpec, specs_by_name
from .errors import UnknownModelError
from .policies import NWAY, PAIRWISE, SETTING_NAMES, SETTINGS, Threshold, policy_for
from .router import RouteDecision, Router

BINARY_SETTINGS = SETTINGS[PAIRWISE]
"""Per-call settings of a two-model router."""
NWAY_SETTINGS = SETTINGS[NWAY]
"""Per-call settings of an N-way router."""


def is_nway(router: Any) -> bool:
    """Whether ``router`` routes among N models (a ``Router`` over a quality scorer)."""
    return isinstance(router, Router) and router.kind == NWAY


def child_routes(router: Router, names: Iterable[str], what: str = "child", plural: str = "children") -> dict[str, str]:
    """Each child's (or choice's) name -> the route it serves, for either kind of router.

    A child is named after a route or a model (canonical names accepted): ``"strong"``/``"weak"``
    or a model name for two models, a model name for N. Two children may not serve one route,
    and a two-model router needs a child for each of its two routes.
    """
    words = "the N-way" if router.kind == NWAY else "the two-model"
    out: dict[str, str] = {}
    for name in names:
        try:
            route = router.resolve_route(str(name))
        except UnknownModelError:
            raise UnknownModelError(
                f"{what} {name!r} is not a model of {words} router {router.name!r}; name each {what} after "
                f"the model it is (the router's models: {', '.join(router.models)})"
            ) from None
        for other, seen in out.items():
            if seen == route:
                raise ValueError(f"{plural} {other!r} and {name!r} both stand for model {router.model_for(route)!r}")
        out[str(name)] = route
    if not out:
        raise ValueError(f"{'an N-way' if router.kind == NWAY else 'a two-model'} router needs at least one {what}")
    missing = [r for r in router.routes if r not in out.values()]
    if router.kind == PAIRWISE and missing:
        raise ValueError(f"no {what} for the {missing[0]} route ({plural}: {', '.join(out)})")
    return out


child_models = child_routes
"""The earlier name (N-way routers: a route is the model's name)."""


def priced(
    router: Router,
    children: Mapping[str, str],
    specs: Sequence[ModelSpec] | Mapping[str, ModelSpec] | None,
    what: str = "child",
    plural: str = "children",
) -> Router:
    """``router`` pricing its models by ``specs``: one spec per child (``children``: name -> model).

    Without specs, ``router`` itself (its own prices apply). Otherwise a new router from
    :meth:`Router.with_specs`, sharing the fitted scorer. A spec may be named after the child
    or the router's model; it must name one of the children, and every child needs one.
    """
    if specs is None:
        return router
    given = specs_by_name(specs)
    for name in given:
        try:
            router.resolve_route(name)
        except UnknownModelError:
            raise ValueError(
                f"ModelSpec {name!r} names no model of the N-way router {router.name!r} "
                f"(its models: {', '.join(router.models)})"
            ) from None
    repriced = router.with_specs(given)  # refuses two specs for one model
    chosen = list(dict.fromkeys(router.model_for(name) for name in given))
    missing = [name for name, model in children.items() if model not in chosen]
    if missing:
        raise ValueError(
            f"no ModelSpec for {plural} {missing}: give one spec per {what}, or none to use the router's own prices"
        )
    extra = [model for model in chosen if model not in children.values()]
    if extra:
        raise ValueError(f"ModelSpec(s) for {extra}, which are not {plural} here ({plural}: {', '.join(children)})")
    return repriced


def check_settings(
    router: Any, settings: Mapping[str, Any], *, models: Sequence[str] | None = None, validate: bool = True
) -> dict[str, Any]:
    """The settings meant for ``router``'s kind (``None`` values dropped); settings of the other kind fail.

    Checked as the router checks them (:meth:`Router.policy_for`); with ``validate`` they are
    also resolved as the router will (a budget needs the router's reference prompts): for
    settings given at construction, so they fail early.
    """
    given = {k: settings.get(k) for k in SETTING_NAMES}
    if not isinstance(router, Router):  # a duck-typed two-model router (tests' fakes)
        policy_for(PAIRWISE, Threshold(), **given)  # settings of the other kind fail
        if validate:
            router.threshold_for(threshold=given["threshold"], strong_share=given["strong_share"])
        return {k: given[k] for k in BINARY_SETTINGS if given[k] is not None}
    if validate:
        router.resolved_policy(None, models, **given)
    else:
        router.policy_for(**given)
    return {k: given[k] for k in router.settings if given[k] is not None}


def fallback_order(decision: RouteDecision, routes: Sequence[str]) -> list[str]:
    """The chosen route first, then the others by the decision's utility (best first; declared order
    where it has none, e.g. for forced or sticky decisions, or with a two-model router)."""
    first = decision.route
    others = [r for r in routes if r != first]
    utilities = decision.utilities or {}

    def rank(route: str) -> float:
        value = utilities.get(route)
        return -value if isinstance(value, float) and math.isfinite(value) else math.inf

    return [first, *sorted(others, key=rank)]
