"""Fixtures for the LlamaIndex adapter tests (the bundled and N-way routers come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai_server import openai_server  # noqa: F401 - the loopback OpenAI-compatible server fixture
from li_fakes import keyword_router

from core import Router
from llamaindex_router import RouteCollector, collect_routes


@pytest.fixture()
def kw_router() -> Router:
    """Strong iff the user text contains "hard"; no encoder, so instant."""
    return keyword_router()


@pytest.fixture()
def routes() -> Iterator[RouteCollector]:
    """Routing events fired during the test."""
    with collect_routes() as collector:
        yield collector
