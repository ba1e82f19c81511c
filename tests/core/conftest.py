"""Fixtures for core tests: a small real training set (arena_bench_v1 battles) with real embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def embedder():  # noqa: ANN201
    from core import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def arena_comparisons(data_dir: Path):  # noqa: ANN201
    """Battles derived from arena_bench_v1's 1-10 judge scores (15 models, 300 real prompts)."""
    from core.data import load_fastchat, outcomes_to_comparisons

    return outcomes_to_comparisons(load_fastchat(data_dir / "arena_bench_v1", source="arena_bench_v1"))


@pytest.fixture(scope="session")
def arena_data(arena_comparisons, embedder):  # noqa: ANN001, ANN201
    from core.training import pairwise_data

    return pairwise_data(arena_comparisons, embedder)
