"""core.prompt_files.read_prompts: the prompt files `winroute calibrate / label / inspect / select / adapt` read."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.prompt_files import read_prompts


def test_text_file_one_prompt_a_line_blank_lines_skipped(tmp_path: Path) -> None:
    file = tmp_path / "p.txt"
    file.write_text("first prompt\n\n  \nsecond: {\"not\": \"json\"}\n", encoding="utf-8")
    assert read_prompts(str(file)) == ["first prompt", "second: {\"not\": \"json\"}"]


def test_jsonl_prompt_text_or_bare_string(tmp_path: Path) -> None:
    file = tmp_path / "p.jsonl"
    file.write_text('{"prompt": "a"}\n{"text": "b"}\n"c"\n', encoding="utf-8")
    assert read_prompts(str(file)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"prompt": "a"}\n{oops\n', r"p\.jsonl:2: not valid JSON"), ('{"answer": 1}\n', r"p\.jsonl:1: expected a string")],
)
def test_bad_jsonl_line_is_named(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "p.jsonl"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_prompts(str(file))


def test_missing_and_empty_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="prompt file not found"):
        read_prompts(str(tmp_path / "nope.txt"))
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holds no prompts"):
        read_prompts(str(tmp_path / "empty.txt"))
