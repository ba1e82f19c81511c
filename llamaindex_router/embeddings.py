"""A LlamaIndex embedding model backed by winroute's local, offline sentence-transformers embedder."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field

from core import Embedder, Router, SentenceTransformerEmbedder


class WinrouteEmbedding(BaseEmbedding):
    """``BaseEmbedding`` over a ``core`` embedder (default: the bundled all-MiniLM-L6-v2, offline).

    ``WinrouteEmbedding.from_router(router)`` reuses the router's own encoder, so a
    ``VectorStoreIndex`` and the router share one model in memory.
    """

    embedder: Any = Field(default=None, exclude=True, repr=False, description="a core.Embedder")

    def __init__(self, embedder: Embedder | None = None, **kwargs: Any) -> None:
        embedder = embedder if embedder is not None else SentenceTransformerEmbedder()
        kwargs.setdefault("model_name", getattr(embedder, "model_id", "winroute"))
        super().__init__(embedder=embedder, **kwargs)

    @classmethod
    def from_router(cls, router: Router, **kwargs: Any) -> WinrouteEmbedding:
        """An embedding model sharing ``router``'s encoder."""
        return cls(router.embedder, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "WinrouteEmbedding"

    def _embed(self, texts: list[str]) -> list[Embedding]:
        return [row.tolist() for row in self.embedder.embed(list(texts))]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await asyncio.to_thread(self._embed, [query]))[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await asyncio.to_thread(self._embed, [text]))[0]

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._embed, texts)
