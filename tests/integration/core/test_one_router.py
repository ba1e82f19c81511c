"""One Router class for two models and for N: the same surface, routing, settings, stickiness,
truncation, calibration, persistence and ``with_specs`` for both kinds (one parametrized test each).

The routers here are small and need no shared data: a real ``RandomPredictor`` (two models) and
a real ``KNNQualityPredictor`` fitted on synthetic scores (three models), over a tiny
deterministic hash embedder. The embedder is a fake because these tests are about the router's
plumbing, not the encoder's meaning; the real encoder is exercised by test_router.py and test_nway.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from core import (
    Budget,
    CostWeight,
    InvalidArgumentError,
    InvalidConversationError,
    KNNQualityPredictor,
    MinQuality,
    ModelSpec,
    NWayRouter,
    OutcomeData,
    PairwiseScorer,
    QualityScorer,
    Queries,
    RandomPredictor,
    Router,
    StrongShare,
    Threshold,
    UnknownModelError,
    load_router,
)
from core.features import prompt_features
from core.scorers import reference_of_scores

PROMPTS = [f"question {i}: how would you {w} the {n}?" for i, (w, n) in enumerate(
    (w, n) for w in ("explain", "prove", "sort", "summarise", "translate") for n in ("list", "theorem", "essay", "poem"))]
LONG = "a very long prompt " * 40  # 760 characters: over the tiny embedder's window
NWAY_MODELS = ("model-a", "model-b", "model-c")
PRICES = {"model-a": 0.01, "model-b": 0.001, "model-c": 0.0001}


class HashEmbedder:
    """Deterministic unit vectors from a hash of the text; cuts texts over 200 characters (its window)."""

    model_id = "test-hash"
    max_tokens = 50  # the router asks truncated() only for texts of at least this many characters

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.blake2b(t[:200].encode(), digest_size=32).digest(), np.uint8) for t in texts]
        out = np.stack(rows).astype(np.float32) - 127.5 if rows else np.zeros((0, 32), np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True) if len(out) else out

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([len(t) > 200 for t in texts], dtype=bool)


EMBEDDER = HashEmbedder()


def pairwise_router() -> Router:
    predictor = RandomPredictor(seed=3)
    predictor.models_ = ["model-s", "model-w"]
    scorer = PairwiseScorer(predictor, EMBEDDER, strong="model-s", weak="model-w")
    return Router(scorer, Threshold(0.5), reference=reference_of_scores(np.linspace(0, 1, 21)), name="pair")


def nway_router() -> Router:
    queries = Queries(EMBEDDER.embed(PROMPTS), prompt_features(PROMPTS), PROMPTS)
    scores = np.random.default_rng(0).random((len(PROMPTS), len(NWAY_MODELS)))
    scores[:, 0] = np.maximum(scores[:, 0], 0.6)  # the dearest model is the best on average
    predictor = KNNQualityPredictor(k=3).fit(OutcomeData(queries, list(NWAY_MODELS), scores))
    scorer = QualityScorer(predictor, [ModelSpec(m, cost_per_call=c) for m, c in PRICES.items()], EMBEDDER)
    return Router(scorer, CostWeight(0.0), reference=scorer.reference(PROMPTS), name="three")


ROUTERS = {"pairwise": pairwise_router, "nway": nway_router}
OTHER_SETTING = {"pairwise": {"cost_weight": 1.0}, "nway": {"threshold": 0.5}}
OTHER_POLICY = {"pairwise": CostWeight(1.0), "nway": Threshold(0.5)}


@pytest.fixture(params=sorted(ROUTERS))
def router(request: pytest.FixtureRequest) -> Router:
    return ROUTERS[request.param]()


def test_one_class_one_surface(router: Router) -> None:
    assert type(router) is Router and router.kind in ("pairwise", "nway")
    assert len(router.routes) == len(router.models) >= 2
    for route, model in zip(router.routes, router.models):
        assert router.model_for(route) == model
        assert router.resolve_route(route) == route and router.resolve_route(model) == route
    with pytest.raises(UnknownModelError):
        router.resolve_route("no-such-model")
    assert set(router.settings) <= {"threshold", "strong_share", "cost_weight", "budget_per_1k", "min_quality"}
    assert isinstance(router, NWayRouter) == (router.kind == "nway")  # the earlier name still answers isinstance


def test_route_batch_and_async_agree(router: Router) -> None:
    batch = router.route_batch(PROMPTS)
    single = [router.route(p) for p in PROMPTS]
    asynchronous = asyncio.run(router.aroute_batch(PROMPTS))
    one_async = asyncio.run(router.aroute(PROMPTS[3]))
    assert [d.route for d in batch] == [d.route for d in single] == [d.route for d in asynchronous]
    assert one_async.as_dict() == single[3].as_dict()
    for d in batch:
        assert d.route in router.routes and d.model == router.model_for(d.route) and d.router == router.name
        assert json.loads(json.dumps(d.as_dict()))["route"] == d.route
    assert len({d.route for d in batch}) > 1, "the test routers should not send every prompt to one model"
    assert len(router.score(PROMPTS)) == len(PROMPTS)


def test_settings_are_checked_once_for_both_kinds(router: Router) -> None:
    (wrong, value), = OTHER_SETTING[router.kind].items()
    with pytest.raises(InvalidArgumentError, match=f"{wrong} is not a setting of"):
        router.route("hello", **{wrong: value})
    with pytest.raises(InvalidArgumentError, match="cannot apply the policy"):
        router.route("hello", OTHER_POLICY[router.kind])
    with pytest.raises(InvalidArgumentError, match="not a setting|unknown setting"):
        router.route("hello", temperature=0.3)
    own = router.settings[0]
    with pytest.raises(InvalidArgumentError, match=own):
        router.route("hello", **{own: -1.0})
    with pytest.raises(InvalidArgumentError, match="either a policy or settings"):
        router.route("hello", router.policy, **{own: 0.5})
    with pytest.raises(InvalidArgumentError, match="needs a policy"):
        router.policy = OTHER_POLICY[router.kind]


def test_policy_per_call_and_on_the_router(router: Router) -> None:
    prompt = PROMPTS[5]
    if router.kind == "pairwise":
        everything, nothing = Threshold(0.0), Threshold(1.0)
        first, last = "strong", "weak"
    else:  # the dearest model at no cost weight, the cheapest at a huge one
        everything, nothing = CostWeight(0.0), CostWeight(1e9)
        best = router.route(prompt, everything).route
        first, last = best, "model-c"
    assert router.route(prompt, everything).route == first
    assert router.route(prompt, nothing).route == last
    router.policy = nothing
    assert router.route(prompt).route == last


def test_sticky_routes_use_the_recorded_route(router: Router) -> None:
    for route in router.routes:  # "strong"/"weak" for a pair, model names for N: what records hold
        conversation = [
            {"role": "user", "content": "look it up"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "1"}], "route": route},
            {"role": "tool", "content": "42"},
        ]
        d = router.route(conversation)
        assert d.route == route and d.model == router.model_for(route)
        assert d.reason == "sticky: inside a tool-call turn" and math.isnan(d.score)


def test_truncation_is_said_for_both_kinds(router: Router) -> None:
    short, long = router.route_batch(["short prompt", LONG])
    assert not short.truncated and "truncated" not in short.reason
    assert long.truncated and "prompt truncated to the encoder's window" in long.reason


@pytest.mark.parametrize("kind", sorted(ROUTERS))
def test_calibrate_meets_its_target(kind: str) -> None:
    router = ROUTERS[kind]()
    if kind == "pairwise":
        level = router.calibrate(PROMPTS, 0.25)
        strong = np.mean([d.route == "strong" for d in router.route_batch(PROMPTS)])
        assert router.policy == Threshold(level) and strong == pytest.approx(0.25, abs=0.05)
    else:
        budget = 2.0  # USD per 1,000 calls: between the cheapest (0.1) and the dearest (10)
        level = router.calibrate(PROMPTS, budget_per_1k=budget)
        spent = np.mean([PRICES[d.model] for d in router.route_batch(PROMPTS)])
        assert router.policy == CostWeight(level) and level > 0 and spent <= budget / 1000 + 1e-12


def test_failed_calibrate_changes_nothing(router: Router) -> None:
    before = (router.policy, router.reference)
    own = {"pairwise": "strong_share", "nway": "budget_per_1k"}[router.kind]
    with pytest.raises(InvalidArgumentError):
        router.calibrate(PROMPTS, **{own: -1.0})
    with pytest.raises(InvalidConversationError):
        router.calibrate([], **{own: 0.5})
    assert (router.policy, router.reference) == before


def test_minimum_quality_survives_a_budget_calibration() -> None:
    router = nway_router()
    router.policy = MinQuality(0.5)
    weight = router.calibrate(PROMPTS, budget_per_1k=2.0)
    assert router.policy == MinQuality(0.5, CostWeight(weight))


def test_save_load_round_trip_for_both_kinds(router: Router, tmp_path: Path) -> None:
    own = {"pairwise": StrongShare(0.3), "nway": MinQuality(0.4, Budget(2.0))}[router.kind]
    router.policy = own  # saved as what it comes to on the reference prompts
    router.save(tmp_path / "r")
    again = load_router(tmp_path / "r", embedder=EMBEDDER)
    assert type(again) is Router and again.kind == router.kind and again.routes == router.routes
    assert again.policy == router.resolved_policy() and again.artifact_sha256 == router.artifact_sha256
    np.testing.assert_allclose(again.reference.values, router.reference.values)
    assert [d.as_dict() for d in again.route_batch(PROMPTS)] == [d.as_dict() for d in router.route_batch(PROMPTS)]
    raw = json.loads((tmp_path / "r" / "router.json").read_text())
    assert ("kind" in raw) == (router.kind == "nway")  # the format of earlier versions: no kind for a pair
    assert again.save(tmp_path / "again").name == "again" and again.artifact_sha256 == router.artifact_sha256


def test_the_bundled_router_saves_back_byte_for_byte(default_router: Router, tmp_path: Path) -> None:
    """An artifact the earlier router classes wrote loads into the one class and saves back unchanged."""
    from core import DEFAULT_ROUTER_DIR

    bundled = json.loads((DEFAULT_ROUTER_DIR / "manifest.json").read_text())
    load_router(embedder=default_router.embedder).save(tmp_path / "r")
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["files"] == bundled["files"]


def test_with_specs_is_a_real_router_and_calibrates_alone() -> None:
    base = nway_router()
    dear = base.with_specs([ModelSpec("model-c", cost_per_call=0.05)])
    assert type(dear) is Router and dear is not base and dear.scorer is not base.scorer
    assert dear.predictor is base.predictor and dear.embedder is base.embedder  # the fitted scorer is shared
    assert dear.spec("model-c").cost_per_call == 0.05 and base.spec("model-c").cost_per_call == PRICES["model-c"]
    before = (base.policy, base.reference)
    weight = dear.calibrate(PROMPTS[:10], budget_per_1k=2.0)
    assert dear.policy == CostWeight(weight) and len(dear.reference.tokens) == 10
    assert (base.policy, base.reference) == before  # calibrating the priced router leaves the base as it was
    base.calibrate(PROMPTS, budget_per_1k=9.0)
    assert dear.policy == CostWeight(weight) and len(dear.reference.tokens) == 10  # and the reverse
    with pytest.raises(UnknownModelError):
        base.with_specs([ModelSpec("gpt-9", cost_per_call=1.0)])


def test_with_specs_refuses_a_two_model_router() -> None:
    with pytest.raises(InvalidArgumentError, match="knows no prices"):
        pairwise_router().with_specs([ModelSpec("model-s", cost_per_call=1.0)])


def test_earlier_constructors_build_the_one_class() -> None:
    new = pairwise_router()
    old = Router(new.predictor, EMBEDDER, strong="model-s", weak="model-w", reference_scores=np.linspace(0, 1, 21), name="pair")
    assert [d.as_dict() for d in old.route_batch(PROMPTS)] == [d.as_dict() for d in new.route_batch(PROMPTS)]
    three = nway_router()
    legacy = NWayRouter(three.predictor, three.specs, EMBEDDER, name="three",
                        reference_qualities=three.reference_qualities, reference_tokens=three.reference_tokens)
    assert type(legacy) is Router and isinstance(legacy, NWayRouter) and not isinstance(new, NWayRouter)
    assert [d.as_dict() for d in legacy.route_batch(PROMPTS)] == [d.as_dict() for d in three.route_batch(PROMPTS)]
    with pytest.raises(AttributeError, match="two-model routers"):
        three.strong  # noqa: B018
    with pytest.raises(AttributeError, match="N-way routers"):
        new.specs  # noqa: B018


def test_adapters_pass_every_setting_and_every_model_without_asking_the_kind(router: Router) -> None:
    from core.dispatch import check_settings
    from core.policies import SETTING_NAMES

    unset = dict.fromkeys(SETTING_NAMES)  # None: not set, for either kind
    every = router.route_batch(PROMPTS, models=list(reversed(router.models)), **unset)
    assert [d.as_dict() for d in every] == [d.as_dict() for d in router.route_batch(PROMPTS)]
    own = router.settings[0]
    given = {**unset, own: 0.0}
    assert check_settings(router, given) == {own: 0.0}
    first = router.route(PROMPTS[0], **given)
    assert first.as_dict() == router.route(PROMPTS[0], router.policy_for(**{own: 0.0})).as_dict()
    if router.kind == "pairwise":  # a pair cannot drop one of its two models
        with pytest.raises(InvalidArgumentError, match="both its models"):
            router.route("hello", models=["model-s"])
    else:
        assert router.route("hello", models=["model-b"]).route == "model-b"


def test_children_map_to_routes_for_both_kinds(router: Router) -> None:
    from core.dispatch import child_routes

    by_model = child_routes(router, list(router.models))
    assert by_model == dict(zip(router.models, router.routes))
    with pytest.raises(UnknownModelError, match="child 'gpt-9' is neither a route nor a model of router"):
        child_routes(router, ["gpt-9", *router.models])
    with pytest.raises(ValueError, match=f"both stand for the {router.routes[0]!r} route"):
        child_routes(router, [router.models[0], router.routes[0].upper() if router.kind == "pairwise" else router.models[0] + " "])
    if router.kind == "pairwise":
        assert child_routes(router, ["strong", "weak"]) == {"strong": "strong", "weak": "weak"}
        with pytest.raises(ValueError, match="no child for the weak route"):
            child_routes(router, ["strong"])
    else:
        assert child_routes(router, ["model-c"]) == {"model-c": "model-c"}  # N-way: a subset is fine
    with pytest.raises(ValueError, match="needs at least one child"):
        child_routes(router, [])
