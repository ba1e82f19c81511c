"""RouterLLM on mock children: the eight call variants, tools, stickiness, fallback, events, bad input."""

from __future__ import annotations

import json
import math

import pytest
from li_fakes import (
    STRONG_MODEL,
    WEAK_MODEL,
    FailingLLM,
    KeyedLLM,
    MidStreamFailingLLM,
    SpyFunctionLLM,
    ThreeWayRouter,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ImageBlock,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM, MockLLMWithChatMemoryOfLastCall
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool

from core import InvalidConversationError, UnknownModelError
from llamaindex_router import (
    ROUTER_KEY,
    RouteDecisionEvent,
    RouteFallbackEvent,
    RouterLLM,
    router_record,
    strip_router_metadata,
    to_conversation,
)

EASY, HARD_PROMPT = "What is the capital of France?", "A hard proof: show there are infinitely many primes."


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


def add(a: int = 2, b: int = 3) -> int:
    """Add two integers."""
    return a + b


ADD = FunctionTool.from_defaults(fn=add)


@pytest.fixture()
def llm(kw_router):
    """Two distinguishable non-chat mocks: strong answers 3 words, weak 1."""
    return RouterLLM(strong=MockLLM(max_tokens=3), weak=MockLLM(max_tokens=1), core=kw_router)


@pytest.fixture()
def fc_llm(kw_router):
    return RouterLLM(strong=SpyFunctionLLM(), weak=SpyFunctionLLM(), core=kw_router)


# -- construction and metadata --------------------------------------------------------------
def test_children_by_route_or_model_name(kw_router):
    a, b = MockLLM(), MockLLM()
    by_model = RouterLLM(models={WEAK_MODEL: b, STRONG_MODEL: a}, core=kw_router)
    assert by_model.complete(HARD_PROMPT).additional_kwargs[ROUTER_KEY]["child"] == STRONG_MODEL
    assert by_model.complete(EASY).additional_kwargs[ROUTER_KEY]["child"] == WEAK_MODEL


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"strong": MockLLM()}, ValueError),
        ({"models": {"strong": MockLLM(), "nope": MockLLM()}}, UnknownModelError),
        ({"models": {"strong": MockLLM(), STRONG_MODEL: MockLLM()}}, ValueError),
        ({"models": {"strong": MockLLM(), "weak": MockLLM()}, "weak": MockLLM()}, ValueError),
        ({"strong": MockLLM(), "weak": "gpt"}, TypeError),
        ({"strong": MockLLM(), "weak": MockLLM(), "threshold": 0.3, "strong_share": 0.5}, ValueError),
        ({"strong": MockLLM(), "weak": MockLLM(), "threshold": 1.5}, ValueError),
    ],
)
def test_bad_construction(kw_router, kwargs, error):
    with pytest.raises(error):
        RouterLLM(core=kw_router, **kwargs)


def test_metadata(kw_router):
    strong = MockFunctionCallingLLM()
    weak = MockLLM(max_tokens=64)
    llm = RouterLLM(strong=strong, weak=weak, core=kw_router)
    meta = llm.metadata
    assert meta.context_window == min(strong.metadata.context_window, weak.metadata.context_window)
    assert meta.num_output == 64
    assert meta.is_function_calling_model is False  # MockLLM cannot call tools
    assert meta.model_name.startswith("winroute:keyword(") and "strong=" in meta.model_name
    both = RouterLLM(strong=MockFunctionCallingLLM(), weak=MockFunctionCallingLLM(), core=kw_router)
    assert both.metadata.is_function_calling_model is True
    assert RouterLLM.class_name() == "RouterLLM"


def test_threshold_and_strong_share(kw_router):
    always_strong = RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router, threshold=0.0)
    assert always_strong.complete(EASY).additional_kwargs[ROUTER_KEY]["route"] == "strong"
    kw_router.calibrate([EASY, HARD_PROMPT, "hard one", "easy one"], 0.5)
    by_share = RouterLLM(strong=MockLLM(), weak=MockLLM(), core=kw_router, strong_share=1.0)
    assert by_share.complete(EASY).additional_kwargs[ROUTER_KEY]["route"] == "strong"


# -- the eight variants ------------------------------------------------------------------------
@pytest.mark.parametrize(("prompt", "child", "words"), [(HARD_PROMPT, "strong", 3), (EASY, "weak", 1)])
async def test_eight_variants(llm, routes, prompt, child, words):
    def check(obj, text):
        record = obj.additional_kwargs[ROUTER_KEY]
        assert record["child"] == child and record["route"] == child and record["fallback"] is False
        assert record["router_model"] == (STRONG_MODEL if child == "strong" else WEAK_MODEL)
        assert text.split() == ["text"] * words

    msgs = [user(prompt)]
    r = llm.chat(msgs)
    check(r, r.message.content)
    assert r.message.additional_kwargs[ROUTER_KEY]["child"] == child
    r = await llm.achat(msgs)
    check(r, r.message.content)
    chunks = list(llm.stream_chat(msgs))
    assert chunks and all(c.message.additional_kwargs[ROUTER_KEY]["child"] == child for c in chunks)
    check(chunks[-1], "".join(c.delta for c in chunks))  # MockLLM's last chunk text lags one word
    chunks = [c async for c in await llm.astream_chat(msgs)]
    assert chunks and all(c.additional_kwargs[ROUTER_KEY]["child"] == child for c in chunks)
    check(chunks[-1], "".join(c.delta for c in chunks))
    r = llm.complete(prompt)
    check(r, r.text)
    r = await llm.acomplete(prompt)
    check(r, r.text)
    chunks = list(llm.stream_complete(prompt))
    assert all(ROUTER_KEY in c.additional_kwargs for c in chunks)
    check(chunks[-1], "".join(c.delta for c in chunks))
    chunks = [c async for c in await llm.astream_complete(prompt)]
    assert all(ROUTER_KEY in c.additional_kwargs for c in chunks)
    check(chunks[-1], "".join(c.delta for c in chunks))
    assert [e.child for e in routes.decisions] == [child] * 8
    assert all(e.source == "llm" for e in routes.decisions)


async def test_predict_variants(llm):
    prompt = PromptTemplate("Please answer: {question}")
    assert llm.predict(prompt, question=HARD_PROMPT).split() == ["text"] * 3
    assert (await llm.apredict(prompt, question=EASY)).split() == ["text"]
    assert "".join(llm.stream(prompt, question=EASY)).split() == ["text"]


async def test_chat_model_children_predict_through_chat(kw_router):
    strong = MockLLMWithChatMemoryOfLastCall(is_chat_model=True)
    weak = MockLLMWithChatMemoryOfLastCall(is_chat_model=True)
    llm = RouterLLM(strong=strong, weak=weak, core=kw_router)
    assert llm.metadata.is_chat_model
    llm.predict(PromptTemplate("{q}"), q=HARD_PROMPT)
    assert strong.last_called_chat_function == ["chat"] and weak.last_called_chat_function == []


class Capital(BaseModel):
    """A country's capital."""

    city: str = "Paris"
    confidence: float = 0.9


async def test_structured_predict(fc_llm):
    prompt = PromptTemplate("What is the capital of {country}? It is a hard question.")
    out = fc_llm.structured_predict(Capital, prompt, country="France")
    assert isinstance(out, Capital) and out.city == "Paris"
    assert fc_llm.children["strong"].calls == ["prepare", "get_tool_calls"]
    out = await fc_llm.astructured_predict(Capital, PromptTemplate("Capital of {country}?"), country="France")
    assert isinstance(out, Capital)
    assert fc_llm.children["weak"].calls == ["prepare", "get_tool_calls"]


async def test_predict_and_call(fc_llm, routes):
    out = fc_llm.predict_and_call([ADD], user_msg="Add two numbers, it is hard.")
    assert out.response == "5" and out.sources[0].tool_name == "add"
    out = await fc_llm.apredict_and_call([ADD], user_msg="Add two numbers.")
    assert out.response == "5"
    assert [e.child for e in routes.decisions] == ["strong", "weak"]


# -- tools go to the chosen child's own handling -------------------------------------------------
def test_prepare_chat_with_tools_returns_chat_kwargs(fc_llm):
    history = [user("earlier")]
    kwargs = fc_llm._prepare_chat_with_tools([ADD], user_msg="now", chat_history=history, tool_choice="add")
    assert [m.content for m in kwargs["messages"]] == ["earlier", "now"]
    assert kwargs["tools"] == [ADD] and kwargs["tool_choice"] == "add"
    assert len(history) == 1  # the caller's history is not mutated
    response = fc_llm.chat(**kwargs)
    assert [c.tool_name for c in fc_llm.get_tool_calls_from_response(response)] == ["add"]


async def test_tool_calls_go_to_chosen_child(fc_llm):
    strong, weak = fc_llm.children["strong"], fc_llm.children["weak"]
    response = fc_llm.chat([user(HARD_PROMPT)], tools=[ADD])
    assert strong.calls == ["prepare"] and weak.calls == []
    assert any(isinstance(b, ToolCallBlock) for b in response.message.blocks)
    calls = fc_llm.get_tool_calls_from_response(response)
    assert calls[0].tool_name == "add" and calls[0].tool_kwargs == {"a": 2, "b": 3}
    assert strong.calls == ["prepare", "get_tool_calls"] and weak.calls == []

    response = await fc_llm.achat_with_tools([ADD], user_msg=EASY)
    assert weak.calls == ["prepare"]
    assert fc_llm.get_tool_calls_from_response(response)[0].tool_name == "add"
    chunks = list(fc_llm.stream_chat_with_tools([ADD], user_msg=EASY))
    assert chunks and all(router_record(c)["child"] == "weak" for c in chunks)
    chunks = [c async for c in await fc_llm.astream_chat_with_tools([ADD], user_msg=HARD_PROMPT)]
    assert fc_llm.get_tool_calls_from_response(chunks[-1])[0].tool_name == "add"
    assert router_record(chunks[-1])["child"] == "strong"
    response = fc_llm.chat_with_tools([ADD], user_msg=EASY)
    assert fc_llm.get_tool_calls_from_response(response)


def test_tools_on_a_child_without_tool_calling(kw_router):
    llm = RouterLLM(strong=MockFunctionCallingLLM(), weak=MockLLM(), core=kw_router, fallback=False)
    with pytest.raises(TypeError, match="not a FunctionCallingLLM"):
        llm.chat([user(EASY)], tools=[ADD])


def test_get_tool_calls_tolerates_placeholders(fc_llm):
    placeholder = ChatResponse(message=ChatMessage())  # what FunctionAgent uses for an empty stream
    assert fc_llm.get_tool_calls_from_response(placeholder, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        fc_llm.get_tool_calls_from_response(placeholder)
    foreign = ChatResponse(
        message=ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="1", tool_name="add", tool_kwargs={"a": 1})])
    )
    assert [c.tool_name for c in fc_llm.get_tool_calls_from_response(foreign)] == ["add"]


# -- routing input and stickiness -----------------------------------------------------------
def test_routes_on_user_turns_not_tool_results(fc_llm):
    messages = [
        user(EASY),
        ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="1", tool_name="add", tool_kwargs={})]),
        ChatMessage(role="tool", content="hard hard hard", additional_kwargs={"tool_call_id": "1"}),
        user("Thanks, and now something simple."),
    ]
    record = router_record(fc_llm.chat(messages))
    assert record["child"] == "weak" and "sticky" not in record["reason"]
    assert [m["role"] for m in to_conversation(messages)] == ["user", "assistant", "tool", "user"]


def test_sticky_inside_tool_turn(fc_llm, routes):
    first = fc_llm.chat([user(EASY)], tools=[ADD])
    assert router_record(first)["child"] == "weak"
    history = [
        user(EASY),
        first.message,
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "x"}),
        user(HARD_PROMPT),  # a new user turn routes afresh...
    ]
    assert router_record(fc_llm.chat(history))["child"] == "strong"
    # ...but inside the tool-call turn the router sticks with the child that opened it,
    # even though the whole conversation now says "hard" (threshold 0: always strong).
    sticky = RouterLLM(models=fc_llm.children, core=fc_llm.router, threshold=0.0)
    turn = [user(HARD_PROMPT + " " + EASY), first.message, ChatMessage(role="tool", content="5")]
    record = router_record(sticky.chat(turn))
    assert record["child"] == "weak" and record["reason"] == "sticky: inside a tool-call turn"
    assert record["score"] is None and json.dumps(record)
    assert to_conversation(turn)[1] == {"role": "assistant", "content": [], "tool_calls": True, "route": "weak"}


def test_children_never_see_router_metadata(kw_router):
    strong = MockLLMWithChatMemoryOfLastCall(is_chat_model=True)
    weak = MockLLMWithChatMemoryOfLastCall(is_chat_model=True)
    llm = RouterLLM(strong=strong, weak=weak, core=kw_router)
    first = llm.chat([user(EASY)])
    assert ROUTER_KEY in first.message.additional_kwargs
    llm.chat([user(EASY), first.message, user("Again?")])
    assert all(ROUTER_KEY not in m.additional_kwargs for m in weak.last_chat_messages)
    assert ROUTER_KEY in first.message.additional_kwargs  # the caller's message is untouched
    assert strip_router_metadata([first.message])[0].additional_kwargs == {}


# -- events ----------------------------------------------------------------------------------
class _Collect(BaseEventHandler):
    seen: list = []

    def handle(self, event: BaseEvent, **kwargs) -> None:
        self.seen.append(event)


def test_decision_event_reaches_a_handler(llm):
    handler = _Collect(seen=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        llm.chat([user(HARD_PROMPT)])
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not handler]
    ours = [e for e in handler.seen if isinstance(e, RouteDecisionEvent)]
    assert len(ours) == 1 and isinstance(ours[0], BaseEvent)
    event = ours[0]
    assert event.child == "strong" and event.route == "strong" and event.model == STRONG_MODEL
    assert math.isclose(event.score, 0.9) and event.reason.startswith("score 0.900 >=")
    assert event.span_id is not None and event.model_dump()["class_name"] == "RouteDecisionEvent"
    names = [type(e).__name__ for e in handler.seen]
    assert "LLMChatStartEvent" in names and "LLMChatEndEvent" in names


# -- fallback --------------------------------------------------------------------------------
@pytest.fixture()
def flaky(kw_router):
    """The strong child is down."""
    return RouterLLM(strong=FailingLLM(), weak=MockFunctionCallingLLM(), core=kw_router)


async def test_fallback_in_all_variants(flaky, routes):
    msgs = [user(HARD_PROMPT)]
    results = [
        flaky.chat(msgs),
        await flaky.achat(msgs),
        list(flaky.stream_chat(msgs))[-1],
        [c async for c in await flaky.astream_chat(msgs)][-1],
        flaky.complete(HARD_PROMPT),
        await flaky.acomplete(HARD_PROMPT),
        list(flaky.stream_complete(HARD_PROMPT))[-1],
        [c async for c in await flaky.astream_complete(HARD_PROMPT)][-1],
        flaky.chat(msgs, tools=[ADD]),
    ]
    for result in results:
        record = result.additional_kwargs[ROUTER_KEY]
        assert record["route"] == "strong" and record["child"] == "weak" and record["child_route"] == "weak"
        assert record["fallback"] is True and record["fallback_from"] == "strong"
        assert record["error"] == "ConnectionError: provider down"
    assert len(routes.fallbacks) == len(results)
    event = routes.fallbacks[0]
    assert isinstance(event, RouteFallbackEvent)
    assert (event.failed_child, event.fallback_child) == ("strong", "weak") and "provider down" in event.error


def test_sticky_follows_the_child_that_answered(flaky):
    first = flaky.chat([user(HARD_PROMPT)], tools=[ADD])
    assert router_record(first)["child"] == "weak"
    turn = [user(HARD_PROMPT), first.message, ChatMessage(role="tool", content="5")]
    record = router_record(flaky.chat(turn))
    assert record["reason"].startswith("sticky") and record["child"] == "weak" and record["fallback"] is False


async def test_no_fallback_when_disabled_or_all_fail(kw_router):
    off = RouterLLM(strong=FailingLLM(), weak=MockLLM(), core=kw_router, fallback=False)
    with pytest.raises(ConnectionError, match="provider down"):
        off.complete(HARD_PROMPT)
    with pytest.raises(ConnectionError, match="provider down"):
        list(off.stream_complete(HARD_PROMPT))
    both = RouterLLM(strong=FailingLLM(), weak=FailingLLM(), core=kw_router)
    with pytest.raises(ConnectionError, match="provider down"):
        await both.achat([user(EASY)])
    with pytest.raises(ConnectionError, match="provider down"):
        [c async for c in await both.astream_chat([user(EASY)])]


def test_no_fallback_after_streamed_output(kw_router):
    llm = RouterLLM(strong=MidStreamFailingLLM(), weak=MockLLM(), core=kw_router)
    stream = llm.stream_complete(HARD_PROMPT)
    first = next(stream)
    assert first.delta == "partial" and first.additional_kwargs[ROUTER_KEY]["child"] == "strong"
    with pytest.raises(RuntimeError, match="mid-stream"):
        next(stream)


# -- serialization ----------------------------------------------------------------------------
def test_serialization_does_not_leak_children(kw_router, routes):
    llm = RouterLLM(strong=KeyedLLM(), weak=KeyedLLM(), core=kw_router, threshold=0.4)
    secret = KeyedLLM().api_key
    dumped = [llm.to_json(), json.dumps(llm.to_dict()), llm.model_dump_json(), repr(llm), str(llm)]
    dumped += [json.dumps(llm.to_payload()), llm.metadata.model_dump_json()]
    for text in dumped:
        assert secret not in text and "children" not in text
    assert llm.to_dict()["threshold"] == 0.4 and llm.to_dict()["class_name"] == "RouterLLM"
    response = llm.complete(EASY)
    assert secret not in json.dumps(response.additional_kwargs)
    assert all(secret not in e.model_dump_json() for e in routes.events)


# -- bad input --------------------------------------------------------------------------------
async def test_empty_input_is_a_clear_error(llm):
    with pytest.raises(InvalidConversationError, match="empty"):
        llm.chat([])
    with pytest.raises(InvalidConversationError, match="empty"):
        await llm.acomplete("   ")
    with pytest.raises(InvalidConversationError, match="no user message"):
        llm.stream_chat([ChatMessage(role="system", content="You are helpful.")])
    with pytest.raises(InvalidConversationError):
        await llm.astream_chat([user("")])


def test_non_text_blocks(llm):
    image = ImageBlock(image=b"\x89PNG fake", image_mimetype="image/png")
    mixed = ChatMessage(role="user", blocks=[image, TextBlock(text=HARD_PROMPT)])
    record = router_record(llm.chat([mixed]))
    assert record["child"] == "strong" and "1 non-text content part(s) ignored" in record["reason"]
    with pytest.raises(InvalidConversationError, match="non-text"):
        llm.chat([ChatMessage(role="user", blocks=[image])])


def test_huge_message_is_truncated_and_said_so(default_router):
    llm = RouterLLM(strong=MockLLM(max_tokens=1), weak=MockLLM(max_tokens=1), core=default_router)
    response = llm.chat([user("Explain this log. " + "error at line 42; " * 6000)])
    record = router_record(response)
    assert len("error at line 42; " * 6000) > 100_000
    assert record["truncated"] is True and "truncated" in record["reason"]
    assert response.message.content == "text"


# -- N-way (once core routes N ways) ----------------------------------------------------------
def test_n_way_children():
    llm = RouterLLM(
        models={"alpha": MockLLM(max_tokens=1), "beta": MockLLM(max_tokens=2), "gamma": MockLLM(max_tokens=3)},
        core=ThreeWayRouter("gamma"),
    )
    response = llm.complete("anything")
    assert response.text.split() == ["text"] * 3 and response.additional_kwargs[ROUTER_KEY]["child"] == "gamma"
