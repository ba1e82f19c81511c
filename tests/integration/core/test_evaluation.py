"""Evaluation harness units: report metrics by hand, benchmark loaders, embedding cache, cross-fitting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.embeddings import DiskCachedEmbedder, EmbeddingCache
from core.evaluation import (
    BadScoresError,
    BenchmarkItems,
    Curve,
    EmptyBenchmarkError,
    EvaluationError,
    UnknownBenchmarkError,
    evaluate_scores,
    load_benchmark,
    load_outcomes_file,
    write_report,
)
from core.evaluation.benchmarks.pairwise import load_mt_bench
from core.evaluation.metrics import benchmark_similarity, curve_aiq, nearest_similarity
from core.evaluation.protocols.pairwise import in_domain_comparisons, make_cross_fit_plan

STRONG, WEAK = "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1"


def items4(scores_name: str = "toy") -> BenchmarkItems:
    """4 items: strong right on 0, 1, 2; weak right on 1 only (means .75 / .25)."""
    return BenchmarkItems(
        scores_name, ["a", "bb", "ccc", "dddd"], np.array([1, 1, 1, 0.0]), np.array([0, 1, 0, 0.0]),
        strong=STRONG, weak=WEAK,
    )


# --------------------------------------------------------------------------------------- metrics


def test_report_rows_with_tied_scores_by_hand() -> None:
    # scores .5 .5 .5 .1 -> sorted .1 .5 .5 .5; the 10%-quantile edges are
    #   .1, .22, .34, .46, then .5 six times, the last .5 (strict >) sends nobody.
    # Points: edge .1 -> all strong (1.00, .75); .22/.34/.46/.5 -> {0,1,2} strong: (.75, .75);
    #   last -> (0, .25). AUC = (.25+.75)/2*.75 + .75*.25 = .5625; APGR = (.5625-.25)/.5 = .625.
    # CPT(x): np.interp on y = .25, .75, ... -> x = .75 * (target-.25)/.5:
    #   20% (.35) -> 15%, 50% (.5) -> 37.5%, 80% (.65) -> 60%.
    # AIQ (cost = share): hull (0,.25) -> (.75,.75), flat to 1: .375 + .1875 = .5625.
    report = evaluate_scores(items4(), {"tied": np.array([0.5, 0.5, 0.5, 0.1])}, seeds=5)
    row = report.rows["tied"]
    assert row["apgr"] == pytest.approx(0.625)
    assert row["auc"] == pytest.approx(0.5625)
    assert (row["cpt_20"], row["cpt_50"], row["cpt_80"]) == pytest.approx((15.0, 37.5, 60.0))
    assert row["aiq"] == pytest.approx(0.5625)
    rand = report.random
    assert row["saving_50"] == pytest.approx(rand.cpt_mean[0.5] / 37.5)
    assert row["saving_80"] == pytest.approx(rand.cpt_mean[0.8] / 60.0)


def test_report_constant_router_is_a_coin_flip() -> None:
    # All edges equal the constant: 10 points at (1.0, .75), one at (0, .25). APGR .5,
    # CPT(x) = x exactly (the chord from weak to strong), AIQ = area of that chord = .5.
    report = evaluate_scores(items4(), {"const": np.full(4, 0.3)}, seeds=5)
    row = report.rows["const"]
    assert row["apgr"] == pytest.approx(0.5)
    assert (row["cpt_20"], row["cpt_50"], row["cpt_80"]) == pytest.approx((20.0, 50.0, 80.0))
    assert row["aiq"] == pytest.approx(0.5)


def test_report_baselines_and_oracle_by_hand() -> None:
    # Oracle (0/1 data): weak right on 1 item, 2 items where only strong is right; budget p
    # gives (1 + min(4p, 2)) / 4: .25 .35 .45 .55 .65 then .75 from p = .5 on.
    # Trapezoids over p = 0, .1, ..., 1: .1 * ((.25 + .75)/2 + .35 + .45 + .55 + .65 + 5 * .75)
    #   = .1 * 6.25 = .625 -> APGR (.625 - .25) / .5 = .75.
    report = evaluate_scores(items4(), {}, seeds=10)
    assert report.rows["oracle"]["apgr"] == pytest.approx(0.75)
    assert report.rows["oracle"]["cpt_50"] == pytest.approx(25.0)  # .5 reached at p = .25 (interp .45->.55)
    assert set(report.rows) == {"length heuristic", "random (mean)", "oracle"}
    lo, hi = report.random_interval
    assert lo <= report.rows["random (mean)"]["apgr"] <= hi
    assert report.strong_mean == 0.75 and report.weak_mean == 0.25


def test_curve_aiq_with_prices_by_hand() -> None:
    # Points (share, perf): (0, .2), (.5, .6), (1, .7); strong costs 10, weak 2 per call.
    # Costs: 2, 6, 10. Hull = all three (concave). Area = 4*(.2+.6)/2 + 4*(.6+.7)/2 = 1.6 + 2.6 = 4.2
    # over range 8 -> .525.
    curve = Curve.from_arrays([np.nan] * 3, [0, 0.5, 1], [0.2, 0.6, 0.7])
    assert curve_aiq(curve, 10.0, 2.0) == pytest.approx(0.525)
    assert curve_aiq(curve) == pytest.approx((0.5 * 0.8 / 2 + 0.5 * 1.3 / 2))
    with pytest.raises(ValueError, match="must exceed"):
        curve_aiq(curve, 1.0, 1.0)


def test_nearest_similarity_matches_benchmark_similarity() -> None:
    b = np.array([[1.0, 0.0], [0.0, 2.0]])
    t = np.array([[1.0, 1.0], [1.0, 0.0]])
    per_item = nearest_similarity(b, t)
    assert per_item == pytest.approx([1.0, 1 / np.sqrt(2)])
    assert benchmark_similarity(b, t) == pytest.approx(per_item.mean())


def test_nan_and_bad_length_scores_are_clear_errors() -> None:
    with pytest.raises(BadScoresError, match="NaN scores for 1 of 4"):
        evaluate_scores(items4(), {"broken": np.array([0.1, np.nan, 0.3, 0.4])})
    with pytest.raises(BadScoresError, match="infinite"):
        evaluate_scores(items4(), {"broken": np.array([0.1, np.inf, 0.3, 0.4])})
    with pytest.raises(BadScoresError, match="for 4 benchmark items"):
        evaluate_scores(items4(), {"short": np.array([0.1, 0.2])})


def test_report_files_and_table(tmp_path: Path) -> None:
    report = evaluate_scores(items4(), {"r": np.array([0.9, 0.1, 0.6, 0.3])}, seeds=5, price_ratio=0.1)
    text = report.table()
    for word in ("APGR", "CPT(50%)", "save@50", "AIQ", "length heuristic", "random (mean)", "oracle"):
        assert word in text
    write_report(report, tmp_path)
    data = json.loads((tmp_path / "toy.json").read_text())
    assert data["rows"]["r"]["apgr"] == pytest.approx(0.75)  # the worked example of test_metrics
    assert "price ratio" in data["cost_basis"]
    assert (tmp_path / "toy_metrics.csv").read_text().startswith("benchmark,protocol,router,apgr")
    assert len((tmp_path / "toy_points.csv").read_text().splitlines()) == 1 + 4 * 11
    assert (tmp_path / "toy.png").stat().st_size > 0


# --------------------------------------------------------------------------------------- benchmarks


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture()
def two_turn_dir(tmp_path: Path) -> Path:
    """A FastChat MT-Bench layout with two user turns per question, judge field and turn 1/2."""
    root = tmp_path / "mt_bench"
    qs = [
        {"question_id": 81, "category": "writing", "turns": ["Write a poem about the sea.", "Now make it rhyme."]},
        {"question_id": 82, "category": "math", "turns": ["What is 17 * 23?", "And divided by 7?"]},
        {"question_id": 83, "category": "coding", "turns": ["Reverse a list in Python.", "Now in C."]},
        {"question_id": 84, "category": "roleplay", "turns": ["Pretend to be a pirate.", "Why do we need to go to Mars?"]},
    ]
    _write_jsonl(root / "question.jsonl", qs)
    judge = ["gpt-4", "single-v1"]
    scores = {  # (qid, model) -> (turn 1, turn 2)
        (81, STRONG): (9, 9), (81, "mistralai/Mixtral-8x7B-Instruct-v0.1"): (9, 7),
        (82, STRONG): (10, 8), (82, "mistralai/Mixtral-8x7B-Instruct-v0.1"): (4, -1),
        (83, STRONG): (8, 6), (83, "mistralai/Mixtral-8x7B-Instruct-v0.1"): (8, 6),
        (84, STRONG): (7, 7), (84, "mistralai/Mixtral-8x7B-Instruct-v0.1"): (1, 1),
    }
    rows = []
    for (qid, model), turns in scores.items():
        for t, s in enumerate(turns, 1):
            rows.append({"question_id": qid, "model": model, "judge": judge, "score": s, "turn": t})
    rows.append({"question_id": 81, "model": STRONG, "judge": judge, "score": 7, "turn": 1})  # a second judgment
    _write_jsonl(root / "model_judgment" / "gpt-4_single.jsonl", rows)
    _write_jsonl(root / "contaminated_prompts.jsonl", [{"train_prompt": "x", "eval_prompt": "Why do we need to go to Mars?"}])
    return root


def test_mt_bench_two_turn_layout(two_turn_dir: Path) -> None:
    items = load_mt_bench(two_turn_dir, STRONG, "mistralai/Mixtral-8x7B-Instruct-v0.1")
    # 84 is dropped: its second turn is listed as contaminated.
    assert items.ids == ["81", "82", "83"] and items.dropped_contaminated == 1
    # The router sees the first turn only.
    assert items.prompts == ["Write a poem about the sea.", "What is 17 * 23?", "Reverse a list in Python."]
    # Mean over turns; two judgments of (81, strong, turn 1) average to 8; the -1 is dropped.
    assert items.strong_perf.tolist() == [(8 + 9) / 2, 9.0, 7.0]
    assert items.weak_perf.tolist() == [8.0, 4.0, 7.0]
    assert items.scale == "1-10"
    report = evaluate_scores(items, {"first-turn": np.array([0.2, 0.9, 0.5])}, seeds=5)
    assert report.rows["first-turn"]["apgr"] > 0.5
    assert load_benchmark(str(two_turn_dir), STRONG, WEAK).name == "mt_bench"


def test_mt_bench_judge_filter_and_errors(two_turn_dir: Path) -> None:
    _write_jsonl(two_turn_dir / "model_judgment" / "claude_single.jsonl",
                 [{"question_id": 81, "model": STRONG, "judge": ["claude", "single-v1"], "score": 1, "turn": 1}])
    with pytest.raises(EvaluationError, match="several judges"):
        load_mt_bench(two_turn_dir, STRONG, WEAK)
    assert len(load_mt_bench(two_turn_dir, STRONG, WEAK, judge="gpt-4")) == 3
    with pytest.raises(EvaluationError, match="no scores for the strong model 'claude-2.1'"):
        load_mt_bench(two_turn_dir, "claude-2.1", WEAK, judge="gpt-4")


def test_empty_after_decontamination(two_turn_dir: Path) -> None:
    questions = [json.loads(line) for line in (two_turn_dir / "question.jsonl").read_text().splitlines()]
    _write_jsonl(two_turn_dir / "contaminated_prompts.jsonl", [{"eval_prompt": q["turns"][0]} for q in questions])
    with pytest.raises(EmptyBenchmarkError, match="no items left.*4 dropped as contaminated"):
        load_mt_bench(two_turn_dir, STRONG, WEAK)


def test_arena_bench_single_turn(data_dir: Path) -> None:
    items = load_benchmark("mt-bench", STRONG, "mistralai/Mixtral-8x7B-Instruct-v0.1", data_dir=data_dir / "arena_bench_v1")
    assert len(items) + items.dropped_unscored == 300 and len(items) > 280
    assert 8.5 < items.strong_mean < 9.2 and 6.2 < items.weak_mean < 6.9  # README: 8.87 / 6.54 over all rows


def test_user_outcomes_jsonl_csv_and_errors(tmp_path: Path) -> None:
    rows = [
        {"prompt": "p1", "model": STRONG, "score": 1, "cost": 0.03},
        {"prompt": "p1", "model": WEAK, "score": 0, "cost": 0.001},
        {"prompt": "p2", "model": STRONG, "score": 1, "cost": 0.01},
        {"prompt": "p2", "model": WEAK, "score": 1, "cost": 0.001},
        {"prompt": "p3", "model": WEAK, "score": 1},
    ]
    items = load_outcomes_file(_write_jsonl(tmp_path / "mine.jsonl", rows), STRONG, WEAK)
    assert items.prompts == ["p1", "p2"] and items.dropped_unscored == 1
    assert items.strong_cost == pytest.approx(0.02) and items.weak_cost == pytest.approx(0.001)
    report = evaluate_scores(items, {"r": np.array([0.9, 0.1])}, seeds=3)
    assert report.cost_basis == "mean USD per call from the data"

    csv_long = tmp_path / "mine.csv"
    csv_long.write_text("prompt,model,score,cost\np1,gpt-4-1106-preview,1,\np1,mixtral-8x7b-instruct-v0.1,0,\n"
                        "p2,gpt-4-1106-preview,1,\np2,mixtral-8x7b-instruct-v0.1,1,\n")
    assert load_benchmark(str(csv_long), STRONG, WEAK).strong_perf.tolist() == [1.0, 1.0]
    wide = tmp_path / "wide.csv"
    wide.write_text("prompt,gpt-4-1106-preview,mistralai/Mixtral-8x7B-Instruct-v0.1\nq1,True,False\nq2,True,True\n")
    assert load_benchmark(str(wide), STRONG, WEAK).weak_perf.tolist() == [0.0, 1.0]

    no_strong = _write_jsonl(tmp_path / "nostrong.jsonl", [r for r in rows if r["model"] != STRONG])
    with pytest.raises(EvaluationError, match="no scores for the strong model 'gpt-4-1106-preview'"):
        load_outcomes_file(no_strong, STRONG, WEAK)
    with pytest.raises(UnknownBenchmarkError, match="unknown benchmark 'hellaswag'"):
        load_benchmark("hellaswag", STRONG, WEAK)
    same = _write_jsonl(tmp_path / "same.jsonl", [{"prompt": "p", "model": m, "score": 1} for m in (STRONG, WEAK)])
    with pytest.raises(EvaluationError, match="same mean score"):
        load_outcomes_file(same, STRONG, WEAK)


def test_routellm_gsm8k_is_decontaminated(data_dir: Path) -> None:
    items = load_benchmark("gsm8k", STRONG, WEAK, data_dir=data_dir)
    assert items.dropped_contaminated > 0 and len(items) + items.dropped_contaminated == 1319
    assert items.strong_mean == pytest.approx(0.857, abs=0.01)
    small = items.sample(100, seed=3)
    assert len(small) == 100 and small.ids == items.sample(100, seed=3).ids


# --------------------------------------------------------------------------------------- cache


class CountingEmbedder:
    """Deterministic fake embedder that counts the texts it was asked to encode."""

    model_id = "test/counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts):  # noqa: ANN001, ANN201
        self.calls.extend(texts)
        rows = np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def truncated(self, texts):  # noqa: ANN001, ANN201
        return np.zeros(len(texts), dtype=bool)


def test_embedding_cache_roundtrip(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = EmbeddingCache(tmp_path, chunk_size=2)
    emb = DiskCachedEmbedder(inner, cache)
    texts = ["alpha", "beta", "gamma", "alpha", "delta"]
    first = emb.embed(texts)
    assert sorted(inner.calls) == ["alpha", "beta", "delta", "gamma"]  # duplicates embedded once
    np.testing.assert_array_equal(first, inner.embed(texts))
    inner.calls.clear()
    again = DiskCachedEmbedder(CountingEmbedder(), EmbeddingCache(tmp_path)).embed(["delta", "alpha"])
    np.testing.assert_array_equal(again, first[[4, 0]])
    folder = cache.directory(inner)
    index = json.loads((folder / "index.json").read_text())
    assert index["model_id"] == "test/counting" and len(index["keys"]) == 4
    assert all(np.load(folder / s, allow_pickle=False).dtype == np.float32 for s in index["shards"])
    # A corrupt shard is forgotten and its texts embedded again.
    (folder / index["shards"][0]).write_bytes(b"not a npy file")
    fresh = CountingEmbedder()
    redo = DiskCachedEmbedder(fresh, EmbeddingCache(tmp_path)).embed(texts)
    np.testing.assert_array_equal(redo, first)
    assert sorted(fresh.calls) == ["alpha", "beta"]


def test_cache_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINROUTE_CACHE", str(tmp_path / "c"))
    assert EmbeddingCache().root == tmp_path / "c"
    monkeypatch.delenv("WINROUTE_CACHE")
    assert EmbeddingCache().root == Path.home() / ".cache" / "winroute"  # never inside the repository


# --------------------------------------------------------------------------------------- protocols


def test_cross_fit_plan_never_scores_a_seen_item() -> None:
    prompts = [f"question {i}" for i in range(40)] + ["question 3", "Question  3 "]  # duplicates of item 3
    n = len(prompts)
    items = BenchmarkItems("x", prompts, np.r_[np.ones(20), np.zeros(n - 20)], np.zeros(n), strong=STRONG, weak=WEAK)
    plan = make_cross_fit_plan(items, k=4, seed=7, max_labels=10)
    assert plan.k == 4 and plan.seed == 7
    assert sorted(np.concatenate(plan.test).tolist()) == list(range(n))
    for test, labels in zip(plan.test, plan.labels):
        assert len(labels) <= 10 and not set(test) & set(labels)
        texts = {prompts[i].lower().split()[-1] for i in test}
        assert not texts & {prompts[i].lower().split()[-1] for i in labels}  # duplicates share a fold
    again = make_cross_fit_plan(items, k=4, seed=7, max_labels=10)
    assert all((a == b).all() for a, b in zip(plan.labels, again.labels))
    with pytest.raises(EvaluationError, match="k >= 2"):
        make_cross_fit_plan(items, k=1)


def test_in_domain_comparisons() -> None:
    items = items4()
    comps = in_domain_comparisons(items, [0, 1, 3], weight=2.0)
    assert [c.outcome for c in comps] == [1.0, 0.5, 0.5]
    assert {(c.model_a, c.model_b, c.source, c.weight) for c in comps} == {(STRONG, WEAK, "in_domain", 2.0)}


def test_balanced_in_domain_weight_by_hand() -> None:
    from core.data import Comparison
    from core.evaluation.protocols.pairwise import TrainingSet, resolve_in_domain_weight
    from core.recipes import PairwiseRecipe

    config = PairwiseRecipe(name="t", strong=STRONG, weak=WEAK, sources={"llmrouter": 1.0, "zeroeval": 0.5})
    comps = [Comparison("p", "x", "y", 1.0, "llmrouter"), Comparison("q", "x", "y", 0.0, "zeroeval", weight=2.0),
             Comparison("r", "x", "y", 0.5, "arena_bench_v1")]
    training = TrainingSet(comps, config, [])
    # total weight 1*1 + 2*0.5 + 1*1 (unlisted source -> 1) = 3; over 4 labels -> 0.75 each
    assert resolve_in_domain_weight("balanced", training, 4) == pytest.approx(0.75)
    assert resolve_in_domain_weight(30, training, 4) == 30.0
    with pytest.raises(EvaluationError, match="positive number or 'balanced'"):
        resolve_in_domain_weight("heavy", training, 4)
    with pytest.raises(EvaluationError, match="> 0"):
        resolve_in_domain_weight(0, training, 4)
