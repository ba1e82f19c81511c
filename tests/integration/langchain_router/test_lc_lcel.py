"""RouterChatModel in LCEL chains and a tool-calling agent loop, routed by the real default router."""

from __future__ import annotations

import asyncio
from functools import reduce
from operator import add
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import BaseTool, tool

from core import Router
from langchain_router import RouterChatModel, router_record, to_conversation

QUESTIONS = [
    "hi",
    "What is the capital of France?",
    "Prove that the square root of 2 is irrational.",
    "Write a Python function that merges two sorted lists in linear time.",
    "Translate 'good morning' into Spanish.",
    "A train leaves at 3pm going 60 mph; another at 4pm going 80 mph. When does the second catch up?",
]

PROMPT = ChatPromptTemplate.from_messages([("system", "You are a terse assistant."), ("human", "{question}")])


def expected_answer(router: Router, question: str) -> str:
    """What the chain must answer: the fake child of the route the core router picks."""
    conversation = [{"role": "system", "content": "You are a terse assistant."}, {"role": "user", "content": question}]
    return f"[fake-{router.route(conversation).route}] {question}"


def test_lcel_invoke_stream_batch(router_model: RouterChatModel, default_router: Router) -> None:
    chain = PROMPT | router_model | StrOutputParser()
    expected = [expected_answer(default_router, q) for q in QUESTIONS]
    assert [chain.invoke({"question": q}) for q in QUESTIONS] == expected
    streamed = [list(chain.stream({"question": q})) for q in QUESTIONS[:3]]
    assert all(len(chunks) > 1 for chunks in streamed)  # streams token by token
    assert ["".join(chunks) for chunks in streamed] == expected[:3]
    assert chain.batch([{"question": q} for q in QUESTIONS]) == expected


async def test_lcel_async(router_model: RouterChatModel, default_router: Router) -> None:
    chain = PROMPT | router_model | StrOutputParser()
    expected = [expected_answer(default_router, q) for q in QUESTIONS]
    assert [await chain.ainvoke({"question": q}) for q in QUESTIONS] == expected
    assert await chain.abatch([{"question": q} for q in QUESTIONS]) == expected
    chunks = [c async for c in chain.astream({"question": QUESTIONS[2]})]
    assert len(chunks) > 1 and "".join(chunks) == expected[2]


def test_which_model_answered(router_model: RouterChatModel, default_router: Router) -> None:
    chain = PROMPT | router_model
    message = chain.invoke({"question": QUESTIONS[3]})
    record = router_record(message)
    assert record is not None
    decision = default_router.route(QUESTIONS[3])
    assert (record["route"], record["child"]) == (decision.route, f"fake-{decision.route}")
    assert message.response_metadata["model_name"] == f"fake-{decision.route}"
    full = reduce(add, chain.stream({"question": QUESTIONS[3]}))
    assert router_record(full) == record


# -- a tool-calling agent ----------------------------------------------------------------------------
@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@tool
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return f"sunny in {city}"


TOOLS: dict[str, BaseTool] = {t.name: t for t in (multiply, get_weather)}


def run_turn(llm: Any, history: list[BaseMessage], question: str) -> list[AIMessage]:
    """One user turn of a minimal agent: call the model, run the tools it asks for, repeat."""
    history.append(HumanMessage(question))
    answers: list[AIMessage] = []
    for _ in range(5):
        answer = llm.invoke(history)
        history.append(answer)
        answers.append(answer)
        if not answer.tool_calls:
            return answers
        for call in answer.tool_calls:
            history.append(TOOLS[call["name"]].invoke(call))
    raise AssertionError("the agent did not finish")


async def arun_turn(llm: Any, history: list[BaseMessage], question: str) -> list[AIMessage]:
    history.append(HumanMessage(question))
    answers: list[AIMessage] = []
    for _ in range(5):
        answer = await llm.ainvoke(history)
        history.append(answer)
        answers.append(answer)
        if not answer.tool_calls:
            return answers
        for call in answer.tool_calls:
            history.append(await TOOLS[call["name"]].ainvoke(call))
    raise AssertionError("the agent did not finish")


def check_turn(router: Router, history_before: list[BaseMessage], question: str, answers: list[AIMessage]) -> str:
    """The first call of a turn is routed on the user text; the rest of the turn is sticky."""
    decision = router.route(to_conversation([*history_before, HumanMessage(question)]))
    records = [router_record(a) for a in answers]
    assert all(r is not None for r in records)
    assert records[0]["route"] == decision.route and records[0]["reason"] == decision.reason  # type: ignore[index]
    assert len(answers) == 2 and answers[0].tool_calls and not answers[1].tool_calls
    assert records[1]["reason"] == "sticky: inside a tool-call turn"  # type: ignore[index]
    assert records[1]["child_route"] == decision.route  # type: ignore[index]
    return decision.route


def test_agent_routes_per_turn(router_model: RouterChatModel, default_router: Router) -> None:
    llm = router_model.bind_tools(list(TOOLS.values()))
    history: list[BaseMessage] = [SystemMessage("Use the tools.")]
    questions = ["What is 12 times 7? Use multiply.", "What is the weather in 'Lisbon' today? Use get_weather."]
    for question in questions:
        before = list(history)
        answers = run_turn(llm, history, question)
        route = check_turn(default_router, before, question, answers)
        tool_message = history[-2]
        assert isinstance(tool_message, ToolMessage)
        assert answers[-1].content == f"[fake-{route}] The tool returned: {tool_message.content}"
    assert "84" in history[3].content and "sunny in Lisbon" in history[7].content  # type: ignore[operator]


async def test_agent_async(router_model: RouterChatModel, default_router: Router) -> None:
    llm = router_model.bind_tools(list(TOOLS.values()))
    history: list[BaseMessage] = []
    question = "Multiply 3 by 14 with the multiply tool."
    answers = await arun_turn(llm, history, question)
    check_turn(default_router, [], question, answers)
    assert "42" in str(history[2].content)


# -- concurrency ------------------------------------------------------------------------------------
async def test_thousand_concurrent_ainvoke_match_sequential(router_model: RouterChatModel) -> None:
    """1,000 concurrent calls decide exactly as the same calls made one by one."""
    distinct = [f"Question {i}: {q}" for i, q in enumerate(QUESTIONS * 4)]
    prompts = [distinct[(i * 7) % len(distinct)] for i in range(1000)]
    sequential = {p: router_record(router_model.invoke(p)) for p in distinct}
    results = await asyncio.gather(*(router_model.ainvoke(p) for p in prompts))
    for prompt, message in zip(prompts, results):
        record = router_record(message)
        assert record is not None
        expected = sequential[prompt]
        assert (record["route"], record["score"], record["reason"]) == (
            expected["route"], expected["score"], expected["reason"]  # type: ignore[index]
        )
        assert message.content == f"[fake-{record['route']}] {prompt}"
    routes = {r["route"] for r in sequential.values()}  # type: ignore[index]
    assert routes <= {"strong", "weak"}
