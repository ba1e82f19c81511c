"""Benchmark loaders: per-item quality of a strong and a weak model, ready for the metrics.

Three kinds of benchmark, all turned into :class:`BenchmarkItems`:

* ``gsm8k`` / ``mmlu``: RouteLLM's response files (``routellm/<name>/`` under the data
  directory), minus the prompts listed in its ``contaminated_prompts.jsonl`` (exact match),
  as RouteLLM's ``evals/benchmarks.py`` does.
* ``mt-bench``: FastChat's layout, a ``question.jsonl`` (``question_id``, ``turns``) and
  single-answer judgments (``question_id``, ``model``, ``score`` 1-10, optional ``turn`` and
  ``judge``), in ``model_judgment/*.jsonl`` or any ``*.jsonl`` beside the questions. As
  RouteLLM does: the router sees the first turn only and its decision holds for both turns;
  an item's quality is the mean of its turns' scores (raw 1-10 scale); scores of -1 (and
  null) are dropped; questions whose turn text appears in a ``contaminated_prompts.jsonl``
  beside the questions are dropped.
* a path to the user's own data: a JSONL or CSV of prompt x model outcomes
  (``prompt``, ``model``, ``score``, optional ``cost`` in USD and ``prompt_id``), the fields
  of :class:`core.data.Outcome`; or a RouteLLM-style wide CSV (``prompt`` + one column per
  model).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...data._io import iter_jsonl, to_float
from ...data.importers import load_contaminated_prompts, load_fastchat_questions, load_routellm_eval, resolve_data_dir
from ...data.models import canonical_model
from ...data.records import Outcome
from ..errors import EmptyBenchmarkError, EvaluationError, UnknownBenchmarkError

__all__ = [
    "BENCHMARK_NAMES",
    "ROUTELLM_BENCHMARKS",
    "BenchmarkItems",
    "benchmark_items",
    "describe",
    "find_mt_bench_dir",
    "load_benchmark",
    "load_mt_bench",
    "load_outcomes_file",
    "load_routellm_benchmark",
]

ROUTELLM_BENCHMARKS: tuple[str, ...] = ("gsm8k", "mmlu")
BENCHMARK_NAMES: tuple[str, ...] = ("gsm8k", "mmlu", "mt-bench")
_MT_BENCH_ALIASES = {"mt-bench", "mt_bench", "mtbench"}
_NOT_JUDGMENTS = {"question.jsonl", "contaminated_prompts.jsonl", "reference_answer.jsonl"}


@dataclass
class BenchmarkItems:
    """Per-item quality of the strong and the weak model on one benchmark.

    ``prompts[i]`` is what the router sees for item i; ``strong_perf[i]`` / ``weak_perf[i]``
    the two models' quality on it (0/1 correctness, or a graded score). ``strong_cost`` /
    ``weak_cost`` are mean USD per call when the data has costs.
    """

    name: str
    prompts: list[str]
    strong_perf: np.ndarray
    weak_perf: np.ndarray
    strong: str = ""
    weak: str = ""
    dropped_contaminated: int = 0
    dropped_unscored: int = 0
    ids: list[str] = field(default_factory=list)
    strong_cost: float | None = None
    weak_cost: float | None = None
    scale: str = "0-1"
    source: str = ""
    n_total: int = 0

    def __post_init__(self) -> None:
        self.strong_perf = np.asarray(self.strong_perf, dtype=float)
        self.weak_perf = np.asarray(self.weak_perf, dtype=float)
        if not self.ids:
            self.ids = [str(i) for i in range(len(self.prompts))]
        if not self.n_total:
            self.n_total = len(self.prompts) + self.dropped_contaminated + self.dropped_unscored
        if not self.prompts:
            why = []
            if self.dropped_contaminated:
                why.append(f"{self.dropped_contaminated} dropped as contaminated")
            if self.dropped_unscored:
                why.append(f"{self.dropped_unscored} without scores for both models")
            raise EmptyBenchmarkError(
                f"benchmark {self.name!r} has no items left to evaluate" + (f" ({'; '.join(why)})" if why else "")
            )
        if not (len(self.prompts) == len(self.strong_perf) == len(self.weak_perf) == len(self.ids)):
            raise EvaluationError(f"benchmark {self.name!r}: prompts, ids and scores differ in length")
        if float(self.strong_perf.mean()) == float(self.weak_perf.mean()):
            raise EvaluationError(
                f"benchmark {self.name!r}: strong and weak models have the same mean score "
                f"({float(self.strong_perf.mean()):.4g}); PGR is undefined"
            )

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def strong_mean(self) -> float:
        return float(self.strong_perf.mean())

    @property
    def weak_mean(self) -> float:
        return float(self.weak_perf.mean())

    def subset(self, index: Sequence[int] | np.ndarray) -> BenchmarkItems:
        """The items at ``index`` (same order), e.g. a seeded ``--max-items`` subsample."""
        idx = [int(i) for i in index]
        return replace(
            self,
            prompts=[self.prompts[i] for i in idx],
            strong_perf=self.strong_perf[idx],
            weak_perf=self.weak_perf[idx],
            ids=[self.ids[i] for i in idx],
        )

    def sample(self, max_items: int | None, seed: int = 0) -> BenchmarkItems:
        """At most ``max_items`` items drawn without replacement (seeded), in their original order."""
        if max_items is None or max_items >= len(self):
            return self
        if max_items < 2:
            raise EvaluationError(f"max_items must be >= 2, got {max_items}")
        rng = np.random.default_rng(seed)
        return self.subset(np.sort(rng.choice(len(self), size=max_items, replace=False)))


# --------------------------------------------------------------------------------------- helpers


def _mean_or_none(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def benchmark_items(
    outcomes: Iterable[Outcome | tuple[str, str, str, float, float | None]],
    strong: str,
    weak: str,
    *,
    name: str,
    exclude_prompts: Iterable[str] = (),
    scale: str = "0-1",
    source: str = "",
) -> BenchmarkItems:
    """Align per-model outcomes into per-item strong / weak arrays.

    Items are keyed by ``prompt_id`` (or the prompt text); a model scored twice on one item
    gets its mean. Items whose prompt is in ``exclude_prompts`` (exact match) are dropped
    as contaminated; items lacking a score for either model are dropped as unscored.
    ``outcomes`` holds :class:`Outcome` records or ``(item_id, prompt, model, score, cost)``.
    """
    strong_c, weak_c = canonical_model(strong), canonical_model(weak)
    if strong_c == weak_c:
        raise EvaluationError(f"strong and weak model are the same ({strong_c!r})")
    excluded = set(exclude_prompts)
    prompts: dict[str, str] = {}
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    costs: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    models: set[str] = set()
    for o in outcomes:
        if isinstance(o, Outcome):
            key, prompt, model, score, cost = o.prompt_id or o.prompt, o.prompt, o.model, o.score, o.cost
        else:
            key, prompt, model, score, cost = o
        model = canonical_model(model)
        models.add(model)
        prompts.setdefault(key, prompt)
        scores[key][model].append(float(score))
        if cost is not None:
            costs[key][model].append(float(cost))
    for role, model in (("strong", strong_c), ("weak", weak_c)):
        if model not in models:
            raise EvaluationError(
                f"benchmark {name!r} has no scores for the {role} model {model!r}; "
                f"models with scores: {', '.join(sorted(models)) or 'none'}"
            )
    keep, contaminated, unscored = [], 0, 0
    for key, prompt in prompts.items():
        if prompt in excluded:
            contaminated += 1
        elif scores[key].get(strong_c) and scores[key].get(weak_c):
            keep.append(key)
        else:
            unscored += 1
    s_cost = [c for k in keep for c in costs[k].get(strong_c, [])]
    w_cost = [c for k in keep for c in costs[k].get(weak_c, [])]
    return BenchmarkItems(
        name=name,
        prompts=[prompts[k] for k in keep],
        strong_perf=np.array([np.mean(scores[k][strong_c]) for k in keep], dtype=float),
        weak_perf=np.array([np.mean(scores[k][weak_c]) for k in keep], dtype=float),
        strong=strong_c,
        weak=weak_c,
        dropped_contaminated=contaminated,
        dropped_unscored=unscored,
        ids=list(keep),
        strong_cost=_mean_or_none(s_cost),
        weak_cost=_mean_or_none(w_cost),
        scale=scale,
        source=source,
    )


# --------------------------------------------------------------------------------------- RouteLLM


def load_routellm_benchmark(
    benchmark: str, strong: str, weak: str, data_dir: str | Path | None = None
) -> BenchmarkItems:
    """RouteLLM's GSM8K or MMLU file, decontaminated with its ``contaminated_prompts.jsonl``."""
    if benchmark not in ROUTELLM_BENCHMARKS:
        raise UnknownBenchmarkError(
            f"unknown RouteLLM benchmark {benchmark!r}; choose from {', '.join(ROUTELLM_BENCHMARKS)}"
        )
    root = resolve_data_dir(data_dir) / "routellm" / benchmark
    path = root / "gsm8k_responses.csv" if benchmark == "gsm8k" else root / "responses"
    contaminated = load_contaminated_prompts(root / "contaminated_prompts.jsonl")
    return benchmark_items(
        load_routellm_eval(path), strong, weak, name=benchmark, exclude_prompts=contaminated, source=str(root)
    )


# --------------------------------------------------------------------------------------- MT-Bench


def find_mt_bench_dir(data_dir: str | Path | None) -> Path:
    """The FastChat-layout folder for ``--benchmark mt-bench``.

    ``data_dir`` itself when it holds ``question.jsonl``, else its ``mt_bench/`` or
    ``mt-bench/`` sub-folder (so ``--data-dir`` may be the shared data root).
    """
    root = resolve_data_dir(data_dir)
    for cand in (root, root / "mt_bench", root / "mt-bench", root / "mtbench"):
        if (cand / "question.jsonl").is_file():
            return cand
    raise UnknownBenchmarkError(
        f"no MT-Bench data under {root}: expected question.jsonl there or in its mt_bench/ folder "
        "(FastChat layout: question.jsonl + model_judgment/*.jsonl); pass the folder with --data-dir"
    )


def _judgment_files(root: Path) -> list[Path]:
    files = sorted((root / "model_judgment").glob("*.jsonl")) if (root / "model_judgment").is_dir() else []
    files += sorted(p for p in root.glob("*.jsonl") if p.name not in _NOT_JUDGMENTS)
    if not files:
        raise EvaluationError(f"{root}: no judgment files (model_judgment/*.jsonl or *.jsonl beside question.jsonl)")
    return files


def _judge_name(value: Any) -> str | None:
    """FastChat stores the judge as ``["gpt-4", "single-v1"]``: the model is the first entry."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else None
    return str(value)


def _mt_contaminated(root: Path) -> tuple[set[str], set[str]]:
    """Prompt texts and question ids listed in ``contaminated_prompts.jsonl`` (if present)."""
    file = root / "contaminated_prompts.jsonl"
    texts: set[str] = set()
    ids: set[str] = set()
    if file.is_file():
        for _, obj in iter_jsonl(file):
            if "eval_prompt" in obj:
                texts.add(str(obj["eval_prompt"]))
            for key in ("question_id", "eval_question_id"):
                if key in obj:
                    ids.add(str(obj[key]))
    return texts, ids


def load_mt_bench(
    path: str | Path,
    strong: str,
    weak: str,
    *,
    judge: str | None = None,
    name: str | None = None,
) -> BenchmarkItems:
    """FastChat single-answer judgments (one- or two-turn) -> items routed on the first turn.

    Per (question, model, turn) repeated judgments are averaged; an item's quality is the
    mean over its judged turns, on the judge's 1-10 scale. ``judge`` keeps only that judge
    model's rows; with several judge models in the files and no ``judge``, it is an error.
    """
    root = Path(path)
    questions = load_fastchat_questions(root)
    bad_texts, bad_ids = _mt_contaminated(root)
    strong_c, weak_c = canonical_model(strong), canonical_model(weak)
    per_turn: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    judges: set[str] = set()
    models: set[str] = set()
    for file in _judgment_files(root):
        for line_no, obj in iter_jsonl(file):
            if "model" not in obj and "model_1" in obj:
                break  # a pairwise-judgment file: no single scores
            where = f"{file}, line {line_no}"
            for key in ("question_id", "model", "score"):
                if key not in obj:
                    raise EvaluationError(f"{where}: missing field {key!r}")
            j = _judge_name(obj.get("judge"))
            if judge is not None and j is not None and j != judge:
                continue
            if j is not None:
                judges.add(j)
            if obj["score"] is None:
                continue
            score = to_float(obj["score"], file, f"line {line_no}", "score")
            if score == -1.0:
                continue
            qid = str(obj["question_id"])
            if qid not in questions:
                raise EvaluationError(f"{where}: question_id {qid!r} is not in question.jsonl")
            turn = int(to_float(obj.get("turn", 1), file, f"line {line_no}", "turn"))
            if turn < 1 or turn > len(questions[qid]):
                raise EvaluationError(f"{where}: turn {turn} but question {qid!r} has {len(questions[qid])} turn(s)")
            model = canonical_model(str(obj["model"]))
            models.add(model)
            per_turn[(qid, model, turn)].append(score)
    if judge is None and len(judges) > 1:
        raise EvaluationError(f"{root}: judgments from several judges {sorted(judges)}; pick one with judge=/--judge")
    for role, model in (("strong", strong_c), ("weak", weak_c)):
        if model not in models:
            raise EvaluationError(
                f"MT-Bench data in {root} has no scores for the {role} model {model!r}; "
                f"models with scores: {', '.join(sorted(models)) or 'none'}"
            )

    def item_score(qid: str, model: str, n_turns: int) -> float | None:
        means = [
            float(np.mean(per_turn[(qid, model, t)])) for t in range(1, n_turns + 1) if per_turn.get((qid, model, t))
        ]
        return float(np.mean(means)) if means else None

    ids, prompts, strong_perf, weak_perf = [], [], [], []
    contaminated = unscored = 0
    for qid, turns in questions.items():
        if qid in bad_ids or any(t in bad_texts for t in turns):
            contaminated += 1
            continue
        s, w = item_score(qid, strong_c, len(turns)), item_score(qid, weak_c, len(turns))
        if s is None or w is None:
            unscored += 1
            continue
        ids.append(qid)
        prompts.append(turns[0])  # RouteLLM routes on the first turn; the decision holds for both
        strong_perf.append(s)
        weak_perf.append(w)
    return BenchmarkItems(
        name=name or "mt-bench",
        prompts=prompts,
        strong_perf=np.array(strong_perf),
        weak_perf=np.array(weak_perf),
        strong=strong_c,
        weak=weak_c,
        dropped_contaminated=contaminated,
        dropped_unscored=unscored,
        ids=ids,
        scale="1-10",
        source=str(root),
        n_total=len(questions),
    )


# --------------------------------------------------------------------------------------- user data


def _outcome_rows_jsonl(path: Path) -> Iterable[tuple[str, str, str, float, float | None]]:
    for line_no, obj in iter_jsonl(path):
        where = f"line {line_no}"
        missing = [k for k in ("prompt", "model", "score") if k not in obj]
        if missing:
            raise EvaluationError(f"{path}, {where}: missing field(s) {missing} (need prompt, model, score)")
        if obj["score"] is None:
            continue
        score = to_float(obj["score"], path, where, "score")
        cost = obj.get("cost")
        cost = None if cost is None else to_float(cost, path, where, "cost")
        prompt = str(obj["prompt"])
        yield str(obj.get("prompt_id") or prompt), prompt, str(obj["model"]), score, cost


def _outcome_rows_csv(path: Path) -> Iterable[tuple[str, str, str, float, float | None]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        if "prompt" not in header:
            raise EvaluationError(f"{path}: a CSV of outcomes needs a 'prompt' column; header is {header}")
        long = "model" in header and "score" in header
        models = [c for c in header if c and c != "prompt" and not c.endswith("_response")]
        for i, row in enumerate(reader):
            where = f"line {reader.line_num}"
            prompt = row.get("prompt") or ""
            if long:
                cell = (row.get("score") or "").strip()
                if not cell:
                    continue
                cost_cell = (row.get("cost") or "").strip()
                cost = to_float(cost_cell, path, where, "cost") if cost_cell else None
                key = (row.get("prompt_id") or "").strip() or prompt
                yield key, prompt, str(row["model"]), to_float(cell, path, where, "score"), cost
            else:  # wide: RouteLLM's layout, one column per model (True/False or numbers)
                for col in models:
                    cell = (row.get(col) or "").strip()
                    if not cell or cell.lower() in ("nan", "none"):
                        continue
                    low = cell.lower()
                    value = 1.0 if low == "true" else 0.0 if low == "false" else to_float(cell, path, where, col)
                    yield f"row{i}", prompt, col, value, None


def load_outcomes_file(path: str | Path, strong: str, weak: str, *, name: str | None = None) -> BenchmarkItems:
    """The user's own prompt x model outcomes (JSONL or CSV, see the module docstring)."""
    file = Path(path)
    if not file.is_file():
        raise UnknownBenchmarkError(f"benchmark file not found: {file}")
    suffix = file.suffix.lower()
    if suffix in (".jsonl", ".json"):
        rows = list(_outcome_rows_jsonl(file))
    elif suffix == ".csv":
        rows = list(_outcome_rows_csv(file))
    else:
        raise UnknownBenchmarkError(f"{file}: outcomes must be a .jsonl or .csv file")
    for _, _, model, score, cost in rows:
        if not math.isfinite(score):
            raise EvaluationError(f"{file}: non-finite score for model {model!r}")
        if cost is not None and cost < 0:
            raise EvaluationError(f"{file}: negative cost for model {model!r}")
    if not rows:
        raise EmptyBenchmarkError(f"{file} holds no scored outcomes")
    return benchmark_items(rows, strong, weak, name=name or file.stem, source=str(file))


# --------------------------------------------------------------------------------------- dispatch


def load_benchmark(
    spec: str,
    strong: str,
    weak: str,
    *,
    data_dir: str | Path | None = None,
    judge: str | None = None,
) -> BenchmarkItems:
    """``gsm8k`` | ``mmlu`` | ``mt-bench`` | a path (FastChat folder, or a JSONL/CSV of outcomes)."""
    key = str(spec).strip()
    if key.lower() in ROUTELLM_BENCHMARKS:
        return load_routellm_benchmark(key.lower(), strong, weak, data_dir)
    if key.lower() in _MT_BENCH_ALIASES:
        return load_mt_bench(find_mt_bench_dir(data_dir), strong, weak, judge=judge, name="mt-bench")
    path = Path(key).expanduser()
    if path.is_dir():
        if (path / "question.jsonl").is_file():
            return load_mt_bench(path, strong, weak, judge=judge, name=path.name)
        raise UnknownBenchmarkError(f"{path} is a folder without question.jsonl (FastChat layout expected)")
    if path.is_file():
        return load_outcomes_file(path, strong, weak)
    raise UnknownBenchmarkError(
        f"unknown benchmark {spec!r}: choose {', '.join(BENCHMARK_NAMES)}, or give the path of a "
        "JSONL/CSV of prompt x model outcomes or of a FastChat question.jsonl folder"
    )


def describe(items: BenchmarkItems) -> dict[str, Any]:
    """JSON-safe summary of a benchmark (sizes, drops, means)."""
    return {
        "name": items.name,
        "source": items.source,
        "n_items": len(items),
        "n_total": items.n_total,
        "dropped_contaminated": items.dropped_contaminated,
        "dropped_unscored": items.dropped_unscored,
        "strong": items.strong,
        "weak": items.weak,
        "strong_mean": items.strong_mean,
        "weak_mean": items.weak_mean,
        "scale": items.scale,
        "strong_cost": items.strong_cost,
        "weak_cost": items.weak_cost,
    }
