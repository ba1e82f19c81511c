"""winroute core: a framework-free, offline LLM routing engine.

Importing this package is cheap: the bundled router routes with numpy and ``tokenizers``;
torch, transformers and sentence-transformers load only when a MiniLM, BERT or causal-LM
model is first used.
"""

from __future__ import annotations

from .conversation import Conversation, routing_input
from .costs import ModelSpec
from .embeddings import Embedder, OpenAIEmbedder, SentenceTransformerEmbedder, StaticEmbedder, make_embedder
from .errors import (
    ArtifactError,
    InvalidArgumentError,
    InvalidConversationError,
    NotFittedError,
    PredictionError,
    UnknownModelError,
    WinrouteError,
)
from .loading import DEFAULT_ROUTER_DIR, MINILM_ROUTER_DIR, default_router, load_router
from .nway_router import NWayRouter
from .policies import Budget, CostWeight, MinQuality, Policy, StrongShare, Threshold
from .predictors import (
    PREDICTORS,
    QUALITY_PREDICTORS,
    KNNQualityPredictor,
    MFPredictor,
    MLPQualityPredictor,
    OutcomeData,
    Predictor,
    QualityPredictor,
    Queries,
    RandomPredictor,
    RidgePredictor,
    SWRankingPredictor,
)
from .recipes import load_recipe, run_recipe
from .router import RouteDecision, Router
from .scorers import PairwiseScorer, QualityScorer, Scorer

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ROUTER_DIR",
    "MINILM_ROUTER_DIR",
    "PREDICTORS",
    "QUALITY_PREDICTORS",
    "ArtifactError",
    "Budget",
    "Conversation",
    "CostWeight",
    "Embedder",
    "InvalidArgumentError",
    "InvalidConversationError",
    "KNNQualityPredictor",
    "MFPredictor",
    "MLPQualityPredictor",
    "MinQuality",
    "ModelSpec",
    "NWayRouter",
    "NotFittedError",
    "OpenAIEmbedder",
    "OutcomeData",
    "PairwiseScorer",
    "Policy",
    "PredictionError",
    "Predictor",
    "QualityPredictor",
    "QualityScorer",
    "Queries",
    "RandomPredictor",
    "RidgePredictor",
    "RouteDecision",
    "Router",
    "SWRankingPredictor",
    "Scorer",
    "SentenceTransformerEmbedder",
    "StaticEmbedder",
    "StrongShare",
    "Threshold",
    "UnknownModelError",
    "WinrouteError",
    "default_router",
    "load_recipe",
    "load_router",
    "make_embedder",
    "routing_input",
    "run_recipe",
]
