"""Adapting a router to the user's traffic (issue 8): inspect, select, adapt, label-efficiency curves.

Real data throughout: RouteLLM's GSM8K / MMLU files stand in for the user's prompts and labels
(strong-vs-weak correctness as comparisons), the bundled default router is the base, and a small
router trained on arena_bench_v1 checks what training stores.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core import load_router
from core.adaptation import (
    ACTIVE,
    RANDOM,
    AdaptationError,
    MissingSketchError,
    PromptSketch,
    adapt_router,
    build_sketch,
    inspect_prompts,
    label_efficiency,
    load_comparisons,
    recommend_labels,
    select_indices,
    select_prompts,
    uncertainty,
)
from core.adaptation.inspection import CLOSE_COSINE, STATIC_CLOSE_COSINE, close_cosine
from core.cli import main
from core.data.records import Comparison
from core.errors import ArtifactError, UnknownModelError
from core.evaluation.benchmarks.pairwise import load_routellm_benchmark
from core.predictors import AdaptedPredictor, Queries

STRONG, WEAK = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def gsm8k(data_dir: Path):  # noqa: ANN201
    """240 GSM8K items (seeded subsample): the user's labelled traffic."""
    return load_routellm_benchmark("gsm8k", STRONG, WEAK, data_dir).sample(240, seed=1)


@pytest.fixture(scope="module")
def mmlu(data_dir: Path):  # noqa: ANN201
    return load_routellm_benchmark("mmlu", STRONG, WEAK, data_dir).sample(60, seed=1)


@pytest.fixture(scope="module")
def routerbench_prompts(data_dir: Path) -> list[str]:
    """Prompts of routerbench_zs's train split: part of the default router's training data."""
    from core.data import load_training_sources

    outcomes = load_training_sources(data_dir, ["routerbench_zs"], derive_comparisons=False).outcomes
    prompts = list(dict.fromkeys(o.prompt for o in outcomes))
    return [prompts[i] for i in np.random.default_rng(0).choice(len(prompts), 40, replace=False)]


@pytest.fixture(scope="module")
def arena_prompts(data_dir: Path) -> list[str]:
    from core.data import load_fastchat

    return list(dict.fromkeys(o.prompt for o in load_fastchat(data_dir / "arena_bench_v1", source="arena")))


@pytest.fixture(scope="module")
def base():  # noqa: ANN201
    """A private copy of the bundled router (tests may change its threshold)."""
    return load_router()


@pytest.fixture(scope="module")
def gsm8k_queries(base, gsm8k) -> Queries:  # noqa: ANN001
    return base.encode(gsm8k.prompts)


def _labels(items, index) -> list[Comparison]:  # noqa: ANN001
    """The strong-vs-weak outcome of each item as a comparison (what `winroute label --golden` yields)."""
    out = []
    for i in index:
        s, w = items.strong_perf[i], items.weak_perf[i]
        out.append(Comparison(items.prompts[i], STRONG, WEAK, 1.0 if s > w else 0.0 if s < w else 0.5, "gsm8k"))
    return out


def _write_labels(path: Path, comparisons: list[Comparison]) -> Path:
    path.write_text("".join(json.dumps({"prompt": c.prompt, "model_a": c.model_a, "model_b": c.model_b,
                                        "outcome": c.outcome}) + "\n" for c in comparisons))
    return path


# ------------------------------------------------------------------------------- sketch, inspect


def test_training_stores_a_checksummed_sketch(arena_comparisons, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    from core.training import train_router

    router = train_router(arena_comparisons, predictor="random", strong="gpt-4-1106-preview", weak="llama-13b",
                          embedder=embedder)
    sketch = PromptSketch.from_router(router)
    n_prompts = len({c.prompt for c in arena_comparisons})
    assert sketch.exact and sketch.n_prompts == n_prompts  # <= 512 prompts: stored whole
    assert router.metadata["prompt_sketch"]["n_prompts"] == n_prompts
    router.save(tmp_path / "r")
    loaded = load_router(tmp_path / "r", embedder=embedder)
    np.testing.assert_array_equal(loaded.prompt_sketch["centroids"], router.prompt_sketch["centroids"])
    np.testing.assert_array_equal(loaded.reference_scores, router.reference_scores)
    blob = bytearray((tmp_path / "r" / "router.safetensors").read_bytes())
    blob[-3] ^= 0xFF
    (tmp_path / "r" / "router.safetensors").write_bytes(bytes(blob))
    with pytest.raises(ArtifactError, match="corrupt or was modified"):
        load_router(tmp_path / "r", embedder=embedder)


def test_build_sketch_clusters_large_sets(gsm8k_queries: Queries) -> None:
    sketch = build_sketch(gsm8k_queries.embeddings, k=16, seed=0)
    assert len(sketch.counts) <= 16 and sketch.n_prompts == len(gsm8k_queries) and not sketch.exact
    assert sketch.centroids.dtype == np.float16
    np.testing.assert_allclose(np.linalg.norm(sketch.vectors(), axis=1), 1.0, atol=1e-3)
    again = build_sketch(gsm8k_queries.embeddings, k=16, seed=0)
    np.testing.assert_array_equal(sketch.centroids, again.centroids)


def test_bundled_router_has_a_sketch_of_its_training_prompts(base) -> None:  # noqa: ANN001
    sketch = PromptSketch.from_router(base)
    assert sketch.n_prompts == base.metadata["n_prompts"] and len(sketch.counts) == 512
    assert sketch.centroids.nbytes <= 400 * 1024


def test_inspect_in_domain_vs_out_of_domain(base, routerbench_prompts, mmlu) -> None:  # noqa: ANN001
    # routerbench_zs (train split) is part of the default router's training data; MMLU is not
    inside = inspect_prompts(base, routerbench_prompts)
    outside = inspect_prompts(base, mmlu.prompts[:40])
    assert inside.similarity > outside.similarity + 0.1
    assert inside.share_far < 0.2 < 0.75 < outside.share_far
    # the cutoff is on the scale of the router's embedder (the bundled one is a static table)
    assert outside.cutoff == close_cosine(base) == STATIC_CLOSE_COSINE
    assert outside.recommended_labels == 40  # never more than the prompts given
    assert recommend_labels(outside.share_far, 10_000) > recommend_labels(inside.share_far, 10_000)
    assert "label about" in outside.recommendation and "out of domain" in outside.recommendation
    assert "no close neighbour" in outside.text() and f"nearest cosine < {STATIC_CLOSE_COSINE:g}" in outside.text()


def test_inspect_cutoff_follows_the_embedder(embedder, routerbench_prompts, mmlu) -> None:  # noqa: ANN001
    """MiniLM's cosines run lower than a static table's: the same prompts with a MiniLM router use 0.6."""
    from core.training import train_router

    router = train_router(
        [Comparison(p, "gpt-4-1106-preview", "llama-13b", 1.0, "arena_bench_v1") for p in routerbench_prompts[:30]],
        predictor="random", strong="gpt-4-1106-preview", weak="llama-13b", embedder=embedder,
    )
    assert close_cosine(router) == CLOSE_COSINE == 0.6
    report = inspect_prompts(router, mmlu.prompts[:20])
    assert report.cutoff == 0.6 and "nearest cosine < 0.6" in report.text()
    assert inspect_prompts(router, mmlu.prompts[:20], cutoff=0.9).share_far >= report.share_far


def test_inspect_exact_sketch_finds_its_own_prompts(arena_comparisons, embedder, gsm8k) -> None:  # noqa: ANN001
    from core.training import train_router

    router = train_router(arena_comparisons, predictor="random", strong="gpt-4-1106-preview", weak="llama-13b",
                          embedder=embedder)
    prompts = list(dict.fromkeys(c.prompt for c in arena_comparisons))[:20]
    same = inspect_prompts(router, prompts)
    assert same.similarity == pytest.approx(1.0, abs=2e-3) and same.share_far == 0.0 and same.sketch_exact
    other = inspect_prompts(router, gsm8k.prompts[:20])
    assert other.similarity < 0.8


def test_inspect_bad_input(base, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    with pytest.raises(AdaptationError, match="no prompts"):
        inspect_prompts(base, [])
    with pytest.raises(AdaptationError, match="no prompts"):
        inspect_prompts(base, ["  ", ""])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    assert main(["inspect", str(empty)]) == 2
    assert "holds no prompts" in capsys.readouterr().err


def test_inspect_old_artifact_without_sketch(base, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    old = load_router()
    old.prompt_sketch = None  # as saved before winroute kept a sketch
    old.save(tmp_path / "old")
    loaded = load_router(tmp_path / "old", embedder=base.embedder)
    assert loaded.prompt_sketch is None and loaded.score_texts(["hi"]).shape == (1,)  # still routes
    with pytest.raises(MissingSketchError, match="winroute sketch"):
        inspect_prompts(loaded, ["What is 2 + 2?"])
    prompts = tmp_path / "p.txt"
    prompts.write_text("What is 2 + 2?\n")
    assert main(["inspect", str(prompts), "--router", str(tmp_path / "old")]) == 2
    assert "no training-prompt sketch" in capsys.readouterr().err


def test_inspect_cli(tmp_path: Path, mmlu, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in mmlu.prompts[:10]))
    assert main(["inspect", str(prompts), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_prompts"] == 10 and 0 <= report["share_far"] <= 1 and "label about" in report["recommendation"]


# -------------------------------------------------------------------------------------- select


def test_uncertainty_peaks_at_the_threshold_rank() -> None:
    u = uncertainty(np.array([0.1, 0.2, 0.3, 0.4, 0.5]), quantile=0.5)
    assert u.argmax() == 2 and u[0] < u[1] < u[2] and u[4] < u[3] < u[2]


def test_selection_is_deterministic_and_diverse(embedder, gsm8k, mmlu, arena_prompts) -> None:  # noqa: ANN001
    topics = [gsm8k.prompts[:20], mmlu.prompts[:20], arena_prompts[:20]]
    pool = [p for t in topics for p in t]
    topic = np.repeat(np.arange(3), 20)
    emb = embedder.embed(pool)  # MiniLM: the algorithm's diversity is checked where topics separate clearly
    scores = np.random.default_rng(0).uniform(size=len(pool))
    first = select_indices(emb, scores, 6, seed=3)
    assert np.array_equal(first, select_indices(emb, scores, 6, seed=3))
    assert len(set(first.tolist())) == 6 and len(set(topic[first])) >= 2

    def coverage(picks: np.ndarray) -> float:  # mean similarity of each pool prompt to its nearest pick
        return float((emb @ emb[picks].T).max(axis=1).mean())

    rng = np.random.default_rng(1)
    random_cover = np.mean([coverage(rng.choice(len(pool), 6, replace=False)) for _ in range(30)])
    assert coverage(first) > random_cover  # diverse: the picks stand for more of the pool than random ones
    u = uncertainty(scores)
    assert u[first].mean() > u.mean()  # and lean to prompts scored near the threshold


def test_selection_prefers_the_uncertain_copy(base, gsm8k) -> None:  # noqa: ANN001
    emb = base.encode(gsm8k.prompts[:30]).embeddings
    twice = np.concatenate([emb, emb])  # each prompt twice: same place in embedding space
    scores = np.concatenate([np.linspace(0.45, 0.55, 30), np.r_[np.linspace(0.0, 0.1, 15), np.linspace(0.9, 1.0, 15)]])
    picks = select_indices(twice, scores, 8, quantile=0.5, seed=0)
    assert (picks < 30).all()  # always the copy scored near the threshold


def test_selection_prefers_the_copy_of_typical_length(base, gsm8k) -> None:  # noqa: ANN001
    emb = base.encode(gsm8k.prompts[:30]).embeddings
    twice = np.concatenate([emb, emb])  # same place in embedding space, same score: only the length differs
    scores = np.full(60, 0.5)
    lengths = np.r_[np.full(30, 5.0), np.r_[np.full(15, 1.0), np.full(15, 9.0)]]  # the pool's median is 5
    picks = select_indices(twice, scores, 8, quantile=0.5, seed=0, lengths=lengths)
    assert (picks < 30).all()
    swapped = np.r_[lengths[30:], lengths[:30]]  # now the second copies are the typical ones
    assert (select_indices(twice, scores, 8, quantile=0.5, seed=0, lengths=swapped) >= 30).all()
    with pytest.raises(AdaptationError, match="lengths"):
        select_indices(twice, scores, 8, lengths=lengths[:10])

def test_select_prompts_excludes_labelled_and_covers_new_ground(base, gsm8k, mmlu) -> None:  # noqa: ANN001
    pool = gsm8k.prompts[:30] + mmlu.prompts[:30]
    is_gsm8k = np.r_[np.ones(30, bool), np.zeros(30, bool)]
    plain = select_prompts(base, pool, 6, seed=0, strategy="active")
    labelled = gsm8k.prompts[:30:2]  # half the math problems are labelled already
    covered = select_prompts(base, pool, 6, exclude=labelled, seed=0, strategy="active")
    assert not set(covered.prompts) & set(labelled)
    assert covered.n_excluded == len(labelled)
    assert is_gsm8k[covered.indices].sum() <= is_gsm8k[plain.indices].sum()
    again = select_prompts(base, pool, 6, exclude=labelled, seed=0, strategy="active")
    assert again.prompts == covered.prompts
    rec = covered.records()[0]
    assert set(rec) == {"prompt", "index", "score", "uncertainty", "typical_length"} and pool[rec["index"]] == rec["prompt"]
    assert 0.0 <= rec["typical_length"] <= 1.0


def test_select_defaults_to_a_seeded_random_sample(base, gsm8k) -> None:  # noqa: ANN001
    pool = gsm8k.prompts[:40]
    labelled = pool[:10]
    first = select_prompts(base, pool, 8, exclude=labelled, seed=3)
    assert first.prompts == select_prompts(base, pool, 8, exclude=labelled, seed=3).prompts  # seeded
    assert first.prompts != select_prompts(base, pool, 8, exclude=labelled, seed=4).prompts
    assert not set(first.prompts) & set(labelled) and len(set(first.prompts)) == 8
    assert first.prompts != select_prompts(base, pool, 8, exclude=labelled, seed=3, strategy="active").prompts
    with pytest.raises(AdaptationError, match="unknown selection strategy"):
        select_prompts(base, pool, 8, strategy="smart")


def test_select_cli_and_bad_input(base, gsm8k, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    pool = tmp_path / "pool.txt"
    pool.write_text("\n".join(p.replace("\n", " ") for p in gsm8k.prompts[:25]) + "\n")
    labels = _write_labels(tmp_path / "labels.jsonl", _labels(gsm8k, range(5)))
    out = tmp_path / "picks.jsonl"
    assert main(["select", str(pool), "--k", "4", "--out", str(out), "--exclude", str(labels)]) == 0
    picks = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(picks) == 4 and "selected 4" in capsys.readouterr().out
    assert not {p["prompt"] for p in picks} & {c.prompt.replace("\n", " ") for c in _labels(gsm8k, range(5))}
    with pytest.raises(AdaptationError, match="no prompts"):
        select_prompts(base, [], 3)
    with pytest.raises(AdaptationError, match="already labeled"):
        select_prompts(base, ["a question"], 1, exclude=["a question"])
    few = select_prompts(base, gsm8k.prompts[:3], 10)
    assert len(few.prompts) == 3 and few.notes


# --------------------------------------------------------------------------------------- adapt


def test_adapt_end_to_end(base, gsm8k, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    labels = _labels(gsm8k, range(160))
    path = _write_labels(tmp_path / "labels.jsonl", labels)
    assert main(["adapt", "--base", "default", "--labels", str(path), "--out", str(tmp_path / "adapted")]) == 0
    assert "adapted" in capsys.readouterr().out
    router = load_router(tmp_path / "adapted", embedder=base.embedder)
    assert router.predictor.kind == "adapted" and isinstance(router.predictor, AdaptedPredictor)
    assert (router.strong, router.weak) == (base.strong, base.weak)
    assert router.metadata["adaptation"]["n_labels"] == 160 and "recipe" not in router.metadata
    # predictions move toward the labels: strong-win prompts score higher than weak-win ones, more than before
    prompts = [c.prompt for c in labels]
    outcome = np.array([c.outcome for c in labels])
    new, old = router.score_texts(prompts), base.score_texts(prompts)
    gap_new = new[outcome == 1].mean() - new[outcome == 0].mean()
    gap_old = old[outcome == 1].mean() - old[outcome == 0].mean()
    assert gap_new > gap_old + 0.01
    # a normal router: routes, calibrated threshold near 50% strong on the labelled prompts
    decision = router.route(gsm8k.prompts[200])
    assert decision.route in ("strong", "weak") and 0 <= decision.score <= 1
    assert 0.35 <= np.mean(np.asarray(router.reference_scores) >= router.threshold) <= 0.65
    # its sketch now covers the labelled prompts too, so inspect sees them as close
    assert inspect_prompts(router, prompts[:20]).similarity > 0.9


def test_adapt_api_calibrates_on_a_pool_and_round_trips(base, gsm8k, tmp_path: Path) -> None:  # noqa: ANN001
    labels = _labels(gsm8k, range(80))
    pool = gsm8k.prompts[80:200]
    router = adapt_router(base, labels, calibration_prompts=pool, strong_share=0.3)
    assert np.mean(router.score_texts(pool) >= router.threshold) == pytest.approx(0.3, abs=0.02)
    router.save(tmp_path / "a")
    loaded = load_router(tmp_path / "a", embedder=base.embedder)
    np.testing.assert_allclose(loaded.score_texts(pool[:10]), router.score_texts(pool[:10]))
    assert loaded.threshold == router.threshold
    # adapting an adapted router replaces its in-domain part (one base underneath)
    again = adapt_router(loaded, _labels(gsm8k, range(80, 120)))
    assert again.predictor.base_.kind == base.predictor.kind and len(again.predictor.label_residuals_) == 40


def test_adapt_reversed_and_named_pairs_agree(base, gsm8k) -> None:  # noqa: ANN001
    labels = _labels(gsm8k, range(60))
    flipped = [Comparison(c.prompt, c.model_b, c.model_a, 1.0 - c.outcome) for c in labels]
    named = [Comparison(c.prompt, "strong", "weak", c.outcome) for c in labels]
    scores = [adapt_router(base, ls).score_texts(gsm8k.prompts[100:110]) for ls in (labels, flipped, named)]
    np.testing.assert_allclose(scores[0], scores[1])
    np.testing.assert_allclose(scores[0], scores[2])


def test_adapt_bad_labels(base, gsm8k, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    unknown = [Comparison(gsm8k.prompts[0], "gpt-5-ultra", WEAK, 1.0), Comparison(gsm8k.prompts[1], STRONG, "llama-9", 0.0)]
    with pytest.raises(UnknownModelError, match="never seen.*gpt-5-ultra.*llama-9"):
        adapt_router(base, unknown)
    path = _write_labels(tmp_path / "unknown.jsonl", unknown)
    assert main(["adapt", "--labels", str(path), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "gpt-5-ultra" in err and "never seen" in err and not (tmp_path / "x").exists()
    with pytest.raises(AdaptationError, match="both the router's strong"):
        adapt_router(base, [Comparison(gsm8k.prompts[0], STRONG, "strong", 1.0)])
    with pytest.raises(AdaptationError, match="no labels"):
        adapt_router(base, [])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert main(["adapt", "--labels", str(empty), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "empty.jsonl" in err and ("no labels" in err or "no comparisons" in err)
    golden = tmp_path / "golden.jsonl"  # per-model outcomes (`winroute label --golden`) of models it never saw
    golden.write_text("".join(json.dumps({"prompt": "2+2?", "model": m, "score": s}) + "\n"
                              for m, s in (("gpt-5-ultra", 1.0), ("llama-9", 0.0))))
    with pytest.raises(UnknownModelError, match="gpt-5-ultra"):
        adapt_router(base, load_comparisons(golden, strong=base.strong, weak=base.weak))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "p", "model_a": STRONG, "model_b": WEAK, "outcome": 3}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl"):
        load_comparisons(bad)


def test_adapted_predictor_needs_a_base(gsm8k_queries: Queries) -> None:
    from core.predictors import PairwiseData

    data = PairwiseData(gsm8k_queries, ["tier-1", "tier-3"], np.arange(3), np.zeros(3, int), np.ones(3, int),
                        np.array([1.0, 0.0, 0.5]), np.ones(3))
    with pytest.raises(ValueError, match="with_base"):
        AdaptedPredictor(strong="tier-1", weak="tier-3").fit(data)


# ------------------------------------------------------------------------- label-efficiency curve


def test_label_efficiency_cross_fits_and_selects_only_from_training_folds(base, gsm8k, gsm8k_queries) -> None:  # noqa: ANN001
    names = {m: base.predictor_models.get(m, m) for m in (gsm8k.strong, gsm8k.weak)}
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def spy(items, queries, lookup, predictor, names_, labels, test, params):  # noqa: ANN001, ANN202
        from core.adaptation.curves import _fit_scores

        seen.append((labels, test))
        return _fit_scores(items, queries, lookup, predictor, names_, labels, test, params)

    res = label_efficiency(gsm8k, gsm8k_queries, base.predictor, names=names, threshold=base.threshold,
                           budgets=(20, 60), k=3, repeats=2, progress=False, fit_scores=spy)
    assert len(seen) == 2 * 2 * 2 * 3
    for labels, test in seen:
        assert not np.intersect1d(labels, test).size and len(labels) in (20, 60)
    assert {(p.strategy, p.budget) for p in res.points} == {(s, b) for s in (ACTIVE, RANDOM) for b in (20, 60)}
    for p in res.points:
        assert 0.0 < p.apgr < 1.5 and np.isfinite(p.apgr_sd) and p.repeats == 2
    scores = res.scores[(ACTIVE, 60)]
    assert scores.shape == (len(gsm8k),) and np.isfinite(scores).all()
    again = label_efficiency(gsm8k, gsm8k_queries, base.predictor, names=names, threshold=base.threshold,
                             budgets=(20,), strategies=(ACTIVE,), k=3, repeats=1, progress=False)
    np.testing.assert_array_equal(again.scores[(ACTIVE, 20)], res.scores[(ACTIVE, 20)])



def test_label_efficiency_select_scores_drive_the_active_picks(base, gsm8k, gsm8k_queries) -> None:  # noqa: ANN001
    """Another router's scores choose the labels; the base's own scores give the same curve as no override."""
    from core.adaptation.selection import log_length, select_indices, threshold_quantile

    names = {m: base.predictor_models.get(m, m) for m in (gsm8k.strong, gsm8k.weak)}
    picked: list[np.ndarray] = []

    def spy(items, queries, lookup, predictor, names_, labels, test, params):  # noqa: ANN001, ANN202
        from core.adaptation.curves import _fit_scores

        picked.append(labels)
        return _fit_scores(items, queries, lookup, predictor, names_, labels, test, params)

    other = np.random.default_rng(0).uniform(size=len(gsm8k))  # another "router's" scores
    kw = dict(names=names, budgets=(20,), strategies=(ACTIVE,), k=3, repeats=1, progress=False)
    first: dict[bool, np.ndarray] = {}
    for typical in (True, False):  # False: the ablation without selection's typical-length term
        picked.clear()
        res = label_efficiency(gsm8k, gsm8k_queries, base.predictor, threshold=None, select_scores=other,
                               typical_length=typical, fit_scores=spy, **kw)
        assert res.plan is not None
        for f, (labels, pool) in enumerate(zip(picked, res.plan.labels)):
            want = select_indices(gsm8k_queries.embeddings[pool], other[pool], 20,
                                  quantile=threshold_quantile(other[pool], None), seed=f,
                                  lengths=log_length(gsm8k_queries)[pool] if typical else None)
            np.testing.assert_array_equal(labels, pool[np.sort(want)])
        first[typical] = picked[0]
    assert not np.array_equal(first[True], first[False])
    own = base.predictor.predict(gsm8k_queries, names[gsm8k.strong], names[gsm8k.weak])
    same = label_efficiency(gsm8k, gsm8k_queries, base.predictor, threshold=base.threshold, select_scores=own, **kw)
    plain = label_efficiency(gsm8k, gsm8k_queries, base.predictor, threshold=base.threshold, **kw)
    np.testing.assert_array_equal(same.scores[(ACTIVE, 20)], plain.scores[(ACTIVE, 20)])
    with pytest.raises(ValueError, match="select_scores"):
        label_efficiency(gsm8k, gsm8k_queries, base.predictor, select_scores=other[:5], **kw)

def test_golden_outcome_labels_adapt(base, gsm8k, tmp_path: Path) -> None:  # noqa: ANN001
    """Per-model golden outcomes (what `winroute label --golden` writes) become strong-vs-weak battles."""
    rows = []
    for i in range(40):
        rows.append({"prompt": gsm8k.prompts[i], "model": STRONG, "score": float(gsm8k.strong_perf[i])})
        rows.append({"prompt": gsm8k.prompts[i], "model": WEAK, "score": float(gsm8k.weak_perf[i])})
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    labels = load_comparisons(path, strong=base.strong, weak=base.weak)
    router = adapt_router(base, labels)
    assert router.metadata["adaptation"]["n_prompts"] == 40
    direct = adapt_router(base, _labels(gsm8k, range(40)))
    np.testing.assert_allclose(router.score_texts(gsm8k.prompts[50:55]), direct.score_texts(gsm8k.prompts[50:55]))


def test_adapt_to_your_own_model_pair(base, gsm8k, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    """Labels between the user's own models: --strong/--weak say which plays which role."""
    labels = [Comparison(c.prompt, "my-big-model", "my-small-model", c.outcome) for c in _labels(gsm8k, range(60))]
    with pytest.raises(UnknownModelError, match="--strong MODEL --weak MODEL"):
        adapt_router(base, labels)
    router = adapt_router(base, labels, strong="my-big-model", weak="my-small-model")
    assert router.models == ("my-big-model", "my-small-model")
    assert router.route(gsm8k.prompts[100]).model in router.models
    same = adapt_router(base, _labels(gsm8k, range(60)))
    np.testing.assert_allclose(router.score_texts(gsm8k.prompts[100:105]), same.score_texts(gsm8k.prompts[100:105]))
    path = _write_labels(tmp_path / "own.jsonl", labels)
    out = tmp_path / "own"
    assert main(["adapt", "--labels", str(path), "--out", str(out), "--strong", "my-big-model",
                 "--weak", "my-small-model"]) == 0
    assert load_router(out, embedder=base.embedder).strong == "my-big-model"
