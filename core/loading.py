"""Loading a saved router (two-model or N-way: one Router class) and the process-wide bundled default."""

from __future__ import annotations

import threading
from os import PathLike
from pathlib import Path

from .embeddings import Embedder
from .router import Router

__all__ = ["BUNDLED_ROUTERS", "DEFAULT_ROUTER_DIR", "MINILM_ROUTER_DIR", "default_router", "load_router", "router_dir"]

DEFAULT_ROUTER_DIR = Path(__file__).resolve().parent / "default_router"
#: The default's recipe on the MiniLM encoder (torch): within noise of the default on unseen traffic,
#: and the better base to adapt (its embedding tells topics apart better: docs/adaptation.md).
MINILM_ROUTER_DIR = Path(__file__).resolve().parent / "default_router_minilm"
#: Names of the routers shipped in the package, accepted wherever a router directory is.
BUNDLED_ROUTERS = {"default": DEFAULT_ROUTER_DIR, "bundled": DEFAULT_ROUTER_DIR, "default-minilm": MINILM_ROUTER_DIR}


def router_dir(path: str | PathLike[str] | None) -> Path:
    """The directory of a router: a bundled one by name (a plain string such as ``"default-minilm"``), else ``path``."""
    if path is None:
        return DEFAULT_ROUTER_DIR
    if isinstance(path, str) and path in BUNDLED_ROUTERS:
        return BUNDLED_ROUTERS[path]
    return Path(path)


def load_router(
    path: str | PathLike[str] | None = None,
    *,
    embedder: Embedder | None = None,
    allow_remote: bool = False,
    expected_sha256: str | None = None,
) -> Router:
    """Load a saved router, two-model or N-way; with no argument, the bundled default (static, offline).

    ``path`` is a directory or a bundled router's name (``"default"``, ``"default-minilm"``). The artifact is validated whole before use (docs/security.md). One that names a remote
    embedder (OpenAI) is refused unless ``allow_remote=True`` or ``embedder`` is given;
    ``expected_sha256`` pins the artifact's manifest digest (``router.artifact_sha256``).
    """
    directory = router_dir(path)
    return Router.load(directory, embedder=embedder, allow_remote=allow_remote, expected_sha256=expected_sha256)


_shared_lock = threading.Lock()
_shared: Router | None = None


def default_router() -> Router:
    """The bundled default router, loaded once per process and shared (adapters use it).

    Sharing means one encoder in memory and one embedding cache. Do not ``calibrate`` it:
    load a private router with ``load_router()`` for that.
    """
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = load_router()
    return _shared
