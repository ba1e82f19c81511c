"""Readers for the upstream routing-data formats, each returning canonical records.

Every reader takes the upstream files as published (see ``$WINROUTE_DATA/README.md``),
maps model names through :func:`~core.data.models.canonical_model` and tags each record
with a ``source``. Malformed rows raise :class:`DataFormatError` naming file and line;
missing files raise :class:`DataNotFoundError` naming the path.
"""

from __future__ import annotations

import ast
import logging
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.data._io import (
    csv_where,
    iter_jsonl,
    open_csv,
    read_json,
    require_dir,
    require_exists,
    require_fields,
    require_file,
    to_float,
)
from core.data.errors import DataFormatError, DataNotFoundError
from core.data.models import canonical_model
from core.data.records import Comparison, Outcome

__all__ = [
    "DATA_ENV_VAR",
    "load_alpaca_eval",
    "load_contaminated_prompts",
    "load_eval_prompts",
    "load_fastchat",
    "load_fastchat_questions",
    "load_llmrouter",
    "load_llmrouter_prices",
    "load_routellm_eval",
    "load_routerbench",
    "load_zeroeval",
    "resolve_data_dir",
]

log = logging.getLogger(__name__)

DATA_ENV_VAR = "WINROUTE_DATA"
Stats = dict[str, int]


def _bump(stats: Stats | None, key: str, n: int = 1) -> None:
    """Add ``n`` to a caller-supplied counter dict (no-op without one)."""
    if stats is not None and n:
        stats[key] = stats.get(key, 0) + n


def resolve_data_dir(path: str | Path | None = None) -> Path:
    """The data directory: ``path`` if given, else ``$WINROUTE_DATA``; it must exist."""
    hint = "the folder holding alpaca_eval/, arena_bench_v1/, routerbench_zs/, llmrouter/, routellm/, prices/"
    if path is None:
        env = os.environ.get(DATA_ENV_VAR, "").strip()
        if not env:
            raise DataNotFoundError("(none given)", "data directory", f"pass a path or set {DATA_ENV_VAR} to {hint}")
        p = Path(env).expanduser()
        if not p.is_dir():
            raise DataNotFoundError(p, "data directory", f"from {DATA_ENV_VAR}; it should be {hint}")
        return p
    return require_dir(Path(path).expanduser(), "data directory")


# ---------------------------------------------------------------------------- RouteLLM evals

_TRUE = {"true", "1", "1.0"}
_FALSE = {"false", "0", "0.0"}


def _routellm_files(path: Path) -> list[Path]:
    """A CSV file, the CSVs of a folder, or of its ``responses/`` sub-folder."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.csv")) or sorted((path / "responses").glob("*.csv"))
    if not files:
        raise DataNotFoundError(path / "*.csv", "RouteLLM response CSV")
    return files


def _routellm_source(path: Path) -> str:
    """``routellm_gsm8k`` / ``routellm_mmlu`` from the file name, else ``routellm``."""
    stem = path.stem.lower()
    for bench in ("gsm8k", "mmlu", "mt_bench"):
        if stem.startswith(bench):
            return f"routellm_{bench}"
    return "routellm"


def _parse_bool_cell(cell: str, path: Path, where: str, column: str) -> float | None:
    """``True``/``False`` (or 1/0) -> 1.0/0.0; empty -> None."""
    v = (cell or "").strip().lower()
    if v in _TRUE:
        return 1.0
    if v in _FALSE:
        return 0.0
    if v in ("", "nan", "none"):
        return None
    raise DataFormatError(path, where, f"column {column!r}: {cell!r} is not True/False")


def _read_routellm_csv(path: Path, source: str) -> list[Outcome]:
    """One RouteLLM response CSV -> 0/1 outcomes (``*_response`` columns ignored)."""
    out: list[Outcome] = []
    with open_csv(path, required=("prompt",)) as reader:
        models = [c for c in reader.fieldnames or [] if c and c != "prompt" and not c.endswith("_response")]
        if not models:
            raise DataFormatError(path, "line 1 (header)", "no model columns besides 'prompt'")
        names = {c: canonical_model(c) for c in models}
        for i, row in enumerate(reader):
            where = csv_where(reader, i)
            prompt = row.get("prompt")
            if prompt is None or any(row.get(c) is None for c in models):
                raise DataFormatError(path, where, "row has fewer cells than the header")
            for col in models:
                score = _parse_bool_cell(row[col], path, where, col)
                if score is not None:
                    out.append(Outcome(prompt, names[col], score, None, source, f"{path.stem}:{i}"))
    return out


def load_routellm_eval(path: str | Path, *, source: str | None = None) -> list[Outcome]:
    """RouteLLM eval CSVs (GSM8K file, MMLU ``responses/`` folder, or one CSV) -> outcomes.

    Score 1.0/0.0 from ``True``/``False``; ``prompt_id`` = ``<file stem>:<row index>``;
    ``source`` defaults to ``routellm_gsm8k`` / ``routellm_mmlu`` from the file name.
    """
    p = require_exists(path, "RouteLLM eval data")
    out: list[Outcome] = []
    for f in _routellm_files(p):
        out.extend(_read_routellm_csv(f, source or _routellm_source(f)))
    return out


def load_contaminated_prompts(path: str | Path) -> list[str]:
    """The ``eval_prompt`` field of RouteLLM's ``contaminated_prompts.jsonl`` (file or its folder)."""
    p = require_exists(path, "contaminated_prompts.jsonl")
    if p.is_dir():
        p = require_file(p / "contaminated_prompts.jsonl", "contaminated_prompts.jsonl")
    prompts: list[str] = []
    for line_no, obj in iter_jsonl(p):
        require_fields(obj, ("eval_prompt",), p, f"line {line_no}")
        prompts.append(str(obj["eval_prompt"]))
    return prompts


def load_eval_prompts(data_dir: str | Path | None = None, benchmarks: Iterable[str] = ("gsm8k", "mmlu")) -> list[str]:
    """Distinct prompt texts of the RouteLLM evaluation sets (to decontaminate training data)."""
    root = resolve_data_dir(data_dir)
    seen: dict[str, None] = {}
    for bench in benchmarks:
        for o in load_routellm_eval(root / "routellm" / bench):
            seen.setdefault(o.prompt, None)
    return list(seen)


# ---------------------------------------------------------------------------- AlpacaEval

_ALPACA_FIELDS = ("instruction", "generator_1", "generator_2", "preference")


def _alpaca_files(path: Path) -> list[Path]:
    """``<judge>/<model>.json`` files under a root, a judge folder, or a single file."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.json")) or sorted(path.glob("*/*.json"))
    if not files:
        raise DataNotFoundError(path / "<judge>/<model>.json", "AlpacaEval annotation file")
    return files


def _alpaca_file_model(path: Path) -> str:
    """The model a file is about: its stem (or ``results/<model>/<judge>/annotations.json``)."""
    return path.parent.parent.name if path.stem == "annotations" else path.stem


def _alpaca_outcome(pref: Any, path: Path, where: str) -> float | None:
    """P(generator_1 wins) from an AlpacaEval preference; None for a null preference.

    ``preference`` in [1, 2] is 1 + P(generator_2 better), so P(generator_1) = 2 - p.
    AlpacaEval also encodes a draw as ``0`` (its ``pairwise_to_winrate``): -> 0.5.
    """
    if pref is None:
        return None
    p = to_float(pref, path, where, "preference")
    if p == 0.0:
        return 0.5
    if not 1.0 <= p <= 2.0:
        raise DataFormatError(path, where, f"preference {pref!r} outside [1, 2] (or 0 = draw)")
    return min(1.0, max(0.0, 2.0 - p))


def _alpaca_model_b(generator_2: Any, canon_file_model: str) -> str:
    """generator_2 when it names the file's model; else the file name (odd upstream run names)."""
    if isinstance(generator_2, str) and generator_2.strip():
        g2 = canonical_model(generator_2)
        if g2 == canon_file_model:
            return g2
    return canon_file_model


def _read_alpaca_file(path: Path, source: str, stats: Stats | None) -> list[Comparison]:
    """One annotations JSON list -> comparisons (generator_1 = model_a)."""
    data = read_json(path)
    if not isinstance(data, list):
        raise DataFormatError(path, None, f"expected a JSON list of annotations, got {type(data).__name__}")
    canon_file_model = canonical_model(_alpaca_file_model(path))
    out: list[Comparison] = []
    renamed = 0
    for i, rec in enumerate(data):
        where = f"record {i}"
        if not isinstance(rec, dict):
            raise DataFormatError(path, where, f"expected an object, got {type(rec).__name__}")
        require_fields(rec, _ALPACA_FIELDS, path, where)
        outcome = _alpaca_outcome(rec["preference"], path, where)
        if outcome is None:
            _bump(stats, "null_preference")
            continue
        model_a = canonical_model(str(rec["generator_1"]))
        model_b = _alpaca_model_b(rec["generator_2"], canon_file_model)
        renamed += model_b != canonical_model(str(rec["generator_2"]))
        if model_a == model_b:
            _bump(stats, "self_comparison")
            continue
        out.append(Comparison(str(rec["instruction"]), model_a, model_b, outcome, source))
    if renamed:
        log.info("%s: generator_2 is not the file's model in %d rows; used %r", path, renamed, canon_file_model)
        _bump(stats, "generator_2_renamed", renamed)
    return out


def load_alpaca_eval(path: str | Path, *, source: str = "alpaca_eval", stats: Stats | None = None) -> list[Comparison]:
    """AlpacaEval ``<judge>/<model>.json`` annotations -> comparisons.

    ``outcome`` = P(generator_1 wins) = 2 - preference (continuous for the weighted judge;
    0 = draw -> 0.5). Null preferences and self-comparisons (the reference model's own
    file) are skipped; pass a dict as ``stats`` to get their counts.
    """
    p = require_exists(path, "AlpacaEval data")
    out: list[Comparison] = []
    for f in _alpaca_files(p):
        out.extend(_read_alpaca_file(f, source, stats))
    if stats is not None:
        log.info("alpaca_eval %s: %d comparisons, skipped %s", p, len(out), stats)
    return out


# ---------------------------------------------------------------------------- FastChat / MT-Bench


def _fastchat_question_file(path: Path) -> Path:
    """``question.jsonl`` inside ``path`` (or ``path`` itself)."""
    return require_file(path / "question.jsonl" if path.is_dir() else path, "FastChat question.jsonl")


def load_fastchat_questions(path: str | Path) -> dict[str, list[str]]:
    """``question.jsonl`` (file or its folder) -> question_id (as str) -> list of turns."""
    qfile = _fastchat_question_file(require_exists(path, "FastChat data"))
    questions: dict[str, list[str]] = {}
    for line_no, obj in iter_jsonl(qfile):
        where = f"line {line_no}"
        require_fields(obj, ("question_id", "turns"), qfile, where)
        turns = obj["turns"]
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            raise DataFormatError(qfile, where, "'turns' must be a non-empty list of strings")
        questions[str(obj["question_id"])] = turns
    return questions


def _is_pairwise_judgment(obj: dict[str, Any]) -> bool:
    """FastChat pairwise judgment rows (model_1/model_2) carry no single score."""
    return "model" not in obj and "model_1" in obj and "model_2" in obj


def _fastchat_score(value: Any, path: Path, where: str) -> float | None:
    """1-10 judge score -> (s-1)/9 in [0, 1]; None for null / -1 (no parseable rating)."""
    if value is None:
        return None
    s = to_float(value, path, where, "score")
    if s == -1.0:
        return None
    if not 1.0 <= s <= 10.0:
        raise DataFormatError(path, where, f"score {value!r} outside 1-10")
    return (s - 1.0) / 9.0


def _read_judgments(
    path: Path, questions: dict[str, list[str]], scores: dict[tuple[str, str], list[float]], stats: Stats | None
) -> None:
    """Accumulate normalised scores per (question_id, model) from one judgment file."""
    for line_no, obj in iter_jsonl(path):
        where = f"line {line_no}"
        if _is_pairwise_judgment(obj):
            log.info("%s: pairwise judgments, skipped", path)
            _bump(stats, "pairwise_file_skipped")
            return
        require_fields(obj, ("question_id", "model", "score"), path, where)
        qid = str(obj["question_id"])
        if qid not in questions:
            raise DataFormatError(path, where, f"question_id {qid!r} is not in question.jsonl")
        s = _fastchat_score(obj["score"], path, where)
        if s is None:
            _bump(stats, "null_score")
            continue
        scores[(qid, canonical_model(str(obj["model"])))].append(s)


def load_fastchat(
    path: str | Path,
    *,
    source: str | None = None,
    judgment_dir: str = "model_judgment",
    stats: Stats | None = None,
) -> list[Outcome]:
    """FastChat single-answer grading (``question.jsonl`` + ``model_judgment/*.jsonl``) -> outcomes.

    Score = mean over the question's judged turns of (s-1)/9; null / -1 scores dropped.
    Model names come from each row's ``model`` field (not the file name). ``prompt`` is the
    first turn, ``prompt_id`` the question_id; ``source`` defaults to the folder name.
    """
    root = require_dir(path, "FastChat data directory")
    questions = load_fastchat_questions(root)
    jdir = require_dir(root / judgment_dir, "FastChat judgment directory")
    files = sorted(jdir.glob("*.jsonl"))
    if not files:
        raise DataNotFoundError(jdir / "*.jsonl", "FastChat judgment file")
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for f in files:
        _read_judgments(f, questions, scores, stats)
    src = source or root.name
    return [Outcome(questions[qid][0], model, sum(v) / len(v), None, src, qid) for (qid, model), v in scores.items()]


# ---------------------------------------------------------------------------- RouterBench

_COST_SUFFIX = "|total_cost"
_SPLITS = ("train", "test")


def _routerbench_files(path: Path, split: str | None) -> list[Path]:
    """RouterBench CSVs of a folder (``*_train.csv`` / ``*_test.csv`` by split) or one file."""
    if split is not None and split not in _SPLITS:
        raise ValueError(f"split must be 'train', 'test' or None, got {split!r}")
    if path.is_file():
        return [path]
    pattern = f"*_{split}.csv" if split else "*.csv"
    files = sorted(path.glob(pattern))
    if not files:
        raise DataNotFoundError(path / pattern, "RouterBench CSV")
    return files


def _parse_prompt_literal(cell: str, path: Path, where: str) -> str:
    """RouterBench ``prompt`` cell: a Python list literal of strings, joined with newlines."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise DataFormatError(path, where, f"prompt is not a Python list literal ({type(exc).__name__})") from None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise DataFormatError(path, where, f"prompt literal is a {type(value).__name__}, not a list of strings")


def _routerbench_models(path: Path, header: list[str]) -> list[str]:
    """Score columns: those with a matching ``<model>|total_cost`` column."""
    models = [c for c in header if c and f"{c}{_COST_SUFFIX}" in header]
    if not models:
        raise DataFormatError(path, "line 1 (header)", f"no '<model>' + '<model>{_COST_SUFFIX}' column pairs")
    return models


def _optional_cell(row: dict[str, str], col: str, path: Path, where: str) -> float | None:
    """A numeric cell, or None when empty."""
    cell = row.get(col)
    if cell is None:
        raise DataFormatError(path, where, f"row has no cell for column {col!r}")
    if not cell.strip():
        return None
    return to_float(cell, path, where, f"column {col!r}")


def _read_routerbench_csv(path: Path, source: str, stats: Stats | None) -> list[Outcome]:
    """One RouterBench CSV -> outcomes with per-call USD cost."""
    out: list[Outcome] = []
    with open_csv(path, required=("sample_id", "prompt")) as reader:
        models = _routerbench_models(path, list(reader.fieldnames or []))
        names = {c: canonical_model(c) for c in models}
        for i, row in enumerate(reader):
            where = csv_where(reader, i)
            prompt = _parse_prompt_literal(row.get("prompt") or "", path, where)
            pid = f"{path.stem}:{i}:{row.get('sample_id') or ''}"
            for col in models:
                score = _optional_cell(row, col, path, where)
                if score is None:
                    _bump(stats, "missing_score")
                    continue
                if not 0.0 <= score <= 1.0:
                    raise DataFormatError(path, where, f"column {col!r}: score {score} outside [0, 1]")
                cost = _optional_cell(row, f"{col}{_COST_SUFFIX}", path, where)
                out.append(Outcome(prompt, names[col], score, cost, source, pid))
    return out


def load_routerbench(
    path: str | Path,
    split: str | None = None,
    *,
    source: str = "routerbench_zs",
    stats: Stats | None = None,
) -> list[Outcome]:
    """RouterBench CSVs (RouterDC's ``routerbench_zs`` layout) -> 0/1 outcomes with USD cost.

    ``prompt`` cells are Python list literals, joined with ``\\n``; empty score cells are
    skipped; ``prompt_id`` = ``<file stem>:<row index>:<sample_id>`` (sample_ids repeat).
    ``split`` picks ``*_train.csv`` / ``*_test.csv`` from a folder (None = all).
    """
    p = require_exists(path, "RouterBench data")
    out: list[Outcome] = []
    for f in _routerbench_files(p, split):
        out.extend(_read_routerbench_csv(f, source, stats))
    return out


# ---------------------------------------------------------------------------- LLMRouter


def _llmrouter_files(path: Path, split: str | None) -> list[Path]:
    """``train.json`` / ``test.json`` from a file, a split folder, or the llmrouter root."""
    if split is not None and split not in _SPLITS:
        raise ValueError(f"split must be 'train', 'test' or None, got {split!r}")
    if path.is_file():
        return [path]
    folder = path / "dcrouter_preprocessed" if (path / "dcrouter_preprocessed").is_dir() else path
    names = [f"{split}.json"] if split else [f"{s}.json" for s in _SPLITS]
    files = [folder / n for n in names if (folder / n).is_file()]
    if not files:
        raise DataNotFoundError(folder / names[0], "LLMRouter split file")
    return files


def _read_llmrouter_file(path: Path, source: str, stats: Stats | None) -> list[Outcome]:
    """One LLMRouter split (JSON list of {question, scores}) -> outcomes."""
    data = read_json(path)
    if not isinstance(data, list):
        raise DataFormatError(path, None, f"expected a JSON list of records, got {type(data).__name__}")
    out: list[Outcome] = []
    for i, rec in enumerate(data):
        where = f"record {i}"
        if not isinstance(rec, dict):
            raise DataFormatError(path, where, f"expected an object, got {type(rec).__name__}")
        require_fields(rec, ("question", "scores"), path, where)
        if not isinstance(rec["scores"], dict):
            raise DataFormatError(path, where, "'scores' must be an object model -> score")
        for model, value in rec["scores"].items():
            if value is None:
                _bump(stats, "null_score")
                continue
            s = to_float(value, path, where, f"score of {model!r}")
            if not 0.0 <= s <= 1.0:
                raise DataFormatError(path, where, f"score of {model!r} = {s} outside [0, 1]")
            out.append(Outcome(str(rec["question"]), canonical_model(model), s, None, source, f"{path.stem}:{i}"))
    return out


def load_llmrouter(
    path: str | Path,
    split: str | None = None,
    *,
    source: str = "llmrouter",
    stats: Stats | None = None,
) -> list[Outcome]:
    """LLMRouter ``train.json`` / ``test.json`` (question + scores dict) -> outcomes.

    Fractional (partial-credit) scores are kept; ``prompt_id`` = ``<split>:<index>``.
    ``path`` may be a split file, ``dcrouter_preprocessed/`` or the llmrouter root
    (then ``split`` picks train / test; None = both).
    """
    p = require_exists(path, "LLMRouter data")
    out: list[Outcome] = []
    for f in _llmrouter_files(p, split):
        out.extend(_read_llmrouter_file(f, source, stats))
    return out


def load_llmrouter_prices(path: str | Path) -> dict[str, tuple[float, float]]:
    """LLMRouter ``default_llm.json`` -> canonical name -> (USD / 1M input, USD / 1M output).

    Uses the numeric ``input_price`` / ``output_price`` fields (the free-text ``feature``
    sometimes quotes other prices); entries without both prices are left out.
    """
    p = require_exists(path, "LLMRouter default_llm.json")
    if p.is_dir():
        cands = [p / "default_llm.json", p / "llm_candidates" / "default_llm.json"]
        p = next((c for c in cands if c.is_file()), cands[0])
    data = read_json(require_file(p, "LLMRouter default_llm.json"))
    if not isinstance(data, dict):
        raise DataFormatError(p, None, f"expected a JSON object name -> candidate, got {type(data).__name__}")
    prices: dict[str, tuple[float, float]] = {}
    for name, info in data.items():
        where = f"entry {name!r}"
        if not isinstance(info, dict):
            raise DataFormatError(p, where, "expected an object")
        if info.get("input_price") is None or info.get("output_price") is None:
            continue
        prices[canonical_model(name)] = (
            to_float(info["input_price"], p, where, "input_price"),
            to_float(info["output_price"], p, where, "output_price"),
        )
    return prices


# ---------------------------------------------------------------------------- ZeroEval

ZEROEVAL_TASKS: dict[str, str] = {"crux": "question", "math-l5": "problem"}
"""ZeroEval task folder -> the record field holding the item's text."""


def _read_zeroeval_file(path: Path, task: str, source: str) -> list[Outcome]:
    """One model's ZeroEval results (``<task>/<model>.json``) -> 0/1 outcomes."""
    rows = read_json(path)
    if not isinstance(rows, list):
        raise DataFormatError(path, "top level", "expected a JSON list of result records")
    field_name = ZEROEVAL_TASKS[task]
    model = canonical_model(path.stem)
    out: list[Outcome] = []
    for i, row in enumerate(rows):
        where = f"record {i}"
        if not isinstance(row, dict):
            raise DataFormatError(path, where, "expected a JSON object")
        require_fields(row, ("id", field_name, "correct"), path, where)
        score = to_float(row["correct"], path, where, "correct")
        if score not in (0.0, 1.0):
            raise DataFormatError(path, where, f"'correct' must be 0 or 1, got {row['correct']!r}")
        out.append(Outcome(str(row[field_name]), model, score, None, source, f"{task}:{row['id']}"))
    return out


def load_zeroeval(path: str | Path, task: str | None = None, *, source: str | None = None) -> list[Outcome]:
    """ZeroEval per-model results (``crux/``, ``math-l5/``) -> 0/1 outcomes, one per model and item.

    ``prompt`` is the item's own text (the CRUXEval question or the MATH problem), not the
    answer-format template ZeroEval wrapped around it: that is what a user would send.
    ``prompt_id`` = ``<task>:<id>``; the model is the file name. ``source`` defaults to
    ``zeroeval_crux`` / ``zeroeval_math-l5``. ``task`` picks one folder (None = both).
    """
    root = require_dir(path, "ZeroEval data directory")
    tasks = [task] if task else [t for t in ZEROEVAL_TASKS if (root / t).is_dir()]
    if not tasks:
        raise DataNotFoundError(root / "crux", "ZeroEval task folder (crux/ or math-l5/)")
    out: list[Outcome] = []
    for t in tasks:
        if t not in ZEROEVAL_TASKS:
            raise ValueError(f"unknown ZeroEval task {t!r}; known: {', '.join(ZEROEVAL_TASKS)}")
        files = sorted(require_dir(root / t, f"ZeroEval {t} folder").glob("*.json"))
        if not files:
            raise DataNotFoundError(root / t / "*.json", f"ZeroEval {t} result file")
        for f in files:
            out.extend(_read_zeroeval_file(f, t, source or f"zeroeval_{t}"))
    return out
