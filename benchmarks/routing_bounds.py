"""What an idealised router would reach on the aims of issues 6 and 8, given knowledge no router has.

Run: ``python benchmarks/routing_bounds.py [--data-dir DIR]``. Two bounds, both on the real data:

* **RouterBench-zs, task-aware mixing (issue 6).** A router told each test prompt's task
  (ARC-Challenge, MBPP or Winogrande) and every model's *test* accuracy and mean cost on that
  task, free to send any share of each task to each model: the best accuracy it reaches at
  <= half of gpt-4-1106-preview's mean cost per call, and the least cost at which it matches
  gpt-4's accuracy (linear programmes over per-task model mixtures, ``scipy.optimize.linprog``).
  A router that beats this must tell items of one task apart.
* **MMLU, subject-aware labels (issue 8).** A router told each prompt's MMLU subject (57 files)
  that scores a prompt by its subject's mean gain ``strong - weak`` estimated from N labels
  (shrunk toward the overall mean by ``s`` pseudo-labels), cross-fitted like the evaluation
  harness (5 folds, labels drawn from the other folds, 3 label draws), and optionally plus a
  small multiple of the prompt's standardised length. The best of a grid of ``s`` and length
  weights is shown, which is optimistic. With every item's true subject mean it is the
  "subject oracle".
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

STRONG, WEAK = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"
LABELS = (300, 1500, None)  # per fold; None = every label of the other folds
SHRINK = (5.0, 20.0, 50.0)
LENGTH_WEIGHTS = (0.0, 0.01, 0.02, 0.04, 0.08)


def best_mixture(acc: np.ndarray, cost: np.ndarray, share: np.ndarray, *, budget: float | None = None,
                 target: float | None = None) -> tuple[float, float, np.ndarray]:
    """Per-task model mixture x (tasks x models): max accuracy under ``budget``, or min cost reaching ``target``.

    Returns (accuracy, cost, x); every row of x sums to 1.
    """
    from scipy.optimize import linprog

    t, m = acc.shape
    a = (share[:, None] * acc).ravel()
    c = (share[:, None] * cost).ravel()
    rows = np.kron(np.eye(t), np.ones(m))  # each task's shares sum to 1
    if budget is not None:
        res = linprog(-a, A_ub=c[None, :], b_ub=[budget], A_eq=rows, b_eq=np.ones(t), bounds=(0, 1), method="highs")
    else:
        res = linprog(c, A_ub=-a[None, :], b_ub=[-float(target)], A_eq=rows, b_eq=np.ones(t), bounds=(0, 1),
                      method="highs")
    if not res.success:
        raise RuntimeError(f"linear programme failed: {res.message}")
    return float(a @ res.x), float(c @ res.x), res.x.reshape(t, m)


def routerbench_bound(data_dir: str | None) -> None:
    from core.data import load_nway_source
    from core.evaluation.benchmarks.nway import load_nway_items
    from core.evaluation.harness.nway import oracle_choice

    task_of = {}
    for o in load_nway_source("routerbench_zs", "test", data_dir)[0]:
        task_of.setdefault(o.prompt, o.prompt_id.split(":")[0].replace("_test", ""))
    items = load_nway_items("routerbench-zs", data_dir=data_dir, verbose=False)  # MiniLM behind the disk cache
    tasks = sorted({task_of[t] for t in items.test_texts})
    task = np.array([tasks.index(task_of[t]) for t in items.test_texts])
    share = np.bincount(task, minlength=len(tasks)) / len(task)
    acc = np.array([items.scores[task == k].mean(axis=0) for k in range(len(tasks))])
    cost = np.array([items.costs[task == k].mean(axis=0) for k in range(len(tasks))])
    g = items.models.index(STRONG)
    ref_q, ref_c = float(items.scores[:, g].mean()), float(items.costs[:, g].mean())
    print(f"RouterBench-zs test: {len(task)} items, tasks " + ", ".join(f"{n} {s:.0%}" for n, s in zip(tasks, share)))
    print(f"{STRONG}: accuracy {ref_q:.4f} at ${ref_c:.6f} per call; per task " +
          ", ".join(f"{n} {a:.3f}" for n, a in zip(tasks, acc[:, g])))
    q, c, x = best_mixture(acc, cost, share, budget=ref_c / 2)
    print(f"task-aware mixing at <= half its cost (${ref_c / 2:.6f}): best accuracy {q:.4f} "
          f"({(ref_q - q) * len(task):.0f} items short of {STRONG})")
    for k, name in enumerate(tasks):
        used = [f"{items.models[j]} {x[k, j]:.0%}" for j in np.argsort(-x[k]) if x[k, j] > 0.005]
        print(f"  {name}: {', '.join(used)}")
    q, c, _ = best_mixture(acc, cost, share, target=ref_q)
    print(f"task-aware mixing matching its accuracy ({ref_q:.4f}): least cost ${c:.6f} = {c / ref_c:.1%} of {STRONG}'s")
    rows = np.arange(len(task))
    pick = oracle_choice(items.scores, items.costs)
    print(f"per-item oracle: accuracy {items.scores[rows, pick].mean():.4f} at "
          f"{items.costs[rows, pick].mean() / ref_c:.0%} of {STRONG}'s cost\n")


def mmlu_bound(data_dir: str | None, seeds: int = 3, k: int = 5) -> None:
    from core.data.importers import load_routellm_eval, resolve_data_dir
    from core.evaluation.benchmarks.pairwise import load_routellm_benchmark
    from core.evaluation.metrics import apgr, call_performance_curve
    from core.features import prompt_features

    items = load_routellm_benchmark("mmlu", STRONG, WEAK, data_dir)
    subject_of: dict[str, str] = {}
    for path in sorted((resolve_data_dir(data_dir) / "routellm" / "mmlu" / "responses").glob("*.csv")):
        for o in load_routellm_eval(path):
            subject_of.setdefault(o.prompt, path.stem.removeprefix("mmlu_"))
    subjects = sorted(set(subject_of.values()))
    subject = np.array([subjects.index(subject_of[p]) for p in items.prompts])
    gain = items.strong_perf - items.weak_perf
    length = prompt_features(items.prompts)[:, 1]  # log words
    length = (length - length.mean()) / length.std()
    n = len(items)
    jitter = 1e-9 * np.random.default_rng(0).standard_normal(n)  # break ties as the harness's seeded scores do

    def score(s: np.ndarray) -> float:
        curve = call_performance_curve(s + jitter, items.strong_perf, items.weak_perf)
        return apgr(curve, items.strong_mean, items.weak_mean)

    def subject_means(rows: np.ndarray, shrink: float) -> np.ndarray:
        total = np.bincount(subject[rows], weights=gain[rows], minlength=len(subjects))
        count = np.bincount(subject[rows], minlength=len(subjects))
        return (total + shrink * gain[rows].mean()) / (count + shrink)

    print(f"MMLU: {n} items, {len(subjects)} subjects; {STRONG} {items.strong_mean:.3f}, weak {items.weak_mean:.3f}")
    print(f"length heuristic (log words): APGR {score(length):.3f}")
    oracle = subject_means(np.arange(n), 0.0)[subject]
    print(f"subject oracle (each subject's true mean gain): APGR {score(oracle):.3f}; "
          f"plus length: {max(score(oracle + w * length) for w in LENGTH_WEIGHTS):.3f}")
    folds = np.random.default_rng(0).permutation(n) % k
    results: dict[tuple[int | None, float, float], list[float]] = defaultdict(list)
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        for labels in LABELS:
            if labels is None and seed:  # every label: nothing is drawn, once is enough
                continue
            for shrink in SHRINK:
                s = np.empty(n)
                for f in range(k):
                    pool = np.flatnonzero(folds != f)
                    rows = pool if labels is None or labels >= len(pool) else rng.choice(pool, labels, replace=False)
                    s[folds == f] = subject_means(rows, shrink)[subject[folds == f]]
                for w in LENGTH_WEIGHTS:
                    results[(labels, shrink, w)].append(score(s + w * length))
    print(f"subject known, gain estimated from labels ({k}-fold cross-fit, labels per fold, mean of {seeds} draws; "
          "best of the shrinkage x length-weight grid):")
    for labels in LABELS:
        best = max(((np.mean(v), key) for key, v in results.items() if key[0] == labels), key=lambda t: t[0])
        plain = max(np.mean(v) for key, v in results.items() if key[0] == labels and key[2] == 0.0)
        name = "every label" if labels is None else f"{labels} labels"
        print(f"  {name:12s} APGR {plain:.3f} by subject alone, {best[0]:.3f} with length "
              f"(shrink {best[1][1]:g}, length weight {best[1][2]:g})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    args = parser.parse_args()
    routerbench_bound(args.data_dir)
    mmlu_bound(args.data_dir)


if __name__ == "__main__":
    main()
