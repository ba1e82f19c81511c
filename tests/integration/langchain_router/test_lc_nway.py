"""RouterChatModel and route_runnable with N children and a real N-way router.

The router (``conftest.nway_router``) is a knn_quality router trained on 200 real
RouterBench-zs train prompts for four models; the RouterChatModel has fake children for
three of them, so every call is routed among those three only.
"""

from __future__ import annotations

import json
import math
from functools import reduce
from operator import add
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.runnables import ConfigurableField, RunnableLambda
from langchain_core.tools import tool
from lc_fakes import NWAY_CHILDREN, ChildError, FailingChatModel
from pydantic import BaseModel

from core import ModelSpec, NWayRouter, Router, UnknownModelError
from fake_chat_model import FakeToolChatModel
from langchain_router import RouterChatModel, route_runnable, router_record

MATH = "What is 17 * 23? Show your reasoning step by step."
CODE = "Write a Python function that returns the longest common subsequence of two strings."
PROMPTS = [MATH, CODE]
CHEAPEST = "mistral-7b-chat"
NOT_A_CHILD = "gpt-3.5-turbo-1106"  # known to the router, no child here


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def fakes(names: tuple[str, ...] = NWAY_CHILDREN) -> dict[str, FakeToolChatModel]:
    return {name: FakeToolChatModel(model_name=f"fake-{name}") for name in names}


def record(message: Any) -> dict[str, Any]:
    rec = router_record(message)
    assert rec is not None, f"no routing record on {message!r}"
    return rec


def pick(nway_router: NWayRouter, prompt: str, **settings: Any) -> str:
    """What the core router picks among the children."""
    return nway_router.route(prompt, models=list(NWAY_CHILDREN), **settings).model


@pytest.fixture
def llm(nway_router: NWayRouter) -> RouterChatModel:
    return RouterChatModel(models=fakes(), core=nway_router)


# -- construction ------------------------------------------------------------------------------
def test_children_are_the_routers_models(nway_router: NWayRouter) -> None:
    children = fakes()
    model = RouterChatModel(children=children, router=nway_router)  # the aliases of models= and core=
    assert model.router.kind == "nway" and model.router is nway_router and model.core is nway_router
    assert model.children == children and list(model.child_names) == list(NWAY_CHILDREN)
    assert model.resolve("fake-mistral-7b-chat") == model.resolve("Mistral-7B-Chat") == CHEAPEST
    params = model._identifying_params
    assert params["router"] == "rb-zs-200" and list(params["router_models"]) == list(nway_router.models)
    assert "specs" not in params and "threshold" not in params and params["router_cost_weight"] == nway_router.cost_weight
    assert model._get_ls_params()["ls_model_name"] == "winroute:" + "|".join(NWAY_CHILDREN)


def test_router_from_a_saved_path(nway_router: NWayRouter, tmp_path: Path) -> None:
    nway_router.save(tmp_path / "router")
    model = RouterChatModel(models=fakes(), core=str(tmp_path / "router"))
    assert isinstance(model.core, NWayRouter) and model.core.models == nway_router.models
    rec = record(model.invoke(MATH))
    assert rec["child_route"] == pick(nway_router, MATH) and rec["router"] == "rb-zs-200"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"models": {"gpt-9": FakeToolChatModel()}}, r"child 'gpt-9' is neither a route nor a model of router 'rb-zs-200'"),
        ({"models": {"strong": FakeToolChatModel(), "weak": FakeToolChatModel()}}, "child 'strong' is neither a route nor a model"),
        ({"models": {"mistral-7b-chat": FakeToolChatModel(), "Mistral-7B-Chat": FakeToolChatModel()}},
         "both stand for the 'mistral-7b-chat' route"),
        ({"strong": FakeToolChatModel(), "weak": FakeToolChatModel()}, "child 'strong' is neither a route nor a model of router 'rb-zs-200'"),
        ({}, r"needs its children: strong= and weak=, or models=\{route or model name: child"),
        ({"threshold": 0.5}, "threshold is not a setting of an N-way router"),
        ({"strong_share": 0.5}, "strong_share is not a setting of an N-way router"),
        ({"cost_weight": 1.0, "budget_per_1k": 1.0}, "either cost_weight or budget_per_1k"),
        ({"cost_weight": -1.0}, "cost_weight must be a finite number >= 0"),
        ({"min_quality": 1.5}, r"min_quality must be in \[0, 1\]"),
        ({"specs": [ModelSpec("gpt-4-1106-preview", cost_per_call=0.01)]},
         r"no ModelSpec for children \['mixtral-8x7b-instruct-v0.1', 'mistral-7b-chat'\]"),
        ({"specs": [ModelSpec(n, cost_per_call=0.01) for n in (*NWAY_CHILDREN, NOT_A_CHILD)]},
         r"ModelSpec\(s\) for \['gpt-3.5-turbo-1106'\], which are not children"),
        ({"specs": [ModelSpec(n, cost_per_call=0.01) for n in (*NWAY_CHILDREN, "gpt-9")]},
         "ModelSpec 'gpt-9' names no model of router 'rb-zs-200'"),
        ({"children": {}, "models": fakes()}, "either children= or models="),
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], match: str, nway_router: NWayRouter) -> None:
    if not ({"models", "children", "strong"} & set(kwargs)) and kwargs:
        kwargs = {"models": fakes(), **kwargs}
    with pytest.raises(ValueError, match=match):
        RouterChatModel(core=nway_router, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cost_weight": 1.0}, "cost_weight is not a setting of a two-model router"),
        ({"min_quality": 0.5, "budget_per_1k": 2.0}, "budget_per_1k, min_quality are not a setting of a two-model router"),
        ({"specs": [ModelSpec("gpt-4-1106-preview", cost_per_call=0.01)]}, "specs= price the children of an N-way"),
    ],
)
def test_nway_settings_need_an_nway_router(kwargs: dict[str, Any], match: str, default_router: Router) -> None:
    with pytest.raises(ValueError, match=match):
        RouterChatModel(strong=FakeToolChatModel(), weak=FakeToolChatModel(), core=default_router, **kwargs)
    with pytest.raises(ValueError, match="cost_weight is not a setting of a two-model router"):
        RouterChatModel(strong=FakeToolChatModel(), weak=FakeToolChatModel(), core=default_router).invoke(
            "hi", cost_weight=1.0
        )


def test_budget_needs_reference_prompts(nway_router: NWayRouter) -> None:
    bare = NWayRouter(nway_router.predictor, nway_router.specs, nway_router.embedder, name="bare")
    with pytest.raises(ValueError, match="no reference prompts"):
        RouterChatModel(models=fakes(), core=bare, budget_per_1k=1.0)


# -- routing -----------------------------------------------------------------------------------
@pytest.mark.parametrize("prompt", PROMPTS)
def test_routes_to_the_model_the_router_picks(prompt: str, llm: RouterChatModel, nway_router: NWayRouter) -> None:
    expected = nway_router.route(prompt, models=list(NWAY_CHILDREN))
    assert expected.model != CHEAPEST  # at cost weight 0 a better model wins (else this test proves little)
    message = llm.invoke(prompt)
    rec = record(message)
    assert rec["router_model"] == rec["route"] == rec["child_route"] == rec["child"] == expected.model
    assert rec["child_model"] == f"fake-{expected.model}" and rec["reason"] == expected.reason
    assert message.content == f"[fake-{expected.model}] {prompt}"
    assert message.response_metadata["model_name"] == f"fake-{expected.model}"
    # every child's predicted quality, expected cost and utility; the router's 4th model is no candidate
    for key in ("qualities", "costs", "utilities"):
        assert set(rec[key]) == set(NWAY_CHILDREN), key
        for name, value in getattr(expected, key).items():
            assert rec[key][name] == pytest.approx(value)
    assert rec["child_route"] == max(rec["utilities"], key=rec["utilities"].get)
    assert rec["score"] == pytest.approx(rec["qualities"][expected.model]) and rec["threshold"] is None
    assert rec["forced"] is False and rec["fallback"] is False
    json.dumps(rec, allow_nan=False)


def test_cost_weight_per_call_moves_to_the_cheapest(llm: RouterChatModel, nway_router: NWayRouter) -> None:
    costs = nway_router.route(MATH, models=list(NWAY_CHILDREN)).costs
    assert min(costs, key=costs.get) == CHEAPEST
    free = record(llm.invoke(MATH, cost_weight=0.0))
    assert free["child_route"] == max(free["qualities"], key=free["qualities"].get)
    for prompt in PROMPTS:
        rec = record(llm.invoke(prompt, cost_weight=1e6))
        assert rec["child_route"] == CHEAPEST and "1e+06 x cost" in rec["reason"]
        assert rec["utilities"][CHEAPEST] == pytest.approx(rec["qualities"][CHEAPEST] - 1e6 * rec["costs"][CHEAPEST])
    # set on the model, and overridden per call
    thrifty = RouterChatModel(models=fakes(), core=nway_router, cost_weight=1e6)
    assert record(thrifty.invoke(MATH))["child_route"] == CHEAPEST
    assert record(thrifty.invoke(MATH, cost_weight=0.0))["child_route"] == free["child_route"]
    assert record(thrifty.bind(cost_weight=0.0).invoke(MATH))["child_route"] == free["child_route"]


def test_min_quality_picks_the_cheapest_reaching_it(llm: RouterChatModel, nway_router: NWayRouter) -> None:
    for prompt in PROMPTS:
        decision = nway_router.route(prompt, models=list(NWAY_CHILDREN))
        q, c = decision.qualities, decision.costs
        for target in sorted(q.values()):
            reaching = [m for m in NWAY_CHILDREN if q[m] >= target]
            want = min(reaching, key=c.get)
            rec = record(llm.invoke(prompt, min_quality=target))
            assert rec["child_route"] == want, (prompt, target)
            assert rec["reason"].startswith(f"cheapest model predicted to reach quality {target:.2f}")
        rec = record(llm.invoke(prompt, min_quality=1.0))  # none reaches it: the best one
        assert rec["child_route"] == max(q, key=q.get) and "no model is predicted to reach" in rec["reason"]
    assert record(llm.invoke(MATH, min_quality=0.0))["child_route"] == CHEAPEST
    pinned = RouterChatModel(models=fakes(), core=nway_router, min_quality=0.0)
    assert record(pinned.invoke(MATH))["child_route"] == CHEAPEST
    with pytest.raises(ValueError, match=r"min_quality must be in \[0, 1\]"):
        llm.invoke(MATH, min_quality=2.0)


def test_budget_per_1k(llm: RouterChatModel, nway_router: NWayRouter) -> None:
    assert record(llm.invoke(MATH, budget_per_1k=0.0))["child_route"] == CHEAPEST  # nothing to spend: cheapest
    unlimited = record(llm.invoke(MATH, budget_per_1k=1000.0))
    assert unlimited["child_route"] == pick(nway_router, MATH, cost_weight=0.0)


def test_per_call_settings_of_the_wrong_kind(llm: RouterChatModel) -> None:
    with pytest.raises(ValueError, match="threshold is not a setting of an N-way router"):
        llm.invoke(MATH, threshold=0.5)
    with pytest.raises(ValueError, match="either cost_weight or budget_per_1k"):
        llm.invoke(MATH, cost_weight=1.0, budget_per_1k=1.0)


def test_configurable_cost_weight(llm: RouterChatModel, nway_router: NWayRouter) -> None:
    configurable = llm.configurable_fields(cost_weight=ConfigurableField(id="cost_weight"))
    assert record(configurable.with_config(configurable={"cost_weight": 1e6}).invoke(MATH))["child_route"] == CHEAPEST
    assert record(configurable.invoke(MATH))["child_route"] == pick(nway_router, MATH)


def test_specs_price_the_children(nway_router: NWayRouter) -> None:
    # turn the prices around: the usually dearest child is now the cheapest, and vice versa
    specs = {
        "gpt-4-1106-preview": ModelSpec("gpt-4-1106-preview", cost_per_call=0.00001),
        "mixtral-8x7b-instruct-v0.1": ModelSpec("mixtral-8x7b-instruct-v0.1", cost_per_call=0.001),
        "Mistral-7B-Chat": ModelSpec("Mistral-7B-Chat", cost_per_call=0.01, context_window=4096),  # by alias
    }
    model = RouterChatModel(models=fakes(), core=nway_router, specs=specs)
    assert model.router is not nway_router and model.router.models == nway_router.models
    assert model.router.spec(CHEAPEST).cost_per_call == 0.01 and nway_router.spec(CHEAPEST).cost_per_call < 0.001
    rec = record(model.invoke(MATH, cost_weight=1e6))
    assert rec["child_route"] == "gpt-4-1106-preview"
    assert rec["costs"] == pytest.approx({"gpt-4-1106-preview": 0.00001, "mixtral-8x7b-instruct-v0.1": 0.001, CHEAPEST: 0.01})
    assert record(model.invoke(MATH, budget_per_1k=0.0))["child_route"] == "gpt-4-1106-preview"
    # a list works as well, and the qualities are the router's own
    listed = RouterChatModel(models=fakes(), core=nway_router, specs=list(specs.values()))
    assert record(listed.invoke(CODE))["qualities"] == pytest.approx(
        nway_router.route(CODE, models=list(NWAY_CHILDREN)).qualities
    )


def test_forced_child(llm: RouterChatModel) -> None:
    rec = record(llm.invoke(MATH, model="mixtral-8x7b-instruct-v0.1", cost_weight=1e6))
    assert rec["child_route"] == "mixtral-8x7b-instruct-v0.1" and rec["forced"] is True and "qualities" not in rec
    assert record(llm.invoke(MATH, model="fake-mistral-7b-chat"))["child_route"] == CHEAPEST
    assert llm._get_ls_params(model=CHEAPEST)["ls_model_name"] == CHEAPEST
    with pytest.raises(UnknownModelError, match="unknown route or model 'gpt-9'"):
        llm.invoke(MATH, model="gpt-9")
    with pytest.raises(UnknownModelError, match="known to the router but is not one of this model's children"):
        llm.invoke(MATH, model=NOT_A_CHILD)
    with pytest.raises(UnknownModelError, match="unknown route or model 'strong'"):
        llm.invoke(MATH, model="strong")


# -- streaming, async, batch --------------------------------------------------------------------------
def test_stream(llm: RouterChatModel, nway_router: NWayRouter) -> None:
    chunks = list(llm.stream(CODE))
    assert len(chunks) > 1 and sum("winroute" in c.response_metadata for c in chunks) == 1
    full = reduce(add, chunks)
    want = pick(nway_router, CODE)
    assert record(full)["child_route"] == want and full.text == f"[fake-{want}] {CODE}"
    assert set(record(full)["utilities"]) == set(NWAY_CHILDREN)
    assert record(reduce(add, llm.stream(CODE, cost_weight=1e6)))["child_route"] == CHEAPEST


async def test_async(llm: RouterChatModel, nway_router: NWayRouter) -> None:
    message = await llm.ainvoke(MATH)
    assert record(message)["child_route"] == pick(nway_router, MATH)
    chunks = [c async for c in llm.astream(MATH, min_quality=0.0)]
    full = reduce(add, chunks)
    assert record(full)["child_route"] == CHEAPEST and full.text == f"[fake-{CHEAPEST}] {MATH}"
    answers = await llm.abatch(PROMPTS)
    assert [record(m)["child_route"] for m in answers] == [pick(nway_router, p) for p in PROMPTS]


def test_batch(llm: RouterChatModel, nway_router: NWayRouter) -> None:
    answers = llm.batch([*PROMPTS, "hello"], cost_weight=50.0)
    assert [record(m)["child_route"] for m in answers] == [
        pick(nway_router, p, cost_weight=50.0) for p in [*PROMPTS, "hello"]
    ]


# -- fallback --------------------------------------------------------------------------------------------
def _ranked(nway_router: NWayRouter, prompt: str) -> list[str]:
    utilities = nway_router.route(prompt, models=list(NWAY_CHILDREN)).utilities
    return sorted(NWAY_CHILDREN, key=lambda m: -utilities[m])


def _with_failing(names: list[str], **kwargs: Any) -> dict[str, FakeToolChatModel]:
    children = fakes()
    for name in names:
        children[name] = FailingChatModel(model_name=f"bad-{name}", **kwargs)
    return children


def test_fallback_goes_to_the_next_best_child(nway_router: NWayRouter) -> None:
    ranked = _ranked(nway_router, MATH)
    model = RouterChatModel(models=_with_failing(ranked[:1]), core=nway_router)
    rec = record(model.invoke(MATH))
    assert rec["route"] == ranked[0] and rec["child_route"] == ranked[1] and rec["child"] == ranked[1]
    assert rec["fallback"] is True and rec["fallback_from"] == ranked[0]
    assert rec["error"] == f"ChildError: bad-{ranked[0]} is down"
    chunks = list(model.stream(MATH))
    assert record(chunks[0])["child_route"] == ranked[1] and record(chunks[0])["fallback"] is True
    # the two best fail: the third answers, and the record names the first failure
    two_down = RouterChatModel(models=_with_failing(ranked[:2]), core=nway_router)
    rec = record(two_down.invoke(MATH))
    assert rec["child_route"] == ranked[2] and rec["fallback_from"] == ranked[0]


async def test_async_fallback(nway_router: NWayRouter) -> None:
    ranked = _ranked(nway_router, CODE)
    model = RouterChatModel(models=_with_failing(ranked[:1]), core=nway_router)
    assert record(await model.ainvoke(CODE))["child_route"] == ranked[1]
    chunks = [c async for c in model.astream(CODE)]
    assert record(chunks[0])["child_route"] == ranked[1]


def test_every_child_failing_raises_the_chosen_ones_error(nway_router: NWayRouter) -> None:
    ranked = _ranked(nway_router, MATH)
    model = RouterChatModel(models=_with_failing(list(NWAY_CHILDREN)), core=nway_router)
    with pytest.raises(ChildError, match=f"bad-{ranked[0]} is down") as info:
        model.invoke(MATH)
    notes = "".join(info.value.__notes__)
    for name in ranked[1:]:
        assert f"to the child {name!r} failed too: ChildError: bad-{name} is down" in notes
    off = RouterChatModel(models=_with_failing(ranked[:1]), core=nway_router, fallback=False)
    with pytest.raises(ChildError, match="is down"):
        off.invoke(MATH)


def test_no_fallback_after_streaming_started(nway_router: NWayRouter) -> None:
    children = fakes()
    children[CHEAPEST] = FailingChatModel(
        model_name="bad", fail_generate=False, fail_stream_start=False, fail_after=1
    )
    model = RouterChatModel(models=children, core=nway_router)
    with pytest.raises(ChildError, match="broke mid-stream") as info:
        list(model.stream(MATH, min_quality=0.0))
    assert f"the child {CHEAPEST!r} failed after 1 chunk(s)" in "".join(info.value.__notes__)


# -- tools ------------------------------------------------------------------------------------------------
def test_tool_turn_stays_with_the_child_that_started_it(llm: RouterChatModel) -> None:
    tools = llm.bind_tools([multiply])
    question = HumanMessage("What is 12 times 7? Use the multiply tool.")
    first = tools.invoke([question], cost_weight=1e6)
    assert first.tool_calls and record(first)["child_route"] == CHEAPEST
    result = multiply.invoke(first.tool_calls[0])
    second = tools.invoke([question, first, result], cost_weight=0.0)
    assert record(second)["child_route"] == CHEAPEST and record(second)["reason"] == "sticky: inside a tool-call turn"
    assert second.content == f"[fake-{CHEAPEST}] The tool returned: 84"


class Product(BaseModel):
    """A product of two numbers."""

    a: int
    b: int


def test_structured_output(llm: RouterChatModel) -> None:
    assert llm.with_structured_output(Product).invoke("Multiply 6 by 7.") == Product(a=6, b=7)
    per_child = llm.with_structured_output(Product, method="json_schema")
    assert per_child.invoke("Multiply 2 by 21.") == Product(a=2, b=21)


# -- whole chains ------------------------------------------------------------------------------------------
def _chains(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: RunnableLambda(lambda x, name=name: f"{name}: {x}") for name in names}


def test_route_runnable_chooses_one_of_n(nway_router: NWayRouter) -> None:
    every = tuple(nway_router.models)
    branch = route_runnable(_chains(every), nway_router)
    for prompt in PROMPTS:
        assert branch.invoke(prompt) == f"{nway_router.route(prompt).model}: {prompt}"
    three = route_runnable(_chains(NWAY_CHILDREN), nway_router, cost_weight=1e6)
    assert three.batch(PROMPTS) == [f"{CHEAPEST}: {p}" for p in PROMPTS]
    assert route_runnable(_chains(NWAY_CHILDREN), nway_router, min_quality=0.0).invoke(MATH).startswith(CHEAPEST)
    keyed = route_runnable({"Mistral-7B-Chat": RunnableLambda(lambda x: "m"), "gpt-4-1106-preview": RunnableLambda(
        lambda x: "g")}, nway_router, cost_weight=1e6, input_key="question")
    assert keyed.invoke({"question": MATH, "context": "..."}) == "m"


async def test_route_runnable_async_and_stream(nway_router: NWayRouter) -> None:
    branch = route_runnable(_chains(NWAY_CHILDREN), nway_router, budget_per_1k=0.0)
    assert await branch.ainvoke(MATH) == f"{CHEAPEST}: {MATH}"
    assert await branch.abatch(PROMPTS) == [f"{CHEAPEST}: {p}" for p in PROMPTS]
    assert "".join(branch.stream(CODE)) == f"{CHEAPEST}: {CODE}"


def test_route_runnable_fallback_and_errors(nway_router: NWayRouter, default_router: Router) -> None:
    def broken(_: Any) -> str:
        raise RuntimeError("chain down")

    chains = {CHEAPEST: RunnableLambda(broken), "gpt-4-1106-preview": RunnableLambda(lambda x: "gpt-4 answer")}
    assert route_runnable(chains, nway_router, cost_weight=1e6, fallback=True).invoke(MATH) == "gpt-4 answer"
    with pytest.raises(RuntimeError, match="chain down"):
        route_runnable(chains, nway_router, cost_weight=1e6).invoke(MATH)
    with pytest.raises(UnknownModelError, match="gpt-9"):
        route_runnable({"gpt-9": RunnableLambda(lambda x: x)}, nway_router)
    with pytest.raises(ValueError, match="threshold is not a setting of an N-way router"):
        route_runnable(chains, nway_router, threshold=0.5)
    with pytest.raises(ValueError, match="cost_weight is not a setting of a two-model router"):
        route_runnable({"strong": RunnableLambda(lambda x: x), "weak": RunnableLambda(lambda x: x)},
                       default_router, cost_weight=1.0)
    with pytest.raises(ValueError, match="at least one runnable"):
        route_runnable({}, nway_router)


def test_chat_model_as_runnable_uses_its_settings(nway_router: NWayRouter) -> None:
    model = RouterChatModel(models=fakes(), core=nway_router, cost_weight=1e6)
    branch = model.as_runnable({f"fake-{n}": chain for n, chain in _chains(NWAY_CHILDREN).items()})
    assert branch.invoke(MATH) == f"{CHEAPEST}: {MATH}"
    # any model of the router may key a chain, not only the children
    wider = model.as_runnable(_chains((*NWAY_CHILDREN, NOT_A_CHILD)))
    assert wider.invoke(MATH) == f"{CHEAPEST}: {MATH}"


def test_nan_free_records(llm: RouterChatModel) -> None:
    for message in (llm.invoke(MATH), llm.invoke(MATH, model=CHEAPEST)):
        rec = record(message)
        assert all(not (isinstance(v, float) and math.isnan(v)) for v in rec.values())
        json.dumps(rec, allow_nan=False)


# -- WinrouteDecisionModel with an N-way router ------------------------------------------------
def test_decision_model_chooses_among_the_labelled_models(nway_router: NWayRouter) -> None:
    from langchain_core.decisions import Choice, Noul
    from langchain_core.messages import SystemMessage

    from langchain_router import WinrouteDecisionModel

    labels = {name: f"the {name} model" for name in NWAY_CHILDREN}
    question = Choice(instructions="Which model should answer?", criteria=labels)
    model = WinrouteDecisionModel(core=nway_router, cost_weight=5.0)
    for prompt in PROMPTS:
        answer = model.invoke({"state": prompt, "questions": {"route": question}}).choices["route"]
        assert answer.choice == pick(nway_router, prompt, cost_weight=5.0)  # routed among the labels' models only
        assert set(answer.probabilities) == set(NWAY_CHILDREN) and math.isclose(sum(answer.probabilities.values()), 1.0)
        assert max(answer.probabilities, key=answer.probabilities.get) == answer.choice
        assert answer.confidence == pytest.approx(answer.probabilities[answer.choice])
    with pytest.raises(ValueError, match="a Noul .* needs a two-model router"):
        model.invoke({"state": MATH, "questions": {"p": Noul(instructions="?")}})
    by_default = WinrouteDecisionModel(core=nway_router, default_route=CHEAPEST).invoke(
        {"state": [SystemMessage("only a system prompt")], "questions": {"route": question}}
    ).choices["route"]  # a decision without a score is certain
    assert by_default.choice == CHEAPEST and by_default.probabilities[CHEAPEST] == 1.0 and by_default.confidence == 1.0
