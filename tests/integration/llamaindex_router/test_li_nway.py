"""RouterLLM and RouterSelector with N children / choices and a real N-way router.

The router (``conftest.nway_router``) is a knn_quality router trained on 200 real
RouterBench-zs train prompts for four models; RouterLLM gets mock children for three of
them (answers of 1, 2 and 3 words tell them apart), so calls are routed among those three.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from li_fakes import NWAY_CHILDREN, FailingLLM, MidStreamFailingLLM
from llama_index.core.base.llms.types import ChatMessage, CompletionResponse, MessageRole
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import CustomQueryEngine, RouterQueryEngine
from llama_index.core.tools import QueryEngineTool, ToolMetadata

from core import ModelSpec, NWayRouter, UnknownModelError
from llamaindex_router import ROUTER_KEY, RouterLLM, RouterSelection, RouterSelector, router_record

MATH = "What is 17 * 23? Show your reasoning step by step."
CODE = "Write a Python function that returns the longest common subsequence of two strings."
PROMPTS = [MATH, CODE]
CHEAPEST = "mistral-7b-chat"
NOT_A_CHILD = "gpt-3.5-turbo-1106"
WORDS = {name: i + 1 for i, name in enumerate(NWAY_CHILDREN)}  # each child's answer length


class KwargsMockLLM(MockLLM):
    """A MockLLM that remembers the kwargs of its calls (routing settings must not reach it)."""

    seen: list = Field(default_factory=list, exclude=True)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.seen.append(kwargs)
        return super().complete(prompt, formatted=formatted, **kwargs)


def mocks() -> dict[str, MockLLM]:
    return {name: KwargsMockLLM(max_tokens=WORDS[name]) for name in NWAY_CHILDREN}


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


def pick(nway_router: NWayRouter, prompt: str, **settings: Any) -> str:
    return nway_router.route(prompt, models=list(NWAY_CHILDREN), **settings).model


def answered_by(text: str) -> str:
    return next(name for name, n in WORDS.items() if len(text.split()) == n)


@pytest.fixture()
def llm(nway_router):
    return RouterLLM(models=mocks(), core=nway_router)


# -- construction ------------------------------------------------------------------------------
def test_construction(nway_router, tmp_path):
    children = mocks()
    llm = RouterLLM(children=children, router=nway_router)  # the aliases of models= and core=
    assert llm.router.kind == "nway" and llm.router is nway_router and llm.children == children
    assert "gpt-4-1106-preview=" in llm.metadata.model_name and llm.metadata.model_name.startswith("winroute:rb-zs-200(")
    assert llm.to_dict()["class_name"] == "RouterLLM" and "children" not in llm.to_json()
    nway_router.save(tmp_path / "router")
    from_path = RouterLLM(models=mocks(), core=tmp_path / "router")
    assert isinstance(from_path.core, NWayRouter) and from_path.core.models == nway_router.models


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"models": {"gpt-9": MockLLM()}}, UnknownModelError, "child 'gpt-9' is neither a route nor a model of router"),
        ({"models": {"strong": MockLLM(), "weak": MockLLM()}}, UnknownModelError, "child 'strong' is neither a route nor a model"),
        ({"models": {CHEAPEST: MockLLM(), "Mistral-7B-Chat": MockLLM()}}, ValueError, "both stand for the 'mistral-7b-chat' route"),
        ({"strong": MockLLM(), "weak": MockLLM()}, UnknownModelError, "child 'strong' is neither a route nor a model"),
        ({}, ValueError, "needs its children: strong= and weak=, or models="),
        ({"threshold": 0.3}, ValueError, "threshold is not a setting of an N-way router"),
        ({"cost_weight": 1.0, "budget_per_1k": 1.0}, ValueError, "either cost_weight or budget_per_1k"),
        ({"cost_weight": -2.0}, ValueError, "cost_weight must be a finite number >= 0"),
        ({"min_quality": -0.1}, ValueError, r"min_quality must be in \[0, 1\]"),
        ({"specs": [ModelSpec(CHEAPEST, cost_per_call=0.1)]}, ValueError, "no ModelSpec for children"),
        ({"specs": [ModelSpec(n, cost_per_call=0.1) for n in (*NWAY_CHILDREN, "gpt-3.5-turbo-1106")]}, ValueError, "which are not children"),
        ({"children": {}, "models": {}}, ValueError, "either children= or models="),
    ],
)
def test_bad_configuration(nway_router, kwargs, error, match):
    if not ({"models", "children", "strong"} & set(kwargs)) and kwargs:
        kwargs = {"models": mocks(), **kwargs}
    with pytest.raises(error, match=match):
        RouterLLM(core=nway_router, **kwargs)


def test_nway_settings_need_an_nway_router(kw_router):
    with pytest.raises(ValueError, match="cost_weight is not a setting of a two-model router"):
        RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router, cost_weight=1.0)
    with pytest.raises(ValueError, match="specs= price the children of an N-way router"):
        RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router, specs=[ModelSpec("x", cost_per_call=1.0)])
    two = RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router)
    with pytest.raises(ValueError, match="min_quality is not a setting of a two-model router"):
        two.complete("a hard one", min_quality=0.5)
    # and the two-model router takes its own settings per call
    assert two.complete("an easy one", threshold=0.0).additional_kwargs[ROUTER_KEY]["route"] == "strong"


# -- routing ----------------------------------------------------------------------------------
@pytest.mark.parametrize("prompt", PROMPTS)
async def test_routes_to_the_model_the_router_picks(llm, nway_router, routes, prompt):
    expected = nway_router.route(prompt, models=list(NWAY_CHILDREN))
    assert expected.model != CHEAPEST  # at cost weight 0 a better model wins
    responses = [llm.complete(prompt), await llm.acomplete(prompt), llm.chat([user(prompt)])]
    for response in responses:
        record = router_record(response)
        assert record["router_model"] == record["route"] == record["child"] == record["child_route"] == expected.model
        for key in ("qualities", "costs", "utilities"):
            assert set(record[key]) == set(NWAY_CHILDREN)
            assert record[key] == pytest.approx(dict(getattr(expected, key)))
        assert record["threshold"] is None and record["reason"] == expected.reason
        json.dumps(record, allow_nan=False)
    assert answered_by(responses[0].text) == expected.model
    event = routes.decisions[0]
    assert event.child == expected.model and event.source == "llm"
    assert event.qualities == pytest.approx(dict(expected.qualities)) and set(event.costs) == set(NWAY_CHILDREN)
    assert event.utilities == pytest.approx(dict(expected.utilities))


async def test_per_call_settings(llm, nway_router):
    for prompt in PROMPTS:
        assert answered_by(llm.complete(prompt, cost_weight=1e6).text) == CHEAPEST
        assert router_record(await llm.achat([user(prompt)], cost_weight=1e6))["child"] == CHEAPEST
        assert answered_by(llm.complete(prompt, cost_weight=0.0).text) == pick(nway_router, prompt)
        assert router_record(llm.complete(prompt, budget_per_1k=0.0))["child"] == CHEAPEST
    assert all(kwargs == {} for child in llm.children.values() for kwargs in child.seen)  # not passed on
    with pytest.raises(ValueError, match="threshold is not a setting of an N-way router"):
        llm.complete(MATH, threshold=0.5)


def test_min_quality(llm, nway_router):
    for prompt in PROMPTS:
        decision = nway_router.route(prompt, models=list(NWAY_CHILDREN))
        q, c = decision.qualities, decision.costs
        for target in sorted(q.values()):
            want = min((m for m in NWAY_CHILDREN if q[m] >= target), key=c.get)
            record = router_record(llm.complete(prompt, min_quality=target))
            assert record["child"] == want and record["reason"].startswith("cheapest model predicted to reach")
    pinned = RouterLLM(models=mocks(), core=nway_router, min_quality=0.0)
    assert router_record(pinned.complete(MATH))["child"] == CHEAPEST
    assert router_record(pinned.complete(MATH, cost_weight=0.0))["child"] == pick(nway_router, MATH)  # the call wins


def test_specs_price_the_children(nway_router):
    specs = [
        ModelSpec("gpt-4-1106-preview", cost_per_call=0.00001),
        ModelSpec("mixtral-8x7b-instruct-v0.1", cost_per_call=0.001),
        ModelSpec(CHEAPEST, cost_per_call=0.01),
    ]
    llm = RouterLLM(models=mocks(), core=nway_router, specs=specs, cost_weight=1e6)
    record = router_record(llm.complete(MATH))
    assert record["child"] == "gpt-4-1106-preview" and record["costs"][CHEAPEST] == pytest.approx(0.01)
    assert nway_router.spec(CHEAPEST).cost_per_call < 0.001  # the router itself is untouched


# -- streaming ----------------------------------------------------------------------------------
async def test_streaming(llm, nway_router):
    want = pick(nway_router, CODE)
    chunks = list(llm.stream_complete(CODE))
    assert chunks and all(c.additional_kwargs[ROUTER_KEY]["child"] == want for c in chunks)
    assert answered_by("".join(c.delta for c in chunks)) == want
    chunks = [c async for c in await llm.astream_chat([user(CODE)], cost_weight=1e6)]
    assert chunks and all(router_record(c)["child"] == CHEAPEST for c in chunks)
    assert set(router_record(chunks[-1])["utilities"]) == set(NWAY_CHILDREN)
    chunks = list(llm.stream_chat([user(MATH)], min_quality=0.0))
    assert router_record(chunks[-1])["child"] == CHEAPEST
    chunks = [c async for c in await llm.astream_complete(MATH)]
    assert answered_by("".join(c.delta for c in chunks)) == pick(nway_router, MATH)


# -- fallback ----------------------------------------------------------------------------------
def _ranked(nway_router, prompt):
    utilities = nway_router.route(prompt, models=list(NWAY_CHILDREN)).utilities
    return sorted(NWAY_CHILDREN, key=lambda m: -utilities[m])


async def test_fallback_goes_to_the_next_best_child(nway_router, routes):
    ranked = _ranked(nway_router, MATH)
    children = mocks()
    children[ranked[0]] = FailingLLM()
    llm = RouterLLM(models=children, core=nway_router)
    results = [
        llm.complete(MATH),
        await llm.achat([user(MATH)]),
        list(llm.stream_complete(MATH))[-1],
        [c async for c in await llm.astream_chat([user(MATH)])][-1],
    ]
    for result in results:
        record = router_record(result)
        assert record["route"] == ranked[0] and record["child"] == ranked[1] and record["fallback"] is True
        assert record["fallback_from"] == ranked[0] and record["error"] == "ConnectionError: provider down"
    assert [(e.failed_child, e.fallback_child) for e in routes.fallbacks] == [(ranked[0], ranked[1])] * 4
    # the two best down: the third answers
    children[ranked[1]] = FailingLLM()
    record = router_record(RouterLLM(models=children, core=nway_router).complete(MATH))
    assert record["child"] == ranked[2] and record["fallback_from"] == ranked[0]


async def test_no_fallback_when_disabled_all_fail_or_after_output(nway_router):
    ranked = _ranked(nway_router, MATH)
    children = mocks()
    children[ranked[0]] = FailingLLM()
    with pytest.raises(ConnectionError, match="provider down"):
        RouterLLM(models=children, core=nway_router, fallback=False).complete(MATH)
    down = RouterLLM(models={n: FailingLLM() for n in NWAY_CHILDREN}, core=nway_router)
    with pytest.raises(ConnectionError, match="provider down") as info:
        await down.acomplete(MATH)
    assert len(info.value.__notes__) == 2
    children = mocks()
    children[CHEAPEST] = MidStreamFailingLLM()
    stream = RouterLLM(models=children, core=nway_router).stream_complete(MATH, cost_weight=1e6)
    assert next(stream).delta == "partial"
    with pytest.raises(RuntimeError, match="mid-stream"):
        next(stream)


# -- the selector --------------------------------------------------------------------------------
def named(*names: str) -> list[ToolMetadata]:
    return [ToolMetadata(name=n, description=f"engine on {n}") for n in names]


async def test_selector_chooses_one_of_n(nway_router, routes):
    selector = RouterSelector(nway_router)
    choices = named(CHEAPEST, "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1")  # 3 of the router's 4
    for prompt in PROMPTS:
        result = selector.select(choices, prompt)
        want = pick(nway_router, prompt)
        assert isinstance(result, RouterSelection) and result.choice == result.model == result.route == want
        assert choices[result.ind].name == want and result.threshold is None
        assert set(result.qualities) == set(result.costs) == set(result.utilities) == set(NWAY_CHILDREN)
        assert result.reason.endswith(f"-> {want}")
    assert (await selector.aselect(choices, MATH)).model == pick(nway_router, MATH)
    thrifty = RouterSelector(nway_router, cost_weight=1e6)
    assert thrifty.select(choices, MATH).choice == CHEAPEST
    assert RouterSelector(nway_router, min_quality=0.0).select(choices, CODE).choice == CHEAPEST
    # unnamed choices stand for all the router's models, in order
    by_position = selector.select(["a", "b", "c", "d"], MATH)
    assert by_position.ind == list(nway_router.models).index(nway_router.route(MATH).model)
    assert all(e.source == "selector" for e in routes.decisions) and routes.decisions[0].qualities


def test_selector_bad_configuration(nway_router):
    with pytest.raises(ValueError, match="name no route or model of router"):
        RouterSelector(nway_router).select(named(CHEAPEST, "other"), MATH)
    with pytest.raises(ValueError, match="needs 4 choices"):
        RouterSelector(nway_router).select(["a", "b", "c"], MATH)
    with pytest.raises(ValueError, match="both stand for"):
        RouterSelector(nway_router).select(named(CHEAPEST, "Mistral-7B-Chat"), MATH)
    with pytest.raises(ValueError, match="strong_share is not a setting of an N-way router"):
        RouterSelector(nway_router, strong_share=0.5)
    with pytest.raises(ValueError, match="either cost_weight or budget_per_1k"):
        RouterSelector(nway_router, cost_weight=1.0, budget_per_1k=1.0)


class EchoEngine(CustomQueryEngine):
    """A query engine answering with its model's name."""

    model: str

    def custom_query(self, query_str: str) -> str:
        return f"{self.model}: {query_str}"


async def test_router_query_engine(nway_router):
    tools = [
        QueryEngineTool.from_defaults(EchoEngine(model=name), name=name, description=f"answers by {name}")
        for name in NWAY_CHILDREN
    ]
    engine = RouterQueryEngine(selector=RouterSelector(nway_router), query_engine_tools=tools, llm=MockLLM())
    for prompt in PROMPTS:
        response = engine.query(prompt)
        assert str(response) == f"{pick(nway_router, prompt)}: {prompt}"
        assert response.metadata["selector_result"].model == pick(nway_router, prompt)
    cheap = RouterQueryEngine(selector=RouterSelector(nway_router, cost_weight=1e6), query_engine_tools=tools,
                              llm=MockLLM())
    assert str(await cheap.aquery(MATH)) == f"{CHEAPEST}: {MATH}"
