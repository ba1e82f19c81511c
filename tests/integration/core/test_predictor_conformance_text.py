"""The conformance checks (tests/predictor_conformance.py) for the predictors that read prompt text with a
real local model: BERT (all-MiniLM-L6-v2) and the causal LM (SmolLM2), on small settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from predictor_conformance import (  # noqa: F401 - battles, pair_battles, fitted are fixtures
    REAL_MODEL_KINDS,
    battles,
    check_params_and_unfitted_use,
    check_predicts_probabilities,
    check_save_load_round_trip,
    fitted,
    pair_battles,
)

from core.predictors import PairwiseData


@pytest.mark.parametrize("kind", REAL_MODEL_KINDS)
def test_params_and_unfitted_use(kind: str, battles: PairwiseData, tmp_path: Path) -> None:  # noqa: F811
    check_params_and_unfitted_use(kind, battles, tmp_path)


@pytest.mark.parametrize("kind", REAL_MODEL_KINDS)
def test_predicts_probabilities(kind: str, fitted, battles: PairwiseData) -> None:  # noqa: ANN001, F811
    check_predicts_probabilities(kind, fitted, battles)


@pytest.mark.parametrize("kind", REAL_MODEL_KINDS)
def test_save_load_round_trip(kind: str, fitted, battles: PairwiseData, tmp_path: Path) -> None:  # noqa: ANN001, F811
    check_save_load_round_trip(kind, fitted, battles, tmp_path)
