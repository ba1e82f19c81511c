"""Persistent JSONL cache of completions, so an interrupted labeling run resumes without paying twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..data.errors import DataFormatError
from .client import ChatReply

__all__ = ["ResponseCache", "cache_key"]


def cache_key(model: str, messages: Sequence[Mapping[str, str]], params: Mapping[str, Any] | None = None) -> str:
    """SHA-256 of (endpoint model name, messages, generation parameters)."""
    payload = json.dumps(
        {"model": model, "messages": [dict(m) for m in messages], "params": dict(params or {})},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """Completions keyed by :func:`cache_key`, appended to a JSONL file as soon as they arrive.

    Each line: ``key``, ``model``, ``kind`` (``answer`` / ``verdict``), ``text``,
    ``input_tokens``, ``output_tokens``. A torn last line (a run killed mid-write) is
    ignored; a bad line elsewhere is an error naming the file and line. ``path=None``
    keeps the cache in memory only.
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        self._entries: dict[str, ChatReply] = {}
        self._fh: TextIO | None = None
        self._torn_at: int | None = None  # byte offset of a torn last line, cut before the next write
        self._needs_newline = False  # the file ends in a whole record without its newline
        if self.path is not None and self.path.is_file():
            self._load(self.path)

    def _load(self, path: Path) -> None:
        data = path.read_bytes()
        raw = data.decode("utf-8", errors="replace")
        lines = raw.split("\n")
        last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                reply = ChatReply(str(obj["text"]), obj.get("input_tokens"), obj.get("output_tokens"))
                self._entries[str(obj["key"])] = reply
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                if i == last and not data.endswith(b"\n"):
                    self._torn_at = data.rfind(b"\n") + 1  # torn final write of an interrupted run:
                    continue  # that request is simply redone
                raise DataFormatError(path, f"line {i + 1}", f"not a cache record ({exc})") from None
        self._needs_newline = bool(data) and not data.endswith(b"\n") and self._torn_at is None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> ChatReply | None:
        """The cached reply, or None."""
        return self._entries.get(key)

    def put(self, key: str, model: str, kind: str, reply: ChatReply) -> None:
        """Remember ``reply`` and append it to the file at once (flushed)."""
        self._entries[key] = reply
        if self.path is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self._torn_at is not None:
                with self.path.open("r+b") as fh:
                    fh.truncate(self._torn_at)
                self._torn_at = None
            self._fh = self.path.open("a", encoding="utf-8")
            if self._needs_newline:
                self._fh.write("\n")
                self._needs_newline = False
        record = {
            "key": key,
            "model": model,
            "kind": kind,
            "text": reply.text,
            "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens,
        }
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Close the file (the cache stays usable: a later put reopens it)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
