"""langchain_router's public API: every name in ``__all__`` resolves, and no test fake is exported."""

from __future__ import annotations

import langchain_router


def test_every_exported_name_resolves() -> None:
    missing = [name for name in langchain_router.__all__ if not hasattr(langchain_router, name)]
    assert not missing, f"__all__ names what the package does not define: {missing}"


def test_no_test_fake_is_exported() -> None:
    """``FakeToolChatModel`` lives in tests/fake_chat_model.py: a stand-in for tests and offline notebooks."""
    assert not [name for name in langchain_router.__all__ if "fake" in name.lower()]
    assert not hasattr(langchain_router, "FakeToolChatModel")
