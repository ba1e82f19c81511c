"""Route statistics for LangChain runs: a callback handler and a context manager.

``RouteStats`` reads the routing record that every ``RouterChatModel`` answer carries (also
inside agents and chains, and with ``RouterMiddleware``) when its run ends, and counts
routes, children, fallbacks, the strong share and, given prices, the estimated cost from
the answer's token usage. ``collect_route_stats()`` attaches one to every run inside a
``with`` block, as ``get_usage_metadata_callback`` does for usage.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

from .messages import router_record


class RouteStats(BaseCallbackHandler):
    """Counts the routing decisions of the router runs it sees.

    ``prices`` maps a child's name or route to (USD per 1M input tokens, USD per 1M output
    tokens); a call whose child has no price adds nothing to ``estimated_cost`` and is
    counted in ``unpriced_calls``.
    """

    def __init__(self, prices: Mapping[str, tuple[float, float]] | None = None) -> None:
        super().__init__()
        self.prices = dict(prices or {})
        self.records: list[dict[str, Any]] = []
        self.estimated_cost = 0.0
        self.unpriced_calls = 0
        self._lock = threading.Lock()

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                record = router_record(message) if message is not None else None
                if record is not None:
                    self._add(record, getattr(message, "usage_metadata", None))

    def _add(self, record: dict[str, Any], usage: Mapping[str, Any] | None) -> None:
        price = self.prices.get(record.get("child", "")) or self.prices.get(record.get("child_route", ""))
        with self._lock:
            self.records.append(record)
            if price is None or usage is None:
                self.unpriced_calls += 1
                return
            self.estimated_cost += (
                usage.get("input_tokens", 0) * price[0] + usage.get("output_tokens", 0) * price[1]
            ) / 1e6

    # -- summaries -------------------------------------------------------------------------
    @property
    def calls(self) -> int:
        return len(self.records)

    @property
    def routes(self) -> Counter[str]:
        """Calls per route the router chose (before any fallback)."""
        return Counter(str(r.get("route")) for r in self.records)

    @property
    def children(self) -> Counter[str]:
        """Calls per child that answered (after fallback)."""
        return Counter(str(r.get("child")) for r in self.records)

    @property
    def fallbacks(self) -> int:
        return sum(bool(r.get("fallback")) for r in self.records)

    @property
    def strong_share(self) -> float | None:
        """Share of two-model calls the router sent strong (None when there were none)."""
        binary = [r for r in self.records if r.get("route") in ("strong", "weak")]
        return sum(r["route"] == "strong" for r in binary) / len(binary) if binary else None

    def summary(self) -> dict[str, Any]:
        """The counts as a plain dict (for logs)."""
        return {
            "calls": self.calls,
            "routes": dict(self.routes),
            "children": dict(self.children),
            "fallbacks": self.fallbacks,
            "strong_share": self.strong_share,
            "estimated_cost_usd": self.estimated_cost,
            "unpriced_calls": self.unpriced_calls,
        }


_CURRENT: ContextVar[RouteStats | None] = ContextVar("winroute_route_stats", default=None)
register_configure_hook(_CURRENT, inheritable=True)


@contextmanager
def collect_route_stats(prices: Mapping[str, tuple[float, float]] | None = None) -> Iterator[RouteStats]:
    """A ``RouteStats`` attached to every LangChain run inside the ``with`` block."""
    stats = RouteStats(prices)
    token = _CURRENT.set(stats)
    try:
        yield stats
    finally:
        _CURRENT.reset(token)
