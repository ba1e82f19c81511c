"""``winroute serve``: an OpenAI-compatible routing server (FastAPI; the optional extra ``serve``).

Not imported by ``import core``: the routing path stays light. Names load on first use, so that
``core.serve.log`` (read by ``winroute adapt --from-log``) needs SQLAlchemy but not the web stack.
See the README's "Serve" section.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["ServeConfig", "ServeConfigError", "create_app", "hash_key", "load_config", "parse_config", "serve"]

_WHERE = {
    "create_app": "app",
    "serve": "app",
    "ServeConfig": "config",
    "ServeConfigError": "config",
    "hash_key": "config",
    "load_config": "config",
    "parse_config": "config",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
