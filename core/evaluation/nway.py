"""N-way (PROCEED) evaluation on RouterBench zero-shot and LLMRouter: the cost-quality plane.

``winroute evaluate --benchmark routerbench-zs`` (or ``llmrouter``) runs :func:`run_nway`:

* **Data.** Each source's own train split trains the routers; its test split is evaluated.
  Test prompts that also occur in train are removed first: on LLMRouter with
  :func:`core.data.decontaminate` (exact after :func:`~core.data.normalize_prompt`,
  containment, and MiniLM cosine >= 0.95; upstream lists 128 such questions, 119 exact + 9
  near); on RouterBench, whose ARC / Winogrande prompts share a long few-shot prefix (so
  every prompt of a file looks alike to an embedder), the exact and containment rules are
  applied to each prompt's final block (the item itself). Test items with a missing score
  are dropped.
* **Costs.** RouterBench: the realised cost of sending item i to model j is the data's
  ``total_cost`` of that call; the router's *expected* cost is the model's
  :class:`~core.costs.ModelSpec` ``cost_per_call``, its mean train ``total_cost``.
  LLMRouter: ``default_llm.json`` token prices times (prompt tokens from the embedder's
  tokenizer, and a default of 256 output tokens for every model), for expected and
  realised cost alike.
* **Points.** Every single model (its mean quality and mean cost per call), the oracle (per
  item the best-scoring model, the cheapest among ties), random N-way (a uniformly random
  model per item; its expected value, i.e. the mean of the single models) and each router
  at a sweep of cost weights ``w`` (0 and log-spaced up to a weight that picks the
  cheapest model everywhere): ``argmax_j q_ij - w * c_ij`` with predicted quality ``q``
  and expected cost ``c``, scored with the realised quality and cost.
* **Metrics.** RouterBench's AIQ (:func:`~core.evaluation.metrics.aiq`: the area under
  the non-decreasing convex hull of a router's (cost, quality) points over a cost range,
  divided by its width; one common range per benchmark, from the lowest to the highest
  cost of any point shown, so AIQs compare), also for the hull of the single models
  (RouterBench's "zero router": mixing models at random); the cost at which a router first
  matches the best single model; its lowest margin over the line joining the cheapest and
  the best single model; the best quality it reaches at <= half the cost of
  gpt-4-1106-preview (RouterBench's aim; the best single model where gpt-4 is absent);
  and PROCEED's diagnostic: the mean predicted score per true-score class (0, 1, partial).
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..artifacts import read_json
from ..costs import DEFAULT_OUTPUT_TOKENS, ModelSpec, cost_matrix, estimate_tokens, specs_from_costs, specs_from_prices
from ..data import decontaminate, load_nway_source
from ..data.models import canonical_model
from ..data.records import Outcome
from ..embeddings import make_embedder
from ..embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ..features import prompt_features
from ..nway_router import NWayRouter
from ..policies import choose_by_utility
from ..predictors import QUALITY_PREDICTORS, OutcomeData, Queries
from ..recipes import NWayRecipe, load_recipe
from ..training import outcome_matrix, train_nway_router
from .errors import EvaluationError
from .metrics import aiq, non_decreasing_convex_hull
from .plots import _PALETTE, _matplotlib
from .runner import _json_safe

__all__ = [
    "DEFAULT_NWAY_ROUTERS",
    "NWAY_BENCHMARKS",
    "NWayItems",
    "NWayReport",
    "RouterCurve",
    "cost_weight_sweep",
    "evaluate_nway",
    "is_nway_benchmark",
    "line_margin",
    "load_nway_items",
    "oracle_choice",
    "parse_router_spec",
    "plot_nway",
    "remove_test_leakage",
    "run_nway",
    "write_nway_report",
]

NWAY_BENCHMARKS: dict[str, str] = {"routerbench-zs": "routerbench_zs", "llmrouter": "llmrouter"}
DEFAULT_NWAY_ROUTERS = ("knn_quality", "mlp_quality")
REFERENCE_MODEL = "gpt-4-1106-preview"
LEAKAGE_THRESHOLD = 0.95
N_WEIGHTS = 48
_EPS = 1e-9


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def is_nway_benchmark(name: str) -> bool:
    return _benchmark_key(name) is not None


def _benchmark_key(name: str) -> str | None:
    key = str(name).strip().lower().replace("_", "-")
    return key if key in NWAY_BENCHMARKS else None


# --------------------------------------------------------------------------------------- data


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
    key = _benchmark_key(benchmark)
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


# --------------------------------------------------------------------------------------- routers


def oracle_choice(scores: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Per item the best-scoring model, the cheapest (realised cost) among ties."""
    scores, costs = np.asarray(scores, dtype=np.float64), np.asarray(costs, dtype=np.float64)
    best = scores.max(axis=1, keepdims=True)
    return np.where(scores >= best - _EPS, costs, np.inf).argmin(axis=1)


def cost_weight_sweep(costs: np.ndarray, n: int = N_WEIGHTS) -> np.ndarray:
    """0 and ``n`` log-spaced cost weights (quality per USD) for expected costs ``costs``.

    The smallest is 0.01 / the largest cost spread of an item (choices as at 0); the
    largest 10 / the smallest positive gap between an item's cheapest model and any other,
    which (qualities being in [0, 1]) picks the cheapest model on every item.
    """
    c = np.asarray(costs, dtype=np.float64)
    gaps = c - c.min(axis=1, keepdims=True)
    positive = gaps[gaps > 1e-15]
    if positive.size == 0:
        return np.zeros(1)
    lo = 0.01 / float(gaps.max())
    hi = 10.0 / float(positive.min())
    return np.concatenate([[0.0], np.logspace(math.log10(lo), math.log10(max(hi, lo * 10)), n)])


def line_margin(
    costs: np.ndarray, qualities: np.ndarray, cheap: tuple[float, float], best: tuple[float, float]
) -> np.ndarray:
    """Quality minus the line joining the cheapest and the best single model, per point.

    Right of the best model the line continues flat at its quality (more money should not
    buy less); left of the cheapest model there is nothing to compare with (NaN).
    """
    c = np.asarray(costs, dtype=np.float64)
    q = np.asarray(qualities, dtype=np.float64)
    (c0, q0), (c1, q1) = cheap, best
    if c1 > c0:
        line = q0 + (q1 - q0) * (np.clip(c, c0, c1) - c0) / (c1 - c0)
    else:  # the cheapest model is the best one
        line = np.full(c.shape, q1)
    return np.where(c < c0 - _EPS * max(1.0, abs(c0)), np.nan, q - line)


@dataclass
class RouterCurve:
    """One router's sweep over cost weights, scored with the realised quality and cost."""

    name: str
    kind: str
    origin: str  # "trained on the fly" or the artifact directory
    params: dict[str, Any]
    models: list[str]
    weights: np.ndarray
    qualities: np.ndarray
    costs: np.ndarray
    expected_costs: np.ndarray
    predicted_qualities: np.ndarray  # mean predicted quality of the chosen models
    shares: np.ndarray  # (weights, benchmark models): share of items sent to each model
    predictions: np.ndarray  # (items, benchmark models) predicted quality (NaN: model not routed to)
    fit_seconds: float | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def pareto_points(self) -> list[int]:
        """Indices of the sweep's Pareto-optimal operating points (no other point is at most as
        expensive and better), by cost; one index per distinct point."""
        keep: list[int] = []
        best = -np.inf
        for i in np.lexsort((-self.qualities, self.costs)):
            if self.qualities[i] > best + _EPS:
                keep.append(int(i))
                best = float(self.qualities[i])
        return keep


def parse_router_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``knn_quality`` or ``knn_quality:k=100,temperature=0.5`` -> (kind, params)."""
    kind, _, rest = str(spec).strip().partition(":")
    params: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        name, eq, value = part.partition("=")
        if not eq:
            raise EvaluationError(f"router {spec!r}: parameters are name=value pairs separated by commas")
        params[name.strip()] = (
            json.loads(value.strip().lower())
            if value.strip().lower() in ("true", "false")
            else (_number(value.strip()))
        )
    return kind, params


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _router_and_origin(
    spec: Any, items: NWayItems, embedder: Any, recipe_params: Mapping[str, Mapping[str, Any]]
) -> tuple[Any, str, str, dict[str, Any], float | None]:
    if not isinstance(spec, (str, Path)):  # a router object: NWayRouter or anything with its predict_texts
        return spec, spec.predictor.kind, "in memory", spec.predictor.get_params(), None
    kind, params = parse_router_spec(str(spec))
    if kind in QUALITY_PREDICTORS:
        merged = {**dict(recipe_params.get(kind, {})), **params}
        started = time.perf_counter()
        router = train_nway_router(
            items.train,
            items.specs,
            predictor=kind,
            predictor_params=merged,
            embedder=embedder,
            name=f"{items.benchmark}-{kind}",
        )
        return router, kind, "trained on the fly", merged, time.perf_counter() - started
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "router.json").is_file():
        meta = read_json(path / "router.json")
        if meta.get("kind") != "nway":
            raise EvaluationError(
                f"{path} holds a two-model router; N-way benchmarks need an N-way router (winroute train configs/{items.source}.toml)"
            )
        model_id = str(meta.get("embedder"))
        emb = (
            embedder if getattr(embedder, "model_id", None) == model_id else DiskCachedEmbedder(make_embedder(model_id))
        )
        router = NWayRouter.load(path, embedder=emb)
        return router, router.predictor.kind, str(path), router.predictor.get_params(), None
    raise EvaluationError(
        f"unknown N-way router {spec!r}: use {', '.join(QUALITY_PREDICTORS)} (trained on the fly, optionally "
        "'kind:name=value,...' for parameters) or a saved N-way router directory"
    )


def _curve(name: str, router: Any, items: NWayItems, weights: np.ndarray | None) -> RouterCurve:
    names = [canonical_model(m) for m in router.models]
    columns = []
    for m in names:
        if m not in items.models:
            raise EvaluationError(f"router {name!r} routes to {m!r}, which {items.benchmark} has no outcomes for")
        columns.append(items.models.index(m))
    q, c_exp, _ = router.predict_texts(items.test_texts)
    cols = np.asarray(columns)
    w = cost_weight_sweep(c_exp) if weights is None else np.asarray(weights, dtype=np.float64)
    rows = np.arange(len(items))
    out = {k: np.empty(len(w)) for k in ("q", "c", "ce", "qp")}
    shares = np.zeros((len(w), len(items.models)))
    for k, wk in enumerate(w):
        chosen = choose_by_utility(q, c_exp, float(wk))
        real = cols[chosen]
        out["q"][k] = items.scores[rows, real].mean()
        out["c"][k] = items.costs[rows, real].mean()
        out["ce"][k] = c_exp[rows, chosen].mean()
        out["qp"][k] = q[rows, chosen].mean()
        shares[k] = np.bincount(real, minlength=len(items.models)) / len(items)
    predictions = np.full((len(items), len(items.models)), np.nan)
    predictions[:, cols] = q
    return RouterCurve(
        name, router.predictor.kind, "", {}, names, w, out["q"], out["c"], out["ce"], out["qp"], shares, predictions
    )


# --------------------------------------------------------------------------------------- report


@dataclass
class NWayReport:
    """Single models, oracle, random and routers on one N-way benchmark's cost-quality plane."""

    benchmark: str
    models: list[str]
    n_items: int
    single_quality: np.ndarray
    single_cost: np.ndarray
    oracle: tuple[float, float]  # (quality, cost)
    random: tuple[float, float]
    routers: dict[str, RouterCurve]
    cost_range: tuple[float, float]
    zero_router_aiq: float
    reference: str  # gpt-4-1106-preview, else the best single model
    diagnostic: dict[str, dict[str, dict[str, Any]]]  # router -> model -> {"0", "1", "partial", counts}
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.benchmark

    def single(self, model: str) -> tuple[float, float]:
        j = self.models.index(model)
        return float(self.single_quality[j]), float(self.single_cost[j])

    @property
    def cheapest(self) -> str:
        order = np.lexsort((-self.single_quality, self.single_cost))
        return self.models[int(order[0])]

    @property
    def best(self) -> str:
        order = np.lexsort((self.single_cost, -self.single_quality))
        return self.models[int(order[0])]

    # -- text --------------------------------------------------------------------------------
    def table(self) -> str:
        info = self.info
        ref_q, ref_c = self.single(self.reference)
        best_q, best_c = self.single(self.best)
        lk = info.get("leakage", {})
        rules = ", ".join(f"{r} {n}" for r, n in lk.get("by_rule", {}).items())
        lines = [
            f"N-way routing on {self.benchmark} test: {self.n_items} items x {len(self.models)} models; "
            f"routers trained on {info.get('n_train')} train prompts",
        ]
        if info.get("max_items") or info.get("max_train"):
            lines.append(
                f"  seeded subsample (seed {info.get('seed')}): {self.n_items} of {info.get('n_test_after_cleaning')} "
                f"test items, {info.get('n_train')} of {info.get('n_train_total')} train prompts"
            )
        lines += [
            f"  test prompts also in train, removed: {lk.get('removed', 0)} of {lk.get('test_prompts', '?')} "
            f"({rules}; compared on {lk.get('compared', '?')}"
            + (f", embedding cosine >= {lk.get('threshold')}" if lk.get("embedding_checked") else "")
            + ")",
            f"  test items with a missing score, dropped: {info.get('dropped_missing_score', 0)}",
            f"  cost per call (USD): {info.get('cost_basis')}",
            f"  ref = {self.reference}"
            + (" (not in this benchmark: the best single model)" if self.reference != REFERENCE_MODEL else ""),
            "",
        ]
        width = max(36, *(len(m) + 11 for m in self.models), *(len(n) + 7 for n in self.routers))
        head = f"{'model / router':<{width}} {'quality':>8} {'cost/call $':>12} {'cost vs ref':>14}"
        lines += [head, "-" * len(head)]
        for j in np.argsort(self.single_cost, kind="stable"):
            m = self.models[int(j)]
            tag = " (cheapest)" if m == self.cheapest else " (best)" if m == self.best else ""
            lines.append(
                f"{(m + tag):<{width}} {self.single_quality[j]:8.4f} {self.single_cost[j]:12.6f} "
                f"{self.single_cost[j] / ref_c:13.3f}x"
            )
        for label, (q, c) in (
            ("oracle (best per item, cheapest tie)", self.oracle),
            ("random N-way (uniform, expected)", self.random),
        ):
            lines.append(f"{label:<{width}} {q:8.4f} {c:12.6f} {c / ref_c:13.3f}x")
        for name, r in self.routers.items():
            i = int(np.argmax(r.weights == 0.0)) if (r.weights == 0.0).any() else 0
            lines.append(
                f"{name + ' (w=0)':<{width}} {r.qualities[i]:8.4f} {r.costs[i]:12.6f} {r.costs[i] / ref_c:13.3f}x"
            )
        lo, hi = self.cost_range
        lines += [
            "",
            f"AIQ (RouterBench: area under the non-decreasing convex hull / cost range ${lo:.6f}-${hi:.6f}): "
            f"single models' hull (zero router) {self.zero_router_aiq:.4f}; "
            + "; ".join(f"{n} {r.summary['aiq']:.4f}" for n, r in self.routers.items()),
            f"best single model: {self.best} {best_q:.4f} at ${best_c:.6f}; cheapest: {self.cheapest} "
            f"{self.single(self.cheapest)[0]:.4f} at ${self.single(self.cheapest)[1]:.6f}; "
            f"half of {self.reference}'s cost: ${ref_c / 2:.6f}",
            "margin = router quality - the line from the cheapest to the best single model (flat at the best "
            f"model's quality beyond its cost); BELOW = by more than half an item ({0.5 / self.n_items:.4f}); "
            "hull = the same check on the router's non-decreasing convex hull",
            "",
        ]
        h2 = (
            f"{'router':<{max(12, *(len(n) for n in self.routers))}}  {'AIQ':>6}  {'matches best single':<38}  "
            f"{'min margin over cheapest-best line':<54}  quality at <= half {self.reference} cost"
        )
        lines += [h2, "-" * len(h2)]
        for name, r in self.routers.items():
            s = r.summary
            m = s["match_best"]
            match = (
                f"at ${m['cost']:.6f} ({m['cost'] / best_c:.0%} of its cost)"
                if m["reached"]
                else f"never: best {m['best_quality']:.4f} at ${m['cost']:.6f}"
            )
            lm = s["line"]
            margin = (
                f"{lm['min_margin']:+.4f} ({lm['min_margin'] * self.n_items:+.1f} items) at ${lm['at_cost']:.6f} "
                + ("ok" if not lm["below"] else f"BELOW at {lm['n_below']} pt")
                + ("; hull BELOW" if lm.get("hull_below") else "; hull ok")
                if lm["min_margin"] is not None
                else "n/a"
            )
            h = s["half_reference"]
            half = (
                f"{h['quality']:.4f} at ${h['cost']:.6f} (hull {h['hull_quality']:.4f}); "
                f"{'reaches' if h['reached'] else 'misses'} {ref_q:.4f}"
                if h["quality"] is not None
                else "no point that cheap"
            )
            lines.append(
                f"{name:<{max(12, *(len(n) for n in self.routers))}}  {s['aiq']:6.4f}  {match:<38}  {margin:<54}  {half}"
            )
        fits = [f"{n} {r.fit_seconds:.1f} s" for n, r in self.routers.items() if r.fit_seconds is not None]
        if fits:
            lines += ["", "training time: " + ", ".join(fits)]
        lines += [
            "",
            f"Router sweeps ({len(next(iter(self.routers.values())).weights)} cost weights w; the Pareto-optimal "
            "points, by cost): w -> quality, cost per call, most used models",
        ]
        for name, r in self.routers.items():
            lines.append(f"  {name}:")
            for i in r.pareto_points():
                top = np.argsort(-r.shares[i])[:3]
                used = ", ".join(f"{self.models[j]} {r.shares[i, j]:.0%}" for j in top if r.shares[i, j] > 0)
                lines.append(f"    w={r.weights[i]:<10.4g} {r.qualities[i]:.4f}  ${r.costs[i]:.6f}  {used}")
        if self.diagnostic:
            classes = [
                c for c in ("0", "1", "partial") if any(d[m][f"n_{c}"] for d in self.diagnostic.values() for m in d)
            ]
            lines += [
                "",
                "PROCEED diagnostic: mean predicted score on the test items where the model's true score was "
                + " / ".join(classes)
                + " (n items per class)",
            ]
            mw = max(len(m) for m in self.models)
            heads = "  ".join(f"{n:^{7 * len(classes)}}" for n in self.diagnostic)
            lines.append(f"  {'model':<{mw}}  {heads}  n ({' / '.join(classes)})")
            for m in self.models:
                cells = []
                for d in self.diagnostic.values():
                    row = d.get(m)
                    cells.append(
                        " ".join(f"{row[c]:6.3f}" if row and row[c] is not None else f"{'-':>6}" for c in classes)
                    )
                counts = next((d[m] for d in self.diagnostic.values() if m in d), None)
                n = " / ".join(str(counts[f"n_{c}"]) for c in classes) if counts else ""
                lines.append(f"  {m:<{mw}}  " + "  ".join(f"{c:^{7 * len(classes)}}" for c in cells) + f"  {n}")
        return "\n".join(lines)

    # -- files -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return _json_safe(
            {
                "benchmark": self.benchmark,
                "n_items": self.n_items,
                "models": self.models,
                "single_models": {
                    m: {"quality": float(q), "cost": float(c)}
                    for m, q, c in zip(self.models, self.single_quality, self.single_cost)
                },
                "cheapest": self.cheapest,
                "best": self.best,
                "reference": self.reference,
                "oracle": {"quality": self.oracle[0], "cost": self.oracle[1]},
                "random": {"quality": self.random[0], "cost": self.random[1]},
                "cost_range": list(self.cost_range),
                "zero_router_aiq": self.zero_router_aiq,
                "routers": {
                    n: {
                        "kind": r.kind,
                        "origin": r.origin,
                        "params": r.params,
                        "fit_seconds": r.fit_seconds,
                        **r.summary,
                        "points": [
                            {
                                "cost_weight": float(r.weights[i]),
                                "quality": float(r.qualities[i]),
                                "cost": float(r.costs[i]),
                                "expected_cost": float(r.expected_costs[i]),
                                "predicted_quality": float(r.predicted_qualities[i]),
                                "shares": {m: float(s) for m, s in zip(self.models, r.shares[i]) if s > 0},
                            }
                            for i in range(len(r.weights))
                        ],
                    }
                    for n, r in self.routers.items()
                },
                "diagnostic": self.diagnostic,
                "info": self.info,
            }
        )

    def point_rows(self) -> list[dict[str, Any]]:
        rows = [
            {"kind": "single", "name": m, "cost_weight": "", "quality": float(q), "cost": float(c), "expected_cost": ""}
            for m, q, c in zip(self.models, self.single_quality, self.single_cost)
        ]
        rows += [
            {"kind": kind, "name": kind, "cost_weight": "", "quality": point[0], "cost": point[1], "expected_cost": ""}
            for kind, point in (("oracle", self.oracle), ("random", self.random))
        ]
        for n, r in self.routers.items():
            rows += [
                {
                    "kind": "router",
                    "name": n,
                    "cost_weight": float(r.weights[i]),
                    "quality": float(r.qualities[i]),
                    "cost": float(r.costs[i]),
                    "expected_cost": float(r.expected_costs[i]),
                }
                for i in range(len(r.weights))
            ]
        return rows

    def diagnostic_rows(self) -> list[dict[str, Any]]:
        return [{"router": n, "model": m, **row} for n, d in self.diagnostic.items() for m, row in d.items()]


def _diagnostic(predictions: np.ndarray, scores: np.ndarray, models: Sequence[str]) -> dict[str, dict[str, Any]]:
    """PROCEED: mean predicted score per model on items whose true score is 0, 1 or in between."""
    out: dict[str, dict[str, Any]] = {}
    for j, m in enumerate(models):
        p = predictions[:, j]
        if np.isnan(p).all():
            continue
        s = scores[:, j]
        row: dict[str, Any] = {}
        for label, mask in (("0", s <= _EPS), ("1", s >= 1 - _EPS), ("partial", (s > _EPS) & (s < 1 - _EPS))):
            row[label] = float(p[mask].mean()) if mask.any() else None
            row[f"n_{label}"] = int(mask.sum())
        out[m] = row
    return out


def _summarise(r: RouterCurve, report_bits: dict[str, Any]) -> dict[str, Any]:
    lo, hi = report_bits["cost_range"]
    best_q, best_c = report_bits["best"]
    cheap = report_bits["cheap"]
    ref_q, ref_c = report_bits["reference"]
    order = np.lexsort((-r.qualities, r.costs))
    c, q = r.costs[order], r.qualities[order]
    reach = np.flatnonzero(q >= best_q - _EPS)
    if reach.size:
        match = {
            "reached": True,
            "cost": float(c[reach[0]]),
            "quality": float(q[reach[0]]),
            "cost_weight": float(r.weights[order][reach[0]]),
        }
    else:
        k = int(np.lexsort((c, -q))[0])
        match = {
            "reached": False,
            "best_quality": float(q[k]),
            "cost": float(c[k]),
            "cost_weight": float(r.weights[order][k]),
        }
    margins = line_margin(c, q, cheap, (best_c, best_q))
    if np.isfinite(margins).any():
        k = int(np.nanargmin(margins))
        tol = report_bits["tolerance"]
        line = {
            "min_margin": float(margins[k]),
            "at_cost": float(c[k]),
            "below": bool(margins[k] < -tol),
            "n_below": int((margins < -tol).sum()),
            "tolerance": tol,
        }
    else:
        line = {"min_margin": None, "at_cost": None, "below": False, "n_below": 0}
    hx, hy = non_decreasing_convex_hull(c, q)
    hull_margins = line_margin(hx, hy, cheap, (best_c, best_q))
    line["hull_below"] = bool(
        np.isfinite(hull_margins).any() and np.nanmin(hull_margins) < -line.get("tolerance", _EPS)
    )
    cheap_enough = np.flatnonzero(c <= ref_c / 2 + _EPS)
    if cheap_enough.size:
        k = cheap_enough[int(np.argmax(q[cheap_enough]))]
        hull_q = float(np.interp(ref_c / 2, hx, hy, left=np.nan)) if ref_c / 2 >= hx[0] else float("nan")
        half = {
            "budget": ref_c / 2,
            "quality": float(q[k]),
            "cost": float(c[k]),
            "hull_quality": hull_q,
            "reached": bool(q[k] >= ref_q - _EPS),
            "target": ref_q,
            "cost_weight": float(r.weights[order][k]),
        }
    else:
        half = {
            "budget": ref_c / 2,
            "quality": None,
            "cost": None,
            "hull_quality": None,
            "reached": False,
            "target": ref_q,
        }
    return {
        "aiq": aiq(r.costs, r.qualities, cost_range=(lo, hi)),
        "match_best": match,
        "line": line,
        "half_reference": half,
    }


def evaluate_nway(
    items: NWayItems,
    routers: Sequence[Any] = DEFAULT_NWAY_ROUTERS,
    *,
    embedder: Any = None,
    recipe_params: Mapping[str, Mapping[str, Any]] | None = None,
    cost_weights: Sequence[float] | None = None,
    verbose: bool = True,
) -> NWayReport:
    """Score single models, oracle, random and each router's cost-weight sweep on ``items``.

    ``routers``: quality predictor kinds trained on ``items.train`` (``kind:name=value,...``
    to set parameters; ``recipe_params[kind]`` are the defaults), saved N-way router
    directories, or router objects (an :class:`~core.nway_router.NWayRouter`, or anything
    with its ``name``, ``models``, ``predictor`` and ``predict_texts``). ``cost_weights``
    overrides the per-router automatic sweep.
    """
    log = _log if verbose else (lambda _m: None)
    if embedder is None:
        embedder = DiskCachedEmbedder(make_embedder())
    if not routers:
        raise EvaluationError("no routers to evaluate")
    scores, costs = items.scores, items.costs
    single_q, single_c = scores.mean(axis=0), costs.mean(axis=0)
    rows = np.arange(len(items))
    pick = oracle_choice(scores, costs)
    oracle = (float(scores[rows, pick].mean()), float(costs[rows, pick].mean()))
    random_nway = (float(single_q.mean()), float(single_c.mean()))

    curves: dict[str, RouterCurve] = {}
    for spec in routers:
        name = str(spec) if isinstance(spec, (str, Path)) else str(spec.name)
        if name in curves:
            continue
        log(f"{items.benchmark}: router {name}")
        router, kind, origin, params, seconds = _router_and_origin(spec, items, embedder, recipe_params or {})
        curve = _curve(
            Path(name).name if origin not in ("trained on the fly", "in memory") else name,
            router,
            items,
            None if cost_weights is None else np.asarray([0.0, *cost_weights]),
        )
        curve.kind, curve.origin, curve.params, curve.fit_seconds = kind, origin, params, seconds
        curves[curve.name] = curve

    all_c = np.concatenate([single_c, [oracle[1], random_nway[1]], *(r.costs for r in curves.values())])
    cost_range = (float(all_c.min()), float(all_c.max()))
    reference = (
        REFERENCE_MODEL if REFERENCE_MODEL in items.models else items.models[int(np.lexsort((single_c, -single_q))[0])]
    )
    report = NWayReport(
        items.benchmark,
        list(items.models),
        len(items),
        single_q,
        single_c,
        oracle,
        random_nway,
        curves,
        cost_range,
        aiq(single_c, single_q, cost_range=cost_range),
        reference,
        {},
        dict(items.info),
    )
    bits = {
        "cost_range": cost_range,
        "best": report.single(report.best),  # (quality, cost)
        "cheap": report.single(report.cheapest)[::-1],  # (cost, quality)
        "reference": report.single(reference),
        "tolerance": 0.5 / len(items),  # half an item: finer differences are the cost slope, not an answer
    }
    for r in curves.values():
        r.summary = _summarise(r, bits)
        report.diagnostic[r.name] = _diagnostic(r.predictions, scores, items.models)
    return report


# --------------------------------------------------------------------------------------- plot & files


def plot_nway(report: NWayReport, path: str | Path) -> Path:
    """The cost-quality plane: single models (labelled), oracle, random, the cheapest-best line,
    the single models' hull, and one curve per router (log cost axis)."""
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(14, 7))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    lo, hi = report.cost_range

    # the single models' non-decreasing convex hull and the cheapest-best line (straight in linear cost)
    hx, hy = non_decreasing_convex_hull(report.single_cost, report.single_quality)
    xs = np.geomspace(max(lo, 1e-12), hi, 400)
    ax.plot(
        xs,
        np.interp(xs, hx, hy, left=np.nan),
        color="grey",
        linestyle=":",
        linewidth=1.2,
        label=f"single models' hull (zero router), AIQ {report.zero_router_aiq:.3f}",
    )
    cq, cc = report.single(report.cheapest)
    bq, bc = report.single(report.best)
    lx = np.geomspace(cc, bc, 200) if bc > cc else np.array([cc])
    ax.plot(
        lx,
        cq + (bq - cq) * (lx - cc) / (bc - cc) if bc > cc else [bq],
        color="black",
        linestyle="--",
        linewidth=1.0,
        label=f"line {report.cheapest} - {report.best}\n(straight on a linear cost axis)",
    )
    ax.scatter(
        report.single_cost, report.single_quality, color="black", marker="o", s=28, zorder=3, label="single models"
    )
    for m, q, c in zip(report.models, report.single_quality, report.single_cost):
        ax.annotate(m, (c, q), textcoords="offset points", xytext=(5, -3), fontsize=7)
    ax.scatter(
        [report.oracle[1]],
        [report.oracle[0]],
        color="tab:purple",
        marker="*",
        s=140,
        zorder=4,
        label=f"oracle ({report.oracle[0]:.3f})",
    )
    ax.scatter(
        [report.random[1]],
        [report.random[0]],
        color="tab:red",
        marker="X",
        s=70,
        zorder=4,
        label=f"random N-way ({report.random[0]:.3f})",
    )
    for i, (name, r) in enumerate(report.routers.items()):
        order = np.argsort(r.costs, kind="stable")
        ax.plot(
            r.costs[order],
            r.qualities[order],
            marker=".",
            linestyle="-",
            color=_PALETTE[i % len(_PALETTE)],
            label=f"router {name}, AIQ {r.summary['aiq']:.3f}",
        )
    ref_q, ref_c = report.single(report.reference)
    ax.axvline(
        ref_c / 2, color="tab:red", linestyle=(0, (1, 3)), linewidth=0.9, label=f"half of {report.reference}'s cost"
    )
    ax.axhline(
        ref_q,
        color="tab:red",
        linestyle=(0, (1, 3)),
        linewidth=0.9,
        alpha=0.6,
        label=f"{report.reference}'s quality ({ref_q:.3f})",
    )
    ax.set_xscale("log")
    ax.set_xlim(lo / 1.25, hi * 1.9)  # room for the labels of the cheapest and the dearest model
    ax.set_xlabel("mean cost per call (USD, log scale)")
    ax.set_ylabel("mean quality")
    ax.set_title(f"Cost-quality plane: {report.benchmark} test, {report.n_items} items")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0.0)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=110)
    return out


def write_nway_report(report: NWayReport, out_dir: str | Path, *, plot: bool = True) -> list[Path]:
    """``<stem>.json``, ``<stem>_points.csv``, ``<stem>_diagnostic.csv`` and ``<stem>.png``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report.stem
    written = [out / f"{stem}.json"]
    written[0].write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    for suffix, rows in (("points", report.point_rows()), ("diagnostic", report.diagnostic_rows())):
        if not rows:
            continue
        path = out / f"{stem}_{suffix}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    if plot:
        written.append(plot_nway(report, out / f"{stem}.png"))
    return written


# --------------------------------------------------------------------------------------- CLI


def _recipe_for(source: str, config: str | None) -> NWayRecipe | None:
    """The N-way recipe whose predictor / embedder / output-token settings apply (None: defaults)."""
    if config:
        try:
            return load_recipe(config, kind="nway")
        except ValueError as exc:
            raise EvaluationError(f"--config: {exc} (e.g. configs/{source}.toml)") from None
    for base in (Path("configs"), Path(__file__).resolve().parents[2] / "configs"):
        if (base / f"{source}.toml").is_file():
            return load_recipe(base / f"{source}.toml", kind="nway")
    return None


def run_nway(
    benchmarks: Sequence[str],
    *,
    routers: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    config: str | None = None,
    max_items: int | None = None,
    max_train: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    plot: bool = True,
    embedder: Any = None,
    verbose: bool = True,
) -> list[NWayReport]:
    """What ``winroute evaluate --benchmark routerbench-zs llmrouter`` runs: print each table."""
    cache = EmbeddingCache(cache_dir)
    reports = []
    for bench in benchmarks:
        key = _benchmark_key(bench)
        if key is None:
            raise EvaluationError(f"unknown N-way benchmark {bench!r}; known: {', '.join(NWAY_BENCHMARKS)}")
        recipe = _recipe_for(NWAY_BENCHMARKS[key], config)
        model_id = recipe.embedder if recipe is not None else None
        emb = embedder
        if emb is None or (model_id and getattr(emb, "model_id", None) != model_id):
            emb = DiskCachedEmbedder(make_embedder(model_id) if model_id else make_embedder(), cache)
        params = {recipe.predictor: recipe.predictor_params} if recipe is not None else {}
        started = time.perf_counter()
        items = load_nway_items(
            key,
            data_dir=data_dir,
            embedder=emb,
            max_items=max_items,
            max_train=max_train,
            seed=seed,
            output_tokens=recipe.output_tokens if recipe is not None else DEFAULT_OUTPUT_TOKENS,
            verbose=verbose,
        )
        report = evaluate_nway(
            items, list(routers or DEFAULT_NWAY_ROUTERS), embedder=emb, recipe_params=params, verbose=verbose
        )
        report.info["recipe"] = getattr(recipe, "path", None)
        report.info["seconds"] = round(time.perf_counter() - started, 1)
        print(report.table())
        print()
        if out:
            write_nway_report(report, out, plot=plot)
        reports.append(report)
    if out:
        print(f"wrote JSON, CSV{'' if not plot else ' and PNG'} files to {out}")
    return reports
