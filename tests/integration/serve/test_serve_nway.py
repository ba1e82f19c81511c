"""The server in front of an N-way router: one child per router model (named after it), routed by the
router's cost weight, per request through extra_body; two-model settings are refused."""

from __future__ import annotations

import openai
import pytest
from serve_support import config_dict

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def test_nway_router_behind_the_server(start, openai_server, tmp_path, nway_router) -> None:
    children = {m: {"base_url": openai_server.base_url, "model": f"scripted-{i}", "output_price": float(i)}
                for i, m in enumerate(nway_router.models)}
    raw = config_dict(openai_server.base_url, tmp_path)
    raw["children"] = children
    server = start(raw, router=nway_router)
    c = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    prompt = "Write a Python function that returns the n-th Fibonacci number."
    for weight in (0.0, 1e6):
        answer = c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": prompt}],
                                           extra_body={"winroute": {"cost_weight": weight}})
        expected = nway_router.route(prompt, cost_weight=weight)
        record = answer.model_extra["winroute"]
        assert record["route"] == expected.model and record["threshold"] is None
        child = children[expected.model]["model"]
        assert record["child"] == child and answer.choices[0].message.content == f"[{child}] {prompt[:60]}"
    with pytest.raises(openai.BadRequestError, match="not a setting of an N-way router"):
        c.chat.completions.create(model="winroute", messages=[{"role": "user", "content": prompt}],
                                  extra_body={"winroute": {"threshold": 0.5}})
    assert [m.id for m in c.models.list()] == ["winroute", nway_router.name]


def test_nway_children_must_be_named_after_router_models(openai_server, tmp_path, nway_router) -> None:
    from core.serve import ServeConfigError, create_app, parse_config

    with pytest.raises(ServeConfigError, match="name each child after the route or model"):
        create_app(parse_config(config_dict(openai_server.base_url, tmp_path)), router=nway_router)


def test_target_share_needs_a_router_with_a_threshold(openai_server, tmp_path, nway_router) -> None:
    from core.serve import ServeConfigError, create_app, parse_config

    raw = config_dict(openai_server.base_url, tmp_path, policy={"target_share": 0.5})
    raw["children"] = {m: {"base_url": openai_server.base_url, "model": m} for m in nway_router.models}
    with pytest.raises(ServeConfigError, match="target_share holds a threshold, and router .* takes cost_weight"):
        create_app(parse_config(raw), router=nway_router)


def test_two_model_children_may_be_named_after_the_models(openai_server, tmp_path, default_router) -> None:
    """A child is named after its route or its model, for either kind of router; each route needs one."""
    from core.serve import ServeConfigError, create_app, parse_config

    raw = config_dict(openai_server.base_url, tmp_path)
    strong, weak = raw["children"]["strong"], raw["children"]["weak"]
    raw["children"] = {default_router.strong: strong, default_router.weak: weak}
    app = create_app(parse_config(raw), router=default_router)
    live = app.state.routing.live
    assert dict(live.children) == {"strong": default_router.strong, "weak": default_router.weak}
    assert live.model_id == f"router-{default_router.name}-{default_router.threshold:.5g}"
    raw["children"] = {"strong": strong}
    with pytest.raises(ServeConfigError, match="no child for the weak route"):
        create_app(parse_config(raw), router=default_router)
