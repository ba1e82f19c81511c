"""N-way (PROCEED) routing: quality predictors, model specs, policies, the router and its CLI, on real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core import KNNQualityPredictor, MLPQualityPredictor, ModelSpec, NWayRouter, OutcomeData, load_router
from core.artifacts import write_manifest
from core.cli import main
from core.errors import ArtifactError, UnknownModelError
from core.data import load_nway_source
from core.training import outcome_data, sample_prompts, train_nway_router
from core.policies import choose_by_utility, choose_cheapest_reaching, cost_weight_for_budget, utilities

MODELS = ["gpt-4-1106-preview", "gpt-3.5-turbo-1106", "mixtral-8x7b-instruct-v0.1", "mistral-7b-chat"]


@pytest.fixture(scope="module")
def routerbench(data_dir: Path, embedder) -> OutcomeData:  # noqa: ANN001
    """120 real RouterBench-zs training prompts (ARC, MBPP, Winogrande) scored for four models."""
    outcomes, _ = load_nway_source("routerbench_zs", "train", data_dir)
    return outcome_data(sample_prompts(outcomes, 120, seed=1), embedder, MODELS)


@pytest.fixture(scope="module")
def specs(routerbench: OutcomeData) -> list[ModelSpec]:
    from core.costs import specs_from_costs

    return specs_from_costs(routerbench.models, routerbench.costs)


@pytest.fixture(scope="module")
def router(routerbench: OutcomeData, specs: list[ModelSpec], embedder) -> NWayRouter:  # noqa: ANN001
    return train_nway_router(routerbench, specs, embedder=embedder)


# -- quality predictors -----------------------------------------------------------------------
@pytest.mark.parametrize("make", [KNNQualityPredictor, lambda: MLPQualityPredictor(epochs=5, hidden=32)])
def test_fit_predict_save_load(make, routerbench: OutcomeData, tmp_path: Path) -> None:  # noqa: ANN001
    est = make().fit(routerbench)
    pred = est.predict(routerbench.queries)
    assert pred.shape == (len(routerbench), len(MODELS))
    assert np.all((pred >= 0) & (pred <= 1))
    est.save(tmp_path / "p")
    again = type(est).load(tmp_path / "p")
    np.testing.assert_allclose(again.predict(routerbench.queries), pred)
    assert again.models_ == MODELS


def test_knn_learns_who_is_better(routerbench: OutcomeData) -> None:
    pred = KNNQualityPredictor().fit(routerbench).predict(routerbench.queries)
    true_mean = np.nanmean(routerbench.scores, axis=0)
    assert np.argmax(pred.mean(axis=0)) == np.argmax(true_mean)  # gpt-4 is best on average
    assert np.corrcoef(pred.mean(axis=0), true_mean)[0, 1] > 0.9


def test_knn_shares_one_bank_and_saves_it_once(routerbench: OutcomeData, tmp_path: Path) -> None:
    est = KNNQualityPredictor().fit(routerbench)
    banks = {id(s["embeddings"]) for s in est.states_.values()}
    assert len(banks) < len(MODELS)  # models scored on the same prompts share one bank
    est.save(tmp_path / "p")
    meta = json.loads((tmp_path / "p" / "predictor.json").read_text())
    assert sum(k.endswith("/embeddings") for k in meta["shared"]) == len(MODELS) - len(banks)
    assert len({id(s["embeddings"]) for s in KNNQualityPredictor.load(tmp_path / "p").states_.values()}) == len(banks)


def test_mlp_oversampling_balances_classes(routerbench: OutcomeData) -> None:
    est = MLPQualityPredictor(oversample=True)
    y = np.array([1.0] * 9 + [0.0])
    index = est._oversampled(y, np.random.default_rng(0))
    assert (y[index] >= 0.5).sum() == (y[index] < 0.5).sum() == 9


def test_adding_a_model_trains_only_its_regressor(routerbench: OutcomeData) -> None:
    first = MLPQualityPredictor(epochs=3, hidden=16).fit(
        OutcomeData(routerbench.queries, MODELS[:3], routerbench.scores[:, :3])
    )
    before = {m: {k: v.copy() for k, v in first.states_[m].items()} for m in first.models_}
    queries, scores = routerbench.column(MODELS[3])
    first.add_model(MODELS[3], queries, scores)
    assert first.models_ == MODELS
    for m, state in before.items():
        for k, v in state.items():
            np.testing.assert_array_equal(first.states_[m][k], v)
    first.remove_model(MODELS[0])
    assert first.models_ == MODELS[1:]
    assert first.predict(routerbench.queries).shape == (len(routerbench), 3)
    with pytest.raises(UnknownModelError, match="gpt-4-1106-preview"):
        first.predict(routerbench.queries, [MODELS[0]])


def test_a_model_with_no_outcomes_is_a_clear_error(routerbench: OutcomeData) -> None:
    scores = routerbench.scores.copy()
    scores[:, 1] = np.nan
    with pytest.raises(ValueError, match="gpt-3.5-turbo-1106.*no outcomes"):
        KNNQualityPredictor().fit(OutcomeData(routerbench.queries, MODELS, scores))
    with pytest.raises(ValueError, match="no outcomes"):
        KNNQualityPredictor().add_model("new", routerbench.queries.subset(np.arange(0)), [])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        OutcomeData(routerbench.queries, MODELS, routerbench.scores * 10)


# -- specs and costs --------------------------------------------------------------------------
def test_model_spec_costs() -> None:
    spec = ModelSpec("m", input_price=10.0, output_price=30.0, output_tokens=100)
    np.testing.assert_allclose(spec.cost([1000, 0]), [(1000 * 10 + 100 * 30) / 1e6, 100 * 30 / 1e6])
    assert ModelSpec("m", cost_per_call=0.002).cost(np.array([5, 50])).tolist() == [0.002, 0.002]
    assert ModelSpec("m", cost_per_call=1.0, context_window=300, output_tokens=100).fits(np.array([150, 250])).tolist() == [True, False]


def test_specs_from_price_tables(data_dir: Path) -> None:
    from core.costs import specs_from_prices
    from core.data import load_llmrouter_prices, load_price_catalog

    catalog = load_price_catalog(data_dir / "prices")
    gpt4, mixtral = specs_from_prices(["gpt-4-1106-preview", "Mixtral-8x7B-Instruct-v0.1"], catalog)
    assert (gpt4.input_price, gpt4.output_price) == (10.0, 30.0)
    assert mixtral.name == "Mixtral-8x7B-Instruct-v0.1" and mixtral.input_price is not None
    (gemma,) = specs_from_prices(["gemma-2-9b-it"], load_llmrouter_prices(data_dir / "llmrouter"))
    assert gemma.cost(1000) == pytest.approx((1000 * 0.1 + 256 * 0.1) / 1e6)
    with pytest.raises(ValueError, match="no input and output price for model 'no-such-model'"):
        specs_from_prices(["no-such-model"], catalog)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_price": -1.0, "output_price": 1.0}, "input_price must be a finite number >= 0"),
        ({"input_price": 1.0}, "has no price"),
        ({}, "has no price"),
        ({"cost_per_call": float("nan")}, "cost_per_call"),
        ({"input_price": "cheap", "output_price": 1.0}, "input_price must be a number"),
    ],
)
def test_bad_prices_are_clear_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ModelSpec("some-model", **kwargs)


# -- policies on hand-made predictions ----------------------------------------------------------
Q = np.array([[0.9, 0.8, 0.3], [0.5, 0.5, 0.5]])
C = np.array([[0.010, 0.001, 0.0001], [0.010, 0.001, 0.0001]])


def test_utility_rule() -> None:
    np.testing.assert_allclose(utilities(Q, C, 10.0), Q - 10.0 * C)
    assert choose_by_utility(Q, C, 0.0).tolist() == [0, 2]  # equal quality: the cheapest
    assert choose_by_utility(Q, C, 20.0).tolist() == [1, 2]  # 0.9-0.2 < 0.8-0.02
    assert choose_by_utility(Q, C, 1e6).tolist() == [2, 2]
    allowed = np.array([[False, True, True], [True, True, True]])
    assert choose_by_utility(Q, C, 0.0, allowed).tolist() == [1, 2]


def test_two_models_is_the_threshold_rule() -> None:
    rng = np.random.default_rng(0)
    q = rng.random((200, 2))
    c = np.tile([0.01, 0.001], (200, 1))
    for w in (0.0, 5.0, 30.0):
        strong = choose_by_utility(q, c, w) == 0
        np.testing.assert_array_equal(strong, q[:, 0] - q[:, 1] >= w * (0.01 - 0.001))


def test_cheapest_reaching_quality() -> None:
    assert choose_cheapest_reaching(Q, C, 0.75).tolist() == [1, 2]
    assert choose_cheapest_reaching(Q, C, 0.95).tolist() == [0, 2]  # none reaches: the best predicted, cheapest of equals


def test_budget_calibration() -> None:
    q = np.array([[0.9, 0.6], [0.9, 0.85], [0.7, 0.65], [0.8, 0.2]])
    c = np.tile([0.01, 0.001], (4, 1))
    assert cost_weight_for_budget(q, c, 0.01) == 0.0  # all strong is within budget
    w = cost_weight_for_budget(q, c, 0.0055)  # room for two strong calls: the biggest gaps
    assert choose_by_utility(q, c, w).tolist() == [0, 1, 1, 0]
    spend = c[np.arange(4), choose_by_utility(q, c, w)].mean()
    assert spend <= 0.0055
    with pytest.raises(ValueError, match="budget"):
        cost_weight_for_budget(q, c, -1.0)


# -- the router ------------------------------------------------------------------------------
def test_route_reports_every_model(router: NWayRouter) -> None:
    d = router.route("Write a python function to find the maximum of three numbers.")
    assert d.model in MODELS and d.route == d.model
    assert set(d.qualities) == set(d.costs) == set(d.utilities) == set(MODELS)
    assert d.score == pytest.approx(d.qualities[d.model])
    best = max(MODELS, key=lambda m: (d.utilities[m], -d.costs[m]))
    assert d.model == best
    assert json.loads(json.dumps(d.as_dict()))["threshold"] is None


def test_route_policies_and_subsets(router: NWayRouter) -> None:
    prompt = "Which gas do plants absorb from the air? A) oxygen B) carbon dioxide C) helium D) neon"
    cheapest = min(MODELS, key=lambda m: router.specs[m].cost(10))
    assert router.route(prompt, cost_weight=1e9).model == cheapest
    d = router.route(prompt, min_quality=0.0)
    assert d.model == cheapest and "cheapest model predicted to reach" in d.reason
    assert router.route(prompt, models=MODELS[1:3]).model in MODELS[1:3]
    with pytest.raises(UnknownModelError, match="claude-9"):
        router.route(prompt, models=["claude-9"])
    with pytest.raises(ValueError, match="either cost_weight or budget_per_1k"):
        router.route(prompt, cost_weight=1.0, budget_per_1k=1.0)


def test_budget_per_1k_calls(router: NWayRouter) -> None:
    low = router.cost_weight_for(budget_per_1k=0.5)
    high = router.cost_weight_for(budget_per_1k=50.0)
    assert low >= high
    q, c = router.reference_qualities, np.stack([router.specs[m].cost(router.reference_tokens) for m in MODELS], 1)
    assert c[np.arange(len(c)), choose_by_utility(q, c, low)].mean() * 1000 <= 0.5 + 1e-9


def test_context_window_skips_models(routerbench: OutcomeData, specs: list[ModelSpec], embedder) -> None:  # noqa: ANN001
    small = [ModelSpec.from_dict({**s.as_dict(), "context_window": 300}) if s.name == MODELS[0] else s for s in specs]
    r = train_nway_router(routerbench, small, embedder=embedder)
    d = r.route("word " * 400)
    assert d.model != MODELS[0] and "context window" in d.reason


def test_sticky_tool_turns(router: NWayRouter) -> None:
    convo = [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "route": "mistral-7b-chat", "tool_calls": [{"id": "1", "name": "weather", "args": {}}]},
        {"role": "tool", "content": "sunny", "tool_call_id": "1"},
    ]
    assert router.route(convo).model == "mistral-7b-chat"


def test_save_load_round_trip(router: NWayRouter, tmp_path: Path) -> None:
    router.save(tmp_path / "r")
    again = load_router(tmp_path / "r")
    assert isinstance(again, NWayRouter) and again.models == router.models
    prompt = "Fill in the blank: The trophy doesn't fit into the suitcase because _ is too large."
    assert again.route(prompt).as_dict() == router.route(prompt).as_dict()
    spec = json.loads((tmp_path / "r" / "router.json").read_text())
    spec["models"][0]["name"] = "unknown-model"
    (tmp_path / "r" / "router.json").write_text(json.dumps(spec))
    write_manifest(tmp_path / "r")  # re-signed: the consistency check, not the manifest, must catch it
    with pytest.raises(ArtifactError, match="unknown-model"):
        load_router(tmp_path / "r")


def test_specs_must_match_the_predictor(routerbench: OutcomeData, specs: list[ModelSpec], embedder) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="claude-9.*no outcomes"):
        train_nway_router(routerbench, [*specs, ModelSpec("claude-9", cost_per_call=0.1)], embedder=embedder)
    with pytest.raises(ValueError, match="declared twice"):
        train_nway_router(routerbench, [specs[0], specs[0]], embedder=embedder)


# -- CLI -----------------------------------------------------------------------------------------
def test_cli_train_and_route_nway(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "nway.toml"
    recipe.write_text(
        'kind = "nway"\nname = "tiny"\nsource = "llmrouter"\nmax_prompts = 60\npredictor = "knn_quality"\n'
        '[model."gemma-2-9b-it"]\ncontext_window = 8192\n'
    )
    out = tmp_path / "router"
    assert main(["train", str(recipe), "--data-dir", str(data_dir), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["route", "What is 17 * 23?", "--router", str(out)]) == 0
    text = capsys.readouterr().out
    assert "quality" in text and "cost (USD)" in text and "utility" in text and "qwen2.5-7b-instruct" in text
    assert main(["route", "What is 17 * 23?", "--router", str(out), "--cost-weight", "1e9", "--json"]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["model"] == "gemma-2-9b-it"  # the cheapest in default_llm.json
    assert main(["route", "hi", "--router", str(out), "--strong-share", "0.5"]) == 2
    assert "two-model" in capsys.readouterr().err
    assert main(["route", "hi", "--cost-weight", "1"]) == 2  # the bundled router is two-model
    assert "N-way" in capsys.readouterr().err


def test_cli_bad_nway_recipes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "bad.toml"
    recipe.write_text('kind = "nway"\nname = "x"\nsource = "alpaca_eval"\n')
    assert main(["train", str(recipe)]) == 2
    assert "source must be one of" in capsys.readouterr().err


def test_cli_nway_recipe_naming_an_unknown_model(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "bad.toml"  # the models are checked against the source's data (needs WINROUTE_DATA)
    recipe.write_text('kind = "nway"\nname = "x"\nsource = "llmrouter"\n[model."nope"]\ncost_per_call = 1.0\n')
    assert main(["train", str(recipe), "--data-dir", str(data_dir)]) == 2
    assert "unknown model" in capsys.readouterr().err
