"""One recipe schema for both kinds of router: parsing and validation (no data needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.recipes import NWayRecipe, PairwiseRecipe, load_recipe

CONFIGS = Path(__file__).resolve().parents[3] / "configs"

PAIRWISE = """
name = "p"
strong = "gpt-4-1106-preview"
weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"
predictor = "ridge"
[sources]
zeroeval = 1.0
[target]
kind = "difficulty"
min_models = 5
[decontaminate]
benchmarks = []
"""

NWAY = """
kind = "nway"
name = "n"
source = "llmrouter"
max_prompts = 60
[predictor_params]
k = 10
[model."gpt-4-1106-preview"]
context_window = 128000
"""


def write(tmp_path: Path, text: str, name: str = "recipe.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted(CONFIGS.rglob("*.toml")), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_recipe_loads(path: Path) -> None:
    recipe = load_recipe(path)
    assert recipe.name and recipe.out and recipe.predictor
    assert recipe.path == str(path)


def test_a_recipe_without_kind_is_pairwise(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, PAIRWISE))
    assert isinstance(recipe, PairwiseRecipe) and recipe.kind == "pairwise"
    assert (recipe.target, recipe.min_models, recipe.decontaminate_benchmarks) == ("difficulty", 5, [])
    assert recipe.sources == {"zeroeval": 1.0} and recipe.out == "router"
    assert load_recipe(write(tmp_path, 'kind = "pairwise"\n' + PAIRWISE, "k.toml"), kind="pairwise") == recipe.__class__(
        **{**recipe.__dict__, "path": str(tmp_path / "k.toml")}
    )


def test_nway_recipe_fields(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, NWAY), kind="nway")
    assert isinstance(recipe, NWayRecipe) and recipe.kind == "nway"
    assert (recipe.source, recipe.split, recipe.max_prompts, recipe.out) == ("llmrouter", "train", 60, "router-nway")
    assert recipe.predictor == "knn_quality" and recipe.predictor_params == {"k": 10}
    assert recipe.model_overrides == {"gpt-4-1106-preview": {"context_window": 128000}}


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ('kind = "triage"\n' + PAIRWISE, None, "unknown kind 'triage'; choose from pairwise, nway"),
        (NWAY, "pairwise", "this needs a pairwise recipe, and this one is nway"),
        (PAIRWISE, "nway", "this needs a nway recipe, and this one is pairwise"),
        (PAIRWISE.replace("strong =", "stong ="), None, r"unknown key\(s\) \['stong'\] for a pairwise recipe"),
        (PAIRWISE.replace('weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"', ""), None, r"missing required key\(s\) \['weak'\]"),
        ('strong = "x"\n' + NWAY, None, r"unknown key\(s\) \['strong'\] for a nway recipe"),
        (NWAY.replace('"llmrouter"', '"alpaca_eval"'), None, "source must be one of"),
        (NWAY.replace("max_prompts = 60", "max_prompts = 0"), None, "max_prompts must be >= 1"),
        (NWAY.replace('kind = "nway"', 'kind = "nway"\nsplit = "dev"'), None, "split must be 'train' or 'test'"),
        (PAIRWISE.replace("zeroeval = 1.0", "mystery = 1.0"), None, r"unknown source\(s\) \['mystery'\]"),
        (PAIRWISE.replace("zeroeval = 1.0", "zeroeval = -1.0"), None, "source weights must be >= 0"),
        (PAIRWISE.replace("[target]", "[x]\n[target]\nscale2 = 1"), None, r"unknown key\(s\) \['x', 'target.scale2'\]"),
        (PAIRWISE.replace("min_models = 5", 'scale = "log"'), None, "unknown difficulty scale 'log'; choose from raw, rank, gain"),
        ("name = [", None, "invalid TOML"),
    ],
)
def test_bad_recipes_name_the_file_and_what_is_wrong(tmp_path: Path, text: str, kind: str | None, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as info:
        load_recipe(path, kind=kind)  # type: ignore[call-overload]
    assert str(path) in str(info.value)


def test_a_missing_recipe_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="recipe not found"):
        load_recipe(tmp_path / "nope.toml")
