"""The leave-one-source-out yardstick and the difficulty recipe, on a small fixture in the upstream formats.

The fixture is written by the test (no ../shared/data needed): two ZeroEval tasks and an
arena-bench folder whose prompts are either hard (proofs, derivations: most models fail or score
low) or easy (greetings, one-word facts: every model gets them). A recipe that learns item
difficulty must rank the held-out source's hard prompts above its easy ones.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.data import DIFFICULTY_PAIR, Outcome, difficulty_comparisons, load_zeroeval
from core.evaluation.benchmarks.yardstick import YARDSTICK, llmrouter_family, load_source_items, record_group
from core.evaluation.harness.loso import evaluate_loso
from core.evaluation.harness.scores import evaluate_scores
from core.evaluation.protocols.loso import LOSO
from core.evaluation.reports.loso import LosoReport
from core.evaluation.reports.pairwise import LENGTH, ORACLE, RANDOM
from core.predictors import Predictor, RidgePredictor
from core.recipes import load_recipe, recipe_battles, run_recipe

HARD = [
    "Prove that there are infinitely many primes of the form 4k+3.",
    "Derive the closed form of the sum of k^3 for k from 1 to n and prove it by induction.",
    "Show that every continuous function on a closed interval is uniformly continuous.",
    "Prove that the square root of 2 is irrational, then generalise to any non-square integer.",
    "Compute the Galois group of x^4 - 2 over the rationals and justify each step.",
    "Prove the Cauchy-Schwarz inequality for inner product spaces.",
    "Find all integer solutions of x^2 - 7y^2 = 1 and prove there are infinitely many.",
    "Derive the Euler-Lagrange equation from the principle of stationary action.",
    "Prove that a group of order p^2 is abelian for any prime p.",
    "Evaluate the integral of exp(-x^2) over the real line and prove your method is valid.",
]
EASY = [
    "Say hello.", "What colour is the sky on a clear day?", "Write the word cat.", "What is 1 + 1?",
    "Name a fruit.", "Is water wet? Answer yes or no.", "Say good morning.", "Spell the word dog.",
    "What comes after Monday?", "Repeat the word apple.",
]
HARD_CHAT = [
    "Prove that the alternating group A5 is simple.",
    "Derive the Black-Scholes partial differential equation from a hedging argument.",
    "Prove Fermat's little theorem using group theory.",
    "Show that the real numbers are uncountable with a diagonal argument.",
    "Prove that every bounded monotone sequence of reals converges.",
    "Derive the formula for the volume of an n-dimensional ball.",
]
EASY_CHAT = ["Say hi.", "What is 2 + 2?", "Name a colour.", "Write the word sun.", "Say thank you.", "What day follows Friday?"]
SHARED = "Prove that the harmonic series diverges, with a rigorous argument."  # in two sources: decontamination


def _is_hard(text: str) -> bool:
    return text in HARD or text in HARD_CHAT or text == SHARED


STRONG_Z, MIXTRAL, GPT35 = "gpt-4-turbo-2024-04-09", "Mixtral-8x7B-Instruct-v0.1", "gpt-3.5-turbo-0125"


def _zeroeval(root: Path, task: str, field: str, models: list[str], prompts: list[str]) -> None:
    folder = root / "zeroeval" / task
    folder.mkdir(parents=True)
    for rank, model in enumerate(models):  # the first model is the strongest
        rows = []
        for i, text in enumerate(prompts):
            hard = _is_hard(text)
            correct = int(not hard or (rank == 0 and i % 2 == 0))
            rows.append({"session_id": str(i), "generator": model, "id": str(i), field: text, "answer": "x",
                         "correct": correct, "output_chars": 10})
        (folder / f"{model}.json").write_text(json.dumps(rows))


def _arena(root: Path, prompts: list[str]) -> None:
    folder = root / "arena_bench_v1"
    (folder / "model_judgment").mkdir(parents=True)
    (folder / "question.jsonl").write_text("".join(
        json.dumps({"question_id": i, "category": "x", "turns": [t]}) + "\n" for i, t in enumerate(prompts)))
    for model, skill in (("gpt-4-1106-preview", 9), ("mistralai/Mixtral-8x7B-Instruct-v0.1", 5), ("llama-13b", 2)):
        lines = []
        for i, text in enumerate(prompts):
            hard = _is_hard(text)
            lines.append(json.dumps({"question_id": i, "model": model, "score": skill if hard else 10}) + "\n")
        (folder / "model_judgment" / f"{model.split('/')[-1]}.jsonl").write_text("".join(lines))


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("loso-data")
    models = [STRONG_Z, MIXTRAL, GPT35, "gemma-2-2b-it"]
    _zeroeval(root, "crux", "question", models, HARD[:5] + EASY[:5] + [SHARED])
    _zeroeval(root, "math-l5", "problem", models, HARD[5:] + EASY[5:])
    _arena(root, HARD_CHAT + EASY_CHAT + [SHARED])
    return root


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("recipes") / "difficulty.toml"
    path.write_text(
        'name = "difficulty"\npredictor = "ridge"\nstrong = "gpt-4-1106-preview"\n'
        'weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"\nstrong_share = 0.5\n'
        "[sources]\narena_bench_v1 = 1.0\nzeroeval = 1.0\n"
        '[target]\nkind = "difficulty"\n[predictor_params]\nalpha = 1.0\n[decontaminate]\nbenchmarks = []\n'
    )
    return path


@pytest.fixture()
def env(fixture_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WINROUTE_DATA", str(fixture_data))
    monkeypatch.setenv("WINROUTE_CACHE", str(tmp_path / "cache"))
    return fixture_data


# ------------------------------------------------------------------------------ sources and pairs


def test_every_source_has_a_fixed_distinct_pair_and_a_reason() -> None:
    names = [s.name for s in YARDSTICK]
    assert len(names) == len(set(names)) == 12
    for s in YARDSTICK:
        assert s.strong != s.weak and s.why and s.traffic


def test_training_records_are_grouped_into_held_out_sources() -> None:
    assert record_group("routerbench_zs", "p", "mbpp_train:3:11") == "routerbench_mbpp"
    assert record_group("routerbench_zs", "p", "winograde_test:0:1") == "routerbench_winogrande"
    assert record_group("routerbench_zs", "p", "arc_challenge_train:0:1") == "routerbench_arc"
    assert record_group("zeroeval_crux", "p", "crux:1") == "zeroeval_crux"
    assert record_group("llmrouter", "Write a python function to reverse a list.") == "llmrouter_code"
    assert llmrouter_family("Tom pays 5 dollars for pears; how much change does he get from 20?") == "llmrouter_math"
    assert llmrouter_family("$x^2 = 4$, find x") == "llmrouter_math"
    assert llmrouter_family("Who wrote Hamlet?") == "llmrouter_other"


def test_source_items_use_the_fixed_pair(env: Path) -> None:
    crux = load_source_items("zeroeval_crux", env)
    assert (crux.strong, crux.weak) == ("gpt-4-turbo-2024-04-09", "mixtral-8x7b-instruct-v0.1")
    assert len(crux) == 11 and crux.strong_mean > crux.weak_mean
    math_items = load_source_items("zeroeval_math-l5", env)
    assert math_items.weak == "gpt-3.5-turbo-0125"
    arena = load_source_items("arena_bench_v1", env)
    assert (arena.strong, arena.weak) == ("gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1")
    np.testing.assert_allclose(sorted(set(arena.strong_perf)), [8 / 9, 1.0])


def test_zeroeval_importer_reads_items_and_rejects_bad_grades(env: Path, tmp_path: Path) -> None:
    outcomes = load_zeroeval(env / "zeroeval", "crux")
    assert {o.source for o in outcomes} == {"zeroeval_crux"} and len(outcomes) == 4 * 11
    assert all(o.prompt_id.startswith("crux:") for o in outcomes)
    bad = tmp_path / "crux"
    bad.mkdir()
    (bad / "m.json").write_text(json.dumps([{"id": 1, "question": "q", "correct": 2}]))
    with pytest.raises(ValueError, match="'correct' must be 0 or 1"):
        load_zeroeval(tmp_path, "crux")


# ------------------------------------------------------------------------------ difficulty target


def test_difficulty_is_one_minus_the_mean_score_and_rank_scales_within_source() -> None:
    outcomes = [
        Outcome("a", "m1", 1.0, source="s"), Outcome("a", "m2", 1.0, source="s"),
        Outcome("b", "m1", 1.0, source="s"), Outcome("b", "m2", 0.0, source="s"),
        Outcome("c", "m1", 0.0, source="s"), Outcome("c", "m2", 0.0, source="s"),
        Outcome("d", "m1", 0.5, source="t"),
    ]
    raw = {c.prompt: c.outcome for c in difficulty_comparisons(outcomes)}
    assert raw == {"a": 0.0, "b": 0.5, "c": 1.0}  # "d" has one model: below min_models
    assert all((c.model_a, c.model_b) == DIFFICULTY_PAIR for c in difficulty_comparisons(outcomes))
    assert {c.prompt: c.outcome for c in difficulty_comparisons(outcomes, min_models=1)}["d"] == 0.5
    ranked = {c.prompt: c.outcome for c in difficulty_comparisons(outcomes, min_models=1, scale="rank")}
    assert ranked == {"a": 0.0, "b": 0.5, "c": 1.0, "d": 0.0}
    with pytest.raises(ValueError, match="scale"):
        difficulty_comparisons(outcomes, scale="log")


def test_ridge_learns_difficulty_saves_and_refuses_other_pairs(env: Path, recipe: Path, tmp_path: Path) -> None:
    from core import SentenceTransformerEmbedder
    from core.training import pairwise_data

    config = load_recipe(recipe, kind="pairwise")
    comparisons, _ = recipe_battles(config, SentenceTransformerEmbedder(), data_dir=env)
    data = pairwise_data(comparisons, SentenceTransformerEmbedder())
    ridge = RidgePredictor(alpha=1.0).fit(data)
    hard, easy = DIFFICULTY_PAIR
    p = ridge.predict(data.queries, hard, easy)
    is_hard = np.array([_is_hard(t) for t in data.queries.texts])
    assert p[is_hard].min() > p[~is_hard].max()  # separable fixture: every hard prompt above every easy one
    np.testing.assert_allclose(ridge.predict(data.queries, easy, hard), 1 - p)
    with pytest.raises(Exception, match="unknown"):
        ridge.predict(data.queries, "gpt-4", easy)
    ridge.save(tmp_path / "r")
    np.testing.assert_allclose(Predictor.load(tmp_path / "r").predict(data.queries, hard, easy), p, rtol=1e-5)
    from core.training import pairwise_data as pw

    many = pw(difficulty_comparisons(load_zeroeval(env / "zeroeval")), SentenceTransformerEmbedder())
    many.model_b[0] = many.models.index(hard)  # a second pair sneaks in
    many.models.append("third")
    many.model_a[0] = len(many.models) - 1
    with pytest.raises(ValueError, match="one model pair"):
        RidgePredictor().fit(many)


def test_recipe_targets_and_a_routellm_clash_are_validated(tmp_path: Path, recipe: Path) -> None:
    assert load_recipe(recipe, kind="pairwise").target == "difficulty"
    bad = tmp_path / "bad.toml"
    bad.write_text(recipe.read_text().replace('kind = "difficulty"', 'kind = "vibes"'))
    with pytest.raises(ValueError, match="unknown target 'vibes'"):
        load_recipe(bad)
    clash = tmp_path / "clash.toml"
    clash.write_text(recipe.read_text().replace("zeroeval = 1.0", "routellm = 1.0").replace("benchmarks = []", 'benchmarks = ["gsm8k"]'))
    with pytest.raises(ValueError, match="routellm source is RouteLLM's gsm8k"):
        load_recipe(clash)


def test_difficulty_recipe_trains_a_router_that_routes(env: Path, recipe: Path, tmp_path: Path) -> None:
    from core import load_router

    run_recipe(load_recipe(recipe), data_dir=env, out=tmp_path / "router")
    router = load_router(tmp_path / "router")
    assert router.predictor.kind == "ridge" and router.predictor_models == dict(zip(
        ("gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1"), DIFFICULTY_PAIR))
    hard = router.route("Prove that every finite integral domain is a field.")
    easy = router.route("Say hi.")
    assert hard.scores[router.strong] > easy.scores[router.strong]


# ------------------------------------------------------------------------------ the protocol


def test_loso_folds_exclude_the_held_out_source_and_decontaminate(env: Path, recipe: Path) -> None:
    report = evaluate_loso([recipe], sources=["arena_bench_v1", "zeroeval_crux"], data_dir=env, seeds=10, verbose=False)
    assert [s.name for s, _, _ in report.folds] == ["arena_bench_v1", "zeroeval_crux"]
    (_, arena, arena_runs), (_, crux, crux_runs) = report.folds
    # holding out arena: only ZeroEval's 21 prompts train, minus the shared one found by decontamination
    assert arena_runs[0].battles == 21 - 1 and arena_runs[0].dropped == 1
    # holding out crux: arena (13) + math-l5 (10) train, minus the shared prompt that is also in crux
    assert crux_runs[0].battles == 13 + 10 - 1 and crux_runs[0].dropped == 1
    for rep in (arena, crux):
        assert rep.protocol == LOSO and set(rep.rows) == {"difficulty", LENGTH, RANDOM, ORACLE}
        assert rep.rows["difficulty"]["apgr"] > rep.rows[RANDOM]["apgr"]  # the planted difficulty transfers


def test_loso_summary_is_the_macro_mean_and_the_worst_source(env: Path) -> None:
    items = load_source_items("zeroeval_crux", env)
    good = np.array([1.0 if _is_hard(t) else 0.0 for t in items.prompts])
    rep_a = evaluate_scores(items, {"r": good}, seeds=5, protocol=LOSO)
    rep_b = evaluate_scores(items, {"r": 1 - good}, seeds=5, protocol=LOSO)
    src = YARDSTICK[0]
    report = LosoReport(["r"], [(src, rep_a, []), (YARDSTICK[1], rep_b, [])])
    summ = report.summary()["r"]
    a, b = rep_a.rows["r"]["apgr"], rep_b.rows["r"]["apgr"]
    assert a > 0.5 > b
    assert math.isclose(summ["mean"], (a + b) / 2) and summ["worst"] == b and summ["worst_source"] == YARDSTICK[1].name
    assert summ["above_random"] == 1
    assert "macro mean" in report.table()


def test_loso_cli_writes_the_report(env: Path, recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "--protocol", "leave-one-source-out", "--recipes", str(recipe),
                 "--sources", "zeroeval_math-l5", "--seeds", "5", "--out", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "zeroeval_math-l5" in out and "macro mean" in out
    saved = json.loads((tmp_path / "out" / "loso.json").read_text())
    assert saved["protocol"] == LOSO and saved["folds"][0]["weak"] == "gpt-3.5-turbo-0125"
    assert (tmp_path / "out" / "loso.png").stat().st_size > 0
    assert (tmp_path / "out" / "loso_apgr.csv").read_text().count("zeroeval_math-l5") == 4
    assert main(["evaluate", "--protocol", "leave-one-source-out", "--recipes", str(recipe), "--sources", "nope"]) != 0
    assert "unknown yardstick source 'nope'" in capsys.readouterr().err
