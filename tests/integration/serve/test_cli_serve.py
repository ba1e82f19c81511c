"""``winroute serve --config serve.toml --workers 2`` as a user runs it: a real process tree (uvicorn
workers sharing one SQLite log), refusing to bind beyond loopback without keys, stopping on
SIGTERM, and one admin call changing every worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from openai_server import closed_port_url
from prometheus_client.parser import text_string_to_metric_families
from serve_support import renamed_router

from core.serve.shared import SYNC_INTERVAL_S

pytestmark = [pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]
REPO = Path(__file__).resolve().parents[3]


def _write_config(tmp_path: Path, port: int, upstream: str, database: str, host: str | None = None) -> None:
    """A serve.toml with scripted strong and weak children, every call weak (threshold 1)."""
    (tmp_path / "serve.toml").write_text(f"""{f'host = "{host}"' if host else ""}
port = {port}
[children.strong]
base_url = "{upstream}"
model = "scripted-strong"
[children.weak]
base_url = "{upstream}"
model = "scripted-weak"
[policy]
threshold = 1.0
[logging]
database = "{database}"
""")


def test_winroute_serve_with_two_workers(openai_server, tmp_path) -> None:
    port = int(closed_port_url().rsplit(":", 1)[1].split("/")[0])
    _write_config(tmp_path, port, openai_server.base_url, "log/decisions.db", host="0.0.0.0")
    proc = _start(tmp_path, port)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        ids = set()
        for i in range(20):
            r = httpx.post(f"{url}/chat/completions", timeout=60,
                           json={"model": "winroute", "messages": [{"role": "user", "content": f"hello {i}"}]})
            assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == f"[scripted-weak] hello {i}"
            ids.add(r.json()["id"])
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert "no API keys configured: binding to 127.0.0.1, not '0.0.0.0'" in err
    assert err.count("Started server process") == 2  # two workers
    from core.serve.log import DecisionLog

    log = DecisionLog(f"sqlite:///{tmp_path / 'log' / 'decisions.db'}")
    assert log.count() == 20 and {r["id"] for r in log.recent(50)} == ids


def _start(tmp_path: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--config", str(tmp_path / "serve.toml"),
                             "--workers", "2"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"winroute serve did not start: {proc.communicate()[1][-2000:]}")
        time.sleep(0.5)


def _until_both_workers(url: str, tag: str) -> list[httpx.Response]:
    """Requests (8 at a time, a new connection each) until two worker processes have answered (at most 400)."""
    def ask(i: int) -> httpx.Response:
        r = httpx.post(f"{url}/chat/completions", timeout=60,
                       json={"model": "winroute", "messages": [{"role": "user", "content": f"{tag} {i}"}]})
        assert r.status_code == 200, r.text
        return r

    answers: list[httpx.Response] = []
    with ThreadPoolExecutor(8) as pool:
        while len({r.headers["x-winroute-worker"] for r in answers}) < 2 and len(answers) < 400:
            answers += pool.map(ask, range(len(answers), len(answers) + 16))
    return answers


def test_one_admin_call_changes_every_worker(openai_server, tmp_path, default_router) -> None:
    port = int(closed_port_url().rsplit(":", 1)[1].split("/")[0])
    _write_config(tmp_path, port, openai_server.base_url, "decisions.db")
    path = renamed_router(tmp_path)
    proc = _start(tmp_path, port)
    try:
        url = f"http://127.0.0.1:{port}"
        before = _until_both_workers(f"{url}/v1", "before")
        assert len({r.headers["x-winroute-worker"] for r in before}) == 2, "one worker answered every request"
        assert {(r.headers["x-winroute-router"], r.headers["x-winroute-route"]) for r in before} == {
            (default_router.name, "weak")}
        reload = httpx.post(f"{url}/admin/reload", json={"router": str(path)}, timeout=120)
        assert reload.status_code == 200 and reload.json()["router"] == "renamed"
        policy = httpx.post(f"{url}/admin/policy", json={"threshold": 0.0}, timeout=60)  # maybe the other worker
        assert policy.status_code == 200
        time.sleep(SYNC_INTERVAL_S + 0.5)  # the longest a worker goes without looking at the shared state
        after = _until_both_workers(f"{url}/v1", "after")
        metrics = httpx.get(f"{url}/metrics", timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert len({r.headers["x-winroute-worker"] for r in after}) == 2, "one worker answered every request"
    assert {(r.headers["x-winroute-router"], r.headers["x-winroute-route"], r.headers["x-winroute-threshold"])
            for r in after} == {("renamed", "strong", "0.0")}
    assert all(r.json()["choices"][0]["message"]["content"].startswith("[scripted-strong]") for r in after)
    # /metrics, whichever worker answers it, counts the requests of both (prometheus multiprocess mode)
    requests = {s.labels["route"]: s.value for f in text_string_to_metric_families(metrics.text)
                if f.name == "winroute_requests" for s in f.samples if s.name == "winroute_requests_total"}
    assert requests == {"weak": len(before), "strong": len(after)}
