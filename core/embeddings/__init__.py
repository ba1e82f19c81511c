"""Prompt embeddings: encoders, the torch-free static embedder, the on-disk cache, the id factory.

* :mod:`.encoders`: the :class:`Embedder` protocol, sentence-transformers (local, lazy torch), OpenAI.
* :mod:`.static_ids`, :mod:`.static`, :mod:`.distill`: static token-table embeddings and their distillation.
* :mod:`.cache`: the on-disk embedding cache (``.npy`` shards + JSON index) shared by training and evaluation.
* :mod:`.factory`: ``make_embedder`` / ``save_embedder`` / ``load_embedder`` by embedder id.

Importing this package loads numpy only; torch, transformers and tokenizers load on first use.
"""

from __future__ import annotations

from .cache import DiskCachedEmbedder, EmbeddingCache, default_cache_dir
from .encoders import DEFAULT_EMBEDDER, Embedder, OpenAIEmbedder, SentenceTransformerEmbedder, resolve_model_path
from .factory import EMBEDDER_DIR, embedder_for_artifact, is_remote, load_embedder, make_embedder, save_embedder
from .static import StaticEmbedder
from .static_ids import StaticSpec, is_static_id, parse_static_id

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBEDDER_DIR",
    "DiskCachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "StaticEmbedder",
    "StaticSpec",
    "default_cache_dir",
    "embedder_for_artifact",
    "is_remote",
    "is_static_id",
    "load_embedder",
    "make_embedder",
    "parse_static_id",
    "resolve_model_path",
    "save_embedder",
]
