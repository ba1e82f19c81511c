"""Shadow labeling: a share of answered requests is also sent to the other child, and a judge model
compares the two answers twice with their order swapped, as ``winroute label --judge`` does
(``core.labeling.judge``). The label is written to the decision log; ``winroute adapt --from-log``
reads it. It runs after the client has its answer and never changes or delays it.

Only plain-text answers of a two-model router are labelled (no tool calls, no fallback).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any

from ..labeling.judge import combine_verdicts, judge_messages, parse_verdict
from .config import Shadow
from .log import DecisionLog
from .metrics import Metrics
from .upstreams import Upstream, usage_of

__all__ = ["ShadowLabeler"]

logger = logging.getLogger("winroute")


def answer_text(completion: Mapping[str, Any]) -> str | None:
    """The answer's text, or None when it is not a plain-text answer (tool calls, no content)."""
    choices = completion.get("choices") or []
    message = (choices[0].get("message") or {}) if choices else {}
    content = message.get("content")
    return content if isinstance(content, str) and content.strip() and not message.get("tool_calls") else None


class ShadowLabeler:
    """Samples requests at ``rate`` and labels them in background tasks (kept in ``pending``)."""

    def __init__(self, settings: Shadow, log: DecisionLog, metrics: Metrics, pending: set[asyncio.Task[None]]) -> None:
        assert settings.judge is not None
        self.rate = settings.rate
        self.judge = Upstream("shadow.judge", settings.judge)
        self.rng = random.Random(settings.seed)
        self.log, self.metrics, self.pending = log, metrics, pending

    def maybe(
        self,
        request_id: str,
        question: str,
        messages: list[dict[str, Any]],
        options: dict[str, Any],
        answered: str,
        answer: Mapping[str, Any],
        other: Upstream,
    ) -> bool:
        """Start a shadow label for this request if it is sampled and eligible; whether it was."""
        text = answer_text(answer)
        if text is None or answered not in ("strong", "weak") or self.rng.random() >= self.rate:
            return False
        task = asyncio.get_running_loop().create_task(
            self._label(request_id, question, messages, options, answered, text, other)
        )
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return True

    async def _label(
        self,
        request_id: str,
        question: str,
        messages: list[dict[str, Any]],
        options: dict[str, Any],
        answered: str,
        text: str,
        other: Upstream,
    ) -> None:
        try:
            reply = await other.complete(messages, options)
            other_text = answer_text(reply)
            if other_text is None:
                return
            strong, weak = (text, other_text) if answered == "strong" else (other_text, text)
            first = await self.judge.complete(judge_messages(question, strong, weak), {"temperature": 0})
            swapped = await self.judge.complete(judge_messages(question, weak, strong), {"temperature": 0})
            outcome = combine_verdicts(
                parse_verdict(answer_text(first) or ""), parse_verdict(answer_text(swapped) or "")
            )
            cost = sum(
                child.cost(*u)
                for child, r in ((other.child, reply), (self.judge.child, first), (self.judge.child, swapped))
                if (u := usage_of(r)) is not None
            )
            await asyncio.to_thread(
                self.log.add_shadow, request_id, outcome, other.child.model, self.judge.child.model, cost
            )
            self.metrics.shadow.labels(str(outcome)).inc()
        except Exception as exc:  # noqa: BLE001 - a shadow label never fails the request it shadows
            logger.warning("winroute: shadow label for %s failed: %s: %s", request_id, type(exc).__name__, exc)
            self.metrics.errors.labels(f"shadow:{type(exc).__name__}").inc()

    async def aclose(self) -> None:
        await self.judge.aclose()
