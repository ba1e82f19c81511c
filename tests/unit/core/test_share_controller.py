"""The online share controller on a synthetic drifting stream: scores from three phases with very
different distributions (easy, hard, mixed). A threshold fixed on the first phase misses the
target badly after the drift; the controller holds it within a few points in every phase."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.errors import InvalidArgumentError
from core.share_controller import ShareController

PHASES = [("easy", 2.0, 8.0), ("hard", 8.0, 2.0), ("mixed", 3.0, 3.0)]  # beta(a, b) scores per phase


def stream(rng: np.random.Generator, n: int = 3000) -> list[tuple[str, float]]:
    return [(name, float(s)) for name, a, b in PHASES for s in rng.beta(a, b, n)]


def test_controller_holds_the_target_share_as_the_stream_drifts() -> None:
    rng = np.random.default_rng(0)
    target, window = 0.3, 400
    scores = stream(rng)
    fixed = float(np.quantile([s for name, s in scores if name == "easy"], 1 - target))  # calibrated on phase 1
    controller = ShareController(target, window=window, initial_threshold=fixed)
    went: dict[str, list[tuple[bool, bool]]] = {name: [] for name, *_ in PHASES}
    for name, score in scores:
        threshold = controller.threshold()
        went[name].append((score >= threshold, score >= fixed))
        controller.observe(score, score >= threshold)
    for name, pairs in went.items():
        settled = pairs[window:]  # after the window has filled with this phase's scores
        achieved = np.mean([c for c, _ in settled])
        static = np.mean([f for _, f in settled])
        assert abs(achieved - target) < 0.04, (name, achieved)
        if name != "easy":
            assert abs(static - target) > 0.2, (name, static)  # the fixed threshold drifted with the traffic
    state = controller.state()
    assert state["n_scores"] == window and abs(state["achieved_share"] - target) < 0.06


def test_controller_before_enough_scores_and_target_changes() -> None:
    controller = ShareController(0.5, window=10, min_scores=5, initial_threshold=0.42)
    for s in (0.1, 0.2, float("nan"), 0.3):
        controller.observe(s)
    assert controller.threshold() == 0.42  # 3 scores seen (NaN: a sticky call, not counted)
    for s in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        controller.observe(s)
    assert controller.threshold() == pytest.approx(np.quantile([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 0.5))
    controller.target_share = 1.0
    assert controller.threshold() == 0.0
    controller.target_share = 0.0
    assert controller.threshold() == 1.0 and not math.isnan(controller.state()["threshold"])
    with pytest.raises(InvalidArgumentError):
        controller.target_share = 1.5
    seeded = ShareController(0.25, min_scores=5, reference_scores=[0.4, 0.1, 0.3, 0.2, 0.5])
    assert seeded.threshold() == pytest.approx(np.quantile([0.1, 0.2, 0.3, 0.4, 0.5], 0.75))  # the prior until 5 scores
    with pytest.raises(InvalidArgumentError):
        ShareController(0.3, window=0)
