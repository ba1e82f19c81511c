"""N-way (PROCEED) benchmarks, RouterBench zero-shot and LLMRouter: train outcomes and the test matrix.

Each source's own train split trains the routers; its test split is evaluated. Test prompts
that also occur in train are removed first: on LLMRouter with :func:`core.data.decontaminate`
(exact after :func:`~core.data.normalize_prompt`, containment, and MiniLM cosine >= 0.95;
upstream lists 128 such questions, 119 exact + 9 near); on RouterBench, whose ARC /
Winogrande prompts share a long few-shot prefix (so every prompt of a file looks alike to an
embedder), the exact and containment rules are applied to each prompt's final block (the item
itself). Test items with a missing score are dropped.

Costs. RouterBench: the realised cost of sending item i to model j is the data's
``total_cost`` of that call; the router's *expected* cost is the model's
:class:`~core.costs.ModelSpec` ``cost_per_call``, its mean train ``total_cost``. LLMRouter:
``default_llm.json`` token prices times (prompt tokens from the embedder's tokenizer, and a
default of 256 output tokens for every model), for expected and realised cost alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...costs import DEFAULT_OUTPUT_TOKENS, ModelSpec, cost_matrix, estimate_tokens, specs_from_costs, specs_from_prices
from ...data import decontaminate, load_nway_source
from ...data.records import Outcome
from ...embeddings import make_embedder
from ...embeddings.cache import DiskCachedEmbedder
from ...features import prompt_features
from ...predictors import OutcomeData, Queries
from ...training import outcome_matrix
from ..errors import EvaluationError
from ..progress import log as _log

__all__ = [
    "LEAKAGE_THRESHOLD",
    "NWAY_BENCHMARKS",
    "NWayItems",
    "is_nway_benchmark",
    "load_nway_items",
    "nway_benchmark_key",
    "remove_test_leakage",
]

NWAY_BENCHMARKS: dict[str, str] = {"routerbench-zs": "routerbench_zs", "llmrouter": "llmrouter"}
LEAKAGE_THRESHOLD = 0.95


def is_nway_benchmark(name: str) -> bool:
    return nway_benchmark_key(name) is not None


def nway_benchmark_key(name: str) -> str | None:
    key = str(name).strip().lower().replace("_", "-")
    return key if key in NWAY_BENCHMARKS else None


@dataclass
class NWayItems:
    """One N-way benchmark ready to evaluate: embedded train outcomes and the test matrix."""

    benchmark: str
    source: str
    models: list[str]
    train: OutcomeData
    test_texts: list[str]
    scores: np.ndarray  # test (items, models), realised quality, no NaN
    costs: np.ndarray  # test (items, models), realised USD per call
    specs: list[ModelSpec]  # what the routers expect a call to cost
    tokens: np.ndarray  # test prompt tokens (embedder's tokenizer)
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.test_texts)


@dataclass(frozen=True)
class _Keyed:
    """A test outcome seen through the text the leakage rules compare."""

    prompt: str
    index: int
    source: str = ""


def _final_block(text: str) -> str:
    """The item itself of a few-shot prompt: the text after the last blank line."""
    blocks = [b for b in text.strip().split("\n\n") if b.strip()]
    return blocks[-1] if blocks else text


def remove_test_leakage(
    test: Sequence[Outcome],
    train_prompts: Sequence[str],
    *,
    source: str,
    embed: Any = None,
    threshold: float = LEAKAGE_THRESHOLD,
) -> tuple[list[Outcome], dict[str, Any]]:
    """Drop the test outcomes whose prompt also occurs in train; returns (kept, what was removed).

    ``llmrouter``: :func:`core.data.decontaminate`'s rules on the whole prompt (exact,
    containment, and cosine >= ``threshold`` when ``embed`` is given). ``routerbench_zs``:
    exact and containment on each prompt's final block (few-shot prefixes are shared).
    """
    few_shot = source == "routerbench_zs"
    view = _final_block if few_shot else (lambda t: t)
    keyed = [_Keyed(view(o.prompt), i, o.source) for i, o in enumerate(test)]
    train_view = list(dict.fromkeys(view(p) for p in train_prompts))
    kept, report = decontaminate(keyed, train_view, embed=None if few_shot else embed, threshold=threshold)
    keep = {k.index for k in kept}
    prompts = list(dict.fromkeys(o.prompt for o in test))
    kept_outcomes = [o for i, o in enumerate(test) if i in keep]
    left = set(o.prompt for o in kept_outcomes)
    by_rule = {r: int(report.dropped_prompts_by_rule.get(r, 0)) for r in ("exact", "containment", "embedding")}
    info = {
        "test_prompts": len(prompts),
        "removed": len(prompts) - len(left),
        "by_rule": by_rule,
        "compared": "the item's final block (few-shot prompts)" if few_shot else "the whole prompt",
        "embedding_checked": bool(embed is not None and not few_shot),
        "threshold": threshold,
    }
    return kept_outcomes, info


def _subsample(n: int, max_n: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_n is None or max_n >= n:
        return np.arange(n)
    if max_n < 1:
        raise EvaluationError(f"a subsample needs at least 1 item, got {max_n}")
    return np.sort(rng.choice(n, size=max_n, replace=False))


def load_nway_items(
    benchmark: str,
    *,
    data_dir: str | Path | None = None,
    embedder: Any = None,
    max_items: int | None = None,
    max_train: int | None = None,
    seed: int = 0,
    output_tokens: float = DEFAULT_OUTPUT_TOKENS,
    leakage_threshold: float | None = LEAKAGE_THRESHOLD,
    verbose: bool = True,
) -> NWayItems:
    """Load, clean, subsample, cost and embed one N-way benchmark (train and test splits).

    ``leakage_threshold=None`` skips the embedding rule of the leakage check (faster).
    ``max_items`` / ``max_train`` take seeded subsamples of the test / train prompts.
    """
    key = nway_benchmark_key(benchmark)
    if key is None:
        raise EvaluationError(f"unknown N-way benchmark {benchmark!r}; known: {', '.join(NWAY_BENCHMARKS)}")
    source = NWAY_BENCHMARKS[key]
    if embedder is None:
        embedder = DiskCachedEmbedder(make_embedder())
    log = _log if verbose else (lambda _m: None)
    train_out, prices = load_nway_source(source, "train", data_dir)
    test_out, _ = load_nway_source(source, "test", data_dir)
    train_texts, models, train_scores, train_costs = outcome_matrix(train_out)
    test_kept, leakage = remove_test_leakage(
        test_out,
        train_texts,
        source=source,
        threshold=leakage_threshold or LEAKAGE_THRESHOLD,
        embed=embedder.embed if leakage_threshold is not None else None,
    )
    rules = ", ".join(
        f"{r} {n}" for r, n in leakage["by_rule"].items() if n or r != "embedding" or leakage["embedding_checked"]
    )
    log(
        f"{key}: removed {leakage['removed']} of {leakage['test_prompts']} test prompts that also occur in train ({rules})"
    )
    test_texts, _, scores, costs = outcome_matrix(test_kept, models)
    complete = ~np.isnan(scores).any(axis=1)
    missing_score = int((~complete).sum())
    if missing_score:
        log(f"{key}: dropped {missing_score} test items with a missing score")
    test_texts = [t for t, ok in zip(test_texts, complete) if ok]
    scores, costs = scores[complete], costs[complete]

    rng = np.random.default_rng(seed)
    n_test_all, n_train_all = len(test_texts), len(train_texts)
    pick = _subsample(n_test_all, max_items, rng)
    test_texts, scores, costs = [test_texts[i] for i in pick], scores[pick], costs[pick]
    pick = _subsample(n_train_all, max_train, rng)
    train_texts, train_scores, train_costs = [train_texts[i] for i in pick], train_scores[pick], train_costs[pick]
    seen = ~np.isnan(train_scores).all(axis=0)
    if not seen.all():
        raise EvaluationError(
            f"{key}: model(s) {[m for m, s in zip(models, seen) if not s]} have no training outcomes "
            "in this subsample: raise --max-train-items"
        )
    if not test_texts:
        raise EvaluationError(f"{key}: no test items left to evaluate")

    tokens = estimate_tokens(test_texts, embedder)
    filled = 0
    if prices is None:
        specs = specs_from_costs(models, train_costs, output_tokens=output_tokens)
        expected = np.array([s.cost_per_call for s in specs], dtype=np.float64)
        gaps = np.isnan(costs)
        filled = int(gaps.sum())
        costs = np.where(gaps, expected[None, :], costs)
        basis = (
            "expected: each model's mean train total_cost (ModelSpec.cost_per_call); realised: the item's "
            f"total_cost from the data ({filled} missing cells filled with the expected cost)"
        )
    else:
        specs = specs_from_prices(models, prices, output_tokens=output_tokens)
        costs = cost_matrix(specs, tokens)
        basis = (
            "expected = realised: default_llm.json USD per 1M input / output tokens x (prompt tokens from the "
            f"embedder's tokenizer, {output_tokens:g} output tokens for every model)"
        )
    log(f"{key}: embedding {len(train_texts)} train and {len(test_texts)} test prompts (disk-cached)")
    train_q = Queries(embedder.embed(train_texts), prompt_features(train_texts), train_texts)
    info = {
        "source": source,
        "n_test": len(test_texts),
        "n_test_after_cleaning": n_test_all,
        "n_train": len(train_texts),
        "n_train_total": n_train_all,
        "leakage": leakage,
        "dropped_missing_score": missing_score,
        "filled_missing_costs": filled,
        "max_items": max_items,
        "max_train": max_train,
        "seed": seed,
        "output_tokens": output_tokens,
        "cost_basis": basis,
        "embedder": str(getattr(embedder, "model_id", type(embedder).__name__)),
    }
    return NWayItems(
        key,
        source,
        list(models),
        OutcomeData(train_q, list(models), train_scores, train_costs),
        test_texts,
        scores,
        costs,
        specs,
        tokens,
        info,
    )
