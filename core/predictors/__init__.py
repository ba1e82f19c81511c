"""Win predictors: one module per algorithm, one small interface (``Predictor``)."""

from __future__ import annotations

from .base import PairwiseData, Predictor, Queries
from .mf import MFPredictor
from .random import RandomPredictor
from .sw_ranking import SWRankingPredictor

PREDICTORS: dict[str, type[Predictor]] = {
    cls.kind: cls for cls in (RandomPredictor, SWRankingPredictor, MFPredictor)
}

__all__ = ["PREDICTORS", "MFPredictor", "PairwiseData", "Predictor", "Queries", "RandomPredictor", "SWRankingPredictor"]
