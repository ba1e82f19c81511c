"""Small file-reading helpers shared by the importers: JSON, JSONL, CSV with precise errors."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.data.errors import DataFormatError, DataNotFoundError

# RouterBench / RouteLLM cells hold whole few-shot prompts and model answers.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def require_file(path: str | Path, what: str = "data file") -> Path:
    """The path as a Path if it is an existing file, else DataNotFoundError naming it."""
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(p, what)
    return p


def require_dir(path: str | Path, what: str = "data directory") -> Path:
    """The path as a Path if it is an existing directory, else DataNotFoundError naming it."""
    p = Path(path)
    if not p.is_dir():
        raise DataNotFoundError(p, what)
    return p


def require_exists(path: str | Path, what: str = "data file or directory") -> Path:
    """The path as a Path if it exists (file or directory), else DataNotFoundError."""
    p = Path(path)
    if not p.exists():
        raise DataNotFoundError(p, what)
    return p


@contextmanager
def utf8_text(path: Path) -> Iterator[None]:
    """Turn a decoding error inside the block into a DataFormatError naming ``path``.

    Every data and prompt file is read as UTF-8; a binary, latin-1 or UTF-16 file otherwise
    ends in ``'utf-8' codec can't decode byte 0x89`` with no word of which file it was.
    """
    try:
        yield
    except UnicodeDecodeError as exc:
        bom = {b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}.get(bytes(exc.object[:2]), "")
        kind = f"it looks like {bom}" if bom else "a binary file, or text in another encoding such as latin-1"
        raise DataFormatError(
            path, f"byte {exc.start}", f"not UTF-8 text ({kind}: byte 0x{exc.object[exc.start]:02x}); save it as UTF-8"
        ) from None


def read_text(path: Path) -> str:
    """The whole of a UTF-8 text file; a decoding error names the file."""
    with utf8_text(path):
        return path.read_text(encoding="utf-8")


def read_json(path: Path) -> Any:
    """Parse a whole JSON file; a syntax error names the file and line."""
    with utf8_text(path), path.open(encoding="utf-8") as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataFormatError(path, f"line {exc.lineno} column {exc.colno}", f"invalid JSON ({exc.msg})") from None


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; bad JSON names file and line."""
    with utf8_text(path), path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFormatError(path, f"line {line_no}", f"invalid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise DataFormatError(path, f"line {line_no}", f"expected a JSON object, got {type(obj).__name__}")
            yield line_no, obj


def require_fields(obj: dict[str, Any], fields: Sequence[str], path: Path, where: str) -> None:
    """DataFormatError if any of ``fields`` is absent from a JSON record."""
    missing = [f for f in fields if f not in obj]
    if missing:
        raise DataFormatError(path, where, f"missing field(s) {missing}")


@contextmanager
def open_csv(path: Path, required: Sequence[str] = ()) -> Iterator[csv.DictReader]:
    """A DictReader over ``path`` whose header must contain ``required`` columns."""
    with utf8_text(path), path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise DataFormatError(path, "line 1 (header)", f"missing column(s) {missing}")
        yield reader


def csv_where(reader: csv.DictReader, row_index: int) -> str:
    """Location of the row just read: physical line (where it ends) and 0-based data row."""
    return f"line {reader.line_num} (data row {row_index})"


def to_float(value: Any, path: Path, where: str, what: str) -> float:
    """A finite float from a JSON number or numeric string, else DataFormatError."""
    if isinstance(value, bool):
        raise DataFormatError(path, where, f"{what}: {value!r} is not a number")
    if isinstance(value, (int, float)):
        result = float(value)
    else:
        try:
            result = float(str(value).strip())
        except ValueError:
            raise DataFormatError(path, where, f"{what}: {value!r} is not a number") from None
    if not math.isfinite(result):
        raise DataFormatError(path, where, f"{what}: {value!r} is not a finite number")
    return result
