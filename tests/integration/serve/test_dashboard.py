"""The dashboard: its JSON endpoints, then the page itself in a real headless Chromium (Debian's
``chromium`` driven by Playwright): it loads, its numbers change after requests, the try-a-prompt
box returns the router's decision, the admin control moves the strong share.

``WINROUTE_SCREENSHOT=docs/serve-dashboard.png`` also saves the page (the README's picture)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import openai
import pytest
from serve_support import config_dict

from core.serve import hash_key

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def ask(c: openai.OpenAI, prompt: str, threshold: float | None = None) -> dict:
    extra = {"winroute": {"threshold": threshold}} if threshold is not None else None
    return c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": prompt}],
                                     extra_body=extra).model_extra["winroute"]


def test_stats_and_try_endpoints(start, openai_server, tmp_path, default_router) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path, auth={"api_keys": [hash_key("k")]}))
    assert httpx.get(f"{server.url}/api/stats").status_code == 401
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200 and "<script>" in page.text and default_router.name in page.text
    c = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
    for threshold in (0.0, 1.0, 1.0):
        ask(c, "Say hello to Ada", threshold)
    stats = httpx.get(f"{server.url}/api/stats", headers={"Authorization": "Bearer k"}).json()
    assert (stats["requests"], stats["strong"], stats["fallbacks"], stats["errors"]) == (3, 1, 0, 0)
    assert {(m["route"], m["model"], m["requests"]) for m in stats["by_model"]} == {
        ("strong", "scripted-strong", 1), ("weak", "scripted-weak", 2)}
    assert sum(p["requests"] for p in stats["series"]) == 3 and stats["strong_cost"] > stats["cost"] > 0
    assert len(stats["recent"]) == 3 and all("prompt" not in r for r in stats["recent"])
    tried = httpx.post(f"{server.url}/api/route", json={"prompt": "Prove Fermat's last theorem"},
                       headers={"Authorization": "Bearer k"}).json()
    expected = default_router.route("Prove Fermat's last theorem")
    assert tried["route"] == expected.route and tried["score"] == pytest.approx(expected.score)
    assert tried["child"] == f"scripted-{expected.route}" and server.log.count() == 3  # trying calls no model


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium: apt-get install -y chromium (the CI setup does)")
def test_dashboard_in_headless_chromium(start, openai_server, tmp_path, default_router) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (test extra)")
    server = start(config_dict(openai_server.base_url, tmp_path))
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server.url}/")
            page.wait_for_function("document.getElementById('requests').textContent === '0'", timeout=20_000)
            for threshold in (0.0, 1.0, 1.0, 1.0):
                ask(c, "Say hello to Ada", threshold)
            page.wait_for_function("document.getElementById('requests').textContent === '4'", timeout=20_000)
            assert page.text_content("#strong-share") == "0.25"
            assert page.locator("#recent tr").count() == 4 and page.locator("#by-model tr").count() == 2
            assert page.locator("#share-chart polyline, #share-chart circle").count() == 1

            prompt = "Prove that there are infinitely many primes."
            page.fill("#prompt", prompt)
            page.click("#try")
            page.wait_for_selector("#decision-route", timeout=20_000)
            expected = default_router.route(prompt)
            assert page.text_content("#decision-route") == expected.route
            assert f"score {expected.score:.4f}" in page.text_content("#decision")

            page.fill("#target-share", "1")
            page.click("#set-share")
            page.wait_for_function("document.getElementById('policy-status').textContent.includes('holding')", timeout=20_000)
            assert ask(c, "hi")["route"] == "strong"  # the server now holds a strong share of 1
            page.wait_for_function("document.getElementById('requests').textContent === '5'", timeout=20_000)
            assert "holding strong share 1" in page.text_content("#policy")
            assert not errors, errors
            shot = os.environ.get("WINROUTE_SCREENSHOT")
            page.screenshot(path=shot or str(tmp_path / "dashboard.png"), full_page=True)
        finally:
            browser.close()
