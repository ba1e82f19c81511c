"""``winroute serve --config serve.toml --workers 2`` as a user runs it: a real process tree (uvicorn
workers sharing one SQLite log), refusing to bind beyond loopback without keys, and stopping on
SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from openai_server import closed_port_url

pytestmark = [pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]
REPO = Path(__file__).resolve().parents[3]


def test_winroute_serve_with_two_workers(openai_server, tmp_path) -> None:
    port = int(closed_port_url().rsplit(":", 1)[1].split("/")[0])
    (tmp_path / "serve.toml").write_text(f"""
host = "0.0.0.0"
port = {port}
[children.strong]
base_url = "{openai_server.base_url}"
model = "scripted-strong"
[children.weak]
base_url = "{openai_server.base_url}"
model = "scripted-weak"
[policy]
threshold = 1.0
[logging]
database = "log/decisions.db"
""")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--config", str(tmp_path / "serve.toml"),
                             "--workers", "2"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "winroute serve did not start"
            time.sleep(0.5)
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
