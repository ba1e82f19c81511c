"""Every registered predictor kind passes the conformance checks (tests/predictor_conformance.py).

A kind added to ``PREDICTORS`` or ``QUALITY_PREDICTORS`` without small settings there fails the first
test; BERT and the causal LM (real local models) are checked by the integration tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from predictor_conformance import (  # noqa: F401 - battles, pair_battles, outcomes, fitted are fixtures
    QUALITY_FACTORIES,
    REAL_MODEL_KINDS,
    WIN_FACTORIES,
    battles,
    check_params_and_unfitted_use,
    check_predicts_probabilities,
    check_quality_predictor,
    check_save_load_round_trip,
    fitted,
    outcomes,
    pair_battles,
)

from core.predictors import PREDICTORS, QUALITY_PREDICTORS, OutcomeData, PairwiseData

KINDS = [kind for kind in PREDICTORS if kind not in REAL_MODEL_KINDS]


def test_every_registered_predictor_has_conformance_settings() -> None:
    """A predictor added to a registry without settings in tests/predictor_conformance.py fails here."""
    assert set(WIN_FACTORIES) == set(PREDICTORS), "give every registered win predictor small settings"
    assert set(QUALITY_FACTORIES) == set(QUALITY_PREDICTORS), "give every registered quality predictor settings"
    assert set(REAL_MODEL_KINDS) <= set(PREDICTORS)


@pytest.mark.parametrize("kind", KINDS)
def test_params_and_unfitted_use(kind: str, battles: PairwiseData, tmp_path: Path) -> None:  # noqa: F811
    check_params_and_unfitted_use(kind, battles, tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_predicts_probabilities(kind: str, fitted, battles: PairwiseData) -> None:  # noqa: ANN001, F811
    check_predicts_probabilities(kind, fitted, battles)


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip(kind: str, fitted, battles: PairwiseData, tmp_path: Path) -> None:  # noqa: ANN001, F811
    check_save_load_round_trip(kind, fitted, battles, tmp_path)


@pytest.mark.parametrize("kind", list(QUALITY_PREDICTORS))
def test_quality_predictor(kind: str, outcomes: OutcomeData, tmp_path: Path) -> None:  # noqa: F811
    check_quality_predictor(kind, outcomes, tmp_path)
