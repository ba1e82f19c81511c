"""Evaluation: RouteLLM / RouterBench metrics for two-model and N-way routers, by stage.

* :mod:`.benchmarks`: loading items (two-model benchmarks, N-way benchmarks, the yardstick's sources).
* :mod:`.protocols`: how routers are fitted (out-of-domain, in-domain cross-fitting, N-way, leave-one-source-out).
* :mod:`.harness`: running routers over the items into curves, points and metrics.
* :mod:`.reports`: report dataclasses, tables, JSON / CSV rows, the Markdown benchmark report.
* :mod:`.plots`: every matplotlib figure. :mod:`.files`: a report's JSON, CSV and PNG files.
* :mod:`.commands`: what ``winroute evaluate`` runs (evaluate, print, write).
* :mod:`.metrics`: APGR, CPT, oracle, random baseline, cost-saving ratio, AIQ, similarity.
"""

from .benchmarks.nway import NWayItems, load_nway_items
from .benchmarks.pairwise import BenchmarkItems, load_benchmark, load_outcomes_file
from .commands import evaluate_routellm_benchmark, run_loso, run_nway, run_pairwise
from .errors import BadScoresError, EmptyBenchmarkError, EvaluationError, UnknownBenchmarkError
from .files import write_loso_report, write_nway_report, write_report
from .harness.loso import evaluate_loso
from .harness.nway import evaluate_nway
from .harness.pairwise import EvalSettings, Harness
from .harness.scores import evaluate_scores
from .metrics import Curve, aiq, apgr, call_performance_curve, cpt
from .reports.loso import LosoReport
from .reports.nway import NWayReport
from .reports.pairwise import BenchmarkReport

__all__ = [
    "BadScoresError",
    "BenchmarkItems",
    "BenchmarkReport",
    "Curve",
    "EmptyBenchmarkError",
    "EvalSettings",
    "EvaluationError",
    "Harness",
    "LosoReport",
    "NWayItems",
    "NWayReport",
    "UnknownBenchmarkError",
    "aiq",
    "apgr",
    "call_performance_curve",
    "cpt",
    "evaluate_loso",
    "evaluate_nway",
    "evaluate_routellm_benchmark",
    "evaluate_scores",
    "load_benchmark",
    "load_nway_items",
    "load_outcomes_file",
    "run_loso",
    "run_nway",
    "run_pairwise",
    "write_loso_report",
    "write_nway_report",
    "write_report",
]
