"""The decision log (one row per request; prompts hashed unless allowed; SQLite WAL shared by processes)
and the server's security (bearer keys, admin key, loopback without keys, request size limit)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

import httpx
import openai
import pytest
from openai_server import closed_port_url
from serve_support import config_dict

from core.serve import hash_key
from core.serve.log import DecisionLog

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
HELLO = [{"role": "user", "content": "Say hello to Ada"}]


def client(server, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)


def test_every_request_is_logged_once_and_prompts_only_as_hashes(start, openai_server, tmp_path) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path))
    c = client(server)
    strong = c.chat.completions.create(model="winroute", messages=HELLO, extra_body={"winroute": {"threshold": 0.0}})
    chunks = list(c.chat.completions.create(model="winroute", messages=HELLO, stream=True,
                                            extra_body={"winroute": {"threshold": 1.0}}))
    rows = {r["id"]: r for r in server.log.recent(10)}
    assert len(rows) == 2 == server.log.count()
    row = rows[strong.id]
    assert row["route"] == "strong" and row["model"] == "scripted-strong" and row["child_route"] == "strong"
    assert row["threshold"] == 0.0 and 0.0 <= row["score"] <= 1.0 and row["status"] == 200 and not row["fallback"]
    assert (row["prompt_tokens"], row["completion_tokens"]) == (5, 5)
    assert 0 < row["routing_ms"] and 0 < row["upstream_ms"] and row["routing_ms"] + row["upstream_ms"] <= row["latency_ms"]
    assert row["cost"] == pytest.approx((5 * 10.0 + 5 * 30.0) / 1e6) and row["strong_cost"] == row["cost"]
    assert row["prompt"] is None and row["prompt_sha256"] == hashlib.sha256(b"Say hello to Ada").hexdigest()
    streamed = rows[chunks[0].id]
    assert streamed["stream"] and streamed["model"] == "scripted-weak" and streamed["prompt_tokens"] == 5  # usage asked upstream
    assert streamed["cost"] == pytest.approx((5 * 0.5 + 5 * 1.5) / 1e6) and streamed["cost"] < streamed["strong_cost"]
    raw = (tmp_path / "log.db").read_bytes() + (tmp_path / "log.db-wal").read_bytes()
    assert b"Say hello to Ada" not in raw and b"Ada" not in raw  # not in the database file, not in its WAL
    engine = server.log.engine
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_prompts_are_logged_when_allowed_and_failures_too(start, openai_server, tmp_path) -> None:
    raw = config_dict(openai_server.base_url, tmp_path, logging={"log_prompts": True}, children={
        "strong": {"base_url": closed_port_url(), "model": "scripted-strong"},
        "weak": {"base_url": openai_server.base_url, "model": "busy-weak"}})
    server = start(raw)
    with pytest.raises(openai.InternalServerError):
        client(server).chat.completions.create(model="winroute", messages=HELLO, extra_body={"winroute": {"threshold": 1.0}})
    (row,) = server.log.recent(5)
    assert row["prompt"] == "Say hello to Ada" and row["status"] == 503 and row["model"] is None
    assert row["error"].startswith("InternalServerError") and row["route"] == "weak"


def test_sqlite_log_is_shared_by_processes(tmp_path) -> None:
    """Two processes writing the same SQLite log at once (WAL, busy timeout): no write lost."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    DecisionLog(url).dispose()
    script = textwrap.dedent(f"""
        import sys, time
        from core.serve.log import DecisionLog
        log = DecisionLog({url!r})
        for i in range(150):
            log.write(dict(id=f"{{sys.argv[1]}}-{{i}}", created=time.time(), router="r", route="weak", model="m",
                           child_route="weak", score=0.1, threshold=0.5, reason="", routing_ms=1.0, latency_ms=2.0, upstream_ms=1.0,
                           prompt_tokens=1, completion_tokens=1, cost=0.0, strong_cost=0.0, fallback=False,
                           fallback_from=None, error=None, status=200, stream=False), "p", [f"call-{{sys.argv[1]}}-{{i}}"])
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, name]) for name in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    log = DecisionLog(url)
    assert log.count() == 300 and len(log.tool_call_routes([f"call-{n}-{i}" for n in "ab" for i in range(150)])) == 300


def test_bearer_keys_admin_key_and_size_limit(start, openai_server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WR_CLIENT_KEYS", "env-key-1, env-key-2")
    monkeypatch.setenv("WR_ADMIN_KEY", "admin-secret")
    raw = config_dict(openai_server.base_url, tmp_path, auth={
        "api_keys": [hash_key("file-key")], "api_keys_env": "WR_CLIENT_KEYS", "admin_key_env": "WR_ADMIN_KEY"},
        limits={"max_request_bytes": 4096})
    server = start(raw)
    for bad in ("unused", "file-ke", "sha256:" + hashlib.sha256(b"file-key").hexdigest()):  # the digest is no key
        with pytest.raises(openai.AuthenticationError) as info:
            client(server, bad).chat.completions.create(model="winroute", messages=HELLO)
        assert info.value.code == "invalid_api_key"
    assert httpx.get(f"{server.base_url}/models").status_code == 401
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    for key in ("file-key", "env-key-1", "env-key-2"):
        assert client(server, key).chat.completions.create(model="winroute", messages=HELLO).choices
    # admin endpoints: the admin key only
    reload = f"{server.url}/admin/reload"
    assert httpx.post(reload, headers={"Authorization": "Bearer file-key"}, timeout=30).status_code == 401
    assert httpx.post(f"{server.url}/admin/policy", json={"threshold": 0.2}).status_code == 401
    ok = httpx.post(f"{server.url}/admin/policy", json={"threshold": 0.2}, headers={"Authorization": "Bearer admin-secret"})
    assert ok.status_code == 200 and ok.json()["settings"] == {"threshold": 0.2}
    # the request size limit, by Content-Length and for a chunked body
    big = {"model": "winroute", "messages": [{"role": "user", "content": "x" * 5000}]}
    headers = {"Authorization": "Bearer file-key"}
    too_big = httpx.post(f"{server.base_url}/chat/completions", json=big, headers=headers)
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "request_too_large"
    chunked = httpx.post(f"{server.base_url}/chat/completions", headers=headers,
                         content=(part for part in [b'{"model": "winroute", "messages": [', b" " * 5000, b"]}"]))
    assert chunked.status_code == 413 and server.log.count() == 3


def test_admin_is_off_with_client_keys_but_no_admin_key(start, openai_server, tmp_path) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path, auth={"api_keys": [hash_key("k")]}))
    response = httpx.post(f"{server.url}/admin/policy", json={"threshold": 0.2}, headers={"Authorization": "Bearer k"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "admin_disabled"
