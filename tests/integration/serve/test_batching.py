"""Concurrent routes decided in batches: the same decisions as one at a time, fewer encoder passes,
and a bad conversation fails only its own request."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import InvalidConversationError
from core.serve.batching import RouteBatcher

PROMPTS = [f"prompt {i}: " + ("what is 2+2?" if i % 2 else "prove that sqrt(2) is irrational") for i in range(40)]


async def test_concurrent_routes_are_batched_and_decided_as_alone(default_router) -> None:
    batcher = RouteBatcher(max_batch=16)
    settings = [{"threshold": 0.3} if i % 3 else {} for i in range(len(PROMPTS))]
    decisions = await asyncio.gather(*(batcher.route(default_router, p, s) for p, s in zip(PROMPTS, settings)))
    for prompt, s, decision in zip(PROMPTS, settings, decisions):
        alone = default_router.route(prompt, **s)
        assert (decision.route, decision.threshold) == (alone.route, alone.threshold)
        assert decision.score == pytest.approx(alone.score, abs=1e-6)
    assert sum(batcher.batches) == len(PROMPTS) and len(batcher.batches) < len(PROMPTS) / 4
    assert max(batcher.batches) <= 16


async def test_a_bad_conversation_fails_alone(default_router) -> None:
    batcher = RouteBatcher()
    good = [batcher.route(default_router, p, {}) for p in PROMPTS[:5]]
    bad = batcher.route(default_router, [{"role": "system", "content": "no user text"}], {})
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert all(not isinstance(r, Exception) for r in results[:5])
    assert isinstance(results[5], InvalidConversationError)
