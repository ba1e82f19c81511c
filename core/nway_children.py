"""N-way routing for the framework adapters: children named after an N-way router's models, priced by specs.

Shared by ``langchain_router`` and ``llamaindex_router``. No routing logic lives here: decisions
come from ``NWayRouter.route``; this module maps the names users give to the router's models,
checks the settings once, and orders the fallbacks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .costs import ModelSpec, specs_by_name
from .errors import UnknownModelError
from .nway_router import NWayRouter
from .router import RouteDecision

BINARY_SETTINGS = ("threshold", "strong_share")
"""Per-call settings of a two-model router."""
NWAY_SETTINGS = ("cost_weight", "budget_per_1k", "min_quality")
"""Per-call settings of an N-way router."""


def is_nway(router: Any) -> bool:
    """Whether ``router`` routes among N models (a ``core.NWayRouter``)."""
    return isinstance(router, NWayRouter)


def child_models(router: NWayRouter, names: Iterable[str], what: str = "child", plural: str = "children") -> dict[str, str]:
    """Each child's (or choice's) name -> the router's model it stands for (canonical names accepted)."""
    out: dict[str, str] = {}
    for name in names:
        try:
            model = router.resolve_route(str(name))
        except UnknownModelError:
            raise UnknownModelError(
                f"{what} {name!r} is not a model of the N-way router {router.name!r}; name each {what} after "
                f"the model it is (the router's models: {', '.join(router.models)})"
            ) from None
        for other, seen in out.items():
            if seen == model:
                raise ValueError(f"{plural} {other!r} and {name!r} both stand for model {model!r}")
        out[str(name)] = model
    if not out:
        raise ValueError(f"an N-way router needs at least one {what}")
    return out


class PricedRouter(NWayRouter):
    """A live view of an N-way router whose models are priced by other specs.

    Everything but ``specs`` (predictor, embedder, cost weight, reference prompts, name...)
    is read from ``base`` at each use, so calibrating ``base`` later is seen here too.
    """

    def __init__(self, base: NWayRouter, specs: Mapping[str, ModelSpec]) -> None:  # noqa: D107 - no super().__init__
        self.base = base
        # same models in the same order as base: reference qualities are indexed by it
        self.specs = {name: specs.get(name, spec) for name, spec in base.specs.items()}

    def __getattr__(self, name: str) -> Any:
        base = self.__dict__.get("base")
        if base is None:
            raise AttributeError(name)
        return getattr(base, name)


def priced(
    router: NWayRouter,
    children: Mapping[str, str],
    specs: Sequence[ModelSpec] | Mapping[str, ModelSpec] | None,
    what: str = "child",
    plural: str = "children",
) -> NWayRouter:
    """``router`` pricing its models by ``specs``: one spec per child (``children``: name -> model).

    Without specs the router's own prices apply. A spec may be named after the child or the
    router's model; it must name one of the children, and every child needs one.
    """
    if specs is None:
        return router
    given = specs_by_name(specs)
    by_model: dict[str, ModelSpec] = {}
    for name, spec in given.items():
        try:
            model = router.resolve_route(name)
        except UnknownModelError:
            raise ValueError(
                f"ModelSpec {name!r} names no model of the N-way router {router.name!r} "
                f"(its models: {', '.join(router.models)})"
            ) from None
        if model in by_model:
            raise ValueError(f"two ModelSpecs are given for model {model!r}")
        by_model[model] = spec if spec.name == model else dataclasses.replace(spec, name=model)
    missing = [name for name, model in children.items() if model not in by_model]
    if missing:
        raise ValueError(
            f"no ModelSpec for {plural} {missing}: give one spec per {what}, or none to use the router's own prices"
        )
    extra = [model for model in by_model if model not in children.values()]
    if extra:
        raise ValueError(f"ModelSpec(s) for {extra}, which are not {plural} here ({plural}: {', '.join(children)})")
    return PricedRouter(router, by_model)


def check_settings(
    router: Any, settings: Mapping[str, Any], *, models: Sequence[str] | None = None, validate: bool = True
) -> dict[str, Any]:
    """The settings meant for ``router``'s kind (``None`` values dropped); settings of the other kind fail.

    With ``validate`` their values are checked too, as the router will (a budget needs the
    router's reference prompts): for settings given at construction, so they fail early.
    """
    nway = is_nway(router)
    own, other = (NWAY_SETTINGS, BINARY_SETTINGS) if nway else (BINARY_SETTINGS, NWAY_SETTINGS)
    wrong = [k for k in other if settings.get(k) is not None]
    if wrong:
        kind = "an N-way" if nway else "a two-model"
        raise ValueError(
            f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a setting of {kind} router; "
            f"{kind} router takes {' or '.join(own)}"
        )
    out = {k: settings[k] for k in own if settings.get(k) is not None}
    if not validate:
        return out
    if nway:
        min_quality = out.get("min_quality")
        if min_quality is not None and not (isinstance(min_quality, (int, float)) and 0.0 <= min_quality <= 1.0):
            raise ValueError(f"min_quality must be in [0, 1], got {min_quality!r}")
        router.cost_weight_for(cost_weight=out.get("cost_weight"), budget_per_1k=out.get("budget_per_1k"), models=models)
    else:
        router.threshold_for(threshold=out.get("threshold"), strong_share=out.get("strong_share"))
    return out


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
