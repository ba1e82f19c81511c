"""Shadow labels: every sampled request is also answered by the other child, judged twice with the
order swapped (a scripted judge preferring the strong child's reply), stored in the log, and read by
``winroute adapt --from-log`` as labels. The client's answer is not changed."""

from __future__ import annotations

import time

import openai
import pytest
from serve_support import config_dict

from core.cli import main
from core.serve import ServeConfigError, parse_config
from core.serve.feedback import labels_from_log

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
PROMPTS = [f"Explain idea number {i} of thermodynamics in one line." for i in range(12)]


def test_shadow_labels_are_judged_logged_and_adapted_on(start, openai_server, tmp_path) -> None:
    raw = config_dict(openai_server.base_url, tmp_path, logging={"log_prompts": True},
                      shadow={"rate": 1.0, "seed": 0, "judge": {"base_url": openai_server.base_url, "model": "judge-1"}})
    server = start(raw)
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    before = len(openai_server.requests)
    for i, prompt in enumerate(PROMPTS):
        answer = c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": prompt}],
                                           extra_body={"winroute": {"threshold": 0.0 if i % 2 else 1.0}})
        child = "scripted-strong" if i % 2 else "scripted-weak"
        assert answer.choices[0].message.content == f"[{child}] {prompt}"  # the client's own answer
    deadline = time.monotonic() + 60
    while len(server.log.shadow_labels()) < len(PROMPTS) and time.monotonic() < deadline:
        time.sleep(0.05)
    labels = server.log.shadow_labels()
    assert sorted(p for p, _ in labels) == sorted(PROMPTS) and {o for _, o in labels} == {1.0}  # strong preferred both ways
    sent = [r["model"] for r in openai_server.requests[before:]]
    assert sent.count("judge-1") == 2 * len(PROMPTS)  # twice per request, order swapped
    assert sent.count("scripted-strong") == sent.count("scripted-weak") == len(PROMPTS)  # the answer + the shadow answer
    judged = [r for r in openai_server.requests[before:] if r["model"] == "judge-1"]
    assert any("### Reply of Assistant A\n[scripted-weak]" in r["messages"][-1]["content"] for r in judged)

    found = labels_from_log(str(tmp_path / "log.db"))
    assert found.shadow == len(PROMPTS) and all(c.source == "shadow" and c.outcome == 1.0 for c in found.comparisons)
    assert main(["adapt", "--from-log", str(tmp_path / "log.db"), "--out", str(tmp_path / "adapted")]) == 0


def test_shadow_needs_a_judge() -> None:
    raw = {"children": {"strong": {"base_url": "http://a/v1", "model": "a"}, "weak": {"base_url": "http://b/v1", "model": "b"}},
           "shadow": {"rate": 0.1}}
    with pytest.raises(ServeConfigError, match="judge"):
        parse_config(raw)
