"""Reading a prompt file given on the command line: text (one prompt a line) or JSONL."""

from __future__ import annotations

import json
from pathlib import Path

from .data._io import read_text

__all__ = ["read_prompts"]


def read_prompts(path: str) -> list[str]:
    """Prompts from a text file (one per line) or JSONL (``prompt`` or ``text`` field, or a string)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"prompt file not found: {file}")
    prompts: list[str] = []
    for lineno, line in enumerate(read_text(file).splitlines(), 1):
        if not line.strip():
            continue
        if file.suffix == ".jsonl":
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file}:{lineno}: not valid JSON: {exc}") from exc
            text = (
                item
                if isinstance(item, str)
                else item.get("prompt", item.get("text"))
                if isinstance(item, dict)
                else None
            )
            if not isinstance(text, str):
                raise ValueError(f"{file}:{lineno}: expected a string or an object with a 'prompt' field")
            prompts.append(text)
        else:
            prompts.append(line)
    if not prompts:
        raise ValueError(f"{file} holds no prompts")
    return prompts
