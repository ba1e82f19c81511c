"""Difficulty targets: raw, rank and the Rasch pair gain (synthetic outcomes, no data needed)."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import Outcome, difficulty_comparisons
from core.data.battles import pair_gain


def _rasch_items(n_items: int = 400, seed: int = 0) -> tuple[list[dict[str, float]], np.ndarray, np.ndarray]:
    """Items whose success probabilities follow a Rasch model: abilities -2..2, difficulties -4..4."""
    rng = np.random.default_rng(seed)
    ability = np.linspace(-2, 2, 9)
    difficulty = np.sort(rng.uniform(-4, 4, n_items))
    p = 1 / (1 + np.exp(-(ability[None, :] - difficulty[:, None])))
    return [{f"m{j}": float(v) for j, v in enumerate(row)} for row in p], ability, difficulty


def test_pair_gain_recovers_the_rasch_gain() -> None:
    items, ability, difficulty = _rasch_items()
    gain = pair_gain(items)
    expected = 1 / (1 + np.exp(-(ability.max() - difficulty))) - 1 / (1 + np.exp(-(np.median(ability) - difficulty)))
    # noise-free Rasch probabilities: the joint fit recovers abilities and difficulties up to a shift
    assert np.abs(gain - expected).max() < 1e-3
    assert ((gain >= 0) & (gain < 1)).all()


def test_pair_gain_is_small_where_every_model_solves_or_fails() -> None:
    items, _, difficulty = _rasch_items()
    gain = pair_gain(items)
    easiest, hardest, middle = gain[:20].mean(), gain[-20:].mean(), gain[np.abs(difficulty - 1.0) < 0.5].mean()
    assert middle > 3 * easiest and middle > 3 * hardest  # an inverted U, unlike the raw difficulty


def test_difficulty_scales_per_source() -> None:
    outcomes = [Outcome(f"q{i}", f"m{j}", float(j < i), source=src, prompt_id=f"{src}{i}")
                for src in ("a", "b") for i in range(6) for j in range(5)]
    raw = {(c.source, c.prompt): c.outcome for c in difficulty_comparisons(outcomes, min_models=5)}
    assert raw[("a", "q0")] == 1.0 and raw[("a", "q5")] == 0.0  # q0: every model fails
    rank = {(c.source, c.prompt): c.outcome for c in difficulty_comparisons(outcomes, min_models=5, scale="rank")}
    assert rank[("b", "q0")] == 1.0 and rank[("b", "q5")] == 0.0
    gain = {(c.source, c.prompt): c.outcome for c in difficulty_comparisons(outcomes, min_models=5, scale="gain")}
    assert gain[("a", "q0")] < gain[("a", "q3")] > gain[("a", "q5")]
    assert difficulty_comparisons(outcomes, min_models=6) == []
    with pytest.raises(ValueError, match="difficulty scale must be one of raw, rank, gain, got 'log'"):
        difficulty_comparisons(outcomes, scale="log")
