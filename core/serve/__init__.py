"""``winroute serve``: an OpenAI-compatible routing server (FastAPI; the optional extra ``serve``).

Not imported by ``import core``: the routing path stays light. See the README's "Serve" section.
"""

from __future__ import annotations

from .app import create_app, serve
from .config import ServeConfig, ServeConfigError, hash_key, load_config, parse_config

__all__ = ["ServeConfig", "ServeConfigError", "create_app", "hash_key", "load_config", "parse_config", "serve"]
