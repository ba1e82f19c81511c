"""The RunnableBranch-style router over whole chains: as_runnable / route_runnable."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from core import InvalidConversationError, Router
from fake_chat_model import FakeToolChatModel
from langchain_router import RouterChatModel, route_runnable

QUESTIONS = [
    "hello",
    "Derive the quadratic formula step by step.",
    "List three primary colours.",
    "Write a SQL query that finds duplicate emails in a users table.",
]
PROMPT = ChatPromptTemplate.from_messages([("human", "{question}")])


def chains() -> dict[str, Runnable[Any, str]]:
    return {
        route: PROMPT | FakeToolChatModel(model_name=f"chain-{route}") | StrOutputParser()
        for route in ("strong", "weak")
    }


def expected(router: Router, question: str) -> str:
    return f"[chain-{router.route(question).route}] {question}"


@pytest.fixture
def route_batch_calls(default_router: Router, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the core router's route_batch calls (one per scoring)."""
    calls: list[int] = []
    original = default_router.route_batch

    def spy(conversations: Any, **kwargs: Any) -> Any:
        calls.append(len(conversations))
        return original(conversations, **kwargs)

    monkeypatch.setattr(default_router, "route_batch", spy)
    return calls


def test_invoke_stream_batch(router_model: RouterChatModel, default_router: Router, route_batch_calls: list[int]) -> None:
    branch = router_model.as_runnable(chains())
    inputs = [{"question": q} for q in QUESTIONS]
    want = [expected(default_router, q) for q in QUESTIONS]
    route_batch_calls.clear()
    assert branch.invoke(inputs[1]) == want[1]
    assert route_batch_calls == [1]  # scored once
    chunks = list(branch.stream(inputs[3]))
    assert len(chunks) > 1 and "".join(chunks) == want[3]  # the chosen chain streams
    route_batch_calls.clear()
    assert branch.batch(inputs) == want
    assert route_batch_calls == [len(QUESTIONS)]  # one batch for all inputs


async def test_async(router_model: RouterChatModel, default_router: Router, route_batch_calls: list[int]) -> None:
    branch = router_model.as_runnable(chains())
    inputs = [{"question": q} for q in QUESTIONS]
    want = [expected(default_router, q) for q in QUESTIONS]
    assert await branch.ainvoke(inputs[0]) == want[0]
    route_batch_calls.clear()
    assert await branch.abatch(inputs) == want
    assert route_batch_calls == [len(QUESTIONS)]
    chunks = [c async for c in branch.astream(inputs[2])]
    assert len(chunks) > 1 and "".join(chunks) == want[2]


def test_route_runnable_with_model_name_keys(default_router: Router) -> None:
    c = chains()
    branch = route_runnable({default_router.strong: c["strong"], default_router.weak: c["weak"]}, default_router)
    assert branch.invoke({"question": QUESTIONS[1]}) == expected(default_router, QUESTIONS[1])
    assert route_runnable(c, default_router, threshold=0.0).invoke({"question": "hi"}) == "[chain-strong] hi"
    assert route_runnable(c, default_router, threshold=1.0).invoke({"question": "hi"}) == "[chain-weak] hi"


def test_inputs_it_routes_on(default_router: Router) -> None:
    branch = route_runnable(
        {"strong": RunnableLambda(lambda x: ("strong", x)), "weak": RunnableLambda(lambda x: ("weak", x))},
        default_router,
        threshold=0.0,
    )
    assert branch.invoke("plain text") == ("strong", "plain text")
    messages = [("system", "be brief"), ("human", "hi")]
    assert branch.invoke(messages) == ("strong", messages)
    assert branch.invoke(PROMPT.invoke({"question": "hi"}))[0] == "strong"
    keyed = route_runnable(
        {"strong": RunnableLambda(lambda x: "s"), "weak": RunnableLambda(lambda x: "w")},
        default_router,
        threshold=0.0,
        input_key="question",
    )
    assert keyed.invoke({"question": "hi", "context": "long document"}) == "s"
    with pytest.raises(InvalidConversationError, match="input_key"):
        branch.invoke({"topic": "hi", "context": "long document"})


def test_bad_inputs_fail_alone(default_router: Router) -> None:
    branch = route_runnable(chains(), default_router)
    with pytest.raises(InvalidConversationError, match="empty prompt"):
        branch.invoke({"question": "   "})
    out = branch.batch([{"question": "hi"}, {"question": ""}], return_exceptions=True)
    assert out[0] == expected(default_router, "hi") and isinstance(out[1], InvalidConversationError)


def test_needs_both_routes(default_router: Router) -> None:
    with pytest.raises(ValueError, match="no runnable for the weak route"):
        route_runnable({"strong": RunnableLambda(lambda x: x)}, default_router)
    with pytest.raises(ValueError, match="two runnables given for the strong route"):
        route_runnable({"strong": RunnableLambda(lambda x: x), default_router.strong: RunnableLambda(lambda x: x)},
                       default_router)


def test_fallback_between_chains(default_router: Router) -> None:
    def broken(_: Any) -> str:
        raise RuntimeError("strong chain is down")

    c = {"strong": RunnableLambda(broken), "weak": RunnableLambda(lambda x: "weak answer")}
    assert route_runnable(c, default_router, threshold=0.0, fallback=True).invoke("hi") == "weak answer"
    with pytest.raises(RuntimeError, match="strong chain is down"):
        route_runnable(c, default_router, threshold=0.0).invoke("hi")


def test_chat_model_as_runnable_uses_its_settings(default_router: Router) -> None:
    model = RouterChatModel(
        strong=FakeToolChatModel(model_name="s"), weak=FakeToolChatModel(model_name="w"), core=default_router,
        threshold=1.0,
    )
    branch = model.as_runnable({"s": RunnableLambda(lambda x: "strong"), "w": RunnableLambda(lambda x: "weak")})
    assert branch.invoke("Prove Fermat's little theorem.") == "weak"


def test_bad_settings_fail_at_construction(default_router: Router) -> None:
    with pytest.raises(ValueError, match="either threshold or strong_share"):
        route_runnable(chains(), default_router, threshold=0.2, strong_share=0.2)
