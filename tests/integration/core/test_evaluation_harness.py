"""`winroute evaluate` end to end on real data: MT-Bench layout, protocols, routers trained on the fly, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.evaluation import EvalSettings, Harness

STRONG, WEAK = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the module, so each real prompt is embedded once."""
    return tmp_path_factory.mktemp("winroute-cache")


@pytest.fixture()
def env(cache_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WINROUTE_CACHE", str(cache_dir))
    monkeypatch.setenv("WINROUTE_DATA", str(data_dir))
    return data_dir


@pytest.fixture(scope="module")
def tiny_recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fast recipe: arena_bench_v1 battles only, a small MF, no fixed decontamination list."""
    path = tmp_path_factory.mktemp("recipe") / "tiny.toml"
    path.write_text(
        'name = "tiny"\npredictor = "mf"\nstrong = "gpt-4-1106-preview"\n'
        'weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"\n'
        "[sources]\narena_bench_v1 = 1.0\n"
        "[predictor_params]\ndim = 16\nepochs = 1\nbatch_size = 512\nlr = 1e-3\nshow_progress = false\n"
        "[decontaminate]\nbenchmarks = []\n"
    )
    return path


@pytest.fixture(scope="module")
def tier_recipe(tiny_recipe: Path) -> Path:
    """The tiny recipe with capability-tier battles, as configs/default.toml trains the bundled router."""
    path = tiny_recipe.with_name("tiers.toml")
    path.write_text(tiny_recipe.read_text().replace("[predictor_params]", "[tiers]\nn_tiers = 3\n[predictor_params]"))
    return path


def test_mt_bench_single_turn_cli(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's command: bundled router on arena_bench_v1 in FastChat layout."""
    code = main([
        "evaluate", "--benchmark", "mt-bench", "--data-dir", str(env / "arena_bench_v1"),
        "--strong", "gpt-4-1106-preview", "--weak", "mistralai/Mixtral-8x7B-Instruct-v0.1", "--out", str(tmp_path),
    ])
    assert code == 0
    out = capsys.readouterr().out
    for word in ("mt-bench [out-of-domain]", "APGR", "CPT(80%)", "save@50", "AIQ", "length heuristic", "random (mean)", "oracle"):
        assert word in out
    report = json.loads((tmp_path / "mt-bench.json").read_text())
    assert report["benchmark_info"]["scale"] == "1-10" and report["n_items"] > 280
    assert report["rows"]["oracle"]["apgr"] > report["rows"]["random (mean)"]["apgr"]
    assert {"default", "length heuristic", "random (mean)", "oracle"} <= set(report["rows"])
    assert (tmp_path / "mt-bench.png").stat().st_size > 0
    assert (tmp_path / "mt-bench_points.csv").is_file() and (tmp_path / "mt-bench_metrics.csv").is_file()


def test_two_turn_fixture_cli(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A two-turn FastChat folder given as a path, routed on its first turns by the bundled router."""
    root = tmp_path / "mt_bench"
    root.mkdir()
    qs, judgments = [], []
    rng = np.random.default_rng(0)
    for q in range(12):
        qs.append({"question_id": q, "category": "math" if q % 2 else "writing",
                   "turns": [f"Question {q}: compute {q} * {q + 3}.", f"Now explain step {q}."]})
        for model, base in ((STRONG, 8), (WEAK, 6)):
            for turn in (1, 2):
                judgments.append({"question_id": q, "model": model, "judge": ["gpt-4", "single-v1"],
                                  "score": int(min(10, base + rng.integers(-2, 3))), "turn": turn})
    (root / "question.jsonl").write_text("".join(json.dumps(q) + "\n" for q in qs))
    (root / "judgements.jsonl").write_text("".join(json.dumps(j) + "\n" for j in judgments))
    assert main(["evaluate", "--benchmark", str(root), "--strong", STRONG, "--weak", WEAK, "--no-plot",
                 "--out", str(tmp_path / "out")]) == 0
    assert "mt_bench [out-of-domain]: 12 of 12 items" in capsys.readouterr().out
    assert (tmp_path / "out" / "mt_bench.json").is_file() and not (tmp_path / "out" / "mt_bench.png").exists()


def test_protocols_with_routers_trained_on_the_fly(env: Path, tier_recipe: Path, cache_dir: Path) -> None:
    """Out-of-domain and in-domain (cross-fitted) on a seeded GSM8K subsample, mf and random, tier battles."""
    settings = EvalSettings(protocols=("out-of-domain", "in-domain"), k=3, seed=1, max_labels=50,
                            max_items=90, seeds=20)
    harness = Harness(data_dir=env, config=tier_recipe, cache_dir=cache_dir, settings=settings, verbose=False)
    ood, ind = harness.run(["gsm8k"], ["mf", "random"])
    assert (ood.protocol, ind.protocol) == ("out-of-domain", "in-domain")
    for report in (ood, ind):
        assert report.n_items == 90 and report.router_names == ["mf", "random"]
        assert 0.0 <= report.similarity <= 1.0 + 1e-6
        for row in report.rows.values():
            assert np.isfinite(row["apgr"])
    # In-domain: the similarity includes each fold's labelled benchmark items, so it rises.
    assert ind.similarity > ood.similarity
    cf = ind.settings["cross_fit"]
    assert cf["k"] == 3 and cf["seed"] == 1 and max(cf["labels_per_fold"]) <= 50 and sum(cf["fold_sizes"]) == 90
    assert ind.routers["mf"]["cross_fit"] == cf
    # Tier battles (as run_recipe builds them); the labels are battles between the same tiers.
    training = ood.settings["training"]
    assert training["n_tiers"] == 3 and 2 * training["prompts"] < training["battles"] <= 3 * training["prompts"]
    weights = ind.routers["mf"]["label_weight_per_fold"]
    assert weights[0] == pytest.approx(training["battles"] / cf["labels_per_fold"][0])  # 'balanced'
    # The gsm8k prompts were decontaminated out of the training battles (they are the benchmark).
    assert "gsm8k" in harness.training_set(harness.load("gsm8k", ood.strong, ood.weak)).decontaminated_against
    # Cached embeddings: a second harness re-scores without new embedding work.
    again = Harness(data_dir=env, config=tier_recipe, cache_dir=cache_dir, verbose=False,
                    settings=EvalSettings(max_items=90, seed=1, seeds=20)).run(["gsm8k"], ["mf"])[0]
    assert again.rows["mf"]["apgr"] == pytest.approx(ood.rows["mf"]["apgr"])


def test_in_domain_cli_prints_k_and_seed(env: Path, tiny_recipe: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--benchmark", "gsm8k", "--routers", "random", "--protocol", "in-domain",
                 "--config", str(tiny_recipe), "--k", "2", "--seed", "4", "--max-items", "40", "--seeds", "10",
                 "--max-labels", "30", "--no-similarity"]) == 0
    out = capsys.readouterr().out
    assert "gsm8k [in-domain]" in out and "2-fold cross-fit, seed 4, at most 30 labels" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--benchmark", "hellaswag"], "unknown benchmark 'hellaswag'"),
        (["--benchmark", "gsm8k", "--routers", "nonsense"], "unknown router 'nonsense'"),
        # an adapted router needs a base and labels (`winroute adapt`), not battles: never trained on the fly
        (["--benchmark", "gsm8k", "--routers", "adapted"], r"unknown router 'adapted'.*: bert, causal_llm, mf, random, ridge, sw_ranking$"),
        (["--benchmark", "gsm8k", "--protocol", "in-domain", "--max-labels", "5000"], "at most 1500|1..1500"),
        (["--benchmark", "gsm8k", "--strong", "claude-2.1"], "no scores for the strong model 'claude-2.1'"),
    ],
)
def test_bad_input_is_a_clear_error(env: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("winroute: error:") and re.search(message, err), err


def test_strong_model_without_scores_in_user_data(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "mine.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"p{i}", "model": WEAK, "score": i % 2}) + "\n" for i in range(6)))
    assert main(["evaluate", "--benchmark", str(data), "--strong", STRONG, "--weak", WEAK]) == 2
    assert "has no scores for the strong model 'gpt-4-1106-preview'" in capsys.readouterr().err


def test_empty_after_decontamination_cli(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "bench"
    root.mkdir()
    (root / "question.jsonl").write_text(json.dumps({"question_id": 1, "turns": ["hello", "again"]}) + "\n")
    (root / "judgments.jsonl").write_text("".join(
        json.dumps({"question_id": 1, "model": m, "score": s, "turn": 1}) + "\n" for m, s in ((STRONG, 9), (WEAK, 5))
    ))
    (root / "contaminated_prompts.jsonl").write_text(json.dumps({"eval_prompt": "again"}) + "\n")
    assert main(["evaluate", "--benchmark", str(root), "--strong", STRONG, "--weak", WEAK]) == 2
    assert "no items left to evaluate (1 dropped as contaminated)" in capsys.readouterr().err


def test_router_that_scores_nan(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder) -> None:  # noqa: ANN001
    """A saved router whose MF head is NaN is refused when it loads (issue 18), naming the file and tensor."""
    from core import MFPredictor, Router
    from core.features import FEATURE_NAMES

    dim, width = 4, 384 + len(FEATURE_NAMES)
    pred = MFPredictor(dim=dim)
    pred.models_ = ["gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1"]
    pred.proj_weight_ = np.zeros((dim, width), np.float32)
    pred.proj_bias_ = np.ones(dim, np.float32)
    pred.model_embeddings_ = np.eye(2, dim, dtype=np.float32)
    pred.head_ = np.full(dim, np.nan, np.float32)
    pred.feature_mean_ = np.zeros(len(FEATURE_NAMES), np.float32)
    pred.feature_std_ = np.ones(len(FEATURE_NAMES), np.float32)
    Router(pred, embedder, strong=pred.models_[0], weak=pred.models_[1], name="nan-router").save(tmp_path / "nan")
    argv = ["evaluate", "--benchmark", "mt-bench", "--data-dir", str(env / "arena_bench_v1"), "--router", str(tmp_path / "nan")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "nan/predictor/predictor.safetensors: tensor 'head' holds NaN or infinite values" in err


def test_report_script_writes_the_page(env: Path, tiny_recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/report.py (what `make bench-report` runs): page, plots and data from one run."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_report", Path(__file__).resolve().parents[3] / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    doc, out = tmp_path / "docs" / "benchmarks.md", tmp_path / "docs" / "benchmarks"
    argv = ["--benchmarks", "gsm8k", "--routers", "random", "--config", str(tiny_recipe), "--k", "2",
            "--max-items", "60", "--seeds", "5", "--max-labels", "20", "--doc", str(doc), "--out", str(out),
            "--ablation-router", "random", "--ablation-weights", "5"]
    assert module.main(argv) == 0
    printed = capsys.readouterr().out
    page = doc.read_text()
    for stem in ("gsm8k", "gsm8k-in-domain"):
        assert (out / f"{stem}.png").stat().st_size > 0 and f"(benchmarks/{stem}.png)" in page
        data = json.loads((out / f"{stem}.json").read_text())
        apgr = data["rows"]["random"]["apgr"]
        assert f"| **random** | {apgr:.3f} |" in page  # the page shows what the run computed
    assert "python benchmarks/report.py --benchmarks gsm8k" in page and "0.802" in page and "0.603" in page
    assert "2-fold cross-fitting, seed 0" in page and "seeded subsample of 60 items" in page
    assert printed.split("wrote ")[0].strip() in page  # the printed tables are in the page verbatim
    assert "| label weight | gsm8k |" in page and "| 5 |" in page


def test_in_domain_weight_option(capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import build_parser

    args = build_parser().parse_args(["evaluate", "--in-domain-weight", "40"])
    assert args.in_domain_weight == 40.0 and build_parser().parse_args(["evaluate"]).in_domain_weight == "balanced"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--in-domain-weight", "heavy"])
    assert "expected a number or 'balanced'" in capsys.readouterr().err


def test_bundled_routers_resolve_by_name() -> None:
    from core.evaluation import Harness
    from core.loading import MINILM_ROUTER_DIR

    specs = Harness().resolve_routers(["default", "default-minilm"])
    assert [(s.label, s.kind, s.path) for s in specs] == [
        ("default", "artifact", None),
        ("default-minilm", "artifact", str(MINILM_ROUTER_DIR)),
    ]
