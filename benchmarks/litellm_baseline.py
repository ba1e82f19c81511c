"""LiteLLM's offline complexity router on the leave-one-source-out yardstick, beside our baselines.

LiteLLM pins many packages, so it is never installed in the project's environment: it lives in
its own virtualenv, and this script has two modes, one per interpreter.

Scoring mode (run with the LiteLLM venv's python; needs only litellm and numpy)::

    python3 -m venv /tmp/litellm-venv
    /tmp/litellm-venv/bin/pip install litellm==1.110.2 numpy
    /tmp/litellm-venv/bin/python benchmarks/litellm_baseline.py prompts.json scores.json

``prompts.json`` is a JSON list of strings. Each prompt is classified by
``ComplexityRouter.classify`` (``litellm.router_strategy.complexity_router``, default config:
``classifier_type="heuristic"``, local, no API key, no network), built on a real
``litellm.Router`` with no deployments. ``scores.json`` gets, per prompt, the tier, LiteLLM's
weighted score and one float that orders prompts by LiteLLM's decision (tier first, then the
weighted score; higher = more complex = strong), plus the time of each ``classify`` call in
microseconds (one prompt at a time, after one warm-up call) and their median and p99.

Yardstick mode (run with the project's python)::

    WINROUTE_DATA=../shared/data .venv/bin/python benchmarks/litellm_baseline.py --yardstick OUTDIR \\
        [--litellm-python /tmp/litellm-venv/bin/python] [--max-items N] [--seed 0]

For every yardstick source (``core.evaluation.benchmarks.yardstick``) it dumps the prompts, runs the
scoring mode in the LiteLLM venv as a subprocess, and scores the result with
``core.evaluation.harness.scores.evaluate_scores`` (so the length heuristic, random and the oracle come
with it). It prints the per-source table with the macro mean and the worst source, and the
timing (all prompts, prompts up to 1,000 characters and longer ones), and writes
``OUTDIR/litellm.csv`` (source, router, apgr, cpt_50). ``make litellm-baseline`` creates the
venv if missing and writes ``docs/generalization/litellm.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # yardstick mode, run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

LITELLM = "litellm complexity"
LONG_PROMPT = 1000  # characters: the short / long split of the timing
_TIER_STRIDE = 10.0  # > the span of the weighted score (dimension weights sum to ~1, scores in [-1, 1])
_OFFLINE_ENV = {"LITELLM_OFFLINE_MODE": "true", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}


# ----------------------------------------------------------------------- scoring mode (LiteLLM venv)


def litellm_scores(prompts: Sequence[str]) -> dict[str, Any]:
    """LiteLLM's tier and weighted score per prompt, one ordering score, and the time of each call."""
    os.environ.update(_OFFLINE_ENV)  # before the import: else litellm fetches a model price map
    from litellm import Router
    from litellm.router_api import RoutingContext
    from litellm.router_strategy.complexity_router import ComplexityRouter
    from litellm.router_strategy.complexity_router.config import TIER_SEVERITY_ORDER

    router = ComplexityRouter(model_name="winroute-baseline", ctx=RoutingContext(Router(model_list=[])))
    if router.config.classifier_type != "heuristic":
        raise SystemExit(f"expected LiteLLM's default heuristic classifier, got {router.config.classifier_type!r}")
    rank = {tier: i for i, tier in enumerate(TIER_SEVERITY_ORDER)}
    router.classify(prompts[0])  # warm-up: first-call costs (regex compilation) are not a route
    tiers, weighted, order, route_us = [], [], [], []
    for prompt in prompts:
        t0 = time.perf_counter_ns()
        tier, score, _signals = router.classify(prompt)
        route_us.append((time.perf_counter_ns() - t0) / 1000.0)
        if abs(score) >= _TIER_STRIDE / 2:
            raise SystemExit(f"weighted score {score} outside the range the tier stride assumes")
        tiers.append(tier.value)
        weighted.append(float(score))
        order.append(rank[tier] * _TIER_STRIDE + float(score))
    return {
        "litellm_version": version("litellm"),
        "function": "litellm.router_strategy.complexity_router.ComplexityRouter.classify",
        "scores": order,
        "tiers": tiers,
        "weighted": weighted,
        "route_us": route_us,
        "median_us": float(np.median(route_us)),
        "p99_us": float(np.percentile(route_us, 99)),
    }


def score_file(prompts_path: Path, out_path: Path) -> None:
    """Scoring mode: a JSON list of prompt strings in, :func:`litellm_scores` as JSON out."""
    prompts = json.loads(prompts_path.read_text(encoding="utf-8"))
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
        raise SystemExit(f"{prompts_path}: expected a non-empty JSON list of strings")
    out_path.write_text(json.dumps(litellm_scores(prompts)), encoding="utf-8")


# --------------------------------------------------------------------- yardstick mode (project venv)


def score_in_venv(prompts: Sequence[str], litellm_python: str, work: Path) -> dict[str, Any]:
    """Run the scoring mode of this script under ``litellm_python`` on ``prompts``."""
    src, dst = work / "prompts.json", work / "scores.json"
    src.write_text(json.dumps(list(prompts)), encoding="utf-8")
    subprocess.run([litellm_python, __file__, str(src), str(dst)], check=True, env={**os.environ, **_OFFLINE_ENV})
    result = json.loads(dst.read_text(encoding="utf-8"))
    if len(result["scores"]) != len(prompts):
        raise SystemExit(f"LiteLLM scored {len(result['scores'])} of {len(prompts)} prompts")
    return result


def _timing_line(label: str, us: np.ndarray) -> str:
    if not len(us):
        return f"  {label:<28} no prompts"
    return f"  {label:<28} n={len(us):>6}  median {np.median(us):7.1f} us  p99 {np.percentile(us, 99):8.1f} us"


def run_yardstick(out: Path, litellm_python: str, max_items: int | None, seed: int) -> None:
    """Score every yardstick source with LiteLLM, print the table and timing, write OUTDIR/litellm.csv."""
    from core.evaluation.benchmarks.yardstick import YARDSTICK, load_source_items
    from core.evaluation.harness.scores import evaluate_scores
    from core.evaluation.reports.loso import LosoReport
    from core.evaluation.reports.pairwise import LENGTH, ORACLE, RANDOM

    report = LosoReport([LITELLM], settings={"max_items": max_items, "seed": seed})
    lengths, route_us, version = [], [], ""
    with tempfile.TemporaryDirectory() as tmp:
        for src in YARDSTICK:
            items = load_source_items(src.name).sample(max_items, seed)
            res = score_in_venv(items.prompts, litellm_python, Path(tmp))
            version = res["litellm_version"]
            report.folds.append((src, evaluate_scores(items, {LITELLM: np.asarray(res["scores"])}), []))
            lengths += [len(p) for p in items.prompts]
            route_us += res["route_us"]
            print(f"{src.name}: {len(items)} prompts, tiers {dict(Counter(res['tiers']))}", file=sys.stderr, flush=True)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "litellm.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "router", "apgr", "cpt_50"])
        for src, rep, _ in report.folds:
            for name in (LITELLM, LENGTH, RANDOM, ORACLE):
                writer.writerow([src.name, name, f"{rep.rows[name]['apgr']:.4f}", f"{rep.rows[name]['cpt_50']:.2f}"])
    us, chars = np.asarray(route_us), np.asarray(lengths)
    print(f"LiteLLM {version} ComplexityRouter.classify (heuristic) on the yardstick; APGR, CPT(50%) in brackets"
          + (f"; at most {max_items} items per source (seed {seed})" if max_items else ""))
    print(report.table())
    print(f"\ntime per route (ComplexityRouter.classify, one prompt at a time, {sys.platform}):")
    print(_timing_line("all prompts", us))
    print(_timing_line(f"prompts <= {LONG_PROMPT:,} characters", us[chars <= LONG_PROMPT]))
    print(_timing_line(f"prompts > {LONG_PROMPT:,} characters", us[chars > LONG_PROMPT]))
    print(f"\nwrote {out / 'litellm.csv'}")


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("prompts", nargs="?", type=Path, help="scoring mode: JSON list of prompts")
    p.add_argument("scores", nargs="?", type=Path, help="scoring mode: where to write the scores JSON")
    p.add_argument("--yardstick", type=Path, metavar="OUTDIR", help="yardstick mode: write OUTDIR/litellm.csv")
    p.add_argument("--litellm-python", default="/tmp/litellm-venv/bin/python", help="the LiteLLM venv's python")
    p.add_argument("--max-items", type=int, default=None, help="seeded subsample of at most N items per source")
    p.add_argument("--seed", type=int, default=0, help="seed of the --max-items subsample")
    args = p.parse_args(argv)
    if args.yardstick is not None:
        if args.prompts is not None:
            p.error("--yardstick takes no prompts / scores files")
        if not Path(args.litellm_python).is_file():
            p.error(f"--litellm-python {args.litellm_python} not found: create the LiteLLM venv (make litellm-baseline)")
        run_yardstick(args.yardstick, args.litellm_python, args.max_items, args.seed)
    elif args.prompts is not None and args.scores is not None:
        score_file(args.prompts, args.scores)
    else:
        p.error("give PROMPTS SCORES (scoring mode, LiteLLM venv) or --yardstick OUTDIR (project venv)")


if __name__ == "__main__":
    main()
