"""Choosing and persisting an embedder by id: ``openai/<model>``, ``static[:...]`` or a sentence-transformer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ArtifactError
from .encoders import DEFAULT_EMBEDDER, Embedder, OpenAIEmbedder, SentenceTransformerEmbedder
from .static import StaticEmbedder
from .static_ids import is_static_id

__all__ = ["EMBEDDER_DIR", "embedder_for_artifact", "is_remote", "load_embedder", "make_embedder", "save_embedder"]

EMBEDDER_DIR = "embedder"  # a router artifact's folder for an embedder that carries its own weights


def is_remote(model_id: str) -> bool:
    """True for an embedder that sends the prompts off the machine (an API)."""
    return str(model_id).lower().startswith("openai/")


def embedder_for_artifact(
    model_id: str, directory: str | os.PathLike[str], *, allow_remote: bool = False, where: str = "the artifact"
) -> Embedder:
    """The embedder a saved router in ``directory`` names (:func:`load_embedder`), refusing a network one
    unless the caller allows it.

    A router file must not be able to send every prompt to a remote API because an API key
    happens to be in the environment (issue 18, finding 6): pass ``allow_remote=True``, or
    the embedder object itself, to load such a router.
    """
    if is_remote(model_id) and not allow_remote:
        raise ArtifactError(
            f"{where} names the remote embedder {model_id!r}, which would send every prompt off this machine; "
            "load it with allow_remote=True or pass embedder=... explicitly"
        )
    return load_embedder(model_id, directory)


def make_embedder(model_id: str = DEFAULT_EMBEDDER, **kwargs: Any) -> Embedder:
    """Embedder for an id: ``openai/<model>``, ``static[:<model>...]`` or a sentence-transformers model.

    A sentence-transformers id may end in ``#int8`` (``SentenceTransformerEmbedder(quantize="int8")``).
    A static id (:mod:`core.embeddings.static`) gives a table distilled from the local model on first
    use (train time); a router artifact carries its table, read by :func:`load_embedder`.
    """
    if model_id.startswith("openai/"):
        return OpenAIEmbedder(model_id.split("/", 1)[1], **kwargs)
    if is_static_id(model_id):
        return StaticEmbedder.distilled(model_id, **kwargs)
    return SentenceTransformerEmbedder(model_id, **kwargs)


def save_embedder(embedder: Embedder, directory: str | os.PathLike[str]) -> None:
    """Write into a router artifact what its embedder needs besides its id (a static table)."""
    if is_static_id(embedder.model_id):
        embedder.save(Path(directory) / EMBEDDER_DIR)  # type: ignore[attr-defined]


def load_embedder(model_id: str, directory: str | os.PathLike[str]) -> Embedder:
    """The embedder a router artifact names: its own static table, or :func:`make_embedder`'s."""
    if is_static_id(model_id):
        return StaticEmbedder.load(Path(directory) / EMBEDDER_DIR, expected_id=model_id)
    return make_embedder(model_id)
