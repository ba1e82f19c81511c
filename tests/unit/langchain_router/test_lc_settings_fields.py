"""Every per-call setting of a router is a field of each LangChain front end, and nothing else is.

The settings are defined once (``core.policies.SETTING_NAMES``); the adapters keep them as
pydantic fields (so ``configurable_fields`` and serialisation see them) and pass them on by
that list. A setting added to core and not to a front end (or a stray one) fails here.
"""

from __future__ import annotations

import pytest

from core.policies import SETTING_NAMES, SETTINGS
from langchain_router import RouterChatModel, WinrouteDecisionModel
from langchain_router.runnable import RouteKey


def test_the_settings_are_one_list_of_both_kinds() -> None:
    assert sorted(SETTING_NAMES) == sorted(name for names in SETTINGS.values() for name in names)


@pytest.mark.parametrize("front_end", [RouterChatModel, WinrouteDecisionModel, RouteKey])
def test_each_setting_is_a_field(front_end: type) -> None:
    fields = front_end.model_fields
    assert [name for name in SETTING_NAMES if name not in fields] == []
    for name in SETTING_NAMES:
        assert fields[name].default is None  # unset: the router's own policy applies
