"""Instrumentation events for routing decisions and fallbacks, and a handler that collects them.

Events go through the LlamaIndex instrumentation dispatcher, so any ``BaseEventHandler``
added to the root dispatcher (``get_dispatcher().add_event_handler(h)``) receives them
along with the framework's own LLM, query and agent events.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

dispatcher = get_dispatcher(__name__)


class RouteDecisionEvent(BaseEvent):
    """A router decided where one call (``source="llm"``) or one query (``"selector"``) goes."""

    decision: dict[str, Any] = Field(description="RouteDecision.as_dict() (score None when sticky)")
    child: str | None = Field(default=None, description="chosen child LLM, or the chosen choice's name")
    source: str = Field(default="llm", description="'llm' (RouterLLM) or 'selector' (RouterSelector)")

    @classmethod
    def class_name(cls) -> str:
        return "RouteDecisionEvent"

    @property
    def model(self) -> str:
        return str(self.decision.get("router_model"))

    @property
    def route(self) -> str:
        return str(self.decision.get("route"))

    @property
    def score(self) -> float | None:
        return self.decision.get("score")

    @property
    def reason(self) -> str:
        return str(self.decision.get("reason"))

    @property
    def qualities(self) -> dict[str, float | None]:
        """N-way: each candidate model's predicted quality (empty for a two-model router)."""
        return dict(self.decision.get("qualities") or {})

    @property
    def costs(self) -> dict[str, float | None]:
        """N-way: each candidate model's expected cost, USD per call."""
        return dict(self.decision.get("costs") or {})

    @property
    def utilities(self) -> dict[str, float | None]:
        """N-way: each candidate model's utility (``None`` for a model the prompt does not fit)."""
        return dict(self.decision.get("utilities") or {})


class RouteFallbackEvent(BaseEvent):
    """The chosen child raised before producing output; the call moves to another child."""

    decision: dict[str, Any] = Field(description="the decision that chose the failing child")
    failed_child: str
    fallback_child: str
    error: str = Field(description="type and message of the failing child's exception")

    @classmethod
    def class_name(cls) -> str:
        return "RouteFallbackEvent"


class RouteCollector(BaseEventHandler):
    """Keeps every routing event it sees (decisions and fallbacks), in order."""

    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "RouteCollector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, (RouteDecisionEvent, RouteFallbackEvent)):
            self.events.append(event)

    @property
    def decisions(self) -> list[RouteDecisionEvent]:
        return [e for e in self.events if isinstance(e, RouteDecisionEvent)]

    @property
    def fallbacks(self) -> list[RouteFallbackEvent]:
        return [e for e in self.events if isinstance(e, RouteFallbackEvent)]


@contextmanager
def collect_routes() -> Iterator[RouteCollector]:
    """Collect routing events fired inside the ``with`` block (the handler sits on the root dispatcher)."""
    root = get_dispatcher()
    collector = RouteCollector()
    root.add_event_handler(collector)
    try:
        yield collector
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not collector]
