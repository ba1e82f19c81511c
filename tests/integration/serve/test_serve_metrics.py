"""``GET /metrics``: Prometheus text whose numbers follow the requests served."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai_server import closed_port_url
from prometheus_client.parser import text_string_to_metric_families
from serve_support import config_dict

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
HELLO = [{"role": "user", "content": "Say hello to Ada"}]


def scrape(server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_metrics_count_routes_fallbacks_errors_tokens_and_cost(start, openai_server, tmp_path) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path))
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    before = scrape(server)
    assert before[("winroute_request_seconds_count", ())] == 0
    for threshold in (0.0, 1.0, 1.0):
        c.chat.completions.create(model="winroute", messages=HELLO, extra_body={"winroute": {"threshold": threshold}})
    m = scrape(server)
    assert m[("winroute_requests_total", (("model", "scripted-strong"), ("route", "strong"), ("status", "200")))] == 1
    assert m[("winroute_requests_total", (("model", "scripted-weak"), ("route", "weak"), ("status", "200")))] == 2
    assert m[("winroute_tokens_total", (("kind", "prompt"), ("model", "scripted-weak")))] == 10
    assert m[("winroute_request_seconds_count", ())] == 3 and m[("winroute_routing_seconds_count", ())] == 3
    strong, weak = (5 * 10.0 + 5 * 30.0) / 1e6, (5 * 0.5 + 5 * 1.5) / 1e6
    assert m[("winroute_cost_usd_total", (("model", "scripted-weak"),))] == pytest.approx(2 * weak)
    assert m[("winroute_strong_cost_usd_total", ())] == pytest.approx(3 * strong)
    assert m[("winroute_saving_usd", ())] == pytest.approx(2 * (strong - weak))


def test_metrics_count_fallbacks_and_errors(start, openai_server, tmp_path) -> None:
    server = start(config_dict(openai_server.base_url, tmp_path, children={
        "strong": {"base_url": closed_port_url(), "model": "scripted-strong"},
        "weak": {"base_url": openai_server.base_url, "model": "gpt-typo"}}))
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    # strong: down, and the fallback (weak) says 404: the chosen child's error, a 502; weak: the 404 itself
    for threshold, error in ((0.0, openai.InternalServerError), (1.0, openai.NotFoundError)):
        with pytest.raises(error):
            c.chat.completions.create(model="winroute", messages=HELLO, extra_body={"winroute": {"threshold": threshold}})
    m = scrape(server)
    assert m[("winroute_errors_total", (("type", "APIConnectionError"),))] == 1
    assert m[("winroute_errors_total", (("type", "NotFoundError"),))] == 1
    assert m[("winroute_requests_total", (("model", ""), ("route", "weak"), ("status", "404")))] == 1
    assert m[("winroute_requests_total", (("model", ""), ("route", "strong"), ("status", "502")))] == 1
    assert ("winroute_fallbacks_total", (("from_model", "scripted-strong"), ("to_model", "scripted-weak"))) not in m

    server = start(config_dict(openai_server.base_url, tmp_path / "b", children={
        "strong": {"base_url": closed_port_url(), "model": "scripted-strong"},
        "weak": {"base_url": openai_server.base_url, "model": "scripted-weak"}}))
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    for _ in range(2):
        c.chat.completions.create(model="winroute", messages=HELLO, extra_body={"winroute": {"threshold": 0.0}})
    m = scrape(server)
    assert m[("winroute_fallbacks_total", (("from_model", "scripted-strong"), ("to_model", "scripted-weak")))] == 2
    assert m[("winroute_requests_total", (("model", "scripted-weak"), ("route", "strong"), ("status", "200")))] == 2
