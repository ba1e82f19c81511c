"""Prometheus metrics of one server (its own registry, so that several apps in a process do not mix).

With several worker processes (``winroute serve --workers N`` sets ``PROMETHEUS_MULTIPROC_DIR``),
prometheus-client's multiprocess mode keeps each worker's values in that folder and ``/metrics``,
whichever worker answers, adds up all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = ["MULTIPROC_ENV", "Metrics"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus-client when it is imported

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Requests, fallbacks, errors, latencies, tokens, cost and the saving against always-strong."""

    def __init__(self) -> None:
        self.shared = bool(os.environ.get(MULTIPROC_ENV))  # the values live in files every worker writes
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "winroute_requests",
            "Chat requests by route and the child model that answered",
            ["route", "model", "status"],
            registry=r,
        )
        self.fallbacks = Counter(
            "winroute_fallbacks", "Requests answered by a fallback child", ["from_model", "to_model"], registry=r
        )
        self.errors = Counter("winroute_errors", "Requests that failed, by error type", ["type"], registry=r)
        self.routing_seconds = Histogram(
            "winroute_routing_seconds", "Time to decide a route", buckets=_LATENCY, registry=r
        )
        self.request_seconds = Histogram(
            "winroute_request_seconds", "End-to-end time of a chat request", buckets=_LATENCY, registry=r
        )
        self.tokens = Counter("winroute_tokens", "Tokens reported by the upstreams", ["model", "kind"], registry=r)
        self.cost = Counter("winroute_cost_usd", "Estimated cost of the answers (child prices)", ["model"], registry=r)
        self.strong_cost = Counter(
            "winroute_strong_cost_usd",
            "Estimated cost of the same tokens had every request gone to the strongest child",
            registry=r,
        )
        self.shadow = Counter(
            "winroute_shadow_labels",
            "Shadow labels written, by outcome (P(strong beats weak))",
            ["outcome"],
            registry=r,
        )
        self.saving = Gauge(
            "winroute_saving_usd",
            "Estimated saving against always-strong: strong cost minus cost (negative if routing cost more)",
            registry=r,
            multiprocess_mode="sum",  # the workers' savings added up
        )

    def observe(self, row: dict) -> None:
        self.requests.labels(row["route"], row["model"] or "", str(row["status"])).inc()
        if row["fallback"]:
            self.fallbacks.labels(row["fallback_from"] or "", row["model"] or "").inc()
        if row["error"]:
            self.errors.labels(row["error"].split(":", 1)[0]).inc()
        self.routing_seconds.observe(row["routing_ms"] / 1000)
        self.request_seconds.observe(row["latency_ms"] / 1000)
        model = row["model"] or ""
        if row["prompt_tokens"] is not None:
            self.tokens.labels(model, "prompt").inc(row["prompt_tokens"])
            self.tokens.labels(model, "completion").inc(row["completion_tokens"] or 0)
        if row["cost"] is not None:
            self.cost.labels(model).inc(row["cost"])
        if row["strong_cost"] is not None:
            self.strong_cost.inc(row["strong_cost"])
            if row["cost"] is not None:
                self.saving.inc(row["strong_cost"] - row["cost"])

    def render(self) -> bytes:
        """The text exposition: this server's registry, or every worker's values in multiprocess mode."""
        if not self.shared:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
