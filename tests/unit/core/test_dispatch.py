"""core.dispatch: fallback order, failure notes, streams and records, independent of any framework.

Children here are plain Python callables that answer, raise or stream on cue: the dispatcher
only ever sees ``route -> answer`` callables, so no model is needed to exercise it.
"""

from __future__ import annotations

import asyncio
import math
import threading

import pytest

from core.child_calls import ChildTimeoutError, EmptyAnswerError
from core.dispatch import Dispatcher, Failure, Served, child_routes, describe
from core.errors import UnknownModelError
from core.router import RouteDecision


def decision(route: str, utilities: dict[str, float] | None = None) -> RouteDecision:
    return RouteDecision(route, route, 0.7, 0.5, "test", utilities=utilities or {})


def answers(**behaviour: object):
    """A child per route: a value to return, or an exception to raise."""
    calls: list[str] = []

    def call(route: str) -> object:
        calls.append(route)
        outcome = behaviour[route]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return call, calls


LABELS = {"strong": "gpt-big", "weak": "gpt-small"}


def test_chosen_child_answers_without_fallback() -> None:
    call, calls = answers(strong="S", weak="W")
    served = Dispatcher(["strong", "weak"], LABELS).run(decision("weak"), call)
    assert served == Served("W", "weak", ())
    assert calls == ["weak"] and not served.fell_back


def test_transient_failure_falls_back_and_is_recorded() -> None:
    call, calls = answers(strong=ConnectionError("down"), weak="W")
    d = Dispatcher(["strong", "weak"], LABELS)
    served = d.run(decision("strong"), call)
    assert (served.value, served.route, calls) == ("W", "weak", ["strong", "weak"])
    record = d.record(decision("strong"), served)
    assert record["child"] == "gpt-small" and record["child_route"] == "weak"
    assert record["fallback"] is True and record["fallback_from"] == "gpt-big"
    assert record["error"] == "ConnectionError: down"
    assert record["route"] == "strong"  # the decision is kept as the router made it


def test_on_fallback_hook_sees_failed_and_next_child() -> None:
    seen: list[tuple[str, str, str]] = []
    call, _ = answers(strong=ConnectionError("down"), weak="W")
    Dispatcher(["strong", "weak"], on_fallback=lambda a, b, e: seen.append((a, b, str(e)))).run(decision("strong"), call)
    assert seen == [("strong", "weak", "down")]


def test_non_transient_failure_is_raised_with_a_note() -> None:
    call, calls = answers(strong=ValueError("bad request"), weak="W")
    with pytest.raises(ValueError, match="bad request") as info:
        Dispatcher(["strong", "weak"], LABELS).run(decision("strong"), call)
    assert calls == ["strong"]
    assert any("not transient" in note and "'gpt-big'" in note for note in info.value.__notes__)


def test_fallback_on_widens_what_falls_back() -> None:
    call, _ = answers(strong=ValueError("bad"), weak="W")
    assert Dispatcher(["strong", "weak"], fallback_on=(ValueError,)).run(decision("strong"), call).route == "weak"


def test_every_child_failing_raises_the_chosen_ones_error_with_notes() -> None:
    call, calls = answers(a=ConnectionError("a down"), b=TimeoutError("b slow"), c=ConnectionError("c down"))
    with pytest.raises(ConnectionError, match="a down") as info:
        Dispatcher(["a", "b", "c"]).run(decision("a"), call)
    assert calls == ["a", "b", "c"]
    notes = info.value.__notes__
    assert len(notes) == 2 and "TimeoutError: b slow" in notes[0] and "c down" in notes[1]


def test_without_fallback_only_the_chosen_child_is_tried() -> None:
    call, calls = answers(strong=ConnectionError("down"), weak="W")
    with pytest.raises(ConnectionError):
        Dispatcher(["strong", "weak"], fallback=False).run(decision("strong"), call)
    assert calls == ["strong"]


def test_fallback_order_follows_the_decisions_utilities() -> None:
    d = Dispatcher(["a", "b", "c"])
    assert d.candidates(decision("b", {"a": 0.1, "b": 0.9, "c": 0.5})) == ["b", "c", "a"]
    assert d.candidates(decision("c", {"a": math.nan})) == ["c", "a", "b"]  # nothing ranked: declared order


def test_a_route_no_child_serves_is_refused() -> None:
    with pytest.raises(KeyError, match="'x'"):
        Dispatcher(["strong", "weak"]).candidates(decision("x"))
    with pytest.raises(ValueError):
        Dispatcher([])


def test_a_slow_child_times_out_and_falls_back() -> None:
    release = threading.Event()

    def call(route: str) -> str:
        if route == "strong":
            release.wait(5)
            return "late"
        return "W"

    try:
        served = Dispatcher(["strong", "weak"], timeout=0.05).run(decision("strong"), call)
    finally:
        release.set()
    assert served.route == "weak" and isinstance(served.failures[0].error, ChildTimeoutError)


def test_async_run_falls_back_and_times_out() -> None:
    async def call(route: str) -> str:
        if route == "strong":
            await asyncio.sleep(5)
        return route.upper()

    served = asyncio.run(Dispatcher(["strong", "weak"], timeout=0.05).arun(decision("strong"), call))
    assert served.value == "WEAK" and served.failures[0].route == "strong"


def test_an_empty_stream_falls_back() -> None:
    streams = {"strong": [], "weak": ["w1", "w2"]}
    served = Dispatcher(["strong", "weak"]).stream(decision("strong"), lambda r: iter(streams[r]))
    assert served.route == "weak" and isinstance(served.failures[0].error, EmptyAnswerError)
    assert list(served.value) == ["w1", "w2"]


def test_a_stream_failing_after_its_first_chunk_is_raised_with_a_note() -> None:
    closed: list[str] = []

    def start(route: str):
        def gen():
            try:
                yield "s1"
                raise ConnectionError("cut")
            finally:
                closed.append(route)

        return gen()

    served = Dispatcher(["strong", "weak"]).stream(decision("strong"), start)
    chunks = []
    with pytest.raises(ConnectionError) as info:
        for chunk in served.value:
            chunks.append(chunk)
    assert chunks == ["s1"] and closed == ["strong"]
    assert any("after 1 chunk(s)" in note for note in info.value.__notes__)


def test_async_stream_falls_back_before_the_first_chunk() -> None:
    async def start(route: str):
        async def gen():
            if route == "strong":
                raise ConnectionError("down")
            for chunk in ("w1", "w2"):
                yield chunk

        return gen()  # an awaitable of a stream, as LlamaIndex's astream_chat returns

    async def main() -> tuple[Served, list[str]]:
        served = await Dispatcher(["strong", "weak"]).astream(decision("strong"), start)
        return served, [chunk async for chunk in served.value]

    served, chunks = asyncio.run(main())
    assert served.route == "weak" and chunks == ["w1", "w2"]
    assert served.failures == (Failure("strong", served.failures[0].error),)


def test_describe_is_one_line() -> None:
    assert describe(RuntimeError("line one\n  line two")) == "RuntimeError: line one line two"


# -- names -------------------------------------------------------------------------------------
class _Router:
    """What ``resolve`` asks of a router: model names to routes."""

    def resolve_route(self, name: str) -> str:
        table = {"gpt-big": "strong", "gpt-small": "weak", "other-model": "medium", "strong": "strong", "weak": "weak"}
        name = name.lower() if name.lower() in ("strong", "weak") else name
        if name not in table:
            raise UnknownModelError(f"unknown {name!r}")
        return table[name]


def test_resolve_routes_names_aliases_and_router_models() -> None:
    d = Dispatcher(["strong", "weak"], {"strong": "local-big", "weak": "local-small"}, aliases={"weak": ["mini"]})
    assert d.resolve(" Strong ") == "strong" and d.resolve("local-small") == "weak" and d.resolve("mini") == "weak"
    assert d.resolve("gpt-big", _Router()) == "strong"  # a model of the router, served by a child
    with pytest.raises(UnknownModelError, match="not one of this model's children: strong='local-big'"):
        d.resolve("other-model", _Router())
    with pytest.raises(UnknownModelError, match="unknown route or model 'nope'"):
        d.resolve("nope", _Router())
    with pytest.raises(UnknownModelError, match="no child is named 'gpt-big'"):
        d.resolve("gpt-big")  # without the router, only the children's own names
    shared = Dispatcher(["a", "b", "c"], aliases={"a": ["x"], "b": ["x"]})
    with pytest.raises(UnknownModelError, match="'x' names several children; use one of 'a', 'b'"):
        shared.resolve("x")
    pair = Dispatcher(["strong", "weak"], aliases={"strong": ["x"], "weak": ["x"]})
    with pytest.raises(UnknownModelError, match="names both children"):
        pair.resolve("x")


def test_child_and_listing() -> None:
    d = Dispatcher(["strong", "weak"], LABELS)
    assert d.child("weak") == "gpt-small" and d.listing() == "strong='gpt-big', weak='gpt-small'"
    assert Dispatcher(["m1", "m2"]).listing() == "'m1', 'm2'"
    with pytest.raises(UnknownModelError, match="no child serves route 'x'"):
        d.child("x")
    with pytest.raises(UnknownModelError, match=r"the router chose 'x' \(test\), which no child serves"):
        d.candidates(decision("x"))


def test_of_takes_a_front_ends_settings_and_record_its_fields() -> None:
    class Front:
        fallback, fallback_on, timeout = False, (ValueError,), 2.5

    d = Dispatcher.of(Front(), ["strong", "weak"], LABELS)
    assert (d.fallback, d.fallback_on, d.timeout) == (False, (ValueError,), 2.5)
    served = Served("W", "weak", (Failure("strong", ConnectionError("down")),))
    record = d.record(decision("strong"), served, child_model="m", forced=False)
    assert list(record)[-7:] == ["child", "child_route", "child_model", "forced", "fallback", "fallback_from", "error"]
    assert (record["child_model"], record["forced"], record["fallback_from"]) == ("m", False, "gpt-big")


def test_child_routes_matches_each_child_to_one_route() -> None:
    class Pair(_Router):
        name, models = "pair", ("gpt-big", "gpt-small")

    assert child_routes(Pair(), ["gpt-small", "STRONG"]) == {"gpt-small": "weak", "STRONG": "strong"}
    with pytest.raises(UnknownModelError, match="child 'gpt-x' is neither a route nor a model of router 'pair'"):
        child_routes(Pair(), ["gpt-x", "weak"])
    with pytest.raises(ValueError, match="children 'strong' and 'gpt-big' both stand for the 'strong' route"):
        child_routes(Pair(), ["strong", "gpt-big"])
    with pytest.raises(ValueError, match="no choice for the weak route of router 'pair'"):
        child_routes(Pair(), ["strong"], "choice")
