"""winroute core: a framework-free, offline LLM routing engine.

Importing this package is cheap: torch and sentence-transformers load on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .conversation import Conversation, routing_input
from .embeddings import Embedder, OpenAIEmbedder, SentenceTransformerEmbedder, make_embedder
from .errors import (
    ArtifactError,
    InvalidArgumentError,
    InvalidConversationError,
    NotFittedError,
    PredictionError,
    UnknownModelError,
    WinrouteError,
)
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
    SWRankingPredictor,
)
from .costs import ModelSpec
from .nway_router import NWayRouter
from .policies import Budget, CostWeight, MinQuality, Policy, StrongShare, Threshold
from .router import RouteDecision, Router
from .scorers import PairwiseScorer, QualityScorer, Scorer
from .static_embeddings import StaticEmbedder

DEFAULT_ROUTER_DIR = Path(__file__).resolve().parent / "default_router"

__version__ = "0.1.0"


def load_router(
    path: str | Path | None = None,
    *,
    embedder: Embedder | None = None,
    allow_remote: bool = False,
    expected_sha256: str | None = None,
) -> Router:
    """Load a saved router, two-model or N-way; with no argument, the bundled default (MF, offline).

    The artifact is validated whole before use (docs/security.md). One that names a remote
    embedder (OpenAI) is refused unless ``allow_remote=True`` or ``embedder`` is given;
    ``expected_sha256`` pins the artifact's manifest digest (``router.artifact_sha256``).
    """
    directory = DEFAULT_ROUTER_DIR if path is None else Path(path)
    return Router.load(directory, embedder=embedder, allow_remote=allow_remote, expected_sha256=expected_sha256)


_shared_lock = threading.Lock()
_shared: Router | None = None


def default_router() -> Router:
    """The bundled default router, loaded once per process and shared (adapters use it).

    Sharing means one encoder in memory and one embedding cache. Do not ``calibrate`` it:
    load a private router with ``load_router()`` for that.
    """
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = load_router()
    return _shared


__all__ = [
    "DEFAULT_ROUTER_DIR",
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
    "load_router",
    "make_embedder",
    "routing_input",
]
