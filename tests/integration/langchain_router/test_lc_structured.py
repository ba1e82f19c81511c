"""Structured output through the router (issue 19 item 4): one routed call, the child's own method
(json_schema by default, as ChatOpenAI), the record on the raw message, no silent rerun."""

from __future__ import annotations

import pytest
from langchain_core.exceptions import OutputParserException
from lc_fakes import JsonModeChatModel
from pydantic import BaseModel

from fake_chat_model import FakeToolChatModel

from langchain_router import RouterChatModel, router_record


class Answer(BaseModel):
    x: int


def _pair(default_router, threshold: float):
    strong = JsonModeChatModel(model_name="s", reply="not json at all")
    weak = JsonModeChatModel(model_name="w", reply='{"x": 1}')
    return strong, weak, RouterChatModel(strong=strong, weak=weak, core=default_router, threshold=threshold)


def test_parse_failure_is_raised_not_rerun_on_the_other_child(default_router) -> None:
    strong, weak, llm = _pair(default_router, 0.0)  # everything strong
    with pytest.raises(OutputParserException):
        llm.with_structured_output(Answer).invoke("give me x")
    assert len(strong.calls) == 1 and not weak.calls  # was: silently ran again on the weak child


def test_include_raw_carries_the_record_and_the_error(default_router) -> None:
    strong, weak, llm = _pair(default_router, 0.0)
    out = llm.with_structured_output(Answer, include_raw=True).invoke("give me x")
    assert out["parsed"] is None and isinstance(out["parsing_error"], OutputParserException)
    assert router_record(out["raw"])["child"] == "s"


def test_default_method_is_json_schema_and_the_childs_binding_is_used(default_router) -> None:
    strong, weak, llm = _pair(default_router, 1.0)  # everything weak
    out = llm.with_structured_output(Answer, include_raw=True).invoke("give me x")
    assert out["parsed"] == Answer(x=1) and router_record(out["raw"])["child_route"] == "weak"
    assert weak.calls[-1]["response_format"] == {"type": "json_object", "method": "json_schema"}
    llm.with_structured_output(Answer, method="json_mode").invoke("give me x")
    assert weak.calls[-1]["response_format"]["method"] == "json_mode"


async def test_mixed_children_each_parse_their_own_way(default_router) -> None:
    """A tool-calling child and a JSON-mode child behind one router: each answer parsed by its child's parser."""
    tools_child = FakeToolChatModel(model_name="t")
    json_child = JsonModeChatModel(model_name="j", reply='{"x": 7}')
    to_json = RouterChatModel(strong=tools_child, weak=json_child, core=default_router, threshold=1.0)
    assert await to_json.with_structured_output(Answer).ainvoke("x is 3") == Answer(x=7)
    to_tools = RouterChatModel(strong=tools_child, weak=json_child, core=default_router, threshold=0.0)
    assert to_tools.with_structured_output(Answer).invoke("x is 3") == Answer(x=3)
