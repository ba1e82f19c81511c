"""RouterSelector on its own: matching choices to routes, results, events, defaults."""

from __future__ import annotations

import pytest
from li_fakes import STRONG_MODEL, WEAK_MODEL, ThreeWayRouter
from llama_index.core.selectors import BaseSelector, SelectorResult
from llama_index.core.tools import ToolMetadata

from core import InvalidConversationError
from llamaindex_router import RouterLLM, RouterSelection, RouterSelector, default_router

HARD_Q, EASY_Q = "a hard question", "an easy question"


def named(*names: str) -> list[ToolMetadata]:
    return [ToolMetadata(name=n, description=f"engine {n}") for n in names]


async def test_select_by_name_position_and_model(kw_router, routes):
    selector = RouterSelector(kw_router)
    assert isinstance(selector, BaseSelector)
    result = selector.select(named("weak", "strong"), HARD_Q)
    assert isinstance(result, RouterSelection) and isinstance(result, SelectorResult)
    assert result.ind == 1 and result.route == "strong" and result.model == STRONG_MODEL and result.choice == "strong"
    assert result.score == pytest.approx(0.9) and result.threshold == 0.5
    assert result.reason.startswith("score 0.900 >= threshold 0.500") and result.decision["router"] == "keyword"
    assert selector.select(["strong engine", "weak engine"], EASY_Q).ind == 1  # by position
    assert (await selector.aselect(named(WEAK_MODEL, STRONG_MODEL), EASY_Q)).ind == 0  # by model name
    assert [(e.source, e.child) for e in routes.decisions] == [("selector", "strong"), ("selector", "1"), ("selector", WEAK_MODEL)]


@pytest.mark.parametrize(
    "choices",
    [named("strong", "other"), named("strong", "strong"), ["only one"], ["a", "b", "c"]],
)
def test_bad_choices(kw_router, choices):
    with pytest.raises(ValueError):
        RouterSelector(kw_router).select(choices, HARD_Q)


async def test_threshold_share_and_bad_query(kw_router):
    assert RouterSelector(kw_router, threshold=0.0).select(["s", "w"], EASY_Q).route == "strong"
    with pytest.raises(ValueError):
        RouterSelector(kw_router, threshold=0.2, strong_share=0.5)
    with pytest.raises(InvalidConversationError):
        await RouterSelector(kw_router).aselect(["s", "w"], "  ")


def test_prompts_are_empty(kw_router):
    selector = RouterSelector(kw_router)
    assert selector.get_prompts() == {}
    selector.update_prompts({})


def test_n_way_selection():
    selector = RouterSelector(ThreeWayRouter("beta"))
    result = selector.select(named("gamma", "alpha", "beta"), "anything")
    assert result.ind == 2 and result.route == "beta"
    assert selector.select(["first", "second", "third"], "anything").ind == 1


def test_no_argument_defaults_share_the_bundled_router():
    from li_fakes import KeyedLLM

    selector = RouterSelector()
    llm = RouterLLM(strong=KeyedLLM(), weak=KeyedLLM())
    assert selector.router is default_router() is llm.router
    assert selector.select(["strong", "weak"], "What is 2 + 2?").route in ("strong", "weak")
