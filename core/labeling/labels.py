"""Label files: write comparisons or per-model outcomes as JSONL, and read either back as comparisons.

Two forms, one record a line:

* comparisons: ``prompt``, ``model_a`` (strong), ``model_b`` (weak), ``outcome`` = P(a wins),
  ``source`` (``"user"``), optional ``weight``; extra fields (``judge``, ``verdicts``) are kept
  for auditing and ignored when read;
* outcomes: ``prompt``, ``model``, ``score`` (0..1; any finite metric is scaled to it per source), ``cost`` (USD or null), optional
  ``prompt_id`` and ``source``: the user-data format of :func:`core.evaluation.benchmarks.load_outcomes_file`.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..data._io import iter_jsonl
from ..data.battles import outcomes_to_comparisons
from ..data.errors import DataFormatError, DataNotFoundError
from ..data.models import canonical_model
from ..data.records import Comparison, Outcome

__all__ = ["comparison_row", "load_labels", "outcome_row", "write_jsonl"]

logger = logging.getLogger(__name__)


def comparison_row(c: Comparison, **extra: Any) -> dict[str, Any]:
    """The JSON record of one comparison (``weight`` only when it is not 1)."""
    row: dict[str, Any] = {
        "prompt": c.prompt,
        "model_a": c.model_a,
        "model_b": c.model_b,
        "outcome": c.outcome,
        "source": c.source,
    }
    if c.weight != 1.0:
        row["weight"] = c.weight
    row.update(extra)
    return row


def outcome_row(o: Outcome) -> dict[str, Any]:
    """The JSON record of one per-model outcome (``prompt_id`` only when set)."""
    row: dict[str, Any] = {"prompt": o.prompt, "model": o.model, "score": o.score, "cost": o.cost, "source": o.source}
    if o.prompt_id:
        row["prompt_id"] = o.prompt_id
    return row


def write_jsonl(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write ``rows`` atomically (temp file, then rename); returns how many were written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, out)
    return n


def normalise_scores(
    rows: list[tuple[str, str, float, float | None, str, str]], file: Path
) -> list[tuple[str, str, float, float | None, str, str]]:
    """Scores in [0, 1]: a source whose scores leave that range is min-max scaled, per source.

    Real metrics (METEOR, BLEURT, a reward model) go slightly negative or past 1. Battles only
    compare two models' scores on one prompt, so an order-preserving scale of a source's scores
    gives the same battles; it is logged, never silent.
    """
    by_source: dict[str, list[float]] = {}
    for row in rows:
        by_source.setdefault(row[4], []).append(row[2])
    scale: dict[str, tuple[float, float]] = {}
    for source, scores in by_source.items():
        low, high = min(scores), max(scores)
        if low < 0.0 or high > 1.0:
            scale[source] = (low, high)
            logger.warning(
                "%s: scores of source %r span [%g, %g], outside [0, 1]: scaled to [0, 1] for this source "
                "(min-max; battles compare scores, so they are unchanged)",
                file,
                source,
                low,
                high,
            )
    if not scale:
        return rows
    out = []
    for prompt, model, score, cost, source, prompt_id in rows:
        if source in scale:
            low, high = scale[source]
            score = (score - low) / (high - low) if high > low else 0.5
        out.append((prompt, model, min(max(score, 0.0), 1.0), cost, source, prompt_id))
    return out


def _number(obj: dict[str, Any], name: str, path: Path, where: str) -> float:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataFormatError(path, where, f"'{name}' must be a finite number, got {value!r}")
    return float(value)


def _model(obj: dict[str, Any], name: str, path: Path, where: str) -> str:
    value = obj[name]
    if not isinstance(value, str) or not value.strip():
        raise DataFormatError(path, where, f"'{name}' must be a non-empty model name, got {value!r}")
    return canonical_model(value)


def load_labels(path: str | Path, *, strong: str | None = None, weak: str | None = None) -> list[Comparison]:
    """Comparisons from a label file in either form (or a mix), model names canonicalised.

    Outcome records become battles with :func:`core.data.outcomes_to_comparisons`: with
    ``strong`` and ``weak`` only that pair, oriented strong-first; without, every pair
    scored on the same prompt, in sorted order. Errors name the file and line.
    """
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(file, "label file")
    comparisons: list[Comparison] = []
    raw_outcomes: list[tuple[str, str, float, float | None, str, str]] = []
    for line_no, obj in iter_jsonl(file):
        where = f"line {line_no}"
        prompt = obj.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            raise DataFormatError(file, where, "missing or empty 'prompt' string")
        source = str(obj.get("source") or "user")
        try:
            if {"model_a", "model_b", "outcome"} <= obj.keys():
                weight = _number(obj, "weight", file, where) if "weight" in obj else 1.0
                comparisons.append(
                    Comparison(
                        prompt,
                        _model(obj, "model_a", file, where),
                        _model(obj, "model_b", file, where),
                        _number(obj, "outcome", file, where),
                        source,
                        weight,
                    )
                )
            elif {"model", "score"} <= obj.keys():
                cost = None if obj.get("cost") is None else _number(obj, "cost", file, where)
                if cost is not None and cost < 0:
                    raise DataFormatError(file, where, f"'cost' must be >= 0 USD, got {cost!r}")
                raw_outcomes.append(
                    (
                        prompt,
                        _model(obj, "model", file, where),
                        _number(obj, "score", file, where),
                        cost,
                        source,
                        str(obj.get("prompt_id") or ""),
                    )
                )
            else:
                raise DataFormatError(
                    file,
                    where,
                    "neither a comparison (prompt, model_a, model_b, outcome) nor an outcome (prompt, model, score); "
                    f"fields: {sorted(obj)}",
                )
        except ValueError as exc:
            if isinstance(exc, DataFormatError):
                raise
            raise DataFormatError(file, where, str(exc)) from None
    outcomes = [Outcome(*row) for row in normalise_scores(raw_outcomes, file)]
    pairs: Sequence[tuple[str, str]] | None = None
    if strong is not None and weak is not None:
        pairs = [(strong, weak)]
    elif (strong is None) != (weak is None):
        raise ValueError("load_labels: give both strong and weak, or neither")
    comparisons.extend(outcomes_to_comparisons(outcomes, pairs=pairs))
    if not comparisons:
        what = "no comparisons" if not outcomes else "outcomes but no prompt scored for two models"
        raise DataFormatError(file, None, f"holds {what}" + (f" (looked for {strong!r} vs {weak!r})" if pairs else ""))
    return comparisons
