"""One routed call, dispatched: the chosen child first, then the others in fallback order.

Written once for every front end (the LangChain and LlamaIndex adapters, the server). A
child is reached through a callable the front end gives (``route -> answer``), so this module
knows nothing of frameworks. The rules:

- a failure falls back only when it is worth it (``core.child_calls.is_transient``, or the
  exception types given as ``fallback_on``); any other failure is raised at once, with a note
  saying why there was no fallback;
- when every child failed, the chosen child's exception is raised (its type kept), with a
  note per fallback that failed too;
- a stream falls back while nothing has been delivered (an empty stream is a failure); once
  a chunk is out, a failure is raised with a note saying how much had been streamed.

It also maps the names a user gives a child (a route, the child's name, another name it
answers to, or a model of the router that a child serves) to the child's route, prices the
children by the specs given (:func:`priced`), and checks a front end's settings once
(:func:`check_settings`).
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from .child_calls import EmptyAnswerError, acall_with_timeout, call_with_timeout, is_transient, note_interrupted
from .costs import ModelSpec, specs_by_name
from .errors import InvalidArgumentError, UnknownModelError
from .policies import NWAY, PAIRWISE, SETTING_NAMES, SETTINGS, Threshold, policy_for
from .router import RouteDecision, Router

logger = logging.getLogger("winroute")

T = TypeVar("T")


class Failure(NamedTuple):
    """A child that failed before answering, and how."""

    route: str
    error: Exception


@dataclass(frozen=True)
class Served(Generic[T]):
    """A child's answer (or, for a stream, its chunks), the route that gave it, and who failed first."""

    value: T
    route: str
    failures: tuple[Failure, ...] = ()

    @property
    def fell_back(self) -> bool:
        return bool(self.failures)


def describe(exc: BaseException) -> str:
    """``"TypeName: message"`` on one line: the ``error`` of a fallback's record."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


class DispatchSettings(Protocol):
    """The dispatch fields a front end carries (``RouterChatModel``, ``RouterLLM``, the server's settings)."""

    fallback: bool
    fallback_on: tuple[type[BaseException], ...] | None
    timeout: float | None


class RouteResolver(Protocol):
    """What ``Dispatcher.resolve`` asks of a router: the route a model name stands for."""

    def resolve_route(self, name: str) -> str: ...


def router_routes(router: Any) -> list[str]:
    """The router's routes, in the order of ``router.models`` (strong first for a two-model router)."""
    return [router.resolve_route(model) for model in router.models]


def child_routes(router: Any, names: Iterable[str], what: str = "child", plural: str | None = None) -> dict[str, str]:
    """Each child's (or choice's) name -> the route it serves, in the order given, for either kind of router.

    A child is named after a route or a model of ``router`` (canonical names accepted):
    ``"strong"``/``"weak"`` or a model name for two models, a model name for N. An unknown name
    is an ``UnknownModelError``; no name, two names for one route, or routes the router cannot
    route among (a two-model router needs a child per route; an N-way one takes some of its
    models) a ``ValueError``.
    """
    plural = plural or ("children" if what == "child" else f"{what}s")
    routes, models = router_routes(router), list(router.models)
    known = (
        f"models: {', '.join(models)}"
        if routes == models
        else f"routes: {', '.join(routes)}; models: {', '.join(models)}"
    )
    out: dict[str, str] = {}
    for name in names:
        try:
            route = router.resolve_route(str(name))
        except UnknownModelError:
            raise UnknownModelError(
                f"{what} {name!r} is neither a route nor a model of router {router.name!r}; name each {what} "
                f"after the route or model it serves ({known})"
            ) from None
        other = next((n for n, r in out.items() if r == route), None)
        if other is not None:
            raise ValueError(f"{plural} {other!r} and {name!r} both stand for the {route!r} route")
        out[str(name)] = route
    if not out:
        raise ValueError(f"router {router.name!r} needs at least one {what} ({known})")
    scorer = getattr(router, "scorer", None)
    try:  # the router says whether it can route among these routes only (a pair needs both)
        if scorer is not None:
            scorer.candidates(list(out.values()))
        elif getattr(router, "kind", PAIRWISE) != NWAY and set(out.values()) != set(routes):  # a duck-typed router
            raise InvalidArgumentError("a child per route")
    except InvalidArgumentError:
        missing = [r for r in routes if r not in out.values()]
        which = "routes" if len(missing) > 1 else "route"
        raise ValueError(
            f"no {what} for the {', '.join(missing)} {which} of router {router.name!r} ({plural}: {', '.join(out)})"
        ) from None
    return out


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
        raise ValueError(
            f"specs= price the children of an N-way router; router {router.name!r} has two models and no prices"
        )
    given = specs_by_name(specs)
    for name in given:
        try:
            router.resolve_route(name)
        except UnknownModelError:
            raise ValueError(
                f"ModelSpec {name!r} names no model of router {router.name!r} (its models: {', '.join(router.models)})"
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
        return {k: given[k] for k in SETTINGS[PAIRWISE] if given[k] is not None}
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


def _note(exc: BaseException, note: str) -> None:
    if hasattr(exc, "add_note"):  # Python >= 3.11
        exc.add_note(note)


class Dispatcher:
    """Calls children for routed decisions, with fallback, a per-child time limit and one record format.

    ``routes``: the routes children serve, in declared order (the fallback order when a
    decision ranks nothing). ``labels``: the child name per route, for messages and records
    (default: the route itself). ``fallback``: try other children at all. ``fallback_on``:
    exception types to fall back on (default: transient failures only). ``timeout``: seconds a
    child may take to answer or to start streaming. ``on_fallback(failed, next, error)`` is
    called before each fallback (adapters emit their framework's event there). ``aliases``:
    other names a route's child answers to in ``resolve`` (e.g. its provider's model name).
    """

    def __init__(
        self,
        routes: Sequence[str],
        labels: Mapping[str, str] | None = None,
        *,
        aliases: Mapping[str, Iterable[str]] | None = None,
        fallback: bool = True,
        fallback_on: tuple[type[BaseException], ...] | None = None,
        timeout: float | None = None,
        on_fallback: Callable[[str, str, Exception], None] | None = None,
    ) -> None:
        if not routes:
            raise ValueError("a dispatcher needs at least one route")
        self.routes = list(routes)
        self.labels = {route: (labels or {}).get(route, route) for route in self.routes}
        self.aliases = {route: {self.labels[route], *(aliases or {}).get(route, ())} for route in self.routes}
        self.fallback = fallback
        self.fallback_on = fallback_on
        self.timeout = timeout
        self.on_fallback = on_fallback

    @classmethod
    def of(
        cls,
        settings: DispatchSettings,
        routes: Sequence[str],
        labels: Mapping[str, str] | None = None,
        *,
        aliases: Mapping[str, Iterable[str]] | None = None,
        on_fallback: Callable[[str, str, Exception], None] | None = None,
    ) -> Dispatcher:
        """A dispatcher with a front end's ``fallback``, ``fallback_on`` and ``timeout``."""
        return cls(
            routes,
            labels,
            aliases=aliases,
            fallback=settings.fallback,
            fallback_on=settings.fallback_on,
            timeout=settings.timeout,
            on_fallback=on_fallback,
        )

    # -- names ---------------------------------------------------------------------------------
    def listing(self) -> str:
        """The children for messages: ``"strong='a', weak='b'"``; routes named after their child: ``"'a', 'b'"``."""
        return ", ".join(
            repr(label) if route == label else f"{route}={label!r}" for route, label in self.labels.items()
        )

    def resolve(self, name: str, router: RouteResolver | None = None) -> str:
        """The route of the child ``name`` stands for.

        ``name`` is a route (case aside), a child's name or one of its aliases, or (with
        ``router``) a model the router knows by a route that a child serves. A name that fits
        several children, or none, is an ``UnknownModelError`` listing the children.
        """
        key = str(name).strip()
        routes = {route.lower(): route for route in self.routes}
        if key.lower() in routes:
            return routes[key.lower()]
        matches = [route for route in self.routes if key in self.aliases[route]]
        if len(matches) > 1:
            both = "both" if len(matches) == 2 == len(self.routes) else "several"
            raise UnknownModelError(f"{name!r} names {both} children; use one of {', '.join(map(repr, matches))}")
        if matches:
            return matches[0]
        if router is None:
            raise UnknownModelError(f"no child is named {name!r}; the children are {self.listing()}")
        try:
            route = router.resolve_route(key)
        except UnknownModelError:
            raise UnknownModelError(f"unknown route or model {name!r}; the children are {self.listing()}") from None
        if route not in self.labels:
            raise UnknownModelError(
                f"model {name!r} is known to the router but is not one of this model's children: {self.listing()}"
            )
        return route

    def child(self, route: str) -> str:
        """The name of the child serving ``route`` (``UnknownModelError`` when none does)."""
        if route not in self.labels:
            raise UnknownModelError(f"no child serves route {route!r}; the children are {self.listing()}")
        return self.labels[route]

    # -- plan ----------------------------------------------------------------------------------
    def who(self, route: str) -> str:
        """``"the weak child 'gpt-4o-mini'"``; where the route is the child's name: ``"the child 'x'"``."""
        label = self.labels.get(route, route)
        return f"the child {label!r}" if route == label else f"the {route} child {label!r}"

    def candidates(self, decision: RouteDecision) -> list[str]:
        """The routes to try, in order: the decision's, then (with fallback) the others by its utilities."""
        if decision.route not in self.labels:  # e.g. a sticky route recorded by another front end
            raise UnknownModelError(
                f"the router chose {decision.route!r} ({decision.reason}), which no child serves; "
                f"the children are {self.listing()}"
            )
        return fallback_order(decision, self.routes) if self.fallback else [decision.route]

    def record(self, decision: RouteDecision, served: Served[Any], **extra: Any) -> dict[str, Any]:
        """The routing record of an answer: the decision, the child that answered (with the front
        end's ``extra`` fields about it, e.g. ``child_model``), and any fallback."""
        record = decision.record()
        first = served.failures[0] if served.failures else None
        record.update(
            child=self.labels[served.route],
            child_route=served.route,
            **extra,
            fallback=first is not None,
            fallback_from=self.labels[first.route] if first else None,
            error=describe(first.error) if first else None,
        )
        return record

    # -- failures ------------------------------------------------------------------------------
    def _falls_back(self, exc: BaseException) -> bool:
        return isinstance(exc, self.fallback_on) if self.fallback_on is not None else is_transient(exc)

    def _failed(self, candidates: list[str], failures: list[Failure], route: str, exc: Exception) -> None:
        """Record a failing child; raise when no child is left or the failure is not one to fall back on."""
        if len(failures) + 1 < len(candidates) and not self._falls_back(exc):
            _note(
                exc,
                f"winroute: {self.who(route)} failed with an error that is not transient; no fallback "
                "(set fallback_on=(...) to fall back on it)",
            )
            raise self._exhausted([*failures, Failure(route, exc)])
        failures.append(Failure(route, exc))
        if len(failures) >= len(candidates):
            raise self._exhausted(failures)
        nxt = candidates[len(failures)]
        logger.warning("winroute: %s failed (%s); falling back to %s", self.who(route), describe(exc), self.who(nxt))
        if self.on_fallback is not None:
            self.on_fallback(route, nxt, exc)

    def _exhausted(self, failures: Sequence[Failure]) -> Exception:
        """The chosen child's exception (its type kept), noting what the fallbacks raised."""
        route, first = failures[0]
        for other, exc in failures[1:]:
            _note(first, f"winroute: fallback from {self.who(route)} to {self.who(other)} failed too: {describe(exc)}")
        return first

    # -- one answer ----------------------------------------------------------------------------
    def run(self, decision: RouteDecision, call: Callable[[str], T]) -> Served[T]:
        """``call(route)`` for the first child that answers."""
        candidates, failures = self.candidates(decision), list[Failure]()
        for route in candidates:
            try:
                value = call_with_timeout(partial(call, route), self.timeout, self.who(route))
            except Exception as exc:  # noqa: BLE001 - a child's failure may fall back
                self._failed(candidates, failures, route, exc)
                continue
            return Served(value, route, tuple(failures))
        raise AssertionError("unreachable")  # pragma: no cover - _failed raises on the last candidate

    async def arun(self, decision: RouteDecision, call: Callable[[str], Awaitable[T]]) -> Served[T]:
        """``await call(route)`` for the first child that answers."""
        candidates, failures = self.candidates(decision), list[Failure]()
        for route in candidates:
            try:
                value = await acall_with_timeout(call(route), self.timeout, self.who(route))
            except Exception as exc:  # noqa: BLE001
                self._failed(candidates, failures, route, exc)
                continue
            return Served(value, route, tuple(failures))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- streams -------------------------------------------------------------------------------
    def stream(self, decision: RouteDecision, start: Callable[[str], Iterable[T]]) -> Served[Generator[T, None, None]]:
        """The first child stream that delivers a chunk, as an iterator over all its chunks.

        The chosen child is asked first; a failure (or an empty stream) before its first chunk
        falls back. The returned iterator notes an interruption after that, and closes the
        child's stream when it is closed or exhausted.
        """
        candidates, failures = self.candidates(decision), list[Failure]()
        for route in candidates:
            try:
                stream, first = call_with_timeout(partial(self._open, start, route), self.timeout, self.who(route))
            except Exception as exc:  # noqa: BLE001 - nothing delivered yet: may fall back
                self._failed(candidates, failures, route, exc)
                continue
            return Served(self._relay(route, first, stream), route, tuple(failures))
        raise AssertionError("unreachable")  # pragma: no cover

    async def astream(
        self, decision: RouteDecision, start: Callable[[str], AsyncIterable[T] | Awaitable[AsyncIterable[T]]]
    ) -> Served[AsyncIterator[T]]:
        """``stream`` for async children (``start`` may return the stream or an awaitable of it)."""
        candidates, failures = self.candidates(decision), list[Failure]()
        for route in candidates:
            try:
                stream, first = await acall_with_timeout(
                    self._afirst(start(route), route), self.timeout, self.who(route)
                )
            except Exception as exc:  # noqa: BLE001
                self._failed(candidates, failures, route, exc)
                continue
            return Served(self._arelay(route, first, stream), route, tuple(failures))
        raise AssertionError("unreachable")  # pragma: no cover

    def _open(self, start: Callable[[str], Iterable[T]], route: str) -> tuple[Iterator[T], T]:
        return self._first(start(route), route)

    def _first(self, stream: Iterable[T], route: str) -> tuple[Iterator[T], T]:
        iterator = iter(stream)
        for first in iterator:
            return iterator, first
        raise EmptyAnswerError(f"{self.who(route)}: its stream ended without a chunk")

    async def _afirst(
        self, started: AsyncIterable[T] | Awaitable[AsyncIterable[T]], route: str
    ) -> tuple[AsyncIterator[T], T]:
        stream = await started if inspect.isawaitable(started) else started
        iterator = stream.__aiter__()
        try:
            return iterator, await iterator.__anext__()
        except StopAsyncIteration:
            raise EmptyAnswerError(f"{self.who(route)}: its stream ended without a chunk") from None

    def _relay(self, route: str, first: T, stream: Iterator[T]) -> Generator[T, None, None]:
        delivered = 0
        try:
            yield first
            delivered += 1
            for chunk in stream:
                yield chunk
                delivered += 1
        except Exception as exc:
            note_interrupted(exc, self.who(route), delivered)
            raise
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    async def _arelay(self, route: str, first: T, stream: AsyncIterator[T]) -> AsyncIterator[T]:
        delivered = 0
        try:
            yield first
            delivered += 1
            async for chunk in stream:
                yield chunk
                delivered += 1
        except Exception as exc:
            note_interrupted(exc, self.who(route), delivered)
            raise
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
