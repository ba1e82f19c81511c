"""Fixtures for the LangChain adapter tests: the shared default router and fake children."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import langchain_router.defaults as defaults
from core import Router
from langchain_router import FakeToolChatModel, RouterChatModel


@pytest.fixture(scope="session", autouse=True)
def _shared_default_router(default_router: Router) -> Iterator[None]:
    """Make ``RouterChatModel()`` without ``core`` use the session's default router (one model load)."""
    previous = defaults._default
    defaults._default = default_router
    yield
    defaults._default = previous


@pytest.fixture
def strong() -> FakeToolChatModel:
    return FakeToolChatModel(model_name="fake-strong")


@pytest.fixture
def weak() -> FakeToolChatModel:
    return FakeToolChatModel(model_name="fake-weak")


@pytest.fixture
def router_model(strong: FakeToolChatModel, weak: FakeToolChatModel, default_router: Router) -> RouterChatModel:
    """A RouterChatModel on the real bundled default router, with two fake children."""
    return RouterChatModel(strong=strong, weak=weak, core=default_router)
