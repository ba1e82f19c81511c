"""Metrics of the evaluation harness, checked against values worked out by hand."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from core.evaluation.metrics import (
    CPT_TARGETS,
    Curve,
    CurvePoint,
    aiq,
    apgr,
    auc,
    benchmark_similarity,
    call_performance_curve,
    cost_saving_ratio,
    cpt,
    curve_metrics,
    length_heuristic_scores,
    non_decreasing_convex_hull,
    optimal_apgr,
    optimal_curve,
    pgr,
    random_baseline,
)
from core.evaluation.plots import plot_curves

# --------------------------------------------------------------------------- #
# A 4-item example, 4 threshold bins.
#   item:        0    1    2    3
#   score:      0.9  0.1  0.6  0.3
#   strong ok:   1    1    1    0      strong mean 0.75
#   weak ok:     0    1    0    0      weak mean   0.25
# Sorted scores 0.1 0.3 0.6 0.9; quantile q sits at position 3q (linear):
#   q=0    -> 0.1
#   q=0.25 -> pos 0.75 -> 0.1 + 0.75*0.2 = 0.25
#   q=0.5  -> pos 1.5  -> 0.3 + 0.5*0.3  = 0.45
#   q=0.75 -> pos 2.25 -> 0.6 + 0.25*0.3 = 0.675
#   q=1    -> 0.9  (last edge: strong only if score > 0.9 -> nobody)
# Strong sets and performance:
#   0.1   {0,1,2,3}: 1+1+1+0 = 3 -> 0.75 at share 1.00
#   0.25  {0,2,3}  : s0+w1+s2+s3 = 1+1+1+0 = 3 -> 0.75 at share 0.75
#   0.45  {0,2}    : s0+w1+s2+w3 = 1+1+1+0 = 3 -> 0.75 at share 0.50
#   0.675 {0}      : s0+w1+w2+w3 = 1+1+0+0 = 2 -> 0.50 at share 0.25
#   0.9   {}       : weak mean 0.25 at share 0
# Sorted by share: x = 0, .25, .5, .75, 1; y = .25, .5, .75, .75, .75
# AUC = .25 * ((.25+.5)/2 + (.5+.75)/2 + .75 + .75) = .25 * 2.5 = 0.625
# APGR = (0.625 - 0.25) / (0.75 - 0.25) = 0.75
# CPT(20%): target .25 + .2*.5 = .35 -> x = .25 * (.35-.25)/.25 = .10 -> 10%
# CPT(50%): target .50 -> exactly the point at x = .25 -> 25%
# CPT(80%): target .65 -> x = .25 + .25 * (.65-.5)/.25 = .40 -> 40%
# --------------------------------------------------------------------------- #
SCORES = [0.9, 0.1, 0.6, 0.3]
STRONG = [1, 1, 1, 0]
WEAK = [0, 1, 0, 0]


def test_curve_points_by_hand() -> None:
    curve = call_performance_curve(SCORES, STRONG, WEAK, num_thresholds=4)
    assert len(curve) == 5
    np.testing.assert_allclose(curve.thresholds, [0.1, 0.25, 0.45, 0.675, 0.9])
    np.testing.assert_allclose(curve.strong_shares, [1.0, 0.75, 0.5, 0.25, 0.0])
    np.testing.assert_allclose(curve.strong_pcts, [100.0, 75.0, 50.0, 25.0, 0.0])
    np.testing.assert_allclose(curve.performances, [0.75, 0.75, 0.75, 0.5, 0.25])
    assert isinstance(curve.points[0], CurvePoint)
    assert curve.points[3].strong_pct == pytest.approx(25.0)


def test_apgr_auc_cpt_by_hand() -> None:
    curve = call_performance_curve(SCORES, STRONG, WEAK, num_thresholds=4)
    assert auc(curve) == pytest.approx(0.625)
    assert apgr(curve, 0.75, 0.25) == pytest.approx(0.75)
    assert cpt(curve, 0.2, 0.75, 0.25) == pytest.approx(10.0)
    assert cpt(curve, 0.5, 0.75, 0.25) == pytest.approx(25.0)
    assert cpt(curve, 0.8, 0.75, 0.25) == pytest.approx(40.0)
    m = curve_metrics(curve, 0.75, 0.25)
    assert m == pytest.approx({"apgr": 0.75, "auc": 0.625, "cpt_20": 10.0, "cpt_50": 25.0, "cpt_80": 40.0})
    assert CPT_TARGETS == (0.2, 0.5, 0.8)


def test_apgr_is_scale_free() -> None:
    # RouteLLM reports accuracy in percent; APGR must not change with the scale.
    curve = call_performance_curve(SCORES, [100 * v for v in STRONG], [100 * v for v in WEAK], 4)
    assert apgr(curve, 75.0, 25.0) == pytest.approx(0.75)
    assert cpt(curve, 0.5, 75.0, 25.0) == pytest.approx(25.0)


def test_ties_in_scores_keep_duplicate_edges() -> None:
    # scores .5 .5 .5 .9 (items 0..3); sorted .5 .5 .5 .9, position 3q:
    #   q=0,.25,.5 -> .5 ; q=.75 -> pos 2.25 -> .5 + .25*.4 = .6 ; q=1 -> .9
    # strong ok 1 0 1 1 (mean .75), weak ok 0 0 1 0 (mean .25)
    #   edge .5 (three times): all strong -> .75 at share 1   (tied items move together)
    #   edge .6: {3} strong -> s3 + w0 + w1 + w2 = 1+0+0+1 = 2 -> .5 at share .25
    #   edge .9 (last, >): nobody -> .25 at share 0
    # x = 0, .25, 1, 1, 1; y = .25, .5, .75, .75, .75
    # AUC = .25*(.25+.5)/2 + .75*(.5+.75)/2 = .09375 + .46875 = .5625
    # APGR = (.5625 - .25) / .5 = .625
    curve = call_performance_curve([0.5, 0.5, 0.5, 0.9], [1, 0, 1, 1], [0, 0, 1, 0], 4)
    np.testing.assert_allclose(curve.thresholds, [0.5, 0.5, 0.5, 0.6, 0.9])
    np.testing.assert_allclose(curve.strong_shares, [1, 1, 1, 0.25, 0])
    np.testing.assert_allclose(curve.performances, [0.75, 0.75, 0.75, 0.5, 0.25])
    assert apgr(curve, 0.75, 0.25) == pytest.approx(0.625)


def test_constant_scores_give_random_apgr() -> None:
    # Every edge equals the constant: the first 10 edges send everything to the
    # strong model (score >= c), the last (score > c) nothing.
    # strong ok 1 1 0 1 (mean .75), weak ok 0 1 0 0 (mean .25)
    # x = 0, 1 (x10); y = .25, .75 -> AUC = (.25+.75)/2 = .5 -> APGR = (.5-.25)/.5 = .5
    # CPT(50%): target .5, halfway between (0, .25) and (1, .75) -> 50%
    curve = call_performance_curve([0.3] * 4, [1, 1, 0, 1], [0, 1, 0, 0])
    assert len(curve) == 11
    np.testing.assert_allclose(curve.strong_shares, [1.0] * 10 + [0.0])
    assert apgr(curve, 0.75, 0.25) == pytest.approx(0.5)
    assert cpt(curve, 0.5, 0.75, 0.25) == pytest.approx(50.0)


def test_hand_made_curve_sorted_and_interpolated() -> None:
    # Points given out of order: (share 1, .8), (0, .2), (.5, .6); strong .8, weak .2.
    # AUC = .5*(.2+.6)/2 + .5*(.6+.8)/2 = .2 + .35 = .55 -> APGR = (.55-.2)/.6 = 0.58333
    # CPT(20%): target .32 -> .5*(.12/.4) = .15  -> 15%
    # CPT(50%): target .50 -> .5*(.30/.4) = .375 -> 37.5%
    # CPT(80%): target .68 -> .5 + .5*(.08/.2) = .7 -> 70%
    curve = Curve.from_arrays([0.1, 0.9, 0.5], [1.0, 0.0, 0.5], [0.8, 0.2, 0.6], name="hand")
    assert apgr(curve, 0.8, 0.2) == pytest.approx(0.35 / 0.6)
    assert cpt(curve, 0.2, 0.8, 0.2) == pytest.approx(15.0)
    assert cpt(curve, 0.5, 0.8, 0.2) == pytest.approx(37.5)
    assert cpt(curve, 0.8, 0.8, 0.2) == pytest.approx(70.0)
    # Outside the curve's range np.interp clamps, as in RouteLLM.
    assert cpt(curve, 1.0, 0.9, 0.2) == pytest.approx(100.0)


def test_pgr() -> None:
    # (.5 - .25) / (.75 - .25) = .5 ; (.75-.25)/.5 = 1
    assert pgr(0.5, 0.75, 0.25) == pytest.approx(0.5)
    np.testing.assert_allclose(pgr([0.25, 0.75], 0.75, 0.25), [0.0, 1.0])


def test_optimal_binary_by_hand() -> None:
    # strong ok 1 1 0 1 0, weak ok 0 1 1 0 0 (n = 5)
    # weak correct = 2; gains (weak wrong, strong right) = items 0 and 3 -> 2
    # budget p: (2 + min(5p, 2)) / 5 ->
    #   p=0 .4, .1 .5, .2 .6, .3 .7, .4..1 .8  (RouteLLM counts fractional calls)
    # strong mean .6, weak mean .4
    # AUC = .1*((.4+.5)/2 + (.5+.6)/2 + (.6+.7)/2 + (.7+.8)/2 + 6*.8) = .1*7.2 = .72
    # APGR = (.72 - .4) / (.6 - .4) = 1.6  (the oracle beats "always strong")
    s, w = [1, 1, 0, 1, 0], [0, 1, 1, 0, 0]
    curve = optimal_curve(s, w)
    np.testing.assert_allclose(curve.strong_pcts, np.arange(0, 101, 10))
    np.testing.assert_allclose(curve.performances, [0.4, 0.5, 0.6, 0.7] + [0.8] * 7)
    assert all(math.isnan(t) for t in curve.thresholds)
    assert apgr(curve, 0.6, 0.4) == pytest.approx(1.6)
    assert optimal_apgr(s, w) == pytest.approx(1.6)


def test_optimal_graded_by_hand() -> None:
    # Graded 1-10 scores (MT-Bench style). strong 8 5 9 3, weak 6 7 4 3
    # gains 2 -2 5 0 -> 2 positive gains (items 2, then 0); k = int(4p)
    #   p=0   k=0: 2 > 0 -> top-0 -> all weak: (6+7+4+3)/4 = 5.0
    #   p=.25 k=1: 2 > 1 -> item 2 strong: (6+7+9+3)/4 = 6.25
    #   p=.5  k=2: not 2 > 2 -> strong where gain > 0: (8+7+9+3)/4 = 6.75
    #   p=.75, 1: same 6.75
    curve = optimal_curve([8, 5, 9, 3], [6, 7, 4, 3], num_points=4)
    np.testing.assert_allclose(curve.strong_shares, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(curve.performances, [5.0, 6.25, 6.75, 6.75, 6.75])


def test_random_baseline_seed0_is_routellm_random_router() -> None:
    rng = np.random.default_rng(1)
    n = 200
    strong = (rng.random(n) < 0.8).astype(float)
    weak = (rng.random(n) < 0.6).astype(float)
    rb = random_baseline(strong, weak, seeds=20)
    # RouteLLM: random.seed(0); one random.uniform(0, 1) per item, in order.
    random.seed(0)
    scores = [random.uniform(0, 1) for _ in range(n)]
    ref = call_performance_curve(scores, strong, weak)
    assert rb.apgrs[0] == pytest.approx(apgr(ref, strong.mean(), weak.mean()))
    assert len(rb.apgrs) == 20
    lo, hi = rb.interval
    assert lo <= rb.apgr <= hi
    assert 0.3 < rb.apgr < 0.7
    assert len(rb.curve) == 11 and len(rb.band[0]) == 11
    assert set(rb.cpt_mean) == set(CPT_TARGETS)


def test_cost_saving_ratio() -> None:
    # RouteLLM Table 6 style: random needs 49.0% strong calls, router 13.4% -> 3.657x
    assert cost_saving_ratio(13.4, 49.0) == pytest.approx(49.0 / 13.4)
    assert cost_saving_ratio(25.0, 50.0) == pytest.approx(2.0)
    assert cost_saving_ratio(0.0, 50.0) == math.inf
    with pytest.raises(ValueError):
        cost_saving_ratio(-1.0, 50.0)


def test_aiq_four_points_by_hand() -> None:
    # (1,.5) (2,.55) (3,.9) (4,.8)
    # (2,.55) is under the chord (1,.5)-(3,.9), which is .7 at cost 2 -> dropped.
    # (3,.9) is above the chord (1,.5)-(4,.8) (.7 at cost 3) -> kept; it is the
    # best point, so the hull stops there and stays flat at .9 up to cost 4.
    # Area on [1, 4] = (.5+.9)/2*2 + .9*1 = 2.3 -> AIQ = 2.3/3 = 0.76667
    # RouterBench's code normalisation, cost range (0, 4): 2.3/4 = .575
    costs, quals = [2, 1, 4, 3], [0.55, 0.5, 0.8, 0.9]
    hx, hy = non_decreasing_convex_hull(costs, quals)
    np.testing.assert_allclose(hx, [1, 3])
    np.testing.assert_allclose(hy, [0.5, 0.9])
    assert aiq(costs, quals) == pytest.approx(2.3 / 3)
    assert aiq(costs, quals, cost_range=(0, 4)) == pytest.approx(0.575)


def test_aiq_three_points_and_duplicate_costs() -> None:
    # (0,.2) (1,.3) (2,.6): (1,.3) under the chord (.4) -> area (.2+.6)/2*2 = .8 -> /2 = .4
    assert aiq([0, 1, 2], [0.2, 0.3, 0.6]) == pytest.approx(0.4)
    # Two points at cost 1 (.3 and .5) -> the better one; (2,.4) is lower -> flat .5 -> .5
    assert aiq([1, 1, 2], [0.3, 0.5, 0.4]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="positive width"):
        aiq([1, 1], [0.3, 0.5])
    with pytest.raises(ValueError, match="cover all costs"):
        aiq([0, 1, 2], [0.2, 0.3, 0.6], cost_range=(0.5, 2))


def test_benchmark_similarity_tiny() -> None:
    # bench rows normalise to (1,0), (0,1); train rows to (.7071,.7071), (1,0)
    # (1,0): max(.7071, 1) = 1 ; (0,1): max(.7071, 0) = .7071 -> mean .853553
    bench = np.array([[1.0, 0.0], [0.0, 2.0]])
    train = np.array([[1.0, 1.0], [3.0, 0.0]])
    expected = (1.0 + math.sqrt(0.5)) / 2
    assert benchmark_similarity(bench, train) == pytest.approx(expected)
    # One row per block (max_block smaller than the train set) gives the same.
    assert benchmark_similarity(bench, train, max_block=1) == pytest.approx(expected)
    assert benchmark_similarity(bench.astype(np.float32), train.astype(np.float32)) == pytest.approx(
        expected, rel=1e-6
    )
    with pytest.raises(ValueError, match="all-zero"):
        benchmark_similarity(np.zeros((1, 2)), train)
    with pytest.raises(ValueError, match="dims differ"):
        benchmark_similarity(bench, np.ones((2, 3)))
    with pytest.raises(ValueError, match="empty"):
        benchmark_similarity(np.zeros((0, 2)), train)


def test_length_heuristic() -> None:
    scores = length_heuristic_scores(["hi", "hello there", ""])
    np.testing.assert_allclose(scores, [2, 11, 0])
    conv = [{"role": "system", "content": "xxxxxxxx"}, {"role": "user", "content": "abc"}]
    np.testing.assert_allclose(length_heuristic_scores([conv]), [3])
    with pytest.raises(ValueError, match="empty"):
        length_heuristic_scores([])
    with pytest.raises(TypeError):
        length_heuristic_scores("a single prompt")


def test_errors() -> None:
    with pytest.raises(ValueError, match="router produced NaN scores for 2 items"):
        call_performance_curve([0.1, float("nan"), float("nan")], [1, 1, 1], [0, 0, 0])
    with pytest.raises(ValueError, match="length mismatch"):
        call_performance_curve([0.1, 0.2], [1, 1, 1], [0, 0, 0])
    with pytest.raises(ValueError, match="length mismatch"):
        call_performance_curve([0.1, 0.2], [1, 1], [0, 0, 0])
    with pytest.raises(ValueError, match="empty"):
        call_performance_curve([], [], [])
    with pytest.raises(ValueError, match="NaN"):
        call_performance_curve([0.1, 0.2], [1, float("nan")], [0, 0])
    curve = call_performance_curve(SCORES, STRONG, WEAK, 4)
    with pytest.raises(ValueError, match="PGR is undefined"):
        apgr(curve, 0.5, 0.5)
    with pytest.raises(ValueError, match="PGR is undefined"):
        cpt(curve, 0.5, 0.5, 0.5)
    with pytest.raises(ValueError, match="PGR is undefined"):
        pgr(0.3, 0.5, 0.5)
    with pytest.raises(ValueError, match="PGR is undefined"):
        random_baseline([1, 0], [1, 0], seeds=2)
    with pytest.raises(ValueError, match="fraction"):
        cpt(curve, 50, 0.75, 0.25)
    with pytest.raises(ValueError, match="no range"):
        apgr(Curve.from_arrays([0.5], [1.0], [0.7]), 0.75, 0.25)
    with pytest.raises(ValueError):
        Curve(())


def test_plot_written(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    curve = call_performance_curve(SCORES, STRONG, WEAK, 4)
    rb = random_baseline(STRONG, WEAK, seeds=5, num_thresholds=4)
    out = plot_curves(
        {"router": curve},
        0.75,
        0.25,
        tmp_path / "sub" / "curves.png",
        "Toy benchmark",
        optimal=optimal_curve(STRONG, WEAK),
        random_band=rb,
    )
    assert out.exists()
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out2 = plot_curves(
        {"router": curve}, 0.75, 0.25, tmp_path / "b.png", "t",
        random_band=([0, 50, 100], [0.25, 0.4, 0.75], [0.25, 0.6, 0.75]),
    )
    assert out2.stat().st_size > 0
