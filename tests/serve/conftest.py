"""Fixtures for the server tests: the winroute server on loopback (uvicorn in a thread, port 0), in
front of the loopback OpenAI-compatible upstreams of tests/openai_server.py, routing with the real
bundled default router."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from openai_server import openai_server  # noqa: F401 - the loopback upstream fixture

pytest.importorskip("fastapi", reason="the server needs the 'serve' extra (fastapi, uvicorn, prometheus-client)")


class Running:
    """A started server: its base URL, the app, and the uvicorn server (to stop it)."""

    def __init__(self, app: Any, server: Any, thread: threading.Thread) -> None:
        self.app, self.server, self.thread = app, server, thread
        port = server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.url}/v1"

    @property
    def log(self) -> Any:
        return self.app.state.log


@contextmanager
def running(app: Any) -> Iterator[Running]:
    """Run ``app`` with uvicorn on 127.0.0.1:0 in a thread; stop it (gracefully) on exit."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the winroute server did not start")
        time.sleep(0.02)
    try:
        yield Running(app, server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def config_dict(upstream_url: str, tmp_path: Path, **over: Any) -> dict[str, Any]:
    """A serve config: scripted strong and weak children on ``upstream_url``, a SQLite log in ``tmp_path``."""
    raw: dict[str, Any] = {
        "children": {
            "strong": {"base_url": upstream_url, "model": "scripted-strong", "input_price": 10.0, "output_price": 30.0},
            "weak": {"base_url": upstream_url, "model": "scripted-weak", "input_price": 0.5, "output_price": 1.5},
        },
        "logging": {"database": f"sqlite:///{tmp_path / 'log.db'}"},
    }
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return raw


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
