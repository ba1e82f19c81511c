"""Load (bounded, loopback only): 2,000 chat requests at concurrency 64 through the server to scripted
upstreams: none lost or duplicated, each logged once; the added latency's p50 / p99 are printed
(figures, not assertions). Graceful shutdown: requests in flight when the server is told to stop
are answered and logged before it exits."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import numpy as np
import pytest
from serve_support import config_dict, running

pytestmark = [pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]
N, CONCURRENCY = 2000, 64


async def fire(url: str, n: int, concurrency: int, payload) -> list[tuple[int, dict, float]]:
    """``n`` POSTs, at most ``concurrency`` in flight: (status, body, seconds) each, in request order."""
    # the client drops idle connections before the server would (uvicorn: timeout_keep_alive), else a request
    # sent on a connection the server is closing fails with a ReadError (the keep-alive race of any HTTP/1.1 pool)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2.0)
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        async def one(i: int) -> tuple[int, dict, float]:
            async with gate:
                start = time.perf_counter()
                response = await client.post(url, json=payload(i))
                return response.status_code, response.json(), time.perf_counter() - start
        return await asyncio.gather(*(one(i) for i in range(n)))


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


async def test_2000_requests_at_concurrency_64(start, openai_server, tmp_path) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path))
    before = len(openai_server.requests)

    def payload(i: int) -> dict:
        return {"model": "winroute", "messages": [{"role": "user", "content": f"load request {i}: say hi"}],
                "winroute": {"threshold": 0.0 if i % 4 == 0 else 1.0}}

    results = await fire(f"{server.base_url}/chat/completions", N, CONCURRENCY, payload)
    assert [s for s, _, _ in results] == [200] * N
    for i, (_, body, _) in enumerate(results):  # each answer is its own request's, from the child it was routed to
        child = "scripted-strong" if i % 4 == 0 else "scripted-weak"
        assert body["choices"][0]["message"]["content"] == f"[{child}] load request {i}: say hi"
    ids = [body["id"] for _, body, _ in results]
    assert len(set(ids)) == N
    assert len(openai_server.requests) - before == N  # no upstream call lost or repeated
    rows = await asyncio.to_thread(server.log.recent, N + 10)
    assert len(rows) == N and {r["id"] for r in rows} == set(ids) and server.log.count() == N

    direct = await fire(f"{openai_server.base_url}/chat/completions", N, CONCURRENCY,
                        lambda i: {"model": "scripted-weak", "messages": [{"role": "user", "content": f"direct {i}"}]})
    added = [r["latency_ms"] - r["upstream_ms"] for r in rows]
    routing = [r["routing_ms"] for r in rows]
    through, alone = [t for *_, t in results], [t for *_, t in direct]
    print(f"\n{N} requests at concurrency {CONCURRENCY} (2 shared CPU cores, the bundled router, scripted upstreams):"
          f"\n  time in winroute outside the upstream call (log): p50 {np.percentile(added, 50):.1f} ms, "
          f"p99 {np.percentile(added, 99):.1f} ms; of which routing p50 {np.percentile(routing, 50):.1f} ms, "
          f"p99 {np.percentile(routing, 99):.1f} ms"
          f"\n  client latency through winroute: p50 {pct(through, 50):.1f} ms, p99 {pct(through, 99):.1f} ms; "
          f"straight to the upstream: p50 {pct(alone, 50):.1f} ms, p99 {pct(alone, 99):.1f} ms")


def test_graceful_shutdown_answers_requests_in_flight(openai_server, tmp_path, default_router) -> None:
    from core.serve import create_app, parse_config

    raw = config_dict(openai_server.base_url, tmp_path, children={
        "strong": {"base_url": openai_server.base_url, "model": "slow-strong"},
        "weak": {"base_url": openai_server.base_url, "model": "scripted-weak"}})
    app = create_app(parse_config(raw), router=default_router)
    results: list[httpx.Response] = []
    with running(app) as server:
        def call(i: int) -> None:
            results.append(httpx.post(f"{server.base_url}/chat/completions", timeout=60, json={
                "model": "winroute", "messages": [{"role": "user", "content": f"slow {i}"}], "winroute": {"threshold": 0.0}}))

        before = len(openai_server.requests)
        threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(openai_server.requests) - before < 8 and time.monotonic() < deadline:
            time.sleep(0.02)  # every request is waiting on the slow upstream
        assert len(openai_server.requests) - before == 8
        server.server.should_exit = True  # what SIGTERM does
        server.thread.join(timeout=60)
        assert not server.thread.is_alive()
        for t in threads:
            t.join(timeout=60)
        assert sorted(r.status_code for r in results) == [200] * 8
        assert {r.json()["choices"][0]["message"]["content"] for r in results} == {f"[slow-strong] slow {i}" for i in range(8)}
        assert app.state.log.count() == 8
