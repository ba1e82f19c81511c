"""Shared fixtures: real data from WINROUTE_DATA, offline Hugging Face, the bundled router."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# the evaluation harness caches embeddings on disk: keep the tests' cache out of $HOME
os.environ.setdefault("WINROUTE_CACHE", tempfile.mkdtemp(prefix="winroute-test-cache-"))

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared routing data (``WINROUTE_DATA``, default ``../shared/data`` beside the repo)."""
    path = Path(os.environ.get("WINROUTE_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.fail(f"shared data not found at {path}: set WINROUTE_DATA")
    return path


@pytest.fixture(scope="session")
def default_router():  # noqa: ANN201
    """The bundled default router with real local embeddings: the process-wide shared instance."""
    from core import default_router as shared

    return shared()
