"""Putting the routing record on a child's answer: on each generation, or on a stream's chunks."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from .messages import ROUTER_KEY


def mark_result(result: ChatResult, record: dict[str, Any]) -> ChatResult:
    """Copies of the child's generations carrying the routing record (and a model name)."""
    label = record["child"]
    generations = []
    for generation in result.generations:
        message = generation.message
        metadata = {**message.response_metadata, ROUTER_KEY: dict(record)}
        if not any("model_name" in (d or {}) for d in (metadata, generation.generation_info, result.llm_output)):
            metadata["model_name"] = label
        metadata.setdefault("model_provider", record["child_provider"])
        generations.append(
            ChatGeneration(
                message=message.model_copy(update={"response_metadata": metadata}),
                generation_info=generation.generation_info,
            )
        )
    return ChatResult(generations=generations, llm_output=result.llm_output)


def trace_child(run_manager: Any, record: dict[str, Any]) -> dict[str, Any]:
    """Name the answering child in the router's run metadata, for tracers (LangSmith among them).

    The run starts before the router has decided, as ``ls_provider="winroute"``; once a child
    answers, ``ls_provider`` / ``ls_model_name`` become the child's (so that a tracer prices the
    run as the model that ran) and ``winroute_route`` / ``winroute_router`` keep the router's
    view. Returns ``record``. langchain-core 1.8 hands ``_stream`` no run manager: a streamed
    call carries the record on its first chunk only.
    """
    if run_manager is None:
        return record
    update = {
        "ls_provider": record["child_provider"],
        "ls_model_name": record["child_model"],
        "winroute_child": record["child"],
        "winroute_route": record["child_route"],
        "winroute_router": record.get("router"),
    }
    for handler in (*run_manager.handlers, *run_manager.inheritable_handlers):
        run_map = getattr(handler, "run_map", None)
        run = run_map.get(str(run_manager.run_id)) if isinstance(run_map, dict) else None
        if run is not None and isinstance(getattr(run, "extra", None), dict):
            run.extra.setdefault("metadata", {}).update(update)
    return record


class StreamMarker:
    """Puts the routing record on the first chunk and ``model_name`` on exactly one chunk.

    Chunk merging concatenates strings, so a ``model_name`` that the child sends on several
    chunks is kept on the first only; a child that sends none gets the child's name on its
    last chunk (or on an extra, empty last chunk). Usage (``input_tokens``) is the child's,
    untouched: the router adds none.
    """

    def __init__(self, record: dict[str, Any], label: str) -> None:
        self.record = record
        self.label = label
        self.first = True
        self.named = False
        self.list_content = False

    def mark(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        message = chunk.message
        metadata = dict(message.response_metadata)
        info = dict(chunk.generation_info) if chunk.generation_info else None
        if "model_name" in metadata or (info and "model_name" in info):
            if self.named:
                metadata.pop("model_name", None)
                if info:
                    info.pop("model_name", None)
            self.named = True
        if self.first:
            metadata[ROUTER_KEY] = dict(self.record)
            metadata.setdefault("model_provider", self.record["child_provider"])
            self.first = False
        if getattr(message, "chunk_position", None) == "last" and not self.named:
            metadata["model_name"] = self.label
            self.named = True
        self.list_content = isinstance(message.content, list)
        message.response_metadata = metadata
        chunk.generation_info = info
        return chunk

    def tail(self) -> ChatGenerationChunk | None:
        """An extra last chunk carrying ``model_name`` when no chunk had one."""
        if self.named:
            return None
        message = AIMessageChunk(
            content=[] if self.list_content else "",
            response_metadata={"model_name": self.label},
            chunk_position="last",
        )
        return ChatGenerationChunk(message=message)
