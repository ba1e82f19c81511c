"""Fixtures for the LangChain adapter tests: the shared default router and fake children."""

from __future__ import annotations

import pytest
from openai_server import openai_server  # noqa: F401 - the loopback OpenAI-compatible server fixture

from core import Router
from fake_chat_model import FakeToolChatModel
from langchain_router import RouterChatModel


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
