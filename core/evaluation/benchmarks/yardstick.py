"""The generalization yardstick's held-out sources: what each is, its fixed model pair, its items.

Every labelled source of the shared data is one held-out source of the leave-one-source-out
protocol (:mod:`core.evaluation.protocols.loso`, :mod:`core.evaluation.harness.loso`). The
strong / weak pair of each is fixed here, before any recipe is compared, by one rule: GPT-4-class against Mixtral-class where the source has
both; otherwise the source's best model against the Mixtral-class model (by Chatbot Arena
rating) that the source has, which leaves a clear gap. Each entry says why.

A training record belongs to the held-out source :func:`record_group` names, so a fold can
drop the held-out source's records (all its splits) before it trains.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ...data.importers import (
    load_alpaca_eval,
    load_fastchat,
    load_llmrouter,
    load_routerbench,
    load_zeroeval,
    resolve_data_dir,
)
from ...data.models import canonical_model
from ..errors import UnknownBenchmarkError
from .pairwise import BenchmarkItems, benchmark_items, load_routellm_benchmark

__all__ = [
    "YARDSTICK",
    "YardstickSource",
    "llmrouter_family",
    "load_source_items",
    "record_group",
    "yardstick_source",
]


@dataclass(frozen=True)
class YardstickSource:
    """One held-out source: its traffic, its fixed strong / weak pair and why that pair."""

    name: str
    traffic: str
    strong: str
    weak: str
    why: str


_GPT4_MIXTRAL = "GPT-4-1106 vs Mixtral-8x7B: the RouteLLM pair, both in the source"
_MIXTRAL_CLASS = "Mixtral-class by Chatbot Arena rating"

YARDSTICK: tuple[YardstickSource, ...] = (
    YardstickSource(
        "arena_bench_v1", "chat, GPT-4 judge 1-10", "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", _GPT4_MIXTRAL
    ),
    YardstickSource(
        "alpaca_eval",
        "chat, pairwise GPT-4-turbo judge",
        "gpt-4-1106-preview",
        "claude-2.1",
        f"GPT-4-1106 is the judge's reference; Claude 2.1 is {_MIXTRAL_CLASS} (no Mixtral file in the weighted judge)",
    ),
    YardstickSource(
        "routerbench_arc",
        "science multiple choice (ARC-Challenge, few-shot)",
        "gpt-4-1106-preview",
        "mixtral-8x7b-instruct-v0.1",
        _GPT4_MIXTRAL,
    ),
    YardstickSource(
        "routerbench_mbpp", "Python code (MBPP)", "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", _GPT4_MIXTRAL
    ),
    YardstickSource(
        "routerbench_winogrande",
        "commonsense (Winogrande, few-shot)",
        "gpt-4-1106-preview",
        "mixtral-8x7b-instruct-v0.1",
        _GPT4_MIXTRAL,
    ),
    YardstickSource(
        "llmrouter_code",
        "LLMRouter: code",
        "llama-3.1-nemotron-51b-instruct",
        "mistral-7b-instruct-v0.3",
        f"no GPT-4 or Mixtral: LLMRouter's best model (mean 0.62) vs Mistral-7B, {_MIXTRAL_CLASS} among its models (0.36)",
    ),
    YardstickSource(
        "llmrouter_math",
        "LLMRouter: math word problems and competition math",
        "llama-3.1-nemotron-51b-instruct",
        "mistral-7b-instruct-v0.3",
        "as llmrouter_code",
    ),
    YardstickSource(
        "llmrouter_other",
        "LLMRouter: QA, commonsense, reading, logic puzzles",
        "llama-3.1-nemotron-51b-instruct",
        "mistral-7b-instruct-v0.3",
        "as llmrouter_code",
    ),
    YardstickSource(
        "routellm_gsm8k", "grade-school math (GSM8K)", "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", _GPT4_MIXTRAL
    ),
    YardstickSource(
        "routellm_mmlu",
        "knowledge multiple choice (MMLU)",
        "gpt-4-1106-preview",
        "mixtral-8x7b-instruct-v0.1",
        _GPT4_MIXTRAL,
    ),
    YardstickSource(
        "zeroeval_crux",
        "code reasoning (CRUXEval output prediction)",
        "gpt-4-turbo-2024-04-09",
        "mixtral-8x7b-instruct-v0.1",
        "GPT-4-turbo vs Mixtral-8x7B, both in the source (no GPT-4-1106 file)",
    ),
    YardstickSource(
        "zeroeval_math-l5",
        "competition math (MATH level 5)",
        "gpt-4-turbo-2024-04-09",
        "gpt-3.5-turbo-0125",
        f"GPT-4-turbo vs GPT-3.5-turbo-0125, {_MIXTRAL_CLASS} (no Mixtral file for this task)",
    ),
)
_BY_NAME = {s.name: s for s in YARDSTICK}

_CODE = re.compile(r"\bdef \w+\(|\b[Ww]rite a (?:[Pp]ython )?function\b|\b[Pp]ython\b")
_MATH = re.compile(
    r"\$|\\frac|\\sqrt|\\cdot|\d+\s*[-+*/^=]\s*\d+|\d[\d,.]*\s*(?:%|dollars?|cents?|hours?|minutes?|miles?|km|meters?|feet|years?)\b"
)
_ROUTERBENCH_TASKS = {
    "arc_challenge": "routerbench_arc",
    "mbpp": "routerbench_mbpp",
    "winograde": "routerbench_winogrande",
}


def yardstick_source(name: str) -> YardstickSource:
    """The held-out source called ``name``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownBenchmarkError(f"unknown yardstick source {name!r}; choose from {', '.join(_BY_NAME)}") from None


def llmrouter_family(prompt: str) -> str:
    """LLMRouter's questions carry no task label: code, math or other, by a fixed text rule.

    Code: a ``def`` signature, "write a (python) function" or "python". Math: LaTeX, an
    arithmetic expression, or a number with a unit. Everything else (QA, commonsense,
    reading comprehension, logic-grid puzzles) is "other".
    """
    if _CODE.search(prompt):
        return "llmrouter_code"
    if _MATH.search(prompt):
        return "llmrouter_math"
    return "llmrouter_other"


def record_group(source: str, prompt: str, prompt_id: str = "") -> str:
    """The held-out source a training record belongs to (its source tag, refined where needed).

    RouterBench splits by task (from the record's file in ``prompt_id``), LLMRouter by
    :func:`llmrouter_family`; every other source is its own tag.
    """
    if source == "routerbench_zs":
        stem = prompt_id.split(":", 1)[0]
        for task, name in _ROUTERBENCH_TASKS.items():
            if stem.startswith(task):
                return name
        return source
    if source == "llmrouter":
        return llmrouter_family(prompt)
    return source


def _by_prompt(outcomes: Sequence[object]) -> list[tuple[str, str, str, float, float | None]]:
    """Outcomes keyed by prompt text, so copies of one question across splits are one item."""
    return [(o.prompt, o.prompt, o.model, o.score, o.cost) for o in outcomes]  # type: ignore[attr-defined]


def load_source_items(name: str, data_dir: str | Path | None = None) -> BenchmarkItems:
    """Every item of one held-out source (all its splits), scored for its fixed pair.

    AlpacaEval has pairwise preferences only: an item's strong score is the judge's
    probability that the strong model's answer is the better one (2 - preference) and the
    weak score its complement, so routing an item weak earns the weak model's chance of
    being preferred.
    """
    src = yardstick_source(name)
    root = resolve_data_dir(data_dir)
    strong, weak = src.strong, src.weak
    if name == "arena_bench_v1":
        items = benchmark_items(load_fastchat(root / "arena_bench_v1"), strong, weak, name=name, scale="(score-1)/9")
    elif name == "alpaca_eval":  # the judge's file of the weak model (GPT-4-1106 is its reference)
        comps = [
            c
            for c in load_alpaca_eval(root / "alpaca_eval" / "weighted_alpaca_eval_gpt4_turbo" / f"{weak}.json")
            if (c.model_a, c.model_b) == (strong, canonical_model(weak))
        ]
        rows = [(c.prompt, c.prompt, strong, c.outcome, None) for c in comps]
        rows += [(c.prompt, c.prompt, weak, 1.0 - c.outcome, None) for c in comps]
        items = benchmark_items(rows, strong, weak, name=name, scale="P(judge prefers the model's answer)")
    elif name.startswith("routerbench_"):
        outcomes = [
            o
            for o in load_routerbench(root / "routerbench_zs")
            if record_group(o.source, o.prompt, o.prompt_id) == name
        ]
        items = benchmark_items(_by_prompt(outcomes), strong, weak, name=name)
    elif name.startswith("llmrouter_"):
        outcomes = [o for o in load_llmrouter(root / "llmrouter") if llmrouter_family(o.prompt) == name]
        items = benchmark_items(_by_prompt(outcomes), strong, weak, name=name)
    elif name.startswith("routellm_"):
        items = load_routellm_benchmark(name.removeprefix("routellm_"), strong, weak, root)
        items.name = name
    else:
        task = name.removeprefix("zeroeval_")
        items = benchmark_items(load_zeroeval(root / "zeroeval", task), strong, weak, name=name)
    items.source = name
    return items
