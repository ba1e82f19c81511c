"""The two-model harness: routers x benchmarks x protocols -> one :class:`BenchmarkReport` each.

``Harness.run(benchmarks, routers)`` is what ``winroute evaluate`` calls. Routers are saved
artifacts (``default`` = the bundled router, or a directory) or named predictors
(``random``, ``sw_ranking``, ``mf``) trained on the fly from a recipe's data. Every report
also carries the baselines RouteLLM reports: the random router (mean and 95% interval over
seeds), the prompt-length heuristic (longer -> strong) and the oracle.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...data.models import canonical_model
from ...embeddings import make_embedder
from ...embeddings.cache import DiskCachedEmbedder, EmbeddingCache
from ...loading import BUNDLED_ROUTERS, load_router
from ...predictors import PREDICTORS
from ...recipes import PairwiseRecipe, load_recipe
from ..benchmarks.pairwise import BenchmarkItems, load_benchmark
from ..errors import BadScoresError, EvaluationError
from ..metrics import nearest_similarity
from ..progress import log as _log
from ..protocols.pairwise import (
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
from ..reports.pairwise import BenchmarkReport
from .scores import blended_price_ratio, check_router_scores, evaluate_scores

__all__ = ["EvalSettings", "Harness", "RouterSpec"]

BUNDLED_ALIASES = ("default", "bundled")


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
        self._config: PairwiseRecipe | None = None
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
    def config(self) -> PairwiseRecipe:
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
        """``default``/``bundled``, another bundled router by name (``default-minilm``), a named predictor,
        or a saved router directory."""
        trainable = sorted(k for k, cls in PREDICTORS.items() if cls.trains_from_battles)
        out: list[RouterSpec] = []
        for raw in specs or ["default"]:
            spec = str(raw).strip()
            if spec.lower() in BUNDLED_ALIASES:
                out.append(RouterSpec("default", "artifact"))
            elif spec in BUNDLED_ROUTERS:
                out.append(RouterSpec(spec, "artifact", path=str(BUNDLED_ROUTERS[spec])))
            elif spec in trainable:
                out.append(RouterSpec(spec, "predictor", predictor=spec))
            elif Path(spec).expanduser().is_dir():
                out.append(RouterSpec(Path(spec).name or spec, "artifact", path=str(Path(spec).expanduser())))
            else:
                raise EvaluationError(
                    f"unknown router {spec!r}: give a saved router directory, a bundled router "
                    f"({', '.join(BUNDLED_ROUTERS)}; 'default' is the bundled default) or a predictor to train on the fly: {', '.join(trainable)}"
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
    def training_set(self, items: BenchmarkItems, config: PairwiseRecipe | None = None) -> TrainingSet:
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

    def _ood_predictor_scores(
        self, kind: str, items: BenchmarkItems, config: PairwiseRecipe
    ) -> tuple[np.ndarray, dict[str, Any]]:
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
        self,
        kind: str,
        items: BenchmarkItems,
        config: PairwiseRecipe,
        plan: CrossFitPlan,
        refit: dict[str, Any] | None = None,
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
                return check_router_scores(
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
        return check_router_scores(spec.label, scores, len(items)), {**info, **extra}

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
