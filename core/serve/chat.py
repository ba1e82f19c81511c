"""``POST /v1/chat/completions``: route, dispatch (with fallback, ``core.dispatch``), answer, log.

The decision rides on the answer (a ``winroute`` field; ``x-winroute-*`` headers) and the answer's
``id`` is the request id that ``POST /v1/feedback`` takes. Tool calls are logged with the route
that made them, so the next turn of a tool call stays on that child (sticky, as in the adapters:
the route is put on the assistant message where ``core.conversation`` looks for it).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from ..conversation import ASSISTANT_ROLES, routing_input
from ..dispatch import Served, check_settings, describe
from ..policies import SETTING_NAMES
from ..router import RouteDecision
from .batching import RouteBatcher
from .controller import Live, RoutingState, settings_for_model
from .errors import ApiError, error_for
from .log import DecisionLog
from .metrics import Metrics
from .shadow import ShadowLabeler
from .upstreams import Upstream, usage_of

__all__ = ["ChatHandler", "merge_settings"]

_ALTERNATIVES = (("threshold", "strong_share"), ("cost_weight", "budget_per_1k"))
SETTINGS = SETTING_NAMES  # the per-call settings a request may carry (one list, core.policies)
_NOT_FORWARDED = ("model", "messages", "stream", "winroute")


def merge_settings(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` on top; a setting replaces its alternative too (a threshold, a strong share)."""
    unknown = [k for k in override if k not in SETTINGS]
    if unknown:
        raise ApiError(400, f"unknown winroute setting(s) {unknown}; known: {', '.join(SETTINGS)}")
    out = dict(base)
    for key in override:
        for group in _ALTERNATIVES:
            if key in group:
                for other in group:
                    out.pop(other, None)
    out.update({k: v for k, v in override.items() if v is not None})
    return out


def _finite(x: float) -> float | None:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


@dataclass
class _Call:
    """One request in flight: what the log row needs."""

    id: str
    created: float
    start: float
    decision: RouteDecision
    live: Live
    prompt: str
    routing_ms: float
    stream: bool
    tool_calls: list[str] = field(default_factory=list)
    upstream_start: float | None = None


class ChatHandler:
    """The chat endpoint's logic, shared by every request of one app."""

    def __init__(
        self, state: RoutingState, upstreams: Mapping[str, Upstream], log: DecisionLog, metrics: Metrics
    ) -> None:
        self.state, self.upstreams, self.log, self.metrics = state, upstreams, log, metrics
        self.pending: set[asyncio.Task[None]] = set()  # log writes of streams still being finished
        self.batcher = RouteBatcher()
        self.shadow: ShadowLabeler | None = None  # set by the app when shadow.rate > 0

    # -- request --------------------------------------------------------------------------------
    async def __call__(self, body: dict[str, Any]) -> Response:
        start, created = time.perf_counter(), time.time()
        await self.state.sync()  # another worker's admin change, if any, before this request routes
        live = self.state.live  # one snapshot for the whole request: a reload never splits it
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise ApiError(400, "'messages' must be a non-empty list of message objects", param="messages")
        try:
            own = settings_for_model(body.get("model"), live.router)
        except LookupError as exc:
            raise ApiError(404, str(exc.args[0]), code="model_not_found") from None
        overrides = body.get("winroute")
        if overrides is not None:
            if not isinstance(overrides, dict):
                raise ApiError(400, "'winroute' must be an object of routing settings", param="winroute")
            own = merge_settings(own, overrides)
        settings = merge_settings(live.settings, own)
        share = self.state.share
        online = share is not None and not ({"threshold", "strong_share"} & own.keys())
        if online and share is not None:
            settings["threshold"] = share.threshold()
        try:
            settings = check_settings(live.router, settings)
        except ValueError as exc:
            raise ApiError(400, f"routing settings refused: {exc}", param="winroute") from None
        routed = await self._with_recorded_routes(messages)
        try:
            decision = await self.batcher.route(live.router, routed, settings)
            prompt = routing_input(routed, last_k_user_turns=live.router.last_k_user_turns).text
        except (ValueError, TypeError, KeyError) as exc:  # the project's errors: bad conversation or setting
            raise ApiError(400, f"cannot route this request: {exc}") from None
        if share is not None:  # scores do not depend on the threshold: every one tells the traffic's mix
            share.observe(decision.score, decision.route == "strong" if online else None)
        call = _Call(
            f"chatcmpl-{uuid.uuid4().hex}",
            created,
            start,
            decision,
            live,
            prompt,
            (time.perf_counter() - start) * 1000,
            bool(body.get("stream")),
        )
        forward = [{k: v for k, v in m.items() if k != "route"} for m in messages]
        options = {k: v for k, v in body.items() if k not in _NOT_FORWARDED}
        if call.stream:
            return await self._stream(
                call, forward, options, bool((body.get("stream_options") or {}).get("include_usage"))
            )
        return await self._complete(call, forward, options)

    async def _with_recorded_routes(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Messages with the logged route put on assistant tool-call messages (where the router looks for it)."""
        wanted: dict[int, list[str]] = {
            i: [str(c["id"]) for c in m["tool_calls"] if isinstance(c, dict) and isinstance(c.get("id"), str)]
            for i, m in enumerate(messages)
            if str(m.get("role", "")).lower() in ASSISTANT_ROLES
            and isinstance(m.get("tool_calls"), list)
            and not m.get("route")
        }
        ids = [c for calls in wanted.values() for c in calls]
        if not ids:
            return messages
        routes = await asyncio.to_thread(self.log.tool_call_routes, ids)
        out = list(messages)
        for i, calls in wanted.items():
            found = next((routes[c] for c in calls if c in routes), None)
            if found is not None:
                out[i] = {**messages[i], "route": found}
        return out

    # -- answers --------------------------------------------------------------------------------
    def _upstream(self, live: Live, route: str) -> Upstream:
        return self.upstreams[live.children[route]]

    async def _complete(self, call: _Call, messages: list[dict[str, Any]], options: dict[str, Any]) -> Response:
        live = call.live
        call.upstream_start = time.perf_counter()
        try:
            served = await live.dispatcher.arun(
                call.decision, lambda r: self._upstream(live, r).complete(messages, options)
            )
        except Exception as exc:  # noqa: BLE001 - every child failed or the failure is not one to fall back on
            return await self._failed(call, exc)
        answer, record = served.value, self._record(call, served)
        answer["id"] = call.id
        answer["winroute"] = record
        for choice in answer.get("choices") or []:
            for tool_call in (choice.get("message") or {}).get("tool_calls") or []:
                if isinstance(tool_call.get("id"), str):
                    call.tool_calls.append(tool_call["id"])
        await self._log(call, served, usage_of(answer), None, 200)
        if self.shadow is not None and not served.failures and served.route in ("strong", "weak"):
            other = "weak" if served.route == "strong" else "strong"
            if other in live.children:
                self.shadow.maybe(
                    call.id, call.prompt, messages, options, served.route, answer, self._upstream(live, other)
                )
        return JSONResponse(answer, headers=_headers(record))

    async def _stream(
        self, call: _Call, messages: list[dict[str, Any]], options: dict[str, Any], want_usage: bool
    ) -> Response:
        live = call.live
        call.upstream_start = time.perf_counter()
        try:  # falls back while nothing has been streamed, so a failure here still gets its HTTP status
            served = await live.dispatcher.astream(
                call.decision, lambda r: self._upstream(live, r).stream(messages, options)
            )
        except Exception as exc:  # noqa: BLE001
            return await self._failed(call, exc)
        record = self._record(call, served)
        return StreamingResponse(
            self._events(call, served, record, want_usage), media_type="text/event-stream", headers=_headers(record)
        )

    async def _events(
        self, call: _Call, served: Served[AsyncIterator[dict[str, Any]]], record: dict[str, Any], want_usage: bool
    ) -> AsyncIterator[str]:
        usage, first, logged = None, True, False
        try:
            async for chunk in served.value:
                usage = usage_of(chunk) or usage
                if not chunk.get("choices") and usage_of(chunk) and not want_usage:
                    continue  # usage was asked for by winroute (for the log), not by the client
                for choice in chunk.get("choices") or []:
                    for tool_call in (choice.get("delta") or {}).get("tool_calls") or []:
                        if isinstance(tool_call.get("id"), str):
                            call.tool_calls.append(tool_call["id"])
                chunk["id"] = call.id
                if first:
                    chunk["winroute"], first = record, False
                yield f"data: {json.dumps(chunk)}\n\n"
            logged = True  # logged before [DONE]: a client that has its whole answer finds it in the log
            await self._log(call, served, usage, None, 200)
            yield "data: [DONE]\n\n"
        except Exception as exc:  # noqa: BLE001 - after the first chunk: no fallback, an error event
            status, body = error_for(exc)
            if not logged:
                logged = True
                await self._log(call, served, usage, exc, status)
            yield f"data: {json.dumps(body)}\n\n"
        finally:
            if not logged:  # the client hung up: the log write goes on in its own task (drained at shutdown)
                task = asyncio.get_running_loop().create_task(
                    self._log(call, served, usage, ConnectionResetError("the client disconnected mid-stream"), 499)
                )
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)

    async def _failed(self, call: _Call, exc: BaseException) -> Response:
        status, body = error_for(exc)
        await self._log(call, None, None, exc, status)
        record = {
            "request_id": call.id,
            **call.live.dispatcher.record(call.decision, Served(None, call.decision.route)),
        }
        record.update(child=None, error=describe(exc))
        return JSONResponse(body, status_code=status, headers=_headers(record))

    def _record(self, call: _Call, served: Served[Any]) -> dict[str, Any]:
        return {"request_id": call.id, **call.live.dispatcher.record(call.decision, served)}

    # -- the log --------------------------------------------------------------------------------
    async def _log(
        self,
        call: _Call,
        served: Served[Any] | None,
        usage: tuple[int, int] | None,
        error: BaseException | None,
        status: int,
    ) -> None:
        live, decision = call.live, call.decision
        children = self.state.config.children
        child_route = served.route if served is not None else None
        child = children[live.children[child_route]] if child_route is not None else None
        reference = children[live.children[live.reference]]
        first = served.failures[0] if served is not None and served.failures else None
        now = time.perf_counter()
        row = {
            "id": call.id,
            "created": call.created,
            "router": decision.router,
            "route": decision.route,
            "model": child.model if child else None,
            "child_route": child_route,
            "score": _finite(decision.score),
            "threshold": _finite(decision.threshold),
            "reason": decision.reason,
            "routing_ms": call.routing_ms,
            "latency_ms": (now - call.start) * 1000,
            "upstream_ms": (now - call.upstream_start) * 1000 if call.upstream_start is not None else None,
            "prompt_tokens": usage[0] if usage else None,
            "completion_tokens": usage[1] if usage else None,
            "cost": child.cost(*usage) if usage and child else None,
            "strong_cost": reference.cost(*usage) if usage else None,
            "fallback": first is not None,
            "fallback_from": live.dispatcher.labels[first.route] if first else None,
            "error": describe(error) if error is not None else None,
            "status": status,
            "stream": call.stream,
        }
        await asyncio.to_thread(self.log.write, row, call.prompt, list(dict.fromkeys(call.tool_calls)))
        self.metrics.observe(row)

    async def drain(self) -> None:
        """Wait for the log writes of streams that ended (shutdown)."""
        if self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)


def _headers(record: Mapping[str, Any]) -> dict[str, str]:
    values = {
        "x-winroute-request-id": record.get("request_id"),
        "x-winroute-router": record.get("router"),
        "x-winroute-route": record.get("route"),
        "x-winroute-model": record.get("child"),
        "x-winroute-score": record.get("score"),
        "x-winroute-threshold": record.get("threshold"),
        "x-winroute-fallback": str(bool(record.get("fallback"))).lower(),
        "x-winroute-worker": os.getpid(),  # which worker process answered (several with --workers N)
    }
    return {k: str(v) for k, v in values.items() if v is not None}
