"""The two routers shipped in the package: the static default and its MiniLM twin, by name or path."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import DEFAULT_ROUTER_DIR, MINILM_ROUTER_DIR, load_router
from core.cli import main
from core.embeddings import is_static_id
from core.loading import router_dir


def test_bundled_names_resolve_to_the_package_and_other_strings_to_paths(tmp_path: Path) -> None:
    assert router_dir(None) == router_dir("default") == router_dir("bundled") == DEFAULT_ROUTER_DIR
    assert router_dir("default-minilm") == MINILM_ROUTER_DIR
    assert router_dir(str(tmp_path)) == tmp_path
    assert router_dir(Path("default-minilm")) == Path("default-minilm")  # a Path is always a path


def test_the_minilm_twin_loads_by_name_and_routes_like_the_default() -> None:
    default, twin = load_router(), load_router("default-minilm")
    assert is_static_id(default.embedder.model_id) and not is_static_id(twin.embedder.model_id)
    assert "MiniLM" in twin.embedder.model_id
    assert (twin.strong, twin.weak) == (default.strong, default.weak)
    assert twin.predictor.kind == default.predictor.kind == "ridge"
    hard = "Prove that there are infinitely many primes p such that p + 2 is also prime, step by step. " * 4
    for router in (default, twin):  # both lean the same way on an easy and a hard prompt
        assert router.route(hard).score > router.route("hi!").score


def test_the_cli_takes_the_twin_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    twin, default = load_router("default-minilm"), load_router()
    assert f"{twin.threshold:.4f}" != f"{default.threshold:.4f}"
    assert main(["route", "What is 2 + 2?", "--router", "default-minilm"]) == 0
    assert f"threshold: {twin.threshold:.4f}" in capsys.readouterr().out
