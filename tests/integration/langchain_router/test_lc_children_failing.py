"""Children that answer with nothing, hang, or fail for a reason a fallback cannot fix
(issue 18 finding 7; issue 19 item 4): the call falls back only where another child can help."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from lc_fakes import EmptyResultChatModel, HangingChatModel, StatusError, StatusFailingChatModel

from core import InvalidConversationError
from core.child_calls import EmptyAnswerError, is_transient
from fake_chat_model import FakeToolChatModel
from langchain_router import RouterChatModel, router_record

PROMPT = "Prove that sqrt(2) is irrational."


def _router(strong, weak, default_router, **kw) -> RouterChatModel:
    return RouterChatModel(strong=strong, weak=weak, core=default_router, threshold=0.0, **kw)  # everything strong


def test_empty_result_falls_back(default_router) -> None:
    llm = _router(EmptyResultChatModel(model_name="empty"), FakeToolChatModel(model_name="w"), default_router)
    record = router_record(llm.invoke(PROMPT))  # was: IndexError from langchain-core
    assert record["child_route"] == "weak" and record["fallback"] and "returned no generations" in record["error"]


async def test_empty_result_falls_back_async(default_router) -> None:
    llm = _router(EmptyResultChatModel(model_name="empty"), FakeToolChatModel(model_name="w"), default_router)
    record = router_record(await llm.ainvoke(PROMPT))
    assert record["child_route"] == "weak" and record["fallback"]


def test_empty_result_without_fallback_is_a_clear_error(default_router) -> None:
    llm = _router(EmptyResultChatModel(model_name="empty"), FakeToolChatModel(), default_router, fallback=False)
    with pytest.raises(EmptyAnswerError, match="strong child 'empty' returned no generations"):
        llm.invoke(PROMPT)


def test_hanging_child_times_out_into_fallback(default_router) -> None:
    hanging = HangingChatModel(model_name="hangs")
    try:
        llm = _router(hanging, FakeToolChatModel(model_name="w"), default_router, timeout=0.5)
        record = router_record(llm.invoke(PROMPT))
        assert record["child_route"] == "weak" and "ChildTimeoutError" in record["error"]
        assert "did not answer within 0.5 s" in record["error"]
    finally:
        hanging.release()


def test_configuration_errors_are_raised_not_hidden(default_router) -> None:
    """A 404 (unknown model) is raised; a 503 falls back; fallback_on= widens or narrows it."""
    weak = FakeToolChatModel(model_name="w")
    with pytest.raises(StatusError, match="404") as info:
        _router(StatusFailingChatModel(model_name="bad-name"), weak, default_router).invoke(PROMPT)
    assert any("not transient" in note for note in info.value.__notes__)
    assert not weak.calls
    record = router_record(_router(StatusFailingChatModel(status_code=503), weak, default_router).invoke(PROMPT))
    assert record["fallback"] and record["child_route"] == "weak"
    widened = _router(StatusFailingChatModel(), weak, default_router, fallback_on=(StatusError,))
    assert router_record(widened.invoke(PROMPT))["fallback"]
    narrowed = _router(StatusFailingChatModel(status_code=503), weak, default_router, fallback_on=(TimeoutError,))
    with pytest.raises(StatusError):
        narrowed.invoke(PROMPT)


def test_is_transient_classes() -> None:
    assert is_transient(ConnectionError()) and is_transient(TimeoutError()) and is_transient(StatusError(429))
    assert is_transient(StatusError(500)) and is_transient(EmptyAnswerError("x"))
    assert not is_transient(StatusError(404)) and not is_transient(StatusError(400)) and not is_transient(ValueError())


def test_default_route_for_nothing_to_score(default_router) -> None:
    strong, weak = FakeToolChatModel(model_name="s"), FakeToolChatModel(model_name="w")
    only_system = [SystemMessage("You are terse.")]
    with pytest.raises(InvalidConversationError):
        RouterChatModel(strong=strong, weak=weak, core=default_router).invoke(only_system)
    llm = RouterChatModel(strong=strong, weak=weak, core=default_router, default_route="weak")
    record = router_record(llm.invoke(only_system))
    assert record["child_route"] == "weak" and record["reason"].startswith("default route")
    image_only = [HumanMessage(content=[{"type": "image", "url": "https://example.invalid/cat.png"}])]
    assert router_record(llm.invoke(image_only))["child_route"] == "weak"
    assert router_record(llm.invoke(PROMPT))["reason"].startswith("score")  # text is still scored
    with pytest.raises(ValueError, match="default_route"):
        RouterChatModel(strong=strong, weak=weak, core=default_router, default_route="medium")


def test_profile_is_what_every_child_supports(default_router) -> None:
    strong = FakeToolChatModel(profile={"max_input_tokens": 128000, "tool_calling": True, "structured_output": True})
    weak = FakeToolChatModel(profile={"max_input_tokens": 8000, "tool_calling": True, "structured_output": False})
    profile = RouterChatModel(strong=strong, weak=weak, core=default_router).profile
    assert profile == {"max_input_tokens": 8000, "tool_calling": True, "structured_output": False}
    assert RouterChatModel(strong=strong, weak=FakeToolChatModel(), core=default_router).profile is None


def test_record_names_the_child_and_the_router_models_apart(default_router) -> None:
    strong, weak = FakeToolChatModel(model_name="local-strong"), FakeToolChatModel(model_name="local-weak")
    message = RouterChatModel(strong=strong, weak=weak, core=default_router, threshold=1.0).invoke(PROMPT)
    record = router_record(message)
    assert record["child"] == record["child_model"] == "local-weak" and record["child_route"] == "weak"
    assert record["child_provider"] == "fake" and message.response_metadata["model_provider"] == "fake"
    assert record["router_model"] == default_router.weak and "model" not in record
    assert set(record["router_scores"]) == {default_router.strong, default_router.weak}
    assert not {"qualities", "costs", "utilities", "scores"} & set(record)  # no empty N-way fields


def test_children_as_init_chat_model_strings(default_router, monkeypatch) -> None:
    """Strings build the children with init_chat_model (no request is made here)."""
    from langchain_openai import ChatOpenAI

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    llm = RouterChatModel(strong="openai:gpt-4o", weak="openai:gpt-4o-mini", core=default_router)
    assert isinstance(llm.strong, ChatOpenAI) and llm.strong.model_name == "gpt-4o"
    assert llm.resolve("gpt-4o-mini") == "weak"
    keyed = RouterChatModel(models={"strong": "openai:gpt-4o", "weak": "openai:gpt-4o-mini"}, core=default_router)
    assert keyed.resolve("gpt-4o") == "strong"
    with pytest.raises(ValueError, match="provider"):
        RouterChatModel(strong="no-such-provider:model-x", weak="openai:gpt-4o-mini", core=default_router)
