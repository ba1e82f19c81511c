"""Fixtures for the server tests: the winroute server on loopback in front of the loopback
OpenAI-compatible upstreams of tests/openai_server.py, routing with the real bundled default router."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_server import openai_server  # noqa: F401 - the loopback upstream fixture

pytest.importorskip("fastapi", reason="the server needs the 'serve' extra (fastapi, uvicorn, prometheus-client)")

from serve_support import Running, running


@pytest.fixture
def start(default_router: Any, tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """``start(config_dict)`` -> a running server routing with the bundled default router."""
    from core.serve import create_app, parse_config

    stack: list[Any] = []

    def _start(raw: dict[str, Any], router: Any = None) -> Running:
        app = create_app(parse_config(raw), router=router if router is not None else default_router)
        ctx = running(app)
        stack.append(ctx)
        return ctx.__enter__()

    yield _start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)
