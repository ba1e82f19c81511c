"""``policy.target_share``: the server's threshold follows the recent scores (core.share_controller),
a request's own threshold still wins, and the admin policy endpoint moves the target."""

from __future__ import annotations

import httpx
import numpy as np
import openai
import pytest
from serve_support import config_dict

from core.serve import ServeConfigError, parse_config

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
PROMPTS = [f"question {i}: " + ("what is 2+2?" if i % 2 else "prove the Riemann hypothesis step by step") for i in range(14)]


def test_online_share_policy(start, openai_server, tmp_path, default_router) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path, policy={"target_share": 0.5, "share_window": 10}))
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    records = [c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": p}]).model_extra["winroute"]
               for p in PROMPTS]
    prior = default_router.threshold_for(strong_share=0.5)  # window not full yet: the router's reference prompts
    assert all(r["threshold"] == pytest.approx(prior) for r in records[:10])
    scores = [r["score"] for r in records]
    for i in range(10, 14):
        assert records[i]["threshold"] == pytest.approx(np.quantile(scores[i - 10 : i], 0.5))
    fixed = c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}],
                                      extra_body={"winroute": {"threshold": 0.9}}).model_extra["winroute"]
    assert fixed["threshold"] == 0.9
    moved = httpx.post(f"{server.url}/admin/policy", json={"target_share": 1.0})
    assert moved.status_code == 200 and moved.json()["share"]["target_share"] == 1.0
    after = c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}]).model_extra["winroute"]
    assert after["threshold"] == 0.0 and after["route"] == "strong"
    fixed_again = httpx.post(f"{server.url}/admin/policy", json={"threshold": 1.0})
    assert fixed_again.json()["share"] is None
    assert c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": "hi"}]).model_extra["winroute"]["route"] == "weak"
    assert httpx.post(f"{server.url}/admin/policy", json={"target_share": 0.3, "threshold": 0.2}).status_code == 400


def test_target_share_and_a_fixed_threshold_conflict() -> None:
    raw = {"children": {"strong": {"base_url": "http://a/v1", "model": "a"}, "weak": {"base_url": "http://b/v1", "model": "b"}},
           "policy": {"target_share": 0.3, "strong_share": 0.5}}
    with pytest.raises(ServeConfigError, match="not both"):
        parse_config(raw)
