"""Helpers the front ends share: children priced by specs, settings checked, fallbacks ordered.

Shared by ``langchain_router`` and ``llamaindex_router``. No routing logic lives here: decisions
come from ``Router.route``; this module maps the names users give to the router's models, checks
the settings once (through ``Router.policy_for``), and orders the fallbacks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .costs import ModelSpec, specs_by_name
from .errors import UnknownModelError
from .policies import NWAY, PAIRWISE, SETTING_NAMES, SETTINGS, Threshold, policy_for
from .router import RouteDecision, Router

BINARY_SETTINGS = SETTINGS[PAIRWISE]
"""Per-call settings of a two-model router."""
NWAY_SETTINGS = SETTINGS[NWAY]
"""Per-call settings of an N-way router."""


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
    if router.kind != NWAY:
        raise ValueError(f"specs= price the children of an N-way router; router {router.name!r} has two models and no prices")
    given = specs_by_name(specs)
    for name in given:
        try:
            router.resolve_route(name)
        except UnknownModelError:
            raise ValueError(
                f"ModelSpec {name!r} names no model of router {router.name!r} "
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
