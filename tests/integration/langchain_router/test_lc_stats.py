"""Route statistics on the LangChain side: RouteStats as a callback and collect_route_stats()."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tracers.base import BaseTracer
from lc_fakes import FailingChatModel

from fake_chat_model import FakeToolChatModel

from langchain_router import RouterChatModel, RouteStats, collect_route_stats

EASY, HARD = "hi", "Prove that there are infinitely many primes."


def test_collect_route_stats_counts_routes_fallbacks_and_cost(default_router) -> None:
    strong, weak = FakeToolChatModel(model_name="s"), FakeToolChatModel(model_name="w")
    llm = RouterChatModel(strong=strong, weak=weak, core=default_router)
    down = RouterChatModel(strong=FailingChatModel(model_name="down"), weak=weak, core=default_router, threshold=0.0)
    expected = [default_router.route(p).route for p in (EASY, HARD)]
    with collect_route_stats(prices={"s": (10.0, 30.0), "weak": (0.1, 0.2)}) as stats:
        answers = [llm.invoke(EASY), llm.invoke(HARD), down.invoke(HARD)]
        list(llm.stream(EASY))  # streamed calls count too
    assert stats.calls == 4 and stats.fallbacks == 1
    assert stats.routes["strong"] == expected.count("strong") + 1 + (expected[0] == "strong")
    assert stats.strong_share == pytest.approx(stats.routes["strong"] / 4)
    assert stats.children["w"] == 4 - stats.children["s"]
    cost = 0.0
    for answer in answers:
        rec, usage = answer.response_metadata["winroute"], answer.usage_metadata
        price = (10.0, 30.0) if rec["child"] == "s" else (0.1, 0.2)
        cost += (usage["input_tokens"] * price[0] + usage["output_tokens"] * price[1]) / 1e6
    assert stats.estimated_cost > cost > 0  # the streamed call adds its own share
    assert stats.summary()["calls"] == 4
    llm.invoke(EASY)  # outside the block: not counted
    assert stats.calls == 4


def test_route_stats_as_a_callback_ignores_other_models(default_router) -> None:
    plain = FakeToolChatModel(model_name="plain")
    llm = RouterChatModel(strong=FakeToolChatModel(model_name="s"), weak=FakeToolChatModel(model_name="w"), core=default_router)
    stats = RouteStats()
    llm.invoke([HumanMessage(EASY)], config={"callbacks": [stats]})
    plain.invoke(EASY, config={"callbacks": [stats]})
    assert stats.calls == 1 and stats.unpriced_calls == 1 and stats.estimated_cost == 0.0


class _Runs(BaseTracer):
    """A tracer keeping every finished run (as LangSmith's tracer would send it)."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: list = []

    def _persist_run(self, run) -> None:  # noqa: ANN001
        self.finished.append(run)

    def _on_llm_end(self, run) -> None:  # noqa: ANN001
        self.finished.append(run)


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_run_metadata_names_the_child(default_router, asynchronous: bool) -> None:
    """invoke / ainvoke name the child in the run's metadata (langchain-core 1.8 hands ``_stream`` no run
    manager, so a streamed call carries the record on its first chunk only)."""
    llm = RouterChatModel(strong=FakeToolChatModel(model_name="s"), weak=FakeToolChatModel(model_name="w"),
                          core=default_router, threshold=1.0)
    tracer = _Runs()
    if asynchronous:
        await llm.ainvoke(EASY, config={"callbacks": [tracer]})
    else:
        llm.invoke(EASY, config={"callbacks": [tracer]})
    metadata = tracer.finished[0].extra["metadata"]
    assert metadata["ls_provider"] == "fake" and metadata["ls_model_name"] == "w"
    assert metadata["winroute_route"] == "weak" and metadata["winroute_child"] == "w"
