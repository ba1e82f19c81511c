"""Tier battles, recipes and the router's mapping of models to the names its predictor knows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core import MFPredictor, load_router
from core.data import Outcome, load_routerbench, tier_comparisons
from core.training import train_router


def test_tier_comparisons_by_hand() -> None:
    outcomes = [
        Outcome("p1", "a", 1.0, source="s"), Outcome("p1", "b", 1.0, source="s"), Outcome("p1", "c", 0.0, source="s"),
        Outcome("p2", "a", 1.0, source="s"), Outcome("p2", "b", 0.0, source="s"), Outcome("p2", "c", 0.0, source="s"),
    ]
    # mean scores: a 1.0 -> tier-1, b 0.5 -> tier-2, c 0.0 -> tier-3
    battles = {(c.prompt, c.model_a, c.model_b): c.outcome for c in tier_comparisons(outcomes, 3)}
    assert battles == {
        ("p1", "tier-1", "tier-2"): 0.5, ("p1", "tier-1", "tier-3"): 1.0, ("p1", "tier-2", "tier-3"): 1.0,
        ("p2", "tier-1", "tier-2"): 1.0, ("p2", "tier-1", "tier-3"): 1.0, ("p2", "tier-2", "tier-3"): 0.5,
    }


def test_tier_comparisons_bad_input() -> None:
    with pytest.raises(ValueError, match="n_tiers"):
        tier_comparisons([], 1)
    with pytest.raises(ValueError, match="fewer than n_tiers"):
        tier_comparisons([Outcome("p", "a", 1.0, source="s"), Outcome("p", "b", 0.0, source="s")], 3)


def test_tiered_router_on_real_routerbench(data_dir: Path, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    outcomes = load_routerbench(data_dir / "routerbench_zs" / "mbpp_train.csv")
    battles = tier_comparisons(outcomes, 3)
    router = train_router(
        battles, predictor=MFPredictor(epochs=2, embedding_scale=0.05, show_progress=False),
        strong="gpt-4-1106-preview", weak="mixtral-8x7b-instruct-v0.1", embedder=embedder,
        predictor_models={"gpt-4-1106-preview": "tier-1", "mixtral-8x7b-instruct-v0.1": "tier-3"},
    )
    assert router.models == ("gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1")
    prompts = ["Write a python function to reverse a linked list.", "hi"]
    scores = router.score(prompts)
    router.save(tmp_path / "r")
    again = load_router(tmp_path / "r")
    assert again.predictor_models == router.predictor_models
    np.testing.assert_allclose(again.score(prompts), scores, rtol=1e-6)


def test_unknown_predictor_name_is_an_error(arena_comparisons, embedder) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="no battles"):
        train_router(arena_comparisons[:50], predictor=MFPredictor(epochs=1, show_progress=False),
                     strong="gpt-4-1106-preview", weak="no-such-model", embedder=embedder)
