"""The bundled default router, loaded once per process and shared by every adapter object."""

from __future__ import annotations

import threading

from core import Router, load_router

_lock = threading.Lock()
_default: Router | None = None


def default_router() -> Router:
    """The bundled default router (``core.load_router()``), loaded on first use.

    One instance is shared so that its embedder (and its cache) loads once. Do not
    ``calibrate`` this shared instance: load your own router for that and pass it as ``core``.
    """
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = load_router()
    return _default
