"""Evaluation harness: RouteLLM / RouterBench metrics, benchmarks, protocols, reports and plots.

* :mod:`.metrics`: APGR, CPT, oracle, random baseline, cost-saving ratio, AIQ, similarity.
* :mod:`.benchmarks`: GSM8K / MMLU (RouteLLM files), MT-Bench (FastChat layout), user data.
* :mod:`.protocols`: out-of-domain training and in-domain k-fold cross-fitting.
* :mod:`.runner`: :class:`Harness`, reports, JSON / CSV / PNG output.
* :mod:`.report`: the Markdown benchmark report (``make bench-report``).
"""

from .benchmarks import (
    BENCHMARK_NAMES,
    BenchmarkItems,
    benchmark_items,
    load_benchmark,
    load_mt_bench,
    load_outcomes_file,
    load_routellm_benchmark,
)
from .errors import BadScoresError, EmptyBenchmarkError, EvaluationError, UnknownBenchmarkError
from .metrics import (
    CPT_TARGETS,
    Curve,
    CurvePoint,
    RandomBaseline,
    aiq,
    apgr,
    auc,
    benchmark_similarity,
    call_performance_curve,
    cost_saving_ratio,
    cpt,
    curve_aiq,
    curve_metrics,
    length_heuristic_scores,
    nearest_similarity,
    non_decreasing_convex_hull,
    optimal_apgr,
    optimal_curve,
    pgr,
    random_baseline,
)
from .plots import plot_curves
from .protocols import (
    IN_DOMAIN,
    OUT_OF_DOMAIN,
    PROTOCOLS,
    CrossFitPlan,
    in_domain_comparisons,
    make_cross_fit_plan,
)
from .runner import (
    BenchmarkReport,
    EvalSettings,
    Harness,
    RouterSpec,
    evaluate_routellm_benchmark,
    evaluate_scores,
    write_report,
)

__all__ = [
    "BENCHMARK_NAMES",
    "CPT_TARGETS",
    "IN_DOMAIN",
    "OUT_OF_DOMAIN",
    "PROTOCOLS",
    "BadScoresError",
    "BenchmarkItems",
    "BenchmarkReport",
    "CrossFitPlan",
    "Curve",
    "CurvePoint",
    "EmptyBenchmarkError",
    "EvalSettings",
    "EvaluationError",
    "Harness",
    "RandomBaseline",
    "RouterSpec",
    "UnknownBenchmarkError",
    "aiq",
    "apgr",
    "auc",
    "benchmark_items",
    "benchmark_similarity",
    "call_performance_curve",
    "cost_saving_ratio",
    "cpt",
    "curve_aiq",
    "curve_metrics",
    "evaluate_routellm_benchmark",
    "evaluate_scores",
    "in_domain_comparisons",
    "length_heuristic_scores",
    "load_benchmark",
    "load_mt_bench",
    "load_outcomes_file",
    "load_routellm_benchmark",
    "make_cross_fit_plan",
    "nearest_similarity",
    "non_decreasing_convex_hull",
    "optimal_apgr",
    "optimal_curve",
    "pgr",
    "plot_curves",
    "random_baseline",
    "write_report",
]
