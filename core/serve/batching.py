"""Routing concurrent requests in batches: one encoder pass for many prompts.

On a CPU the encoder costs much the same for a batch of prompts as for one, so under load the
server routes the requests that arrived together with one ``route_batch`` call (per router and
settings) instead of one ``route`` each. A batch is cut when it holds ``max_batch`` requests or
after ``max_wait_s``, and while one batch is being encoded the next one fills. Decisions are the
router's own: batching changes when a prompt is scored, never its score.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ..router import RouteDecision

__all__ = ["RouteBatcher"]


class RouteBatcher:
    """Collects ``route`` calls made at about the same time and decides them together."""

    def __init__(self, *, max_batch: int = 32, max_wait_s: float = 0.002) -> None:
        self.max_batch, self.max_wait_s = max_batch, max_wait_s
        self._queue: list[tuple[Any, Any, dict[str, Any], asyncio.Future[RouteDecision]]] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches: list[int] = []  # sizes of the route_batch calls made (the last 1,000)

    async def route(self, router: Any, conversation: Any, settings: Mapping[str, Any]) -> RouteDecision:
        """``router.route(conversation, **settings)``, decided in a batch with its neighbours in time."""
        future: asyncio.Future[RouteDecision] = asyncio.get_running_loop().create_future()
        self._queue.append((router, conversation, dict(settings), future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self._queue:
            if len(self._queue) < self.max_batch:
                await asyncio.sleep(self.max_wait_s)  # let the requests arriving together join
            taken, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            groups: dict[
                tuple[int, tuple[tuple[str, Any], ...]],
                list[tuple[Any, Any, dict[str, Any], asyncio.Future[RouteDecision]]],
            ]
            groups = defaultdict(list)
            for item in taken:
                groups[(id(item[0]), tuple(sorted(item[2].items())))].append(item)
            for items in groups.values():
                await self._decide(items)

    async def _decide(self, items: list[tuple[Any, Any, dict[str, Any], asyncio.Future[RouteDecision]]]) -> None:
        router, _, settings, _ = items[0]
        self.batches = [*self.batches[-999:], len(items)]
        try:
            decisions = await asyncio.to_thread(router.route_batch, [c for _, c, _, _ in items], **settings)
        except Exception as exc:  # noqa: BLE001 - raised to its request; in a batch, decide each alone so only it fails
            if len(items) == 1:
                if not items[0][3].done():
                    items[0][3].set_exception(exc)
                return
            for item in items:
                await self._decide([item])
            return
        for (_, _, _, future), decision in zip(items, decisions):
            if not future.done():  # a client that hung up has cancelled its future
                future.set_result(decision)
