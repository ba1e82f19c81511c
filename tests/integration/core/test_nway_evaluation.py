"""N-way (PROCEED) evaluation: AIQ, baselines, the cost-weight sweep, leakage removal and the CLI,
on small real subsets of RouterBench-zs and LLMRouter (real MiniLM embeddings)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.evaluation.benchmarks.nway import is_nway_benchmark, load_nway_items, remove_test_leakage
from core.evaluation.harness.nway import cost_weight_sweep, evaluate_nway, line_margin, oracle_choice
from core.evaluation.metrics import aiq

N_TRAIN, N_TEST = 150, 60


@pytest.fixture(scope="module")
def cached_embedder(embedder):  # noqa: ANN001, ANN201
    """MiniLM behind the (per-session, temporary) disk cache, which the CLI test then finds warm."""
    from core.embeddings import DiskCachedEmbedder

    return DiskCachedEmbedder(embedder)


@pytest.fixture(scope="module")
def rb_items(data_dir: Path, cached_embedder):  # noqa: ANN001, ANN201
    return load_nway_items("routerbench-zs", data_dir=data_dir, embedder=cached_embedder, max_items=N_TEST,
                           max_train=N_TRAIN, seed=0, verbose=False)


@pytest.fixture(scope="module")
def rb_report(rb_items, cached_embedder):  # noqa: ANN001, ANN201
    return evaluate_nway(rb_items, ["knn_quality", "mlp_quality:epochs=5"], embedder=cached_embedder, verbose=False)


# -- metrics on hand-made points ---------------------------------------------------------------
def test_aiq_on_hand_computed_points() -> None:
    # hull (0, .5) -> (1, .7), cut at its top; flat to cost 2: (0.6 * 1 + 0.7 * 1) / 2
    assert aiq([0.0, 1.0, 2.0], [0.5, 0.7, 0.6]) == pytest.approx(0.65)
    # the middle point lies under the chord, so it drops out: (0.5 + 0.7) / 2
    assert aiq([0.0, 1.0, 2.0], [0.5, 0.55, 0.7]) == pytest.approx(0.6)
    # a common range wider than the points: 0 left of the first point, flat right of the last
    assert aiq([1.0, 2.0], [0.4, 0.8], cost_range=(0.0, 4.0)) == pytest.approx((0.6 + 0.8 * 2) / 4)


def test_line_margin_and_oracle_tie_on_hand_made_data() -> None:
    m = line_margin(np.array([0.5, 1.0, 2.0, 3.0, 4.0]), np.array([0.9, 0.5, 0.70, 0.6, 0.85]), (1.0, 0.5), (3.0, 0.9))
    assert np.isnan(m[0])  # cheaper than the cheapest model: nothing to compare with
    assert m[1:] == pytest.approx([0.0, 0.0, -0.3, -0.05])  # line 0.5 -> 0.9, flat at 0.9 beyond cost 3
    scores = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.5, 1.0]])
    costs = np.array([[3.0, 1.0, 0.5], [2.0, 1.0, 3.0], [1.0, 1.0, 9.0]])
    assert oracle_choice(scores, costs).tolist() == [1, 1, 2]  # best score, cheapest among ties


def test_cost_weight_sweep_ends_at_the_cheapest_model() -> None:
    costs = np.array([[1e-4, 5e-3, 1.2e-4], [2e-4, 4e-3, 2.5e-4]])
    w = cost_weight_sweep(costs)
    assert w[0] == 0.0 and np.all(np.diff(w[1:]) > 0)
    from core.policies import choose_by_utility

    q = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])  # the cheapest model is predicted worst
    assert choose_by_utility(q, costs, w[-1]).tolist() == [0, 0]
    assert choose_by_utility(q, costs, w[0]).tolist() == [2, 2]  # w = 0: best quality, cheaper of the tie


def test_benchmark_names() -> None:
    assert is_nway_benchmark("routerbench-zs") and is_nway_benchmark("routerbench_zs") and is_nway_benchmark("LLMRouter")
    assert not is_nway_benchmark("gsm8k")


# -- real RouterBench-zs subset ----------------------------------------------------------------
def test_items_are_a_clean_subset(rb_items) -> None:  # noqa: ANN001
    assert len(rb_items) == N_TEST and len(rb_items.train) == N_TRAIN
    assert len(rb_items.models) == 11 and "gpt-4-1106-preview" in rb_items.models
    assert not np.isnan(rb_items.scores).any() and not np.isnan(rb_items.costs).any()
    assert (rb_items.costs > 0).all()
    # the router's expected cost is each model's mean train cost
    expected = np.nanmean(rb_items.train.costs, axis=0)
    assert [s.cost_per_call for s in rb_items.specs] == pytest.approx(expected.tolist())
    assert rb_items.info["leakage"]["removed"] >= 6  # ARC items repeated from train (README: 7 ARC + 2 MBPP)


def test_oracle_and_random_baselines(rb_report) -> None:  # noqa: ANN001
    assert rb_report.oracle[0] >= rb_report.single_quality.max() - 1e-12
    assert rb_report.random[0] == pytest.approx(rb_report.single_quality.mean())
    assert rb_report.random[1] == pytest.approx(rb_report.single_cost.mean())
    assert rb_report.zero_router_aiq == pytest.approx(
        aiq(rb_report.single_cost, rb_report.single_quality, cost_range=rb_report.cost_range))


def test_sweep_endpoints(rb_items, rb_report) -> None:  # noqa: ANN001
    rows = np.arange(len(rb_items))
    expected = np.array([s.cost_per_call for s in rb_items.specs])
    cheapest = int(np.argmin(expected))
    for curve in rb_report.routers.values():
        assert curve.weights[0] == 0.0
        pred = curve.predictions
        best = pred.max(axis=1, keepdims=True)
        choice = np.where(pred >= best - 1e-12, expected[None, :], np.inf).argmin(axis=1)  # cheapest of the best
        assert curve.qualities[0] == pytest.approx(rb_items.scores[rows, choice].mean())
        assert curve.costs[0] == pytest.approx(rb_items.costs[rows, choice].mean())
        assert curve.shares[-1, cheapest] == 1.0  # a huge weight sends everything to the cheapest model
        assert curve.qualities[-1] == pytest.approx(rb_report.single_quality[cheapest])
        s = curve.summary
        assert 0.0 < s["aiq"] <= 1.0
        assert s["line"]["min_margin"] is not None


def test_diagnostic_counts_every_item(rb_items, rb_report) -> None:  # noqa: ANN001
    for diag in rb_report.diagnostic.values():
        assert set(diag) == set(rb_items.models)
        for m, row in diag.items():
            assert row["n_0"] + row["n_1"] + row["n_partial"] == len(rb_items)
            for c in ("0", "1", "partial"):
                assert row[c] is None or 0.0 <= row[c] <= 1.0
    table = rb_report.table()
    assert "AIQ" in table and "PROCEED diagnostic" in table and "oracle" in table


def test_saved_router_directory(rb_items, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    from core.training import train_nway_router

    train_nway_router(rb_items.train, rb_items.specs, predictor="knn_quality", embedder=embedder).save(tmp_path / "r")
    report = evaluate_nway(rb_items, [str(tmp_path / "r")], embedder=embedder, verbose=False)
    curve = report.routers["r"]
    assert curve.origin == str(tmp_path / "r") and curve.kind == "knn_quality"
    assert len(curve.qualities) == len(curve.weights) > 10


def test_router_object_gives_the_same_curve_as_its_saved_directory(rb_items, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    from core.training import train_nway_router

    router = train_nway_router(rb_items.train, rb_items.specs, predictor="knn_quality", embedder=embedder, name="mine")
    router.save(tmp_path / "saved")
    report = evaluate_nway(rb_items, [router, str(tmp_path / "saved")], embedder=embedder, verbose=False)
    mine, saved = report.routers["mine"], report.routers["saved"]
    assert mine.origin == "in memory" and mine.kind == "knn_quality" and mine.params == router.predictor.get_params()
    np.testing.assert_allclose(mine.qualities, saved.qualities)
    np.testing.assert_allclose(mine.costs, saved.costs)


def test_unknown_router_is_a_clear_error(rb_items, embedder) -> None:  # noqa: ANN001
    from core.evaluation.errors import EvaluationError

    with pytest.raises(EvaluationError, match="unknown N-way router"):
        evaluate_nway(rb_items, ["no_such_router"], embedder=embedder, verbose=False)


# -- LLMRouter leakage ---------------------------------------------------------------------------
def test_llmrouter_leakage_removal_drops_train_questions(data_dir: Path) -> None:
    from core.data import normalize_prompt
    from core.data import load_nway_source

    train, _ = load_nway_source("llmrouter", "train", data_dir)
    test, _ = load_nway_source("llmrouter", "test", data_dir)
    train_prompts = list(dict.fromkeys(o.prompt for o in train))
    kept, info = remove_test_leakage(test, train_prompts, source="llmrouter", embed=None)
    assert info["test_prompts"] == 500
    assert info["by_rule"]["exact"] == 119 and info["by_rule"]["containment"] == 9  # upstream: 119 exact + 9 near
    assert info["removed"] == 128
    left = {normalize_prompt(o.prompt) for o in kept}
    assert len(left) == 500 - 128
    assert not left & {normalize_prompt(p) for p in train_prompts}  # no exact duplicate survives
    assert len(kept) == 9 * len(left)  # every kept question keeps its 9 models' outcomes


# -- CLI -----------------------------------------------------------------------------------------
def test_cli_evaluate_routerbench_subset(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    rc = main(["evaluate", "--benchmark", "routerbench-zs", "--data-dir", str(data_dir), "--max-items", str(N_TEST),
               "--max-train-items", str(N_TRAIN), "--routers", "knn_quality", "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "N-way routing on routerbench-zs test" in out and "AIQ" in out
    png = tmp_path / "routerbench-zs.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "routerbench-zs.json").read_text())
    assert data["n_items"] == N_TEST and "knn_quality" in data["routers"]
    assert (tmp_path / "routerbench-zs_points.csv").is_file()


def test_cli_refuses_mixing_nway_and_two_model_benchmarks(capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    assert main(["evaluate", "--benchmark", "routerbench-zs", "gsm8k"]) == 2
    assert "command of their own" in capsys.readouterr().err
