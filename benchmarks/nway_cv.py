"""Cross-validate N-way quality predictors on a benchmark's *train* split (hyper-parameters, issue 6).

Run: ``python benchmarks/nway_cv.py [--benchmark routerbench-zs llmrouter] [--routers SPEC ...]``.
The test split is never read for anything but the leakage rule that ``load_nway_items`` applies.
The train prompts are split into ``--folds`` random folds (seed ``--seed``); each predictor spec
(``kind`` or ``kind:name=value,...``, as ``winroute evaluate`` takes them) is fitted on the other
folds and predicts every model's quality on the held-out one. The out-of-fold predictions of all
train prompts then go through the same cost-weight sweep, metrics and realised train scores and
costs as the test report (``core.evaluation.harness.nway.evaluate_nway``), and one line per spec prints the
AIQ of its out-of-fold curve and the best quality it reaches at <= half the reference model's cost
(gpt-4-1106-preview where present, else the best single model on train).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The specs docs/nway.md's hyper-parameter table lists, per benchmark.
GRID: dict[str, list[str]] = {
    "routerbench-zs": [
        "knn_quality:k=50,temperature=0.05", "knn_quality:k=10,temperature=0.05", "knn_quality:k=20,temperature=0.05",
        "knn_quality:k=100,temperature=0.05", "knn_quality:k=50,temperature=0.02", "knn_quality:k=50,temperature=0.1",
        "knn_quality:k=100,temperature=0.1", "knn_quality:k=200,temperature=0.05", "knn_quality:k=200,temperature=0.1",
        "knn_quality:k=200,temperature=0.1,prior=0", "knn_quality:k=200,temperature=0.2",
        "knn_quality:k=300,temperature=0.1", "knn_quality:k=500,temperature=0.1", "knn_quality:k=100,temperature=1.0",
        "knn_quality:k=50,temperature=0.05,prior=5", "mlp_quality", "mlp_quality:oversample=true",
        "mlp_quality:use_features=false", "mlp_quality:epochs=10", "mlp_quality:epochs=40,weight_decay=0.001",
    ],
    "llmrouter": [
        "knn_quality:k=50,temperature=0.05", "knn_quality:k=20,temperature=0.05", "knn_quality:k=50,temperature=0.02",
        "knn_quality:k=100,temperature=0.1", "knn_quality:k=200,temperature=0.1,prior=0",
        "knn_quality:k=200,temperature=0.2", "mlp_quality", "mlp_quality:use_features=false", "mlp_quality:epochs=10",
    ],
}


@dataclass
class OutOfFoldRouter:
    """Each train prompt's predictions from the predictor fitted without its fold, replayed as a router."""

    name: str
    models: list[str]
    predictor: Any  # the last fold's, for its kind and parameters
    qualities: np.ndarray  # (prompts, models)
    costs: np.ndarray  # expected USD per call (prompts, models)
    tokens: np.ndarray
    index: dict[str, int]

    def predict_texts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = [self.index[t] for t in texts]
        return self.qualities[rows], self.costs[rows], self.tokens[rows]


def cross_validate(items: Any, spec: str, folds: np.ndarray, expected: np.ndarray, tokens: np.ndarray) -> OutOfFoldRouter:
    """Fit ``spec`` on all folds but one, ``folds.max() + 1`` times; keep every held-out prediction."""
    from core.evaluation.protocols.nway import parse_router_spec
    from core.predictors import QUALITY_PREDICTORS, OutcomeData
    from core.training import make_predictor

    kind, params = parse_router_spec(spec)
    data = items.train
    q = np.full(data.scores.shape, np.nan)
    est = None
    for f in range(int(folds.max()) + 1):
        fit_rows, held = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        part = OutcomeData(data.queries.subset(fit_rows), data.models, data.scores[fit_rows],
                           None if data.costs is None else data.costs[fit_rows])
        est = make_predictor(kind, params, QUALITY_PREDICTORS).fit(part)
        q[held] = est.predict(data.queries.subset(held), data.models)
    texts = list(data.queries.texts)
    return OutOfFoldRouter(spec, list(data.models), est, q, expected, tokens, {t: i for i, t in enumerate(texts)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", nargs="+", default=list(GRID), choices=list(GRID))
    parser.add_argument("--routers", nargs="+", help="predictor specs (default: the grid of docs/nway.md)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    args = parser.parse_args()

    from tqdm.auto import tqdm

    from core.costs import cost_matrix, estimate_tokens
    from core.embeddings import DiskCachedEmbedder, make_embedder
    from core.evaluation.benchmarks.nway import NWayItems, load_nway_items
    from core.evaluation.harness.nway import evaluate_nway

    embedder = DiskCachedEmbedder(make_embedder())
    for bench in args.benchmark:
        started = time.perf_counter()
        items = load_nway_items(bench, data_dir=args.data_dir, embedder=embedder, seed=args.seed)
        train = items.train
        texts = list(train.queries.texts)
        tokens = estimate_tokens(texts, embedder)
        expected = cost_matrix(items.specs, tokens)  # specs are in the order of train.models
        measured = train.costs is not None and bool(np.isfinite(train.costs).any())
        realised = np.where(np.isnan(train.costs), expected, train.costs) if measured else expected
        basis = "each call's measured total_cost (missing: the model's mean)" if measured else "token prices x prompt tokens"
        folds = np.random.default_rng(args.seed).permutation(len(texts)) % args.folds
        complete = np.flatnonzero(~np.isnan(train.scores).any(axis=1))  # scored by every model: the curve's items
        cv_items = NWayItems(bench, items.source, list(train.models), train, [texts[i] for i in complete],
                             train.scores[complete], realised[complete], items.specs, tokens[complete], dict(items.info))
        routers = [cross_validate(items, spec, folds, expected, tokens)
                   for spec in tqdm(args.routers or GRID[bench], desc=f"{bench}: {args.folds}-fold CV", unit="spec")]
        report = evaluate_nway(cv_items, routers, embedder=embedder, verbose=False)
        ref_q, ref_c = report.single(report.reference)
        print(f"\n{bench} train split, {args.folds}-fold CV (seed {args.seed}): {len(complete)} of {len(texts)} prompts "
              f"scored by all {len(train.models)} models; costs: {basis}")
        print(f"reference {report.reference}: quality {ref_q:.4f} at ${ref_c:.6f}; half its cost ${ref_c / 2:.6f}; "
              f"single models' hull AIQ {report.zero_router_aiq:.4f}")
        print(f"{'predictor (out-of-fold)':46s} {'AIQ':>7s} {'at half cost':>13s} {'(hull)':>8s}")
        for name, curve in report.routers.items():
            half = curve.summary["half_reference"]
            at_half = "-" if half["quality"] is None else f"{half['quality']:.4f}"
            hull = "-" if half["hull_quality"] is None else f"{half['hull_quality']:.4f}"
            print(f"{name:46s} {curve.summary['aiq']:7.4f} {at_half:>13s} {hull:>8s}")
        print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
