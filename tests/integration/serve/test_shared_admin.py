"""Admin state shared through the database: a reload or policy change made through one app reaches
every app on the same decision log (the workers of ``winroute serve --workers N``), and a refused
change leaves the others as they were. Two apps in one process here (the check interval set to 0,
so every request checks); test_cli_serve.py runs real worker processes."""

from __future__ import annotations

import httpx
import openai
import pytest
from serve_support import config_dict, renamed_router

from core.serve import controller

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def record(server, prompt: str = "hello") -> dict:
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    return c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": prompt}]).model_extra["winroute"]


def test_admin_calls_reach_every_app_on_the_database(start, openai_server, tmp_path, default_router, monkeypatch) -> None:
    monkeypatch.setattr(controller, "SYNC_INTERVAL_S", 0.0)
    raw = config_dict(openai_server.base_url, tmp_path, policy={"threshold": 1.0})
    a, b = start(raw), start(raw)
    assert record(a)["router"] == record(b)["router"] == default_router.name
    path = renamed_router(tmp_path)

    reload = httpx.post(f"{a.url}/admin/reload", json={"router": str(path)}, timeout=120)
    assert reload.status_code == 200 and reload.json()["router"] == "renamed"
    after = record(b)
    assert after["router"] == "renamed" and after["route"] == "weak"  # b took on a's router, the policy stayed

    moved = httpx.post(f"{b.url}/admin/policy", json={"target_share": 1.0})  # on top of a's reload, not undoing it
    assert moved.status_code == 200
    for server in (a, b):
        rec = record(server)
        assert rec["router"] == "renamed" and rec["threshold"] == 0.0 and rec["route"] == "strong"
    assert a.app.state.routing.share.target_share == 1.0

    assert httpx.post(f"{a.url}/admin/policy", json={"threshold": 1.0}).status_code == 200
    assert record(b)["route"] == "weak" and b.app.state.routing.share is None

    broken = httpx.post(f"{b.url}/admin/reload", json={"router": str(tmp_path / "nope")}, timeout=60)
    assert broken.status_code == 400
    for server in (a, b):  # nothing was published: both keep the renamed router and the threshold
        rec = record(server)
        assert rec["router"] == "renamed" and rec["threshold"] == 1.0


def test_a_worker_checks_at_most_once_per_interval(start, openai_server, tmp_path, default_router, monkeypatch) -> None:
    monkeypatch.setattr(controller, "SYNC_INTERVAL_S", 3600.0)
    raw = config_dict(openai_server.base_url, tmp_path, policy={"threshold": 1.0})
    a, b = start(raw), start(raw)
    record(b)  # b has checked: the next check is an hour away
    assert httpx.post(f"{a.url}/admin/policy", json={"threshold": 0.0}).status_code == 200
    assert record(b)["route"] == "weak"  # not looked up yet (the interval is what bounds the database reads)
    monkeypatch.setattr(controller, "SYNC_INTERVAL_S", 0.0)
    assert record(b)["route"] == "strong"


def test_a_stored_state_this_process_cannot_take_on_is_skipped(start, openai_server, tmp_path, default_router,
                                                               monkeypatch, caplog) -> None:
    from core.serve.shared import AdminStore

    monkeypatch.setattr(controller, "SYNC_INTERVAL_S", 0.0)
    a = start(config_dict(openai_server.base_url, tmp_path, policy={"threshold": 1.0}))
    store = AdminStore(a.log.engine)  # as another worker would write it
    store.publish(str(tmp_path / "not-here"), None, {"threshold": 0.0}, None)  # an artifact this process cannot read
    rec = record(a)
    assert rec["router"] == default_router.name and rec["threshold"] == 1.0  # nothing of that row was taken on
    assert "refused" in caplog.text
    version = store.publish(None, None, {"threshold": 7.0}, None)  # a setting the router refuses
    assert record(a)["threshold"] == 1.0 and a.app.state.routing.version == version
    store.publish(None, None, {}, 0.5)  # a valid row after them is taken on whole
    assert record(a)["threshold"] == pytest.approx(default_router.threshold_for(strong_share=0.5))
    assert a.app.state.routing.share.target_share == 0.5
