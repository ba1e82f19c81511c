"""LangChain 1.x native routing: WinrouteDecisionModel (a decision model) and RouterMiddleware,
both run inside real ``create_agent`` graphs on the real bundled router.

The children are ``FakeToolChatModel`` (deterministic: it calls a bound tool when the user asks,
then answers with the tool's result): a real provider model cannot run offline here; the
real-HTTP versions of these runs are in test_lc_http.py.
"""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelChoice, ModelRouterMiddleware
from langchain_core.decisions import Box, Choice, Noul, Score
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from core import InvalidConversationError, UnknownModelError
from langchain_router import (
    ROUTER_KEY,
    RouterChatModel,
    RouterMiddleware,
    WinrouteChoiceAnswer,
    WinrouteDecisionModel,
    router_record,
)

from fake_chat_model import FakeToolChatModel
from lc_fakes import FailingChatModel

HARD = "Prove that there are infinitely many primes, then derive the prime number theorem's error term."
EASY = "hi"


@tool
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def _choice(criteria: dict) -> Choice:
    return Choice(instructions="Which model should answer?", criteria=criteria)


# -- WinrouteDecisionModel -------------------------------------------------------------------
def test_decision_model_answers_choice_and_noul_like_the_router(default_router) -> None:
    model = WinrouteDecisionModel(core=default_router)
    for prompt in (HARD, EASY):
        response = model.invoke(
            {"state": prompt, "questions": {"route": _choice({"strong": "hard", "weak": "easy"}), "p": Noul(instructions="?")}}
        )
        decision = default_router.route(prompt)
        answer = response.choices["route"]
        assert isinstance(answer, WinrouteChoiceAnswer)
        assert answer.choice == decision.route
        assert answer.probabilities["strong"] == pytest.approx(decision.score)
        assert answer.probabilities["weak"] == pytest.approx(1 - decision.score)
        assert 0.0 <= answer.confidence <= 1.0
        assert answer.decision["route"] == decision.route and answer.decision["threshold"] == pytest.approx(decision.threshold)
        assert response.nouls["p"].noul == pytest.approx(decision.score)


def test_decision_model_policy_and_model_name_labels(default_router) -> None:
    """threshold 0 / 1 force the label; labels may be the router's model names or mapped with routes=."""
    labels = {default_router.strong: "big", default_router.weak: "small"}
    q = {"route": _choice(labels)}
    assert WinrouteDecisionModel(core=default_router, threshold=0.0).invoke({"state": EASY, "questions": q}).choices["route"].choice == default_router.strong
    assert WinrouteDecisionModel(core=default_router, threshold=1.0).invoke({"state": HARD, "questions": q}).choices["route"].choice == default_router.weak
    mapped = WinrouteDecisionModel(core=default_router, threshold=0.0, routes={"powerful": "strong", "fast": "weak"})
    answer = mapped.invoke({"state": EASY, "questions": {"r": _choice({"powerful": "x", "fast": "y"})}}).choices["r"]
    assert answer.choice == "powerful" and answer.routes == {"powerful": "strong", "fast": "weak"}
    # the state may be messages, as ModelRouterMiddleware passes them
    msgs = [SystemMessage("be brief"), HumanMessage(HARD)]
    by_messages = WinrouteDecisionModel(core=default_router).invoke({"state": msgs, "questions": q}).choices["route"]
    assert by_messages.probabilities[default_router.strong] == pytest.approx(default_router.score(HARD)[0])


def test_decision_model_rejects_what_it_cannot_answer(default_router) -> None:
    model = WinrouteDecisionModel(core=default_router)
    with pytest.raises(ValueError, match="Score"):
        model.invoke({"state": EASY, "questions": {"s": Score(instructions="?", criteria=["a", "b"])}})
    with pytest.raises(ValueError, match="Box"):
        model.invoke({"state": EASY, "questions": {"b": Box(instructions="?")}})
    with pytest.raises(UnknownModelError, match="'billing' names no route"):
        model.invoke({"state": EASY, "questions": {"c": _choice({"billing": "money", "technical": "bugs"})}})
    with pytest.raises(ValueError, match="no label for the weak route"):
        model.invoke({"state": EASY, "questions": {"c": _choice({"strong": "x"})}})
    with pytest.raises(InvalidConversationError):
        model.invoke({"state": [SystemMessage("only a system prompt")], "questions": {"c": _choice({"strong": 1, "weak": 2})}})
    with pytest.raises(ValueError, match="strong_share"):
        WinrouteDecisionModel(core=default_router, strong_share=2.0)


def test_decision_model_default_route_for_nothing_to_score(default_router) -> None:
    model = WinrouteDecisionModel(core=default_router, default_route="weak")
    answer = model.invoke(
        {"state": [SystemMessage("only a system prompt")], "questions": {"c": _choice({"strong": 1, "weak": 2})}}
    ).choices["c"]
    assert answer.choice == "weak" and answer.decision["reason"].startswith("default route")


async def test_decision_model_async(default_router) -> None:
    model = WinrouteDecisionModel(core=default_router)
    response = await model.ainvoke({"state": HARD, "questions": {"r": _choice({"strong": 1, "weak": 2})}})
    assert response.choices["r"].choice == default_router.route(HARD).route


def test_model_router_middleware_with_winroute_classifier(default_router) -> None:
    strong, weak = FakeToolChatModel(model_name="strong-m"), FakeToolChatModel(model_name="weak-m")
    classifier = WinrouteDecisionModel(core=default_router, threshold=0.0)  # everything strong
    middleware = ModelRouterMiddleware(
        choices={"strong": ModelChoice(strong, "hard tasks"), "weak": ModelChoice(weak, "easy tasks")},
        instructions="Pick the cheapest model that can do the task.",
        classifier=classifier,
    )
    agent = create_agent(weak, [add], middleware=[middleware])
    out = agent.invoke({"messages": [HumanMessage("Please add 2 and 3")]})
    assert out["model_route"].choice == "strong"
    assert out["model_route"].decision["route"] == "strong"
    ais = [m for m in out["messages"] if isinstance(m, AIMessage)]
    assert ais[0].tool_calls and all(m.response_metadata.get("model_name") == "strong-m" for m in ais)
    assert any(isinstance(m, ToolMessage) and m.content == "5.0" for m in out["messages"])
    assert len(strong.calls) == 2 and not weak.calls


# -- RouterMiddleware --------------------------------------------------------------------------
def test_router_middleware_routes_each_call_sticky_in_tool_turn(default_router) -> None:
    strong, weak = FakeToolChatModel(model_name="strong-m"), FakeToolChatModel(model_name="weak-m")
    middleware = RouterMiddleware(strong=strong, weak=weak, core=default_router, threshold=1.0)  # all weak
    agent = create_agent(strong, [add], middleware=[middleware])
    out = agent.invoke({"messages": [HumanMessage("Please add 2 and 3")]})
    ais = [m for m in out["messages"] if isinstance(m, AIMessage)]
    assert len(ais) == 2 and ais[0].tool_calls
    first, second = (router_record(m) for m in ais)
    assert first["child_route"] == "weak" and first["reason"].startswith("score")
    assert second["child_route"] == "weak" and second["reason"] == "sticky: inside a tool-call turn"
    assert out[ROUTER_KEY] == second  # the latest record is in the agent state
    assert len(weak.calls) == 2 and not strong.calls


def test_router_middleware_per_run_policy_and_second_turn(default_router) -> None:
    """Per-run settings in state win; a new user turn is routed afresh (per call, not per run)."""
    strong, weak = FakeToolChatModel(model_name="strong-m"), FakeToolChatModel(model_name="weak-m")
    agent = create_agent(weak, [add], middleware=[RouterMiddleware(strong=strong, weak=weak, core=default_router, threshold=1.0)])
    out = agent.invoke({"messages": [HumanMessage("Please add 2 and 3")], "winroute_policy": {"threshold": 0.0}})
    assert {router_record(m)["child_route"] for m in out["messages"] if isinstance(m, AIMessage)} == {"strong"}
    follow = agent.invoke({"messages": [*out["messages"], HumanMessage("thanks")]})
    new = [router_record(m) for m in follow["messages"][len(out["messages"]) + 1 :] if isinstance(m, AIMessage)]
    assert new[0]["child_route"] == "weak" and new[0]["reason"].startswith("score")  # routed afresh, on "thanks"
    assert follow[ROUTER_KEY] == new[-1]
    with pytest.raises(ValueError, match="unknown routing setting"):
        agent.invoke({"messages": [HumanMessage("hi")], "winroute_policy": {"treshold": 0.1}})


def test_router_middleware_falls_back_on_a_downed_child(default_router) -> None:
    strong = FailingChatModel(model_name="strong-down")
    weak = FakeToolChatModel(model_name="weak-m")
    agent = create_agent(weak, [add], middleware=[RouterMiddleware(strong=strong, weak=weak, core=default_router, threshold=0.0)])
    out = agent.invoke({"messages": [HumanMessage("Please add 2 and 3")]})
    ais = [m for m in out["messages"] if isinstance(m, AIMessage)]
    first = router_record(ais[0])
    assert first["route"] == "strong" and first["fallback"] and first["child_route"] == "weak"
    assert "strong-down is down" in first["error"]
    # the tool turn stays with the child that actually answered
    assert out[ROUTER_KEY]["route"] == "weak" and out[ROUTER_KEY]["reason"] == "sticky: inside a tool-call turn"


async def test_router_middleware_async(default_router) -> None:
    strong, weak = FakeToolChatModel(model_name="strong-m"), FakeToolChatModel(model_name="weak-m")
    router = RouterChatModel(strong=strong, weak=weak, core=default_router, threshold=0.0)
    agent = create_agent(weak, [add], middleware=[RouterMiddleware(router=router)])
    out = await agent.ainvoke({"messages": [HumanMessage("Please add 2 and 3")]})
    assert out[ROUTER_KEY]["child_route"] == "strong" and len(strong.calls) == 2 and not weak.calls


def test_router_middleware_arguments() -> None:
    with pytest.raises(ValueError, match="either router="):
        RouterMiddleware(router=RouterChatModel(strong=FakeToolChatModel(), weak=FakeToolChatModel()), threshold=0.3)
    with pytest.raises(TypeError, match="RouterChatModel"):
        RouterMiddleware(router=FakeToolChatModel())  # type: ignore[arg-type]
