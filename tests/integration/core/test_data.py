"""Data layer: importers on the real upstream files, model-name crosswalk, battles, decontamination."""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from core.data import (
    Comparison,
    DataFormatError,
    DataNotFoundError,
    ModelInfo,
    Outcome,
    canonical_model,
    decontaminate,
    load_alpaca_eval,
    load_contaminated_prompts,
    load_eval_prompts,
    load_fastchat,
    load_fastchat_questions,
    load_llmrouter,
    load_llmrouter_prices,
    load_price_catalog,
    load_routellm_eval,
    load_routerbench,
    load_training_sources,
    model_tiers,
    normalize_prompt,
    outcomes_to_comparisons,
    resolve_data_dir,
)
from core.data.decontaminate import _SubstringIndex


@pytest.fixture(scope="module")
def data_root(data_dir: Path) -> Path:
    """The shared data (tests/conftest.py: skips when WINROUTE_DATA is missing)."""
    return data_dir


def _mean_by_model(outcomes: list[Outcome]) -> dict[str, float]:
    by: dict[str, list[float]] = defaultdict(list)
    for o in outcomes:
        by[o.model].append(o.score)
    return {m: statistics.mean(v) for m, v in by.items()}


# ---------------------------------------------------------------------------- real-data fixtures


@pytest.fixture(scope="module")
def gsm8k(data_root: Path) -> list[Outcome]:
    return load_routellm_eval(data_root / "routellm" / "gsm8k" / "gsm8k_responses.csv")


@pytest.fixture(scope="module")
def mmlu(data_root: Path) -> list[Outcome]:
    return load_routellm_eval(data_root / "routellm" / "mmlu" / "responses")


@pytest.fixture(scope="module")
def llmrouter_train(data_root: Path) -> list[Outcome]:
    return load_llmrouter(data_root / "llmrouter" / "dcrouter_preprocessed" / "train.json")


# ---------------------------------------------------------------------------- model names

MERGES = [
    ("gpt-4-1106-preview", ["gpt4_1106_preview", "gpt-4-1106-preview", "gpt-4-turbo", "GPT-4-1106-Preview@openai"]),
    (
        "mixtral-8x7b-instruct-v0.1",
        ["mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b-instruct-v0.1", "mistralai/mixtral-8x7b-chat"],
    ),
    ("llama-2-70b-chat", ["meta/llama-2-70b-chat", "Llama-2-70b-chat", "llama-2-70b-chat-hf"]),
    ("claude-1", ["claude", "claude-v1", "claude-1"]),
    ("claude-2.0", ["claude-v2", "claude-2", "claude-2.0"]),
    ("claude-instant-1", ["claude-instant-v1", "claude-instant-1"]),
    ("codellama-34b-instruct", ["meta/code-llama-instruct-34b-chat", "codellama-34b-instruct"]),
    ("yi-34b-chat", ["zero-one-ai/Yi-34B-Chat", "Yi-34B-Chat", "yi-34b-chat"]),
    ("gpt-4-0314", ["gpt4_0314", "gpt-4-0314"]),
    ("openchat-3.5", ["openchat_3.5", "openchat-3.5"]),
    ("llama-3-70b-instruct", ["llama-3-70b-instruct", "llama3-70b-instruct"]),
    ("openhermes-2.5-mistral-7b", ["OpenHermes-2.5-Mistral-7B", "openhermes-2.5-mistral-7b"]),
    ("qwen-14b-chat", ["Qwen-14B-Chat", "qwen-14b-chat"]),
    ("starling-lm-7b-alpha", ["Starling-LM-7B-alpha", "starling-lm-7b-alpha"]),
]


@pytest.mark.parametrize(("canon", "spellings"), MERGES, ids=[m[0] for m in MERGES])
def test_crosswalk_merges(canon: str, spellings: list[str]) -> None:
    assert {canonical_model(s) for s in spellings} == {canon}


def test_crosswalk_keeps_distinct_versions_apart() -> None:
    assert canonical_model("claude-instant-1.2") != canonical_model("claude-instant-1")
    assert canonical_model("gpt-3.5-turbo") != canonical_model("gpt-3.5-turbo-1106")
    assert canonical_model("gpt-3.5-turbo-0301") != canonical_model("gpt-3.5-turbo-1106")
    assert canonical_model("claude-2.1") != canonical_model("claude-2")


def test_unknown_names_lowercased_and_org_dropped() -> None:
    assert canonical_model("  SomeOrg/My_Model-7B  ") == "my-model-7b"
    assert canonical_model("text_davinci_003") == "text-davinci-003"
    with pytest.raises(ValueError):
        canonical_model("  ")


def test_catalog_keys_are_their_own_canonical_names(data_root: Path) -> None:
    import csv

    with (data_root / "prices" / "leaderboard_with_pricing.csv").open(newline="") as fh:
        keys = [row["key"] for row in csv.DictReader(fh)]
    assert all(canonical_model(k) == k.lower() for k in keys)


def test_sources_share_canonical_names(gsm8k: list[Outcome], data_root: Path) -> None:
    arena = {o.model for o in load_fastchat(data_root / "arena_bench_v1")}
    bench = {o.model for o in load_routerbench(data_root / "routerbench_zs" / "mbpp_test.csv")}
    routellm = {o.model for o in gsm8k}
    assert routellm == {"gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1"}
    assert routellm <= arena and routellm <= bench
    assert {"llama-2-70b-chat", "claude-1", "claude-instant-1"} <= arena & bench


# ---------------------------------------------------------------------------- price catalog / tiers


def test_price_catalog(data_root: Path) -> None:
    cat = load_price_catalog(data_root / "prices")
    assert len(cat) == 185  # 186 rows, yi-34b-chat twice
    g = cat["gpt-4-1106-preview"]
    assert (g.mt_bench, g.input_price, g.output_price) == (9.32, 10.0, 30.0)
    assert g.mmlu is None  # "-" = unknown
    assert cat["yi-34b-chat"] == ModelInfo("yi-34b-chat", None, 0.735, 0.8, 0.8)
    assert cat["llama-3.1-405b-instruct-bf16"].output_price is None  # "null"
    assert sum(i.input_price is not None for i in cat.values()) == 134  # 135 priced rows, one duplicate
    assert g.cost(1_000_000, 1_000_000) == pytest.approx(40.0)


def test_model_tiers(data_root: Path) -> None:
    cat = load_price_catalog(data_root / "prices/leaderboard_with_pricing.csv")
    models = ["gpt-4-1106-preview", "claude-1", "mixtral-8x7b-instruct-v0.1", "llama-2-70b-chat", "llama-13b",
              "dolly-v2-12b", "some-unknown-model", "gpt4_1106_preview"]
    tiers = model_tiers(cat, models, n_tiers=3)
    assert set(tiers) == set(models)
    assert tiers["gpt-4-1106-preview"] == tiers["gpt4_1106_preview"] == 0
    assert tiers["llama-13b"] == tiers["dolly-v2-12b"] == 2
    assert tiers["some-unknown-model"] == 1  # documented default: middle tier
    assert model_tiers(cat, models, n_tiers=3, default_tier=2)["some-unknown-model"] == 2
    assert set(model_tiers(cat, models, n_tiers=1).values()) == {0}
    # yi-34b-chat has MMLU but no MT-bench: its score is imputed from MMLU, unless disabled
    assert model_tiers(cat, ["yi-34b-chat", "llama-13b"], n_tiers=2) == {"yi-34b-chat": 0, "llama-13b": 1}
    no_impute = model_tiers(cat, ["yi-34b-chat", "llama-13b", "vicuna-7b"], n_tiers=3, impute_from_mmlu=False)
    assert no_impute["yi-34b-chat"] == 1 and no_impute["vicuna-7b"] == 0


# ---------------------------------------------------------------------------- RouteLLM evals


def test_routellm_gsm8k(gsm8k: list[Outcome]) -> None:
    assert len({o.prompt_id for o in gsm8k}) == 1319
    assert len(gsm8k) == 2 * 1319
    means = _mean_by_model(gsm8k)
    assert means["mixtral-8x7b-instruct-v0.1"] == pytest.approx(0.638, abs=5e-4)
    assert means["gpt-4-1106-preview"] == pytest.approx(0.857, abs=5e-4)
    assert {o.source for o in gsm8k} == {"routellm_gsm8k"}
    assert {o.score for o in gsm8k} == {0.0, 1.0}
    assert gsm8k[0].prompt_id == "gsm8k_responses:0" and gsm8k[0].prompt.startswith("Janet")


def test_routellm_mmlu(mmlu: list[Outcome], data_root: Path) -> None:
    assert len({o.prompt_id for o in mmlu}) == 14042
    assert len({o.prompt_id.split(":")[0] for o in mmlu}) == 57
    means = _mean_by_model(mmlu)
    assert means["mixtral-8x7b-instruct-v0.1"] == pytest.approx(0.681, abs=5e-4)
    assert means["gpt-4-1106-preview"] == pytest.approx(0.806, abs=5e-4)
    assert {o.source for o in mmlu} == {"routellm_mmlu"}
    assert len(load_eval_prompts(data_root)) == 1319 + 13937  # distinct texts (105 MMLU duplicates)


def test_contaminated_prompts(data_root: Path) -> None:
    assert len(load_contaminated_prompts(data_root / "routellm/gsm8k/contaminated_prompts.jsonl")) == 12
    mmlu = load_contaminated_prompts(data_root / "routellm/mmlu")
    assert len(mmlu) == 5 and all(isinstance(p, str) and p for p in mmlu)


# ---------------------------------------------------------------------------- AlpacaEval


def test_alpaca_eval(data_root: Path) -> None:
    stats: dict[str, int] = {}
    comps = load_alpaca_eval(data_root / "alpaca_eval", stats=stats)
    # 39439 + 41860 rows, minus 61 null preferences, minus gpt4_1106_preview's own file (805 self-pairs)
    assert len(comps) == 39439 + 41860 - 61 - 805
    assert stats == {"null_preference": 61, "self_comparison": 805, "generator_2_renamed": 803}
    assert {c.source for c in comps} == {"alpaca_eval"}
    assert {c.model_a for c in comps} == {"gpt-4-1106-preview", "text-davinci-003"}
    models_b = {c.model_b for c in comps}
    assert len(models_b) == 49 + 52 - 16
    assert {"alpaca-7b-neft", "claude-1", "claude-2.0", "yi-34b-chat", "gpt-4-0314"} <= models_b
    assert not any("yuxinrun" in m for m in models_b)
    assert "claude-instant-1.2" in models_b and "claude-instant-1" not in models_b
    assert len({c.prompt for c in comps}) == 805
    assert all(0.0 <= c.outcome <= 1.0 for c in comps)
    weighted = [c for c in comps if c.model_a == "gpt-4-1106-preview"]
    assert any(0.0 < c.outcome < 1.0 and c.outcome != 0.5 for c in weighted)  # continuous judge kept


def test_alpaca_eval_preference_mapping(tmp_path: Path) -> None:
    rows = [
        {"instruction": "q1", "generator_1": "gpt4_1106_preview", "generator_2": "m", "preference": 1},
        {"instruction": "q2", "generator_1": "gpt4_1106_preview", "generator_2": "m", "preference": 2},
        {"instruction": "q3", "generator_1": "gpt4_1106_preview", "generator_2": "m", "preference": 1.5},
        {"instruction": "q4", "generator_1": "gpt4_1106_preview", "generator_2": "m", "preference": 1.25},
        {"instruction": "q5", "generator_1": "gpt4_1106_preview", "generator_2": "m", "preference": 0},
        {"instruction": "q6", "generator_1": "gpt4_1106_preview", "generator_2": "m", "preference": None},
    ]
    (tmp_path / "judge").mkdir()
    (tmp_path / "judge" / "m.json").write_text(json.dumps(rows))
    comps = load_alpaca_eval(tmp_path)
    assert [c.outcome for c in comps] == [1.0, 0.0, 0.5, 0.75, 0.5]  # 0 = AlpacaEval's draw code
    assert {(c.model_a, c.model_b) for c in comps} == {("gpt-4-1106-preview", "m")}


# ---------------------------------------------------------------------------- FastChat


def test_fastchat_arena_bench(data_root: Path) -> None:
    stats: dict[str, int] = {}
    outs = load_fastchat(data_root / "arena_bench_v1", stats=stats)
    assert stats == {"null_score": 39}
    assert len(outs) == 15 * 300 - 39
    assert {o.source for o in outs} == {"arena_bench_v1"}
    means = {m: 1 + 9 * s for m, s in _mean_by_model(outs).items()}
    expected = {"llama-2-70b-chat": 4.35, "gpt-4-1106-preview": 8.87, "gpt-3.5-turbo": 6.76, "llama-13b": 1.48,
                "mixtral-8x7b-instruct-v0.1": 6.54, "openchat-3.5": 5.09, "claude-instant-1": 6.19}
    for m, mean in expected.items():
        assert means[m] == pytest.approx(mean, abs=0.006), m
    assert len(means) == 15
    assert all(0.0 <= o.score <= 1.0 for o in outs)
    questions = load_fastchat_questions(data_root / "arena_bench_v1")
    assert len(questions) == 300 and all(len(t) == 1 for t in questions.values())
    o = outs[0]
    assert o.prompt == questions[o.prompt_id][0]


def _write_jsonl(path: Path, rows: list[dict | str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def test_fastchat_two_turn_mt_bench_layout(tmp_path: Path) -> None:
    root = tmp_path / "mt_bench"
    _write_jsonl(root / "question.jsonl", [
        {"question_id": 81, "category": "writing", "turns": ["Write a blog post.", "Rewrite it as a poem."]},
        {"question_id": 82, "category": "math", "turns": ["What is 2+2?", "And 3+3?"]},
    ])
    _write_jsonl(root / "model_judgment" / "gpt-4_single.jsonl", [
        {"question_id": 81, "model": "gpt-4", "judge": ["gpt-4", "single-v1"], "score": 8, "turn": 1},
        {"question_id": 81, "model": "gpt-4", "judge": ["gpt-4", "single-v1-multi-turn"], "score": 10, "turn": 2},
        {"question_id": 81, "model": "vicuna-13b-v1.3", "score": 5, "turn": 1},
        {"question_id": 81, "model": "vicuna-13b-v1.3", "score": -1, "turn": 2},
        {"question_id": 82, "model": "gpt-4", "score": None, "turn": 1},
        {"question_id": 82, "model": "gpt-4", "score": 1.0, "turn": 2},
    ])
    _write_jsonl(root / "model_judgment" / "gpt-4_pair.jsonl", [
        {"question_id": 81, "model_1": "gpt-4", "model_2": "vicuna-13b-v1.3", "g1_winner": "model_1", "turn": 1},
    ])
    outs = {(o.prompt_id, o.model): o for o in load_fastchat(root)}
    assert set(outs) == {("81", "gpt-4"), ("81", "vicuna-13b-v1.3"), ("82", "gpt-4")}
    assert outs[("81", "gpt-4")].score == pytest.approx((7 / 9 + 1.0) / 2)
    assert outs[("81", "vicuna-13b-v1.3")].score == pytest.approx(4 / 9)
    assert outs[("82", "gpt-4")].score == 0.0
    assert outs[("81", "gpt-4")].prompt == "Write a blog post."
    assert outs[("81", "gpt-4")].source == "mt_bench"
    assert load_fastchat_questions(root)["82"] == ["What is 2+2?", "And 3+3?"]


# ---------------------------------------------------------------------------- RouterBench


def test_routerbench(data_root: Path) -> None:
    stats: dict[str, int] = {}
    train = load_routerbench(data_root / "routerbench_zs", split="train", stats=stats)
    test = load_routerbench(data_root / "routerbench_zs", split="test")
    assert stats == {"missing_score": 8 * 10 + 12}  # arc_challenge_train missing cells
    assert len({o.prompt_id for o in train}) == 1039 + 299 + 887
    assert len({o.prompt_id for o in test}) == 445 + 128 + 380
    assert len(train) == 11 * (1039 + 299 + 887) - 92
    assert len({o.model for o in train}) == 11
    assert {"claude-1", "claude-2.0", "claude-instant-1", "codellama-34b-instruct", "yi-34b-chat",
            "mixtral-8x7b-instruct-v0.1", "llama-2-70b-chat"} <= {o.model for o in train}
    assert {o.score for o in train} == {0.0, 1.0}
    assert all(o.cost is not None and 0 < o.cost < 1 for o in train)
    assert {o.source for o in train + test} == {"routerbench_zs"}
    assert not any(p.startswith("['") for p in {o.prompt for o in train})
    arc = [o for o in train if o.prompt_id.startswith("arc_challenge_train:")]
    assert any("\n" in o.prompt and "Answer" in o.prompt for o in arc)
    with pytest.raises(ValueError):
        load_routerbench(data_root / "routerbench_zs", split="dev")


# ---------------------------------------------------------------------------- LLMRouter


def test_llmrouter(llmrouter_train: list[Outcome], data_root: Path) -> None:
    assert len({o.prompt_id for o in llmrouter_train}) == 5608
    assert len(llmrouter_train) == 5608 * 9
    assert len({o.model for o in llmrouter_train}) == 9
    c = Counter("frac" if 0 < o.score < 1 else o.score for o in llmrouter_train)
    assert c == {0.0: 28211, 1.0: 20940, "frac": 1321}
    test = load_llmrouter(data_root / "llmrouter", split="test")
    assert len({o.prompt_id for o in test}) == 500
    assert Counter("frac" if 0 < o.score < 1 else o.score for o in test) == {0.0: 2604, 1.0: 1464, "frac": 432}
    assert {o.source for o in test} == {"llmrouter"}


def test_llmrouter_prices(data_root: Path) -> None:
    prices = load_llmrouter_prices(data_root / "llmrouter" / "llm_candidates" / "default_llm.json")
    assert len(prices) == 14
    assert prices["qwen2.5-7b-instruct"] == (0.2, 0.2)  # numeric field, not the free-text 0.3
    assert "llama-3-70b-instruct" in prices and "mixtral-8x7b-instruct-v0.1" in prices


# ---------------------------------------------------------------------------- outcomes -> comparisons


def test_outcomes_to_comparisons_ties_and_pairs() -> None:
    outs = [
        Outcome("p1", "a", 1.0, source="s", prompt_id="1"),
        Outcome("p1", "b", 0.0, source="s", prompt_id="1"),
        Outcome("p1", "c", 1.0, source="s", prompt_id="1"),
        Outcome("p2", "a", 0.5, source="s"),
        Outcome("p2", "b", 0.5, source="s"),
        Outcome("p2", "b", 0.5, source="t"),  # other source: own group, single model -> no battle
    ]
    comps = outcomes_to_comparisons(outs)
    got = {(c.prompt, c.model_a, c.model_b): c.outcome for c in comps}
    assert got == {("p1", "a", "b"): 1.0, ("p1", "a", "c"): 0.5, ("p1", "b", "c"): 0.0, ("p2", "a", "b"): 0.5}
    assert all(isinstance(c, Comparison) and c.source == "s" for c in comps)
    only = outcomes_to_comparisons(outs, pairs=[("C", "B")])
    assert [(c.model_a, c.model_b, c.outcome) for c in only] == [("c", "b", 1.0)]


def test_outcomes_to_comparisons_fast_on_llmrouter(llmrouter_train: list[Outcome]) -> None:
    t0 = time.perf_counter()
    comps = outcomes_to_comparisons(llmrouter_train)
    assert time.perf_counter() - t0 < 5.0
    assert len(comps) == 5608 * 36
    assert Counter(c.outcome for c in comps)[0.5] > 0


def test_load_training_sources(data_root: Path) -> None:
    data = load_training_sources(data_root, sources=("alpaca_eval", "arena_bench_v1", "routerbench_zs"))
    assert {o.source for o in data.outcomes} == {"arena_bench_v1", "routerbench_zs"}
    assert {c.source for c in data.comparisons} == {"alpaca_eval", "arena_bench_v1", "routerbench_zs"}
    assert not any(":" in o.prompt_id and "_test:" in o.prompt_id for o in data.outcomes)
    only_alpaca = load_training_sources(data_root, sources=("alpaca_eval",))
    assert only_alpaca.outcomes == [] and len(only_alpaca.comparisons) == 80433
    with pytest.raises(ValueError, match="unknown training source"):
        load_training_sources(data_root, sources=("mt_bench",))


def test_resolve_data_dir(monkeypatch: pytest.MonkeyPatch, data_root: Path, tmp_path: Path) -> None:
    assert resolve_data_dir(data_root) == data_root
    monkeypatch.setenv("WINROUTE_DATA", str(data_root))
    assert resolve_data_dir() == data_root
    monkeypatch.setenv("WINROUTE_DATA", str(tmp_path / "gone"))
    with pytest.raises(DataNotFoundError, match="gone.*from WINROUTE_DATA"):
        resolve_data_dir()
    monkeypatch.delenv("WINROUTE_DATA")
    with pytest.raises(DataNotFoundError, match="set WINROUTE_DATA"):
        resolve_data_dir()
    with pytest.raises(DataNotFoundError, match="nope"):
        resolve_data_dir(tmp_path / "nope")


# ---------------------------------------------------------------------------- decontamination


def test_normalize_prompt() -> None:
    assert normalize_prompt("  Janet\u2019s  DUCKS\n\tlay “16” eggs ") == "janet's ducks lay \"16\" eggs"
    assert normalize_prompt("ｆｕｌｌｗｉｄｔｈ") == "fullwidth"


def test_decontaminate_exact_and_containment() -> None:
    q = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May."
    evals = [q, "short one", "A completely unrelated evaluation question that is long enough to count."]
    recs = [
        Outcome(q.upper().replace(" ", "  "), "m", 1.0, source="exact_src"),
        Outcome(f"Solve step by step.\nQuestion: {q}\nAnswer with a number.", "m", 0.0, source="wrapped"),
        Comparison("sold clips to 48 of her friends in April, and then she sold half", "a", "b", 1.0, "inner"),
        Outcome("short", "m", 1.0, source="tiny"),  # contained in "short one", but below min length
        Outcome("Something else entirely, long enough to be checked for containment.", "m", 1.0, source="ok"),
    ]
    kept, rep = decontaminate(recs, evals)
    assert [r.source for r in kept] == ["tiny", "ok"]
    assert rep.dropped_by_rule == {"exact": 1, "containment": 2, "embedding": 0}
    assert rep.dropped_by_source == {"exact_src": {"exact": 1}, "inner": {"containment": 1},
                                     "wrapped": {"containment": 1}}
    assert rep.n_records == 5 and rep.n_kept == 2 and rep.n_dropped == 3
    assert rep.matched_eval_prompts == 1
    text = str(rep)
    assert "dropped 3 of 5" in text and "containment" in text and "wrapped" in text


def test_decontaminate_embedding_rule() -> None:
    vecs = {
        "eval question": np.array([1.0, 0.0, 0.0]),
        "paraphrase of it": np.array([0.97, np.sqrt(1 - 0.97**2), 0.0]),  # cos 0.97
        "related but different": np.array([0.9, np.sqrt(1 - 0.81), 0.0]),  # cos 0.90
        "unrelated": np.array([0.0, 0.0, 1.0]),
    }
    calls: list[int] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.stack([vecs[t] for t in texts])

    recs = [Outcome(t, "m", 1.0, source="s") for t in ("paraphrase of it", "related but different", "unrelated")]
    kept, rep = decontaminate(recs, ["eval question"], embed=embed, threshold=0.95, chunk_size=2)
    assert [r.prompt for r in kept] == ["related but different", "unrelated"]
    assert rep.dropped_by_rule["embedding"] == 1 and rep.embedding_checked
    assert rep.examples[0].similarity == pytest.approx(0.97, abs=1e-4)
    assert max(calls) <= 2  # chunked
    kept, _ = decontaminate(recs, ["eval question"], embed=embed, threshold=0.85)
    assert [r.prompt for r in kept] == ["unrelated"]


def test_substring_index_matches_brute_force() -> None:
    rng = random.Random(0)
    alphabet = "ab c"  # tiny alphabet: many repeated grams, stresses the anchor choice
    needles = ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 30))) for _ in range(300)]
    hays = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200))) for _ in range(100)]
    hays += [f"xx{needles[i]}yy" for i in range(0, 300, 7)]
    idx = _SubstringIndex(needles, min_len=10)
    for h in hays:
        expected = {i for i, n in enumerate(needles) if len(n) >= 10 and n in h}
        assert set(idx.find_in(h)) == expected


def test_decontaminate_real_overlaps(llmrouter_train: list[Outcome], gsm8k: list[Outcome],
                                     mmlu: list[Outcome], data_root: Path) -> None:
    gsm8k_prompts = list(dict.fromkeys(o.prompt for o in gsm8k))
    kept, rep = decontaminate(llmrouter_train, gsm8k_prompts)
    # README: llmrouter train -> routellm/gsm8k: 200 source / 200 target items (GSM8K wrapped in templates)
    assert rep.dropped_prompts_by_rule == {"containment": 200}
    assert rep.matched_eval_prompts == 200
    assert rep.dropped_by_source == {"llmrouter": {"containment": 200 * 9}}
    assert len(kept) == len(llmrouter_train) - 1800
    _, rep = decontaminate(llmrouter_train, list(dict.fromkeys(o.prompt for o in mmlu)))
    assert rep.dropped_prompts_by_rule == {"containment": 8}  # README: 8 / 8
    test = load_llmrouter(data_root / "llmrouter", split="test")
    _, rep = decontaminate(test, gsm8k_prompts)  # README: 100 source / 96 target (50 exact)
    assert rep.dropped_prompts_by_rule == {"exact": 50, "containment": 50}
    assert rep.matched_eval_prompts == 96
    _, rep = decontaminate(test, [o.prompt for o in llmrouter_train])  # README: 119 exact + 9 near
    assert rep.dropped_prompts_by_rule == {"exact": 119, "containment": 9}


# ---------------------------------------------------------------------------- malformed inputs


def test_bad_json_line_names_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    _write_jsonl(root / "question.jsonl", [{"question_id": "q1", "turns": ["hi there"]}])
    _write_jsonl(root / "model_judgment" / "m.jsonl", [
        {"question_id": "q1", "model": "m", "score": 5},
        "",
        '{"question_id": "q1", "model": "m", "score": ',
    ])
    with pytest.raises(DataFormatError, match=r"m\.jsonl, line 3: invalid JSON"):
        load_fastchat(root)


def test_bad_score_names_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    _write_jsonl(root / "question.jsonl", [{"question_id": "q1", "turns": ["hi there"]}])
    _write_jsonl(root / "model_judgment" / "m.jsonl", [
        {"question_id": "q1", "model": "m", "score": 5},
        {"question_id": "q1", "model": "m", "score": "ten"},
    ])
    with pytest.raises(DataFormatError, match=r"m\.jsonl, line 2: score: 'ten' is not a number"):
        load_fastchat(root)
    _write_jsonl(root / "model_judgment" / "m.jsonl", [{"question_id": "q1", "model": "m", "score": 11}])
    with pytest.raises(DataFormatError, match="outside 1-10"):
        load_fastchat(root)
    _write_jsonl(root / "model_judgment" / "m.jsonl", [{"question_id": "q1", "score": 5}])
    with pytest.raises(DataFormatError, match=r"line 1: missing field\(s\) \['model'\]"):
        load_fastchat(root)


def test_missing_column_names_file(tmp_path: Path) -> None:
    f = tmp_path / "gsm8k_responses.csv"
    f.write_text("question,gpt-4-1106-preview\nwhat?,True\n")
    with pytest.raises(DataFormatError, match=r"gsm8k_responses\.csv, line 1 \(header\): missing column"):
        load_routellm_eval(f)
    f.write_text("prompt,gpt-4-1106-preview\nwhat?,True\nagain?,maybe\n")
    with pytest.raises(DataFormatError, match=r"gsm8k_responses\.csv, line 3 \(data row 1\).*'maybe'"):
        load_routellm_eval(f)


def test_routerbench_malformed_rows(tmp_path: Path) -> None:
    f = tmp_path / "x_train.csv"
    header = ",sample_id,prompt,eval_name,m1,m1|total_cost\n"
    f.write_text(header + "0,s0,\"['ok']\",e,1.0,0.001\n1,s1,\"['unclosed\",e,1.0,0.001\n")
    with pytest.raises(DataFormatError, match=r"x_train\.csv, line 3 \(data row 1\): prompt is not a Python list"):
        load_routerbench(tmp_path, split="train")
    f.write_text(header + "0,s0,\"['ok']\",e,abc,0.001\n")
    with pytest.raises(DataFormatError, match=r"x_train\.csv, line 2 \(data row 0\): column 'm1': 'abc'"):
        load_routerbench(f)
    f.write_text(header + "0,s0,\"['a', 'b']\",e,,0.001\n1,s1,\"['c']\",e,0.0,\n")
    outs = load_routerbench(f)
    assert [(o.prompt, o.score, o.cost, o.prompt_id) for o in outs] == [("c", 0.0, None, "x_train:1:s1")]


def test_llmrouter_and_alpaca_malformed(tmp_path: Path) -> None:
    f = tmp_path / "train.json"
    f.write_text(json.dumps([{"question": "q", "scores": {"m": 1.0}}, {"question": "q2", "scores": {"m": "x"}}]))
    with pytest.raises(DataFormatError, match=r"train\.json, record 1: score of 'm': 'x' is not a number"):
        load_llmrouter(f)
    f.write_text('[{"question": "q",\n "scores": {"m": 1.0}},,]')
    with pytest.raises(DataFormatError, match=r"train\.json, line 2 column .*invalid JSON"):
        load_llmrouter(f)
    a = tmp_path / "judge" / "m.json"
    a.parent.mkdir()
    a.write_text(json.dumps([{"instruction": "q", "generator_1": "x", "generator_2": "m"}]))
    with pytest.raises(DataFormatError, match=r"m\.json, record 0: missing field\(s\) \['preference'\]"):
        load_alpaca_eval(a)


def test_missing_files_name_the_path(tmp_path: Path) -> None:
    for loader in (load_routellm_eval, load_alpaca_eval, load_fastchat, load_routerbench, load_llmrouter,
                   load_llmrouter_prices, load_price_catalog, load_contaminated_prompts):
        with pytest.raises(DataNotFoundError, match="does-not-exist"):
            loader(tmp_path / "does-not-exist")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataNotFoundError, match="empty"):
        load_routerbench(empty, split="train")
