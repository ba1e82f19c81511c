"""The user's prompts to label: a text file (one a line) or JSONL with ``prompt`` and optional ``answer``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..data._io import read_text
from ..data.errors import DataFormatError, DataNotFoundError
from .errors import LabelingError

__all__ = ["PromptItem", "read_prompt_items"]


@dataclass(frozen=True)
class PromptItem:
    """One prompt, with the user's reference ``answer`` (golden path) and ``id`` if the file gives them."""

    prompt: str
    answer: str | None = None
    id: str | None = None
    line: int = 0


def _optional_text(obj: dict, name: str, path: Path, line: int) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise DataFormatError(
            path, f"line {line}", f"'{name}' must be a string or a number, got {type(value).__name__}"
        )
    return value


def read_prompt_items(path: str | Path) -> list[PromptItem]:
    """Prompts from ``*.jsonl`` (objects with ``prompt`` or ``text``, optional ``answer`` and ``id`` /
    ``prompt_id``; or bare strings) or any other text file (one prompt a line)."""
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(file, "prompt file")
    items: list[PromptItem] = []
    for line_no, line in enumerate(read_text(file).splitlines(), 1):
        if not line.strip():
            continue
        if file.suffix.lower() != ".jsonl":
            items.append(PromptItem(line, line=line_no))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(file, f"line {line_no}", f"not valid JSON ({exc.msg})") from None
        if isinstance(obj, str):
            items.append(PromptItem(obj, line=line_no))
            continue
        if not isinstance(obj, dict):
            raise DataFormatError(file, f"line {line_no}", "expected a string or an object with a 'prompt' field")
        text = obj.get("prompt", obj.get("text"))
        if not isinstance(text, str) or not text.strip():
            raise DataFormatError(file, f"line {line_no}", "expected a non-empty 'prompt' (or 'text') string")
        answer = _optional_text(obj, "answer", file, line_no)
        ident = _optional_text(obj, "id", file, line_no) or _optional_text(obj, "prompt_id", file, line_no)
        items.append(PromptItem(text, answer, ident, line_no))
    if not items:
        raise LabelingError(f"{file} holds no prompts")
    return items
