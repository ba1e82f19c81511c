"""Regenerate the generalization report: docs/generalization.md and docs/generalization/*.

Run: ``make generalization-report`` (or ``python benchmarks/generalization_report.py [options]``).
Runs the leave-one-source-out yardstick (``winroute evaluate --protocol leave-one-source-out``)
over the bundled default's recipe and every variant recipe, prints the table, and writes the
page from exactly those results: per held-out source its pair and why, APGR and CPT(50%) of
every recipe beside the length heuristic, random and the oracle, and the summary the default
is chosen on (macro mean, worst source, sources beating random and the length heuristic).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from benchmarks.report import Tee  # noqa: E402

#: The default's recipe, the previous default and one recipe of each kind measured (the model card lists
#: every variant of configs/variants/ and the command that measured it).
DEFAULT_RECIPES = [
    "configs/default.toml",
    "configs/variants/contrast.toml",
    "configs/variants/default_minilm.toml",
    "configs/variants/difficulty_many_balanced.toml",
    "configs/variants/difficulty_many_balanced_len10.toml",
    "configs/variants/difficulty_zeroeval.toml",
    "configs/variants/difficulty_all.toml",
    "configs/variants/tiers2_all.toml",
]


def _f(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


LITELLM = "litellm complexity"


def _litellm(path: Path) -> dict[str, float]:
    """Per-source APGR of LiteLLM's complexity router from ``make litellm-baseline`` (empty when not run)."""
    import csv

    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {row["source"]: float(row["apgr"]) for row in csv.DictReader(fh) if row["router"] == LITELLM}


def render(report, command: str, printed: str, seconds: float, litellm: dict[str, float]) -> str:  # noqa: ANN001
    """The page: how the yardstick works, the per-source table, the summary, the recipes."""
    import numpy as np

    from core.evaluation.reports.markdown import machine_info
    from core.evaluation.reports.pairwise import LENGTH, ORACLE, RANDOM

    summ = report.summary()
    ranked = sorted(report.recipes, key=lambda r: (-summ[r]["mean"], -summ[r]["worst"]))
    n = len(report.folds)
    lines = [
        "# Generalization: the leave-one-source-out yardstick",
        "",
        f"Produced by `{command}` ({seconds / 60:.0f} min on {machine_info().get('cpu', 'this machine')}); "
        "the tables below are what it printed. Do not edit by hand.",
        "",
        "For each labelled source of the shared data, every recipe is trained on its own sources *minus* that "
        "one (all of its splits), decontaminated against the held-out prompts (exact, containment and embedding "
        "similarity >= 0.95), and scored on the held-out items with the source's fixed strong / weak pair. APGR "
        "is RouteLLM's (random = 0.50); CPT(50%) in brackets. A recipe is judged by its macro mean and its worst "
        "source, beside the prompt-length heuristic (longer prompt -> strong) and random.",
        "",
        "## Summary",
        "",
        "| recipe | macro mean | worst source | worst is | sources > 0.50 | sources > length |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for name in [*ranked, LENGTH, RANDOM]:
        s = summ[name]
        lines.append(f"| {name} | {_f(s['mean'])} | {_f(s['worst'])} | {s['worst_source']} | "
                     f"{s.get('above_random', '-')}/{n} | {s.get('above_length', '-')}/{n} |")
    sources = [src.name for src, _, _ in report.folds]
    if all(name in litellm for name in sources):
        vals = [litellm[name] for name in sources]
        length = report.apgr(LENGTH)
        worst = sources[int(np.argmin(vals))]
        lines.append(f"| {LITELLM} (`make litellm-baseline`) | {_f(float(np.mean(vals)))} | {_f(min(vals))} | {worst} | "
                     f"{sum(v > 0.5 for v in vals)}/{n} | {sum(litellm[k] > length[k] for k in sources)}/{n} |")
    lines += ["", "![APGR per held-out source](generalization/loso.png)", "", "## Per held-out source (APGR, CPT(50%))", ""]
    cols = [*ranked, LENGTH, RANDOM, ORACLE]
    lines.append("| held-out source | items | " + " | ".join(cols) + " |")
    lines.append("|---|---:|" + "---:|" * len(cols))
    for src, rep, _ in report.folds:
        cells = []
        for c in cols:
            row = rep.rows.get(c)
            if row is None:
                cells.append("not trained")
                continue
            cpt = row.get("cpt_50", math.nan)
            extra = f" ({cpt:.0f}%)" if c != RANDOM and math.isfinite(cpt) else ""
            if c == RANDOM:
                lo, hi = rep.random_interval
                extra = f" [{lo:.2f}, {hi:.2f}]"
            cells.append(_f(row["apgr"]) + extra)
        lines.append(f"| {src.name} | {rep.n_items} | " + " | ".join(cells) + " |")
    lines += ["", "## The held-out sources and their pairs", "",
              "Fixed before any recipe was compared, by one rule: GPT-4-class against Mixtral-class where the source "
              "has both; otherwise the source's best model against a Mixtral-class model it has (by Chatbot Arena "
              "rating), which leaves a clear gap.", "",
              "| source | traffic | strong | weak | why |", "|---|---|---|---|---|"]
    for src, rep, _ in report.folds:
        lines.append(f"| {src.name} | {src.traffic} | {src.strong} ({rep.strong_mean:.3f}) | "
                     f"{src.weak} ({rep.weak_mean:.3f}) | {src.why} |")
    lines += [
        "",
        "- **AlpacaEval** has pairwise preferences only. An item's strong score is the GPT-4-turbo judge's "
        "probability that GPT-4-1106's answer is the better one (2 - preference); the weak score is its "
        "complement. Routing an item weak earns Claude 2.1's chance of being preferred.",
        "- **arena-bench** scores are the GPT-4 judge's 1-10 grades, as (score - 1) / 9.",
        "- **LLMRouter** questions carry no task label; `core.evaluation.benchmarks.yardstick.llmrouter_family` splits them "
        "by a fixed text rule: code (a `def`, \"write a (python) function\", \"python\"), math (LaTeX, an "
        "arithmetic expression, a number with a unit) and other (QA, commonsense, reading, logic puzzles). Train "
        "and test splits are pooled; a question in both is one item.",
        "- **RouterBench** is split by task (ARC-Challenge, MBPP, Winogrande), train and test pooled.",
        "- **ZeroEval** items are the bare CRUXEval question / MATH problem, not ZeroEval's answer-format template.",
        "",
        "## Recipes",
        "",
    ]
    for name in ranked:
        path = report.settings["recipes"][name]
        first = Path(path).read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        lines.append(f"- `{path}`: {first}")
    lines += ["", "## What the command printed", "", "```", printed.strip(), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from core.evaluation.files import write_loso_report
    from core.evaluation.harness.loso import evaluate_loso

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=DEFAULT_RECIPES, help="recipe files (default: DEFAULT_RECIPES)")
    parser.add_argument("--sources", nargs="+", help="held-out sources (default: all)")
    parser.add_argument("--max-items", type=int, help="score a seeded subsample of each held-out source")
    parser.add_argument("--out", default="docs/generalization", help="folder of the JSON/CSV/PNG (default: docs/generalization)")
    parser.add_argument("--doc", default="docs/generalization.md", help="the page to write (default: docs/generalization.md)")
    args = parser.parse_args(argv)
    command = os.environ.get("GENERALIZATION_REPORT_COMMAND") or "python benchmarks/generalization_report.py " + shlex.join(argv or sys.argv[1:])
    tee = Tee(sys.stdout)  # type: ignore[arg-type]
    started = time.perf_counter()
    with redirect_stdout(tee):
        report = evaluate_loso(args.recipes, sources=args.sources, max_items=args.max_items)
        print(report.table())
    write_loso_report(report, args.out)
    litellm = _litellm(Path(args.out) / "litellm.csv")
    Path(args.doc).write_text(render(report, command.strip(), tee.buffer_.getvalue(), time.perf_counter() - started, litellm),
                              encoding="utf-8")
    print(f"wrote {args.doc} and {args.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
