"""Router behaviour on the real bundled default router and on small routers built here."""

from __future__ import annotations

import json
import math
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from core import (
    DEFAULT_ROUTER_DIR,
    ArtifactError,
    InvalidConversationError,
    RandomPredictor,
    Router,
    UnknownModelError,
    load_router,
)


def test_default_router_routes_offline(default_router: Router) -> None:
    d = default_router.route("Prove that sqrt(2) is irrational")
    assert d.model in default_router.models
    assert d.route in ("strong", "weak")
    assert 0.0 <= d.score <= 1.0
    assert d.reason.startswith("score")
    assert json.dumps(d.as_dict())  # JSON-safe for metadata


def test_routing_is_deterministic_and_thread_safe(default_router: Router) -> None:
    prompts = [f"Question {i}: what is {i} times {i + 3}?" for i in range(40)]
    sequential = [default_router.route(p) for p in prompts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(default_router.route, prompts))
    assert [d.route for d in sequential] == [d.route for d in parallel]
    np.testing.assert_allclose([d.score for d in sequential], [d.score for d in parallel], rtol=1e-5)


def test_route_batch_matches_route(default_router: Router) -> None:
    prompts = ["hi", "Write a haiku about autumn", "Solve 3x + 5 = 20 for x."]
    batch = default_router.route_batch(prompts)
    single = [default_router.route(p) for p in prompts]
    np.testing.assert_allclose([d.score for d in batch], [d.score for d in single], rtol=1e-5)
    np.testing.assert_allclose(default_router.score(prompts), [d.score for d in batch], rtol=1e-5)


def test_threshold_and_strong_share_overrides(default_router: Router) -> None:
    assert default_router.route("hello", threshold=0.0).route == "strong"
    assert default_router.route("hello", strong_share=0.0).route == "weak"
    assert default_router.route("hello", strong_share=1.0).route == "strong"
    with pytest.raises(ValueError, match="not both"):
        default_router.route("hello", threshold=0.5, strong_share=0.5)
    with pytest.raises(ValueError, match="threshold must be"):
        default_router.route("hello", threshold=1.5)
    with pytest.raises(ValueError, match="strong_share must be"):
        default_router.route("hello", strong_share=-0.1)


def test_share_ends_hold_outside_the_reference_scores() -> None:
    from core.policies import strong_mask, threshold_for_share

    ref = np.array([0.4, 0.5, 0.6])
    new = np.array([0.1, 0.45, 0.9])  # new prompts scoring below and above every reference score
    assert strong_mask(new, threshold_for_share(ref, 1.0)).all()
    assert not strong_mask(new, threshold_for_share(ref, 0.0)).any()
    assert strong_mask(ref, threshold_for_share(ref, 1 / 3)).sum() == 1


def test_calibrate_hits_the_target_share(default_router: Router) -> None:
    router = load_router()
    prompts = [f"Explain topic number {i} in {i % 7 + 1} sentences about {['math', 'code', 'poems'][i % 3]}" for i in range(60)]
    t = router.calibrate(prompts, 0.25)
    share = np.mean([d.route == "strong" for d in router.route_batch(prompts)])
    assert abs(share - 0.25) <= 0.05
    assert router.threshold == t


def test_long_prompt_is_truncated_and_says_so(default_router: Router) -> None:
    d = default_router.route("word " * 20000)  # 100k characters
    assert d.truncated
    assert "truncated" in d.reason


def test_bad_inputs(default_router: Router) -> None:
    with pytest.raises(InvalidConversationError):
        default_router.route("")
    with pytest.raises(InvalidConversationError):
        default_router.route([])
    with pytest.raises(UnknownModelError, match="gpt-9"):
        default_router.resolve_route("gpt-9")
    assert default_router.resolve_route("mistralai/Mixtral-8x7B-Instruct-v0.1") == "weak"


def test_sticky_tool_turn(default_router: Router) -> None:
    conv = [
        {"role": "user", "content": "What's 2+2? use the calculator"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "c1"}], "route": "strong"},
        {"role": "tool", "content": "4"},
    ]
    d = default_router.route(conv, threshold=1.0)
    assert d.route == "strong" and d.reason == "sticky: inside a tool-call turn"
    assert math.isnan(d.score)


def _tiny_router() -> Router:
    p = RandomPredictor(seed=1)
    p.models_ = ["model-s", "model-w"]
    return Router(p, strong="model-s", weak="model-w", reference_scores=np.linspace(0, 1, 11), name="tiny")


def test_save_load_round_trip(tmp_path: Path) -> None:
    router = _tiny_router()
    router.save(tmp_path / "r")
    again = load_router(tmp_path / "r")
    prompts = ["a", "b c", "def f(): pass"]
    np.testing.assert_array_equal(again.score(prompts), router.score(prompts))
    assert again.name == "tiny" and again.models == ("model-s", "model-w")


def _edit_router_json(directory: Path, **changes: object) -> None:
    """Change router.json and re-sign the manifest, as someone editing the artifact on purpose would."""
    from core.artifacts import write_manifest

    path = directory / "router.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    if (directory / "manifest.json").exists():
        write_manifest(directory)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "router.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "predictor" / "predictor.safetensors").unlink(), "missing tensor file"),
        (lambda d: (d / "router.safetensors").write_bytes(b"garbage"), "corrupt or was modified"),
        (lambda d: _edit_router_json(d, format_version=99), "format version"),
        (lambda d: _edit_router_json(d, strong="nope"), "inconsistent"),
    ],
)
def test_corrupt_artifacts_give_clear_errors(tmp_path: Path, damage, message: str) -> None:  # noqa: ANN001
    target = tmp_path / "r"
    shutil.copytree(DEFAULT_ROUTER_DIR, target)
    damage(target)
    with pytest.raises(ArtifactError, match=message):
        load_router(target)


def test_missing_artifact_directory(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no router artifact"):
        load_router(tmp_path / "absent")


def test_no_pickle_in_artifacts() -> None:
    files = [p.name for p in DEFAULT_ROUTER_DIR.rglob("*") if p.is_file()]
    assert files and all(f.endswith((".json", ".safetensors", ".md")) for f in files)
