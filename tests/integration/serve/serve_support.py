"""Helpers for the server tests: the winroute server on loopback (uvicorn in a thread, port 0) and a
config in front of the loopback OpenAI-compatible upstreams of tests/openai_server.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


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

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on",
                                            timeout_keep_alive=30))
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


def log_row(request_id: str, **over: Any) -> dict[str, Any]:
    """A decision-log row, for tests writing the log directly."""
    row = {"id": request_id, "created": time.time(), "router": "r", "route": "weak", "model": "m", "child_route": "weak",
           "score": 0.1, "threshold": 0.5, "reason": "", "routing_ms": 1.0, "latency_ms": 2.0, "upstream_ms": 1.0, "prompt_tokens": 1,
           "completion_tokens": 1, "cost": 0.0, "strong_cost": 0.0, "fallback": False, "fallback_from": None, "error": None,
           "status": 200, "stream": False}
    return {**row, **over}


def renamed_router(tmp_path: Path, name: str = "renamed") -> Path:
    """The bundled default router saved under another name: a second artifact for a reload."""
    import core

    router = core.load_router(None)
    router.name = name
    return router.save(tmp_path / name)
