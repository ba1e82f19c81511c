"""The evaluation harness: routers x benchmarks x protocols -> metrics, tables, JSON/CSV, plots.

``Harness.run(benchmarks, routers)`` is what ``winroute evaluate`` calls. Routers are saved
artifacts (``default`` = the bundled router, or a directory) or named predictors
(``random``, ``sw_ranking``, ``mf``) trained on the fly from a recipe's data. Every report
also carries the baselines RouteLLM reports: the random router (mean and 95% interval over
seeds), the prompt-length heuristic (longer -> strong) and the oracle.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.importers import resolve_data_dir
from ..data.models import canonical_model, load_price_catalog
from ..embeddings import make_embedder
from ..embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ..loading import load_router
from ..predictors import PREDICTORS
from ..recipes import load_recipe
from .benchmarks import (
    ROUTELLM_BENCHMARKS,
    BenchmarkItems,
    benchmark_items,
    describe,
    load_benchmark,
    load_routellm_benchmark,
)
from .errors import BadScoresError, EvaluationError
from .metrics import (
    Curve,
    RandomBaseline,
    call_performance_curve,
    cost_saving_ratio,
    curve_aiq,
    curve_metrics,
    length_heuristic_scores,
    nearest_similarity,
    optimal_curve,
    random_baseline,
)
from .plots import plot_curves
from .protocols import (
    BALANCED,
    IN_DOMAIN,
    OUT_OF_DOMAIN,
    PROTOCOLS,
    CrossFitPlan,
    TrainingSet,
    config_key,
    cross_fit_scores,
    default_config_path,
    in_domain_comparisons,
    load_training_set,
    make_cross_fit_plan,
    predictor_params,
    resolve_in_domain_weight,
    train_predictor_router,
)

__all__ = [
    "ROUTELLM_BENCHMARKS",
    "BenchmarkReport",
    "EvalSettings",
    "Harness",
    "RouterSpec",
    "benchmark_items",
    "blended_price_ratio",
    "evaluate_routellm_benchmark",
    "evaluate_scores",
    "load_routellm_benchmark",
    "write_report",
]

LENGTH = "length heuristic"
RANDOM = "random (mean)"
ORACLE = "oracle"
BASELINES = (LENGTH, RANDOM, ORACLE)
BUNDLED_ALIASES = ("default", "bundled")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _finite_or_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _json_safe(obj: Any) -> Any:
    """Replace NaN / inf by None (JSON has neither), numpy scalars by Python numbers."""
    if isinstance(obj, Mapping):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_json_safe(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    return _finite_or_none(obj)


def _weight_text(setting: Any, routers: Mapping[str, Mapping[str, Any]]) -> str:
    """``30`` or ``balanced (~332 per label)`` for the table header."""
    if setting != BALANCED:
        return f"{float(setting):g}"
    per = [w for info in routers.values() for w in info.get("label_weight_per_fold", [])]
    return f"balanced (~{np.mean(per):.0f} per label)" if per else "balanced"


# --------------------------------------------------------------------------------------- report


@dataclass
class BenchmarkReport:
    """Metrics of the routers and baselines on one benchmark under one protocol."""

    benchmark: str
    strong: str
    weak: str
    n_items: int
    dropped_contaminated: int
    strong_mean: float
    weak_mean: float
    rows: dict[str, dict[str, float]]
    curves: dict[str, Curve] = field(repr=False)
    random_interval: tuple[float, float] = (float("nan"), float("nan"))
    cost_saved: dict[str, float] = field(default_factory=dict)
    protocol: str = OUT_OF_DOMAIN
    random: RandomBaseline | None = field(default=None, repr=False)
    similarity: float | None = None
    routers: dict[str, dict[str, Any]] = field(default_factory=dict)
    benchmark_info: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    cost_basis: str = "strong-call share (no prices)"
    notes: list[str] = field(default_factory=list)

    @property
    def router_names(self) -> list[str]:
        """Evaluated routers, without the baselines."""
        return [n for n in self.rows if n not in BASELINES]

    @property
    def stem(self) -> str:
        """File name stem: ``<benchmark>`` (out-of-domain) or ``<benchmark>-in-domain``."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", self.benchmark).strip("_") or "benchmark"
        return safe if self.protocol == OUT_OF_DOMAIN else f"{safe}-{self.protocol}"

    def table(self) -> str:
        """A plain-text table: the routers, then length heuristic, random and oracle."""
        info = self.benchmark_info
        total = info.get("n_total", self.n_items + self.dropped_contaminated)
        drops = f"{self.dropped_contaminated} contaminated dropped"
        if info.get("dropped_unscored"):
            drops += f", {info['dropped_unscored']} without both scores dropped"
        if info.get("max_items"):
            drops += f", seeded subsample of {self.n_items} (--max-items)"
        head = [
            f"{self.benchmark} [{self.protocol}]: {self.n_items} of {total} items ({drops})",
            f"  strong {self.strong} = {self.strong_mean:.3f}, weak {self.weak} = {self.weak_mean:.3f}"
            + ("" if self.similarity is None else f"; benchmark-dataset similarity {self.similarity:.3f}"),
        ]
        if self.protocol == IN_DOMAIN and self.settings.get("cross_fit"):
            cf = self.settings["cross_fit"]
            head.append(
                f"  in-domain: {cf['k']}-fold cross-fit, seed {cf['seed']}, at most {cf['max_labels']} labels "
                f"per fold (used {min(cf['labels_per_fold'])}-{max(cf['labels_per_fold'])}), "
                f"label weight {_weight_text(self.settings.get('in_domain_weight', 1.0), self.routers)}"
            )
        cols = ["apgr", "cpt_20", "cpt_50", "cpt_80", "saving_50", "saving_80", "aiq"]
        labels = ["APGR", "CPT(20%)", "CPT(50%)", "CPT(80%)", "save@50", "save@80", "AIQ"]
        width = max([len(n) for n in self.rows] + [24]) + 2
        lines = [*head, f"{'router':<{width}}" + "".join(f"{c:>10}" for c in labels)]
        for name, row in self.rows.items():
            cells = []
            for c in cols:
                v = row.get(c)
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    cells.append(f"{'-':>10}")
                elif c.startswith("cpt"):
                    cells.append(f"{v:>9.1f}%")
                elif c.startswith("saving"):
                    cells.append(f"{'inf':>10}" if math.isinf(v) else f"{v:>9.2f}x")
                else:
                    cells.append(f"{v:>10.3f}")
            lines.append(f"{name:<{width}}" + "".join(cells))
        lo, hi = self.random_interval
        seeds = self.settings.get("seeds", 100)
        lines.append(f"random: 95% of {seeds} seeds within APGR [{lo:.3f}, {hi:.3f}]; AIQ cost axis: {self.cost_basis}")
        if self.cost_saved:
            per_router = [
                f"{n} {self.cost_saved.get(f'{n} at CPT(50%)', float('nan')):.1%}/"
                f"{self.cost_saved.get(f'{n} at CPT(80%)', float('nan')):.1%}"
                for n in self.router_names
            ]
            lines.append("cost saved vs. always-strong at CPT(50%)/CPT(80%), catalog prices: " + ", ".join(per_router))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Everything: benchmark facts, settings, every metric and every curve point."""
        return _json_safe(
            {
                "benchmark": self.benchmark,
                "protocol": self.protocol,
                "strong": self.strong,
                "weak": self.weak,
                "n_items": self.n_items,
                "dropped_contaminated": self.dropped_contaminated,
                "strong_mean": self.strong_mean,
                "weak_mean": self.weak_mean,
                "similarity": self.similarity,
                "cost_basis": self.cost_basis,
                "benchmark_info": self.benchmark_info,
                "settings": self.settings,
                "routers": self.routers,
                "rows": self.rows,
                "random_interval": list(self.random_interval),
                "cost_saved": self.cost_saved,
                "notes": self.notes,
                "curves": {
                    name: {
                        "thresholds": c.thresholds.tolist(),
                        "strong_share": c.strong_shares.tolist(),
                        "performance": c.performances.tolist(),
                    }
                    for name, c in self.curves.items()
                },
            }
        )

    def metric_rows(self) -> list[dict[str, Any]]:
        """One CSV row per router / baseline."""
        keys = ["apgr", "apgr_lo", "apgr_hi", "auc", "cpt_20", "cpt_50", "cpt_80", "saving_50", "saving_80", "aiq"]
        out = []
        for name, row in self.rows.items():
            rec = {"benchmark": self.benchmark, "protocol": self.protocol, "router": name}
            rec.update({k: _finite_or_none(row.get(k)) for k in keys})
            out.append(rec)
        return out

    def point_rows(self) -> list[dict[str, Any]]:
        """One CSV row per curve point."""
        out = []
        for name, c in self.curves.items():
            for p in c:
                out.append(
                    {
                        "benchmark": self.benchmark,
                        "protocol": self.protocol,
                        "router": name,
                        "threshold": _finite_or_none(p.threshold),
                        "strong_pct": p.strong_pct,
                        "performance": p.performance,
                    }
                )
        return out


def _check_router_scores(name: str, scores: Any, n: int) -> np.ndarray:
    """A finite 1-D float array of length n, else a clear BadScoresError."""
    arr = np.asarray(scores, dtype=float)
    if arr.shape != (n,):
        raise BadScoresError(f"router {name!r} returned {arr.shape} scores for {n} benchmark items")
    nan = int(np.isnan(arr).sum())
    if nan:
        raise BadScoresError(f"router {name!r} returned NaN scores for {nan} of {n} items")
    inf = int(np.isinf(arr).sum())
    if inf:
        raise BadScoresError(f"router {name!r} returned infinite scores for {inf} of {n} items")
    return arr


def _router_row(
    curve: Curve, s_mean: float, w_mean: float, rand: RandomBaseline, costs: tuple[float, float]
) -> dict[str, float]:
    row = curve_metrics(curve, s_mean, w_mean)
    for t in (50, 80):
        try:
            row[f"saving_{t}"] = cost_saving_ratio(row[f"cpt_{t}"], rand.cpt_mean[t / 100])
        except ValueError:
            row[f"saving_{t}"] = float("nan")
    row["aiq"] = curve_aiq(curve, *costs)
    return row


def evaluate_scores(
    items: BenchmarkItems,
    scores: Mapping[str, np.ndarray],
    *,
    strong: str | None = None,
    weak: str | None = None,
    price_ratio: float | None = None,
    seeds: int = 100,
    num_thresholds: int = 10,
    protocol: str = OUT_OF_DOMAIN,
) -> BenchmarkReport:
    """Metrics for each named score vector plus the random, prompt-length and oracle baselines.

    Per router: APGR, AUC, CPT(20/50/80%), the cost-saving ratio at CPT(50%) and CPT(80%)
    (random's CPT over the router's, RouteLLM Table 6) and AIQ. The AIQ cost axis is the
    mean per-call cost from the data when it has costs, else the catalog price ratio
    (``price_ratio`` = weak / strong cost per call), else the strong-call share.
    """
    strong = strong or items.strong
    weak = weak or items.weak
    s_mean, w_mean = items.strong_mean, items.weak_mean
    n = len(items)
    checked = {name: _check_router_scores(name, sc, n) for name, sc in scores.items()}
    if items.strong_cost is not None and items.weak_cost is not None and items.strong_cost > items.weak_cost:
        costs, basis = (items.strong_cost, items.weak_cost), "mean USD per call from the data"
    elif price_ratio is not None and 0 <= price_ratio < 1:
        costs, basis = (1.0, price_ratio), f"cost relative to the strong model (catalog price ratio {price_ratio:.3f})"
    else:
        costs, basis = (1.0, 0.0), "strong-call share (no prices)"
    rand = random_baseline(items.strong_perf, items.weak_perf, seeds=seeds, num_thresholds=num_thresholds)
    curves: dict[str, Curve] = {}
    rows: dict[str, dict[str, float]] = {}
    all_scores = {**checked, LENGTH: length_heuristic_scores(items.prompts)}
    for name, sc in all_scores.items():
        curves[name] = call_performance_curve(sc, items.strong_perf, items.weak_perf, num_thresholds, name=name)
        rows[name] = _router_row(curves[name], s_mean, w_mean, rand, costs)
    curves[RANDOM] = rand.curve
    rows[RANDOM] = {
        "apgr": rand.apgr,
        "apgr_lo": rand.interval[0],
        "apgr_hi": rand.interval[1],
        **{f"cpt_{round(100 * t)}": v for t, v in rand.cpt_mean.items()},
        "saving_50": 1.0,
        "saving_80": 1.0,
        "aiq": curve_aiq(rand.curve, *costs),
    }
    curves[ORACLE] = optimal_curve(items.strong_perf, items.weak_perf, num_thresholds)
    rows[ORACLE] = _router_row(curves[ORACLE], s_mean, w_mean, rand, costs)
    cost_saved: dict[str, float] = {}
    if price_ratio is not None:
        for name in checked:
            for t in (50, 80):
                share = rows[name][f"cpt_{t}"] / 100.0
                cost_saved[f"{name} at CPT({t}%)"] = 1.0 - (share + (1.0 - share) * price_ratio)
    return BenchmarkReport(
        items.name,
        strong,
        weak,
        n,
        items.dropped_contaminated,
        s_mean,
        w_mean,
        rows,
        curves,
        rand.interval,
        cost_saved,
        protocol=protocol,
        random=rand,
        benchmark_info=describe(items),
        settings={"seeds": seeds, "num_thresholds": num_thresholds},
        cost_basis=basis,
    )


def blended_price_ratio(strong: str, weak: str, data_dir: str | Path | None = None) -> float | None:
    """Weak/strong cost per call from the price catalog (mean of input and output $/1M), if both are priced."""
    try:
        catalog = load_price_catalog(resolve_data_dir(data_dir) / "prices" / "leaderboard_with_pricing.csv")
    except (OSError, ValueError):
        return None
    prices = []
    for model in (strong, weak):
        info = catalog.get(canonical_model(model))
        if info is None or info.input_price is None or info.output_price is None:
            return None
        prices.append((info.input_price + info.output_price) / 2)
    return prices[1] / prices[0] if prices[0] > 0 else None


def write_report(report: BenchmarkReport, out_dir: str | Path, *, plot: bool = True) -> Path:
    """``<stem>.json``, ``<stem>_metrics.csv``, ``<stem>_points.csv`` and ``<stem>.png`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report.stem
    (out / f"{stem}.json").write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    for suffix, rows in (("metrics", report.metric_rows()), ("points", report.point_rows())):
        with (out / f"{stem}_{suffix}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    if plot:
        plot_report(report, out / f"{stem}.png")
    return out


def plot_report(report: BenchmarkReport, path: str | Path) -> Path:
    """RouteLLM-style plot: performance vs strong-call %, weak / strong / oracle lines, random band."""
    curves = {k: v for k, v in report.curves.items() if k not in (ORACLE, RANDOM)}
    return plot_curves(
        curves,
        report.strong_mean,
        report.weak_mean,
        path,
        title=f"Model Calls and Performance ({report.benchmark}, {report.protocol})",
        optimal=report.curves[ORACLE],
        random_band=report.random,
        strong_label=report.strong,
        weak_label=report.weak,
    )


# --------------------------------------------------------------------------------------- harness


@dataclass(frozen=True)
class RouterSpec:
    """A router to evaluate: a saved artifact (``path`` None = bundled) or a named predictor."""

    label: str
    kind: str  # "artifact" | "predictor"
    path: str | None = None
    predictor: str | None = None


@dataclass
class EvalSettings:
    """Options of a harness run (all recorded in every report)."""

    protocols: tuple[str, ...] = (OUT_OF_DOMAIN,)
    k: int = 5
    seed: int = 0
    max_labels: int = 1500
    in_domain_weight: float | str = BALANCED
    max_items: int | None = None
    seeds: int = 100
    num_thresholds: int = 10
    similarity: bool | None = None  # None: when the training data is loaded anyway

    def __post_init__(self) -> None:
        bad = [p for p in self.protocols if p not in PROTOCOLS]
        if bad or not self.protocols:
            raise EvaluationError(f"unknown protocol(s) {bad}; choose from {', '.join(PROTOCOLS)}")
        if self.k < 2:
            raise EvaluationError(f"k must be >= 2, got {self.k}")
        if not 1 <= self.max_labels <= 1500:
            raise EvaluationError(
                f"max_labels must be in 1..1500 (the in-domain protocol's cap), got {self.max_labels}"
            )
        if isinstance(self.in_domain_weight, str):
            if self.in_domain_weight.strip().lower() != BALANCED:
                raise EvaluationError(
                    f"in-domain weight must be a positive number or {BALANCED!r}, got {self.in_domain_weight!r}"
                )
            self.in_domain_weight = BALANCED
        elif not (0 < float(self.in_domain_weight) < float("inf")):
            raise EvaluationError(f"in-domain weight must be > 0 and finite, got {self.in_domain_weight}")
        if self.seeds < 1:
            raise EvaluationError(f"seeds must be >= 1, got {self.seeds}")


class Harness:
    """Loads benchmarks, trains or loads routers, scores, and builds one report per protocol."""

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        train_data_dir: str | Path | None = None,
        config: str | Path | None = None,
        cache_dir: str | Path | None = None,
        strong: str | None = None,
        weak: str | None = None,
        judge: str | None = None,
        settings: EvalSettings | None = None,
        embedder: Any | None = None,
        verbose: bool = True,
    ) -> None:
        self.data_dir = data_dir
        self.train_data_dir = train_data_dir
        self.config_path = Path(config) if config is not None else default_config_path()
        self.cache = EmbeddingCache(cache_dir)
        self.strong = canonical_model(strong) if strong else None
        self.weak = canonical_model(weak) if weak else None
        self.judge = judge
        self.settings = settings or EvalSettings()
        self.verbose = verbose
        self._config: Any = None
        self._embedder: Any = None if embedder is None else DiskCachedEmbedder(embedder, self.cache)
        self._fixed_embedder = embedder is not None
        self._artifacts: dict[str | None, Any] = {}
        self._training: dict[tuple[str, str], TrainingSet] = {}
        self._ood_routers: dict[tuple[str, str], Any] = {}
        self._memo: dict[tuple[Any, ...], tuple[np.ndarray, dict[str, Any]]] = {}

    # -- configuration ---------------------------------------------------------------------
    def log(self, msg: str) -> None:
        if self.verbose:
            _log(msg)

    @property
    def config(self) -> Any:
        """The recipe on-the-fly routers train with (``configs/default.toml`` by default)."""
        if self._config is None:
            self._config = load_recipe(self.config_path, kind="pairwise")
        return self._config

    def embedder_for(self, model_id: str) -> Any:
        """The recipe's embedder behind the on-disk cache (or the one given to the harness)."""
        if self._fixed_embedder:
            return self._embedder
        if self._embedder is None or self._embedder.model_id != model_id:
            self._embedder = DiskCachedEmbedder(make_embedder(model_id), self.cache)
        return self._embedder

    def training_root(self) -> str | Path | None:
        """Where the training sources are: explicit, else ``data_dir`` if it holds them, else $WINROUTE_DATA."""
        if self.train_data_dir is not None:
            return self.train_data_dir
        if self.data_dir is not None and any(
            (Path(self.data_dir) / s).is_dir() for s in ("alpaca_eval", "llmrouter", "routerbench_zs")
        ):
            return self.data_dir
        return None

    def resolve_routers(self, specs: Sequence[str]) -> list[RouterSpec]:
        """``default``/``bundled``, a named predictor, or a saved router directory."""
        trainable = sorted(k for k, cls in PREDICTORS.items() if cls.trains_from_battles)
        out: list[RouterSpec] = []
        for raw in specs or ["default"]:
            spec = str(raw).strip()
            if spec.lower() in BUNDLED_ALIASES:
                out.append(RouterSpec("default", "artifact"))
            elif spec in trainable:
                out.append(RouterSpec(spec, "predictor", predictor=spec))
            elif Path(spec).expanduser().is_dir():
                out.append(RouterSpec(Path(spec).name or spec, "artifact", path=str(Path(spec).expanduser())))
            else:
                raise EvaluationError(
                    f"unknown router {spec!r}: give a saved router directory, 'default' (the bundled router) "
                    f"or a predictor to train on the fly: {', '.join(trainable)}"
                )
        labels: dict[str, int] = {}
        unique = []
        for s in out:
            n = labels.get(s.label, 0)
            labels[s.label] = n + 1
            unique.append(s if n == 0 else RouterSpec(f"{s.label}#{n + 1}", s.kind, s.path, s.predictor))
        return unique

    def artifact(self, path: str | None) -> Any:
        """A saved router (None = bundled) whose embedder reads the disk cache."""
        if path not in self._artifacts:
            router = load_router(path)
            router.embedder = DiskCachedEmbedder(router.embedder, self.cache)
            self._artifacts[path] = router
        return self._artifacts[path]

    def model_pair(self, specs: Sequence[RouterSpec]) -> tuple[str, str]:
        """--strong/--weak, else the first saved router's pair, else the recipe's."""
        if self.strong and self.weak:
            return self.strong, self.weak
        pair: tuple[str, str] | None = None
        for s in specs:
            if s.kind == "artifact":
                r = self.artifact(s.path)
                pair = (canonical_model(r.strong), canonical_model(r.weak))
                break
        if pair is None:
            pair = (self.config.strong, self.config.weak)
        return self.strong or pair[0], self.weak or pair[1]

    # -- training data --------------------------------------------------------------------------
    def training_set(self, items: BenchmarkItems, config: Any | None = None) -> TrainingSet:
        """The recipe's decontaminated battles for this benchmark (cached per benchmark kind)."""
        config = config or self.config
        extra = "" if items.name in config.decontaminate_benchmarks else items.name
        key = (str(config.path), extra)
        if key not in self._training:
            self.log(
                f"loading training data of {config.path or config.name} (decontaminated against "
                f"{', '.join(config.decontaminate_benchmarks + ([extra] if extra else [])) or 'nothing'})"
            )
            embedder = self.embedder_for(config.embedder)
            self._training[key] = load_training_set(
                config,
                embedder,
                data_dir=self.training_root(),
                extra_eval=items if extra else None,
                verbose=self.verbose,
            )
        return self._training[key]

    # -- scoring --------------------------------------------------------------------------------
    def _artifact_scores(self, router: Any, items: BenchmarkItems, name: str) -> np.ndarray:
        strong, weak = items.strong, items.weak
        try:
            if (canonical_model(router.strong), canonical_model(router.weak)) == (strong, weak):
                return router.score_texts(items.prompts)
            # Another pair than the router's own: ask its predictor (MF serves any pair it has seen).
            names = getattr(router, "predictor_models", {}) or {}
            return np.asarray(
                router.predictor.predict(
                    router.encode(items.prompts), names.get(strong, strong), names.get(weak, weak)
                ),
                dtype=float,
            )
        except FloatingPointError as exc:
            raise BadScoresError(f"router {name!r}: {exc}") from exc

    def _ood_predictor_scores(self, kind: str, items: BenchmarkItems, config: Any) -> tuple[np.ndarray, dict[str, Any]]:
        training = self.training_set(items, config)
        key = (config_key(config, kind), "|".join(training.decontaminated_against))
        if key not in self._ood_routers:
            self.log(f"training {kind} on {len(training.comparisons):,} battles (out-of-domain)")
            started = time.perf_counter()
            self._ood_routers[key] = train_predictor_router(
                kind,
                training.comparisons,
                config,
                self.embedder_for(config.embedder),
                strong=items.strong,
                weak=items.weak,
                predictor_models=training.predictor_models(items.strong, items.weak),
            )
            self._ood_routers[key].metadata["train_seconds"] = round(time.perf_counter() - started, 1)
        router = self._ood_routers[key]
        scores = self._artifact_scores(router, items, kind)
        return scores, {
            "trained_on_the_fly": True,
            "predictor": kind,
            "recipe": str(config.path),
            "n_battles": router.metadata.get("n_battles"),
            "train_seconds": router.metadata.get("train_seconds"),
        }

    def _in_domain_scores(
        self, kind: str, items: BenchmarkItems, config: Any, plan: CrossFitPlan, refit: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Cross-fitted scores: per fold, train on the recipe's battles + the other folds' labels.

        ``refit`` overrides the recipe's predictor parameters (a saved artifact's warm start).
        """
        training = self.training_set(items, config)
        embedder = self.embedder_for(config.embedder)
        weights: list[float] = []
        seconds: list[float] = []

        def fit_and_score(f: int, labels: np.ndarray, test: np.ndarray) -> np.ndarray:
            weight = resolve_in_domain_weight(self.settings.in_domain_weight, training, len(labels))
            weights.append(weight)
            names = training.predictor_models(items.strong, items.weak)
            comps = training.comparisons + in_domain_comparisons(items, labels, weight=weight, names=names)
            self.log(
                f"[{items.name} in-domain] {kind} fold {f + 1}/{plan.k}: {len(labels)} labels "
                f"(weight {weight:.4g} each), {len(comps):,} battles, scoring {len(test)} items"
            )
            started = time.perf_counter()
            params = {**predictor_params(config, kind), **(refit or {})}
            router = train_predictor_router(
                kind,
                comps,
                config,
                embedder,
                strong=items.strong,
                weak=items.weak,
                predictor_models=names,
                params=params,
            )
            seconds.append(time.perf_counter() - started)
            sub = items.subset(test)
            return self._artifact_scores(router, sub, kind)

        scores = cross_fit_scores(plan, len(items), fit_and_score)
        return scores, {
            "trained_on_the_fly": True,
            "predictor": kind,
            "recipe": str(config.path),
            "cross_fit": plan.as_dict(),
            "in_domain_weight": self.settings.in_domain_weight,
            "label_weight_per_fold": [round(w, 4) for w in weights],
            "train_seconds": round(sum(seconds), 1),
        }

    def score(
        self, spec: RouterSpec, items: BenchmarkItems, protocol: str, plan: CrossFitPlan | None
    ) -> tuple[np.ndarray | None, dict[str, Any]]:
        """Scores of one router on the items under a protocol (None + a note when it cannot)."""
        if spec.kind == "artifact":
            router = self.artifact(spec.path)
            recipe_info = router.metadata.get("recipe") or {}
            info: dict[str, Any] = {
                "artifact": spec.path or "bundled",
                "name": router.name,
                "predictor": router.predictor.kind,
                "trained_with": recipe_info.get("config"),
                "fit_seconds": router.metadata.get("fit_seconds"),
            }
            if protocol == OUT_OF_DOMAIN:
                return _check_router_scores(
                    spec.label, self._artifact_scores(router, items, spec.label), len(items)
                ), info
            recipe = recipe_info.get("config")
            if not recipe or not Path(recipe).is_file():
                info["skipped"] = "in-domain needs retraining, and this artifact records no recipe file"
                return None, info

            config = load_recipe(recipe, kind="pairwise")
            info["retrained_from_recipe"] = recipe
            kind = config.predictor
            saved = Path(spec.path) / "predictor" if spec.path else None
            refit = router.predictor.refit_params(saved) if saved is not None else {}
            if refit:
                info["refit_params"] = refit
        else:
            config, kind, info, refit = self.config, str(spec.predictor), {}, {}
        memo_key = (
            config_key(config, kind),
            json.dumps(refit, sort_keys=True),
            items.name,
            len(items),
            protocol,
            None if plan is None else json.dumps(plan.as_dict()),
            self.settings.in_domain_weight,
        )
        if memo_key not in self._memo:
            if protocol == OUT_OF_DOMAIN:
                self._memo[memo_key] = self._ood_predictor_scores(kind, items, config)
            else:
                assert plan is not None
                self._memo[memo_key] = self._in_domain_scores(kind, items, config, plan, refit)
        scores, extra = self._memo[memo_key]
        return _check_router_scores(spec.label, scores, len(items)), {**info, **extra}

    def similarity(self, items: BenchmarkItems, protocol: str, plan: CrossFitPlan | None) -> float:
        """Benchmark-dataset similarity to the recipe's training prompts (+ each fold's labels in-domain)."""
        training = self.training_set(items)
        embedder = self.embedder_for(self.config.embedder)
        bench = embedder.embed(items.prompts)
        best = nearest_similarity(bench, embedder.embed(training.prompts))
        if protocol == IN_DOMAIN and plan is not None:
            for test, labels in zip(plan.test, plan.labels):
                fold_best = nearest_similarity(bench[test], bench[labels])
                best[test] = np.maximum(best[test], fold_best)
        return float(best.mean())

    # -- main -----------------------------------------------------------------------------------
    def load(self, benchmark: str, strong: str, weak: str) -> BenchmarkItems:
        items = load_benchmark(benchmark, strong, weak, data_dir=self.data_dir, judge=self.judge)
        sample = items.sample(self.settings.max_items, self.settings.seed)
        self.log(
            f"{items.name}: {len(sample)} items (of {items.n_total}; {items.dropped_contaminated} contaminated, "
            f"{items.dropped_unscored} unscored dropped)"
        )
        return sample

    def iter_run(self, benchmarks: Sequence[str], routers: Sequence[str] = ("default",)) -> Iterator[BenchmarkReport]:
        """Evaluate every router on every benchmark under every protocol, one report at a time."""
        specs = self.resolve_routers(routers)
        strong, weak = self.model_pair(specs)
        for bench in benchmarks:
            items = self.load(bench, strong, weak)
            for protocol in self.settings.protocols:
                yield self.run_one(items, specs, protocol)

    def run(self, benchmarks: Sequence[str], routers: Sequence[str] = ("default",)) -> list[BenchmarkReport]:
        """All reports of :meth:`iter_run` as a list."""
        return list(self.iter_run(benchmarks, routers))

    def run_one(self, items: BenchmarkItems, specs: Sequence[RouterSpec], protocol: str) -> BenchmarkReport:
        """One benchmark under one protocol."""
        s = self.settings
        plan = (
            make_cross_fit_plan(items, k=s.k, seed=s.seed, max_labels=s.max_labels) if protocol == IN_DOMAIN else None
        )
        scores: dict[str, np.ndarray] = {}
        infos: dict[str, dict[str, Any]] = {}
        notes: list[str] = []
        for spec in specs:
            sc, info = self.score(spec, items, protocol, plan)
            infos[spec.label] = info
            if sc is None:
                notes.append(f"{spec.label}: {info.get('skipped')}")
            else:
                scores[spec.label] = sc
        trains = any(sp.kind == "predictor" for sp in specs) or protocol == IN_DOMAIN
        want_sim = s.similarity if s.similarity is not None else trains
        sim = self.similarity(items, protocol, plan) if want_sim else None
        ratio = blended_price_ratio(items.strong, items.weak, self.data_dir)
        if ratio is None:
            ratio = blended_price_ratio(items.strong, items.weak, self.training_root())
        report = evaluate_scores(
            items, scores, price_ratio=ratio, seeds=s.seeds, num_thresholds=s.num_thresholds, protocol=protocol
        )
        report.similarity = sim
        report.routers = infos
        report.notes = notes
        report.benchmark_info["max_items"] = s.max_items
        report.settings.update(
            {
                "seed": s.seed,
                "recipe": str(self.config_path),
                "max_items": s.max_items,
            }
        )
        extra = "" if items.name in self.config.decontaminate_benchmarks else items.name
        training = self._training.get((str(self.config.path), extra))
        if training is not None:
            report.settings["training"] = {
                "recipe": str(self.config.path),
                "battles": len(training.comparisons),
                "prompts": len(training.prompts),
                "sources": {k: v for k, v in self.config.sources.items() if v > 0},
                "n_tiers": training.n_tiers,
                "decontaminated_against": training.decontaminated_against,
                "dropped_by_decontamination": training.dropped,
            }
        if plan is not None:
            report.settings["cross_fit"] = plan.as_dict()
            report.settings["in_domain_weight"] = s.in_domain_weight
        return report


def evaluate_routellm_benchmark(
    router: Any, benchmark: str, *, data_dir: str | Path | None = None, out_dir: str | Path | None = None
) -> BenchmarkReport:
    """Evaluate one core.Router on GSM8K or MMLU (out-of-domain); optionally write JSON, CSV and a PNG."""
    items = load_routellm_benchmark(benchmark, router.strong, router.weak, data_dir)
    try:
        scores = {router.name: router.score_texts(items.prompts)}
    except FloatingPointError as exc:
        raise BadScoresError(f"router {router.name!r}: {exc}") from exc
    report = evaluate_scores(items, scores, price_ratio=blended_price_ratio(router.strong, router.weak, data_dir))
    if out_dir is not None:
        write_report(report, out_dir)
    return report
