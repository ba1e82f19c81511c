"""RouterChatModel: construction, records, streaming, tools, overrides, usage, fallback, bad input."""

from __future__ import annotations

import math
from functools import reduce
from operator import add
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.rate_limiters import BaseRateLimiter
from langchain_core.runnables import ConfigurableField, RunnableBinding
from langchain_core.tools import tool
from lc_fakes import (
    AnonymousChatModel,
    ChildError,
    FailingChatModel,
    NamedChunksChatModel,
    NoStreamChatModel,
    RecordingBindChatModel,
)
from pydantic import BaseModel, Field

from core import InvalidConversationError, Router, UnknownModelError
from fake_chat_model import FakeToolChatModel
from langchain_router import ROUTER_KEY, RouterChatModel, router_record


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def record(message: Any) -> dict[str, Any]:
    rec = router_record(message)
    assert rec is not None, f"no routing record on {message!r}"
    return rec


class CountingHandler(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts = 0
        self.ends = 0
        self.tokens = 0

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.starts += 1

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self.ends += 1

    def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        self.tokens += 1


# -- construction ------------------------------------------------------------------------------
def test_children_by_route_or_model_name(default_router: Router) -> None:
    strong, weak = FakeToolChatModel(model_name="s"), FakeToolChatModel(model_name="w")
    by_route = RouterChatModel(models={"strong": strong, "weak": weak}, core=default_router)
    assert by_route.children == {"strong": strong, "weak": weak}
    assert by_route.child_names == {"strong": "s", "weak": "w"}
    by_model = RouterChatModel(models={default_router.weak: weak, default_router.strong: strong}, core=default_router)
    assert by_model.children == {"strong": strong, "weak": weak}
    assert by_model.child_names == {"strong": default_router.strong, "weak": default_router.weak}
    assert by_model.resolve("w") == "weak" and by_model.resolve(default_router.strong) == "strong"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "needs its children: strong= and weak=, or models="),
        ({"strong": FakeToolChatModel()}, "no child for the weak route"),
        ({"models": {"strong": FakeToolChatModel()}}, "no child for the weak route"),
        ({"models": {"strong": FakeToolChatModel(), "STRONG": FakeToolChatModel()}}, "both stand for the 'strong' route"),
        ({"models": {"gpt-4o": FakeToolChatModel(), "weak": FakeToolChatModel()}}, "'gpt-4o' is neither a route nor a model"),
        ({"threshold": 0.3, "strong_share": 0.5}, "either threshold or strong_share"),
        ({"threshold": 1.5}, r"threshold must be in \[0, 1\]"),
    ],
)
def test_bad_construction(kwargs: dict[str, Any], match: str, default_router: Router) -> None:
    if "threshold" in kwargs or "strong_share" in kwargs:
        kwargs = {"strong": FakeToolChatModel(), "weak": FakeToolChatModel(), **kwargs}
    with pytest.raises(ValueError, match=match):
        RouterChatModel(core=default_router, **kwargs)


def test_default_core_is_the_bundled_router(default_router: Router) -> None:
    model = RouterChatModel(strong=FakeToolChatModel(), weak=FakeToolChatModel())
    assert model.core is None and model.router is default_router


def test_same_named_children_get_distinct_names(default_router: Router) -> None:
    model = RouterChatModel(strong=FakeToolChatModel(), weak=FakeToolChatModel(), core=default_router)
    assert model.child_names == {"strong": "fake-chat-model@strong", "weak": "fake-chat-model@weak"}
    with pytest.raises(UnknownModelError, match="names both children"):
        model.resolve("fake-chat-model")


def test_identifying_and_langsmith_params(router_model: RouterChatModel, default_router: Router) -> None:
    params = router_model._identifying_params
    assert params["routes"] == {"strong": "fake-strong", "weak": "fake-weak"}
    assert params["router"] == default_router.name
    assert params["children"]["weak"] == {"_type": "fake-tool-chat-model", "model_name": "fake-weak"}
    ls = router_model._get_ls_params(stop=["x"])
    assert ls["ls_provider"] == "winroute" and ls["ls_model_type"] == "chat" and ls["ls_stop"] == ["x"]
    assert ls["ls_model_name"] == "winroute:fake-strong|fake-weak"
    assert router_model._get_ls_params(model="weak")["ls_model_name"] == "fake-weak"
    configured = RouterChatModel(**{**router_model.__dict__, "temperature": 0.2, "max_tokens": 7})
    assert configured._get_ls_params()["ls_temperature"] == 0.2
    assert configured._identifying_params["max_tokens"] == 7


# -- the record --------------------------------------------------------------------------------
def test_invoke_records_the_decision(router_model: RouterChatModel, default_router: Router) -> None:
    prompt = "Write a haiku about autumn leaves."
    expected = default_router.route(prompt)
    message = router_model.invoke(prompt)
    rec = record(message)
    assert rec["route"] == rec["child_route"] == expected.route
    assert rec["score"] == pytest.approx(expected.score)
    assert rec["threshold"] == pytest.approx(expected.threshold)
    assert rec["reason"] == expected.reason and rec["router"] == default_router.name
    assert rec["child"] == f"fake-{expected.route}" and rec["fallback"] is False and rec["forced"] is False
    assert message.response_metadata["model_name"] == f"fake-{expected.route}"
    assert message.content == f"[fake-{expected.route}] {prompt}"
    assert message.usage_metadata is not None and message.usage_metadata["input_tokens"] > 0


def test_child_without_model_name_is_named(default_router: Router) -> None:
    model = RouterChatModel(
        strong=GenericFakeChatModel(messages=iter(["strong says hi there"])),
        weak=GenericFakeChatModel(messages=iter(["weak says hi there"])),
        core=default_router,
    )
    message = model.invoke("hello", model="weak")
    assert message.content == "weak says hi there"
    assert message.response_metadata["model_name"] == "generic-fake-chat-model@weak"
    chunks = list(model.stream("hello", model="strong"))
    assert "".join(c.text for c in chunks) == "strong says hi there"
    assert [c.response_metadata.get("model_name") for c in chunks if "model_name" in c.response_metadata] == [
        "generic-fake-chat-model@strong"
    ]


@pytest.mark.parametrize("child_class", [FakeToolChatModel, NamedChunksChatModel, AnonymousChatModel, NoStreamChatModel])
def test_stream_puts_record_model_name_and_input_tokens_on_one_chunk(
    child_class: type[FakeToolChatModel], default_router: Router
) -> None:
    model = RouterChatModel(
        strong=child_class(model_name="s-model"), weak=child_class(model_name="w-model"), core=default_router
    )
    chunks = list(model.stream("Tell me a short story about a dragon.", model="weak"))
    assert ROUTER_KEY in chunks[0].response_metadata
    assert sum(ROUTER_KEY in c.response_metadata for c in chunks) == 1
    assert sum("model_name" in c.response_metadata for c in chunks) == 1
    assert sum(bool(c.usage_metadata and c.usage_metadata["input_tokens"]) for c in chunks) == 1
    assert chunks[-1].chunk_position == "last"
    full = reduce(add, chunks)
    assert full.response_metadata["model_name"] == "w-model"
    assert record(full)["child"] == "w-model"
    assert full.text == "[w-model] Tell me a short story about a dragon."
    if child_class is NoStreamChatModel:
        assert len(chunks) == 1


async def test_astream_marks_like_stream(router_model: RouterChatModel) -> None:
    chunks = [c async for c in router_model.astream("Name three rivers in Europe.", model="strong")]
    assert sum(ROUTER_KEY in c.response_metadata for c in chunks) == 1
    assert sum("model_name" in c.response_metadata for c in chunks) == 1
    full = reduce(add, chunks)
    assert record(full)["child_route"] == "strong" and full.response_metadata["model_name"] == "fake-strong"


# -- delegation: one run, usage once -------------------------------------------------------------
def test_one_run_and_usage_counted_once(default_router: Router) -> None:
    child_handler = CountingHandler()
    strong = FakeToolChatModel(model_name="fake-strong", callbacks=[child_handler])
    weak = FakeToolChatModel(model_name="fake-weak", callbacks=[child_handler])
    model = RouterChatModel(strong=strong, weak=weak, core=default_router)
    handler = CountingHandler()
    with get_usage_metadata_callback() as usage:
        message = model.invoke("What is the capital of Peru?", config={"callbacks": [handler]}, model="weak")
    assert (handler.starts, handler.ends) == (1, 1)
    assert child_handler.starts == 0  # the child's own run never starts: no nested run
    assert usage.usage_metadata == {"fake-weak": message.usage_metadata}

    handler = CountingHandler()
    with get_usage_metadata_callback() as usage:
        chunks = list(model.stream("What is the capital of Peru?", config={"callbacks": [handler]}, model="strong"))
    full = reduce(add, chunks)
    assert (handler.starts, handler.ends) == (1, 1) and handler.tokens == len(chunks)
    assert usage.usage_metadata == {"fake-strong": full.usage_metadata}
    assert full.usage_metadata == message.usage_metadata  # same prompt, same count: not doubled


async def test_async_usage_counted_once(router_model: RouterChatModel) -> None:
    with get_usage_metadata_callback() as usage:
        message = await router_model.ainvoke("What is the capital of Peru?", model="weak")
        chunks = [c async for c in router_model.astream("What is the capital of Peru?", model="weak")]
    full = reduce(add, chunks)
    assert full.usage_metadata == message.usage_metadata
    total = message.usage_metadata["total_tokens"] * 2  # type: ignore[index]
    assert usage.usage_metadata["fake-weak"]["total_tokens"] == total


def test_child_rate_limiter_is_used(default_router: Router) -> None:
    class Counting(BaseRateLimiter):
        acquired: int = 0

        def acquire(self, *, blocking: bool = True) -> bool:
            self.acquired += 1
            return True

        async def aacquire(self, *, blocking: bool = True) -> bool:
            self.acquired += 1
            return True

    limiter = Counting()
    model = RouterChatModel(
        strong=FakeToolChatModel(rate_limiter=limiter), weak=FakeToolChatModel(), core=default_router
    )
    model.invoke("hi", model="strong")
    list(model.stream("hi", model="strong"))
    model.invoke("hi", model="weak")
    assert limiter.acquired == 2


# -- tools and structured output -----------------------------------------------------------------
def test_tools_bind_through_the_chosen_child(default_router: Router) -> None:
    strong, weak = RecordingBindChatModel(model_name="s"), RecordingBindChatModel(model_name="w")
    model = RouterChatModel(strong=strong, weak=weak, core=default_router)
    llm = model.bind_tools([multiply], tool_choice="multiply", parallel_tool_calls=False)
    assert isinstance(llm, RunnableBinding) and llm.bound is model
    assert llm.kwargs["tools"] == [multiply] and llm.kwargs["tool_choice"] == "multiply"
    message = llm.invoke("What is 6 times 7?", model="weak")
    assert weak.bind_calls == [{"tools": [multiply], "tool_choice": "multiply", "parallel_tool_calls": False}]
    assert strong.bind_calls == [] and strong.calls == []
    assert weak.calls[-1]["tools"] == ["multiply"] and weak.calls[-1]["tool_choice"] == "multiply"
    assert message.tool_calls[0]["name"] == "multiply" and message.tool_calls[0]["args"] == {"a": 6, "b": 7}
    assert record(message)["child_route"] == "weak"
    full = reduce(add, llm.stream("What is 6 times 7?", model="strong"))
    assert full.tool_calls[0]["args"] == {"a": 6, "b": 7} and strong.calls[-1]["tools"] == ["multiply"]


def test_tool_calls_stream_from_a_child_that_cannot_stream(default_router: Router) -> None:
    model = RouterChatModel(
        strong=NoStreamChatModel(model_name="s"),
        weak=FakeToolChatModel(model_name="w", disable_streaming="tool_calling"),
        core=default_router,
    )
    llm = model.bind_tools([multiply], tool_choice="any")
    for route in ("strong", "weak"):
        chunks = list(llm.stream("What is 3 times 4?", model=route))
        assert len(chunks) == 1, route  # one chunk: answered by _generate
        assert chunks[0].tool_calls[0]["args"] == {"a": 3, "b": 4}
        assert record(chunks[0])["child_route"] == route


class Product(BaseModel):
    """A product of two numbers."""

    a: int = Field(description="first factor")
    b: int = Field(description="second factor")
    label: str = Field(description="what is multiplied")


def test_structured_output_through_the_router(default_router: Router) -> None:
    strong, weak = FakeToolChatModel(model_name="s"), FakeToolChatModel(model_name="w")
    model = RouterChatModel(strong=strong, weak=weak, core=default_router, threshold=0.0)
    structured = model.with_structured_output(Product)
    prompt = "Multiply 6 by 7 'apples'."
    assert structured.invoke(prompt) == Product(a=6, b=7, label="apples")
    streamed = list(structured.stream(prompt))
    assert streamed and streamed[-1] == Product(a=6, b=7, label="apples")
    raw = model.with_structured_output(Product, include_raw=True).invoke(prompt)
    assert raw["parsed"] == Product(a=6, b=7, label="apples")
    assert record(raw["raw"])["child_route"] == "strong" and weak.calls == []
    as_dict = model.with_structured_output(Product.model_json_schema()).invoke(prompt)
    assert as_dict == {"a": 6, "b": 7, "label": "apples"}


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
def test_structured_output_per_child(method: str, router_model: RouterChatModel, default_router: Router) -> None:
    prompt = "Multiply 2 by 21 'pears'."
    expected = default_router.route(prompt).route
    structured = router_model.with_structured_output(Product, method=method)
    assert structured.invoke(prompt) == Product(a=2, b=21, label="pears")
    assert list(structured.stream(prompt))[-1] == Product(a=2, b=21, label="pears")
    chosen = router_model.children[expected]
    other = router_model.children["weak" if expected == "strong" else "strong"]
    assert len(chosen.calls) == 2 and other.calls == []  # type: ignore[attr-defined]


# -- sticky tool turns ---------------------------------------------------------------------------
def test_tool_turn_stays_with_the_child_that_started_it(router_model: RouterChatModel) -> None:
    llm = router_model.bind_tools([multiply])
    question = HumanMessage("What is 12 times 7? Use the multiply tool.")
    first = llm.invoke([question], threshold=0.0)  # a real decision: everything scores >= 0
    assert first.tool_calls and record(first)["child_route"] == "strong"
    assert record(first)["reason"].startswith("score")
    result = multiply.invoke(first.tool_calls[0])
    # threshold 1.0 would send any routed call weak; inside the tool turn the route is kept.
    second = llm.invoke([question, first, result], threshold=1.0)
    assert record(second)["child_route"] == "strong"
    assert record(second)["reason"] == "sticky: inside a tool-call turn"
    assert record(second)["score"] is None
    assert second.content == "[fake-strong] The tool returned: 84"
    # The next user turn is routed afresh.
    third = llm.invoke([question, first, result, second, HumanMessage("Thanks! And 2 times 3?")], threshold=1.0)
    assert record(third)["child_route"] == "weak" and record(third)["reason"].startswith("score")


def test_streamed_tool_call_keeps_the_turn_sticky(router_model: RouterChatModel) -> None:
    llm = router_model.bind_tools([multiply])
    question = HumanMessage("What is 5 times 9?")
    first = reduce(add, llm.stream([question], model="weak"))
    assert isinstance(first, AIMessageChunk) and first.tool_calls
    result = multiply.invoke(first.tool_calls[0])
    second = llm.invoke([question, first, result], threshold=0.0)
    assert record(second)["child_route"] == "weak"
    assert record(second)["reason"] == "sticky: inside a tool-call turn"


def test_tool_turn_without_a_record_is_routed(router_model: RouterChatModel) -> None:
    history = [
        HumanMessage("What is 1 + 2"),
        AIMessage("", tool_calls=[{"name": "multiply", "args": {"a": 1, "b": 2}, "id": "x1", "type": "tool_call"}]),
    ]
    message = router_model.invoke(history + [multiply.invoke(history[1].tool_calls[0])], threshold=0.0)
    assert record(message)["reason"].startswith("score")


# -- overrides -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, route",
    [("strong", "strong"), ("WEAK", "weak"), ("fake-weak", "weak"), ("fake-strong", "strong"),
     ("gpt-4-1106-preview", "strong"), ("mixtral-8x7b-instruct-v0.1", "weak")],
)
def test_forced_routes(name: str, route: str, router_model: RouterChatModel) -> None:
    message = router_model.invoke("Prove that there are infinitely many primes.", model=name)
    rec = record(message)
    assert rec["child_route"] == rec["route"] == route and rec["forced"] is True
    assert rec["reason"] == f"forced: model={name!r}" and rec["score"] is None
    assert router_model.bind(model=name).invoke("hi").response_metadata["model_name"] == f"fake-{route}"


def test_unknown_forced_model(router_model: RouterChatModel) -> None:
    with pytest.raises(UnknownModelError, match="unknown route or model 'gpt-9'"):
        router_model.invoke("hi", model="gpt-9")


def test_threshold_and_strong_share_per_call(router_model: RouterChatModel, default_router: Router) -> None:
    prompt = "Summarise the plot of Hamlet in two sentences."
    score = default_router.route(prompt).score
    assert record(router_model.invoke(prompt, threshold=0.0))["child_route"] == "strong"
    assert record(router_model.invoke(prompt, threshold=1.0))["child_route"] == "weak"
    for share in (0.0, 0.3, 1.0):
        rec = record(router_model.invoke(prompt, strong_share=share))
        t = default_router.threshold_for(strong_share=share)
        assert rec["threshold"] == pytest.approx(t)
        assert rec["child_route"] == ("strong" if score >= t else "weak")
    with pytest.raises(ValueError, match="either threshold or strong_share"):
        router_model.invoke(prompt, threshold=0.2, strong_share=0.2)
    pinned = RouterChatModel(**{**router_model.__dict__, "strong_share": 0.3})
    assert record(pinned.invoke(prompt))["threshold"] == pytest.approx(default_router.threshold_for(strong_share=0.3))
    assert record(pinned.invoke(prompt, threshold=0.0))["threshold"] == 0.0  # the call's setting wins


def test_threshold_as_configurable_field(router_model: RouterChatModel) -> None:
    configurable = router_model.configurable_fields(
        threshold=ConfigurableField(id="threshold", name="Routing threshold")
    )
    prompt = "What is 17 squared?"
    strong = configurable.with_config(configurable={"threshold": 0.0}).invoke(prompt)
    weak = configurable.with_config(configurable={"threshold": 1.0}).invoke(prompt)
    assert record(strong)["child_route"] == "strong" and record(weak)["child_route"] == "weak"
    share = router_model.configurable_fields(strong_share=ConfigurableField(id="share"))
    assert record(share.with_config(configurable={"share": 1.0}).invoke(prompt))["reason"].startswith("score")


# -- fallback -----------------------------------------------------------------------------------------
@pytest.fixture
def flaky(weak: FakeToolChatModel, default_router: Router) -> RouterChatModel:
    return RouterChatModel(strong=FailingChatModel(model_name="bad-strong"), weak=weak, core=default_router)


def _assert_fell_back(message: Any) -> None:
    rec = record(message)
    assert rec["route"] == "strong" and rec["child_route"] == "weak" and rec["child"] == "fake-weak"
    assert rec["fallback"] is True and rec["fallback_from"] == "bad-strong"
    assert rec["error"] == "ChildError: bad-strong is down" or rec["error"] == "ChildError: bad-strong cannot stream"


def test_fallback_sync(flaky: RouterChatModel) -> None:
    message = flaky.invoke("Explain recursion.", threshold=0.0)
    _assert_fell_back(message)
    assert message.content == "[fake-weak] Explain recursion."


async def test_fallback_async(flaky: RouterChatModel) -> None:
    _assert_fell_back(await flaky.ainvoke("Explain recursion.", threshold=0.0))


def test_fallback_before_the_first_chunk(flaky: RouterChatModel) -> None:
    chunks = list(flaky.stream("Explain recursion.", model="strong"))
    _assert_fell_back(chunks[0])
    assert reduce(add, chunks).text == "[fake-weak] Explain recursion."


async def test_async_fallback_before_the_first_chunk(flaky: RouterChatModel) -> None:
    chunks = [c async for c in flaky.astream("Explain recursion.", model="strong")]
    _assert_fell_back(chunks[0])


def test_fallback_of_a_tool_call(flaky: RouterChatModel) -> None:
    message = flaky.bind_tools([multiply], tool_choice="any").invoke("What is 2 times 8?", model="strong")
    _assert_fell_back(message)
    assert message.tool_calls[0]["args"] == {"a": 2, "b": 8}


def test_no_fallback_after_streaming_started(weak: FakeToolChatModel, default_router: Router) -> None:
    broken = FailingChatModel(model_name="bad-strong", fail_generate=False, fail_stream_start=False, fail_after=2)
    model = RouterChatModel(strong=broken, weak=weak, core=default_router)
    received = []
    with pytest.raises(ChildError, match="broke mid-stream") as info:
        for chunk in model.stream("Explain recursion in detail.", model="strong"):
            received.append(chunk)
    assert len(received) == 2 and weak.calls == []
    assert any("failed after 2 chunk(s) had been streamed" in note for note in info.value.__notes__)


async def test_no_async_fallback_after_streaming_started(weak: FakeToolChatModel, default_router: Router) -> None:
    broken = FailingChatModel(model_name="bad-strong", fail_generate=False, fail_stream_start=False, fail_after=1)
    model = RouterChatModel(strong=broken, weak=weak, core=default_router)
    with pytest.raises(ChildError) as info:
        async for _ in model.astream("Explain recursion in detail.", model="strong"):
            pass
    assert weak.calls == [] and "failed after 1 chunk(s)" in "".join(info.value.__notes__)


def test_fallback_disabled_raises_the_childs_error(weak: FakeToolChatModel, default_router: Router) -> None:
    model = RouterChatModel(strong=FailingChatModel(model_name="bad"), weak=weak, core=default_router, fallback=False)
    with pytest.raises(ChildError, match="bad is down"):
        model.invoke("hi", model="strong")
    with pytest.raises(ChildError, match="bad cannot stream"):
        list(model.stream("hi", model="strong"))
    assert weak.calls == []


def test_both_children_failing(default_router: Router) -> None:
    model = RouterChatModel(
        strong=FailingChatModel(model_name="bad-strong"), weak=FailingChatModel(model_name="bad-weak"), core=default_router
    )
    with pytest.raises(ChildError, match="bad-strong is down") as info:
        model.invoke("hi", model="strong")
    assert "to the weak child 'bad-weak' failed too: ChildError: bad-weak is down" in "".join(info.value.__notes__)


# -- bad input -------------------------------------------------------------------------------------------
def test_empty_message_list(router_model: RouterChatModel) -> None:
    with pytest.raises(InvalidConversationError, match="empty conversation"):
        router_model.invoke([])
    with pytest.raises(InvalidConversationError, match="empty conversation"):
        router_model.invoke([], model="weak")


def test_no_user_text(router_model: RouterChatModel) -> None:
    with pytest.raises(InvalidConversationError, match="no user message with text.*model='strong'"):
        router_model.invoke([SystemMessage("You are helpful.")])
    # Choosing a child explicitly needs no routing.
    assert record(router_model.invoke([SystemMessage("You are helpful.")], model="weak"))["child_route"] == "weak"


IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def test_image_only_message_is_a_clear_error(router_model: RouterChatModel) -> None:
    with pytest.raises(InvalidConversationError, match="1 non-text content parts were ignored"):
        router_model.invoke([HumanMessage(content=[IMAGE])])


def test_image_parts_are_ignored_for_routing(router_model: RouterChatModel, default_router: Router) -> None:
    text = "What is shown in this picture?"
    message = router_model.invoke([HumanMessage(content=[{"type": "text", "text": text}, IMAGE])])
    rec = record(message)
    assert "1 non-text content part(s) ignored" in rec["reason"]
    assert rec["child_route"] == default_router.route(text).route


def test_very_long_message_is_truncated_for_routing(router_model: RouterChatModel) -> None:
    text = "Please review the following log line by line. " * 2200
    assert len(text) > 100_000
    message = router_model.invoke(text)
    rec = record(message)
    assert rec["truncated"] is True and "truncated" in rec["reason"]
    assert message.text.endswith(text.strip())  # the child got the whole message


def test_nan_free_records(router_model: RouterChatModel) -> None:
    rec = record(router_model.invoke("hi", model="strong"))
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in rec.values())
