"""Every per-call setting of a router (``core.policies.SETTING_NAMES``) is a field of ``RouterLLM``
and an attribute of ``RouterSelector``, unset by default; other names are refused."""

from __future__ import annotations

import pytest
from li_fakes import ThreeWayRouter

from core.policies import SETTING_NAMES
from llamaindex_router import RouterLLM, RouterSelector


def test_each_setting_is_a_router_llm_field() -> None:
    fields = RouterLLM.model_fields
    assert [name for name in SETTING_NAMES if name not in fields] == []
    assert all(fields[name].default is None for name in SETTING_NAMES)


def test_the_selector_keeps_every_setting_and_refuses_others() -> None:
    selector = RouterSelector(ThreeWayRouter())
    assert {name: getattr(selector, name) for name in SETTING_NAMES} == dict.fromkeys(SETTING_NAMES)
    with pytest.raises(TypeError, match=r"unknown setting\(s\) \['treshold'\]"):
        RouterSelector(ThreeWayRouter(), treshold=0.5)
