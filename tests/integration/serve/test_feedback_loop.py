"""The loop closed: feedback stored against logged requests, ``winroute adapt --from-log`` builds an adapted
router from it, ``POST /admin/reload`` swaps it in while requests are in flight (none dropped)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import openai
import pytest
from serve_support import config_dict, log_row

from core.cli import main
from core.serve.log import DecisionLog

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

HARD = [f"Prove that the sum of the first {n} odd numbers equals {n} squared, then integrate x^{n} * sin(x) from 0 to pi "
        "step by step." for n in range(3, 19)]
EASY = [f"hi there! just saying hello, have a lovely day number {n} :)" for n in range(3, 19)]


def ask(c: openai.OpenAI, prompt: str, threshold: float | None = None):
    extra = {"winroute": {"threshold": threshold}} if threshold is not None else None
    return c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": prompt}], extra_body=extra)


def test_feedback_adapt_from_log_then_reload_without_dropping_requests(start, openai_server, tmp_path, default_router) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path, logging={"log_prompts": True}))
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    answers = {p: ask(c, p, threshold=1.0) for p in HARD + EASY}  # every request answered by the weak child
    for prompt, answer in answers.items():  # the weak answers were bad on the hard prompts, good on the easy ones
        r = httpx.post(f"{server.base_url}/feedback", json={"request_id": answer.id, "score": 0.0 if prompt in HARD else 1.0})
        assert r.status_code == 200 and r.json()["ok"]
    strong_answer = ask(c, "hello again", threshold=0.0)
    assert httpx.post(f"{server.base_url}/feedback", json={"request_id": strong_answer.id, "score": 1.0}).status_code == 200
    unknown = httpx.post(f"{server.base_url}/feedback", json={"request_id": "chatcmpl-nope", "score": 1.0})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "request_not_found"
    assert httpx.post(f"{server.base_url}/feedback", json={"request_id": strong_answer.id, "score": 1.5}).status_code == 400

    out = tmp_path / "adapted"
    assert main(["adapt", "--from-log", str(tmp_path / "log.db"), "--out", str(out), "--strong-share", "0.5"]) == 0

    broken = httpx.post(f"{server.url}/admin/reload", json={"router": str(tmp_path / "nope")}, timeout=60)
    assert broken.status_code == 400 and "unchanged" in broken.json()["error"]["message"]
    assert ask(c, "hi").model_extra["winroute"]["router"] == default_router.name
    with ThreadPoolExecutor(8) as pool:  # requests in flight while the router is swapped
        futures = [pool.submit(ask, c, p) for p in (HARD + EASY) * 2]
        time.sleep(0.2)
        reload = httpx.post(f"{server.url}/admin/reload", json={"router": str(out)}, timeout=120)
        results = [f.result() for f in futures]
    assert reload.status_code == 200 and reload.json()["router"] == f"{default_router.name}-adapted"
    assert len(results) == 64 and all(r.choices[0].message.content for r in results)
    assert {r.model_extra["winroute"]["router"] for r in results} <= {default_router.name, f"{default_router.name}-adapted"}
    assert server.log.count() == 33 + 1 + 64

    after = {p: ask(c, p).model_extra["winroute"] for p in HARD + EASY}
    assert {rec["router"] for rec in after.values()} == {f"{default_router.name}-adapted"}
    before = {p: a.model_extra["winroute"]["score"] for p, a in answers.items()}
    shift = {p: after[p]["score"] - before[p] for p in before}
    assert np.mean([shift[p] for p in HARD]) > np.mean([shift[p] for p in EASY])  # moved the way the feedback said
    # the threshold was set on the logged traffic: about half of it goes strong
    assert 0.25 <= np.mean([rec["route"] == "strong" for rec in after.values()]) <= 0.75


def test_adapt_from_log_says_why_it_cannot(tmp_path, capsys) -> None:
    log = DecisionLog(f"sqlite:///{tmp_path / 'log.db'}")  # prompts not logged (the default)
    log.write(log_row("r1"), "a prompt")
    assert log.add_feedback("r1", 0.0) and not log.add_feedback("r2", 0.0)
    log.dispose()
    assert main(["adapt", "--from-log", str(tmp_path / "log.db"), "--out", str(tmp_path / "x")]) == 2
    assert "log_prompts" in capsys.readouterr().err
    assert main(["adapt", "--from-log", str(tmp_path / "missing.db"), "--out", str(tmp_path / "x")]) == 2
