"""The `winroute` command, end to end on the bundled router and real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main


def test_route_prints_decision_and_score(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "Prove that sqrt(2) is irrational"]) == 0
    out = capsys.readouterr().out
    assert "model:" in out and "score:" in out and "threshold:" in out


def test_route_json_with_strong_share(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "hello", "--strong-share", "1.0", "--json"]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["route"] == "strong"


def test_route_empty_prompt_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "   "]) == 2
    assert "empty prompt" in capsys.readouterr().err


def test_calibrate_and_save(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("\n".join(json.dumps({"prompt": f"question {i} about {'math' if i % 2 else 'poetry'}"}) for i in range(20)))
    assert main(["calibrate", "--strong-share", "0.3", "--prompts", str(prompts), "--out", str(tmp_path / "r")]) == 0
    assert "threshold" in capsys.readouterr().out
    assert (tmp_path / "r" / "router.json").is_file()


def test_calibrate_bad_prompt_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    assert main(["calibrate", "--strong-share", "0.3", "--prompts", str(empty)]) == 2
    assert "holds no prompts" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{oops\n')
    assert main(["calibrate", "--strong-share", "0.3", "--prompts", str(bad)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_evaluate_gsm8k(tmp_path: Path, capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert main(["evaluate", "--benchmark", "gsm8k", "--data-dir", str(data_dir), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "APGR" in out and "length heuristic" in out and "random (mean)" in out and "oracle" in out
    report = json.loads((tmp_path / "gsm8k.json").read_text())
    assert report["n_items"] == 1319 - report["dropped_contaminated"] and report["dropped_contaminated"] > 0
    assert (tmp_path / "gsm8k.png").stat().st_size > 0


def test_train_from_a_recipe(tmp_path: Path, data_dir: Path) -> None:
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(
        'name = "tiny"\npredictor = "mf"\nstrong = "gpt-4-1106-preview"\nweak = "mistralai/Mixtral-8x7B-Instruct-v0.1"\n'
        "[sources]\narena_bench_v1 = 1.0\n[predictor_params]\nepochs = 1\nshow_progress = false\n"
        '[decontaminate]\nbenchmarks = ["gsm8k"]\n'
    )
    assert main(["train", str(recipe), "--data-dir", str(data_dir), "--out", str(tmp_path / "out")]) == 0
    from core import load_router

    router = load_router(tmp_path / "out")
    assert router.metadata["recipe"]["sources"] == {"arena_bench_v1": 1.0}
    assert router.route("hi").model in router.models


def test_train_bad_recipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "bad.toml"
    recipe.write_text('name = "x"\nstrong = "a"\nweak = "b"\n[sources]\nmystery = 1.0\n')
    assert main(["train", str(recipe)]) == 2
    assert "unknown source" in capsys.readouterr().err
