"""Predictors: win predictors for two models (``Predictor``) and per-model quality predictors for N (``QualityPredictor``)."""

from __future__ import annotations

from .adapted import AdaptedPredictor
from .base import PairwiseData, Predictor, Queries
from .bert import BertPredictor
from .causal_llm import CausalLMPredictor
from .mf import MFPredictor
from .quality import OutcomeData, QualityPredictor
from .quality_knn import KNNQualityPredictor
from .quality_mlp import MLPQualityPredictor
from .random import RandomPredictor
from .ridge import RidgePredictor
from .sw_ranking import SWRankingPredictor

PREDICTORS: dict[str, type[Predictor]] = {
    cls.kind: cls
    for cls in (
        RandomPredictor,
        SWRankingPredictor,
        MFPredictor,
        RidgePredictor,
        BertPredictor,
        CausalLMPredictor,
        AdaptedPredictor,
    )
}
QUALITY_PREDICTORS: dict[str, type[QualityPredictor]] = {
    cls.kind: cls for cls in (KNNQualityPredictor, MLPQualityPredictor)
}

__all__ = [
    "PREDICTORS",
    "QUALITY_PREDICTORS",
    "AdaptedPredictor",
    "BertPredictor",
    "CausalLMPredictor",
    "KNNQualityPredictor",
    "MFPredictor",
    "MLPQualityPredictor",
    "OutcomeData",
    "PairwiseData",
    "Predictor",
    "QualityPredictor",
    "Queries",
    "RandomPredictor",
    "RidgePredictor",
    "SWRankingPredictor",
]
