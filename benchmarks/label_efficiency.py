"""Label-efficiency curves of `winroute adapt` on the yardstick: APGR vs labels, active vs random.

Run: ``python benchmarks/label_efficiency.py`` (``make label-efficiency``). For each held-out source
(``core.evaluation.benchmarks.yardstick``, with its fixed strong / weak pair), the base router is the default
recipe trained *without* that source (the leave-one-source-out fold: traffic it never saw, as a
user's is), and each label budget adapts it on labels chosen from the training folds of a 5-fold
cross-fit (the harness's in-domain protocol), scored on the held-out fold; see
``core.adaptation.curves``. Prints the table, writes ``docs/adaptation/label_efficiency.{csv,png}``,
per-source metric tables of the adapted routers beside the base router and the length heuristic,
and the results section of ``docs/adaptation.md`` (between its ``results`` markers) from exactly
what it printed. Embeddings come from the on-disk cache (``$WINROUTE_CACHE`` or ``~/.cache/winroute``).
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from benchmarks.report import Tee  # noqa: E402 - after the path set-up above

#: Held-out sources measured by default: chat (graded and pairwise), code, math and knowledge traffic.
SOURCES = ["arena_bench_v1", "alpaca_eval", "routerbench_mbpp", "llmrouter_other", "zeroeval_math-l5", "routellm_mmlu"]
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _table(results: list[Any], budgets: list[int]) -> str:
    """Markdown table: one row per budget, one column per (benchmark, strategy)."""
    cols = [(r.benchmark, p.strategy) for r in results for p in r.points if p.budget == budgets[0]]
    head = "| labels | " + " | ".join(f"{b} {s}" for b, s in cols) + " |"
    lines = [head, "|---:|" + "---:|" * len(cols)]
    for budget in budgets:
        cells = []
        for bench, strategy in cols:
            res = next(r for r in results if r.benchmark == bench)
            p = next(p for p in res.points if p.strategy == strategy and p.budget == budget)
            used = "" if p.labels_used == budget else f" ({p.labels_used})"
            cells.append(f"{p.apgr:.3f} ± {p.apgr_sd:.3f}{used}")
        lines.append(f"| {budget} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _plot(results: list[Any], refs: dict[str, dict[str, float]], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cols = min(3, len(results))
    rows = -(-len(results) // cols)
    fig = Figure(figsize=(5.2 * cols, 4.2 * rows))
    FigureCanvasAgg(fig)
    for i, res in enumerate(results):
        ax = fig.add_subplot(rows, cols, i + 1)
        for strategy, color in (("active", "tab:blue"), ("random", "tab:orange")):
            pts = [p for p in res.points if p.strategy == strategy]
            if pts:
                ax.errorbar([p.budget for p in pts], [p.apgr for p in pts], yerr=[p.apgr_sd for p in pts],
                            marker="o", capsize=3, color=color, label=f"adapted, {strategy} labels")
        ref = refs[res.benchmark]
        ax.axhline(ref["default"], color="tab:green", ls="--", label=f"base router, no labels ({ref['default']:.3f})")
        ax.axhline(ref["length"], color="grey", ls=":", label=f"length heuristic ({ref['length']:.3f})")
        ax.axhline(0.5, color="black", lw=0.6, label="random router (0.500)")
        ax.set_xscale("log")
        ax.set_xticks([p.budget for p in res.points if p.strategy == res.points[0].strategy])
        ax.set_xticklabels([str(p.budget) for p in res.points if p.strategy == res.points[0].strategy])
        ax.set_xlabel("labels (per cross-fit fold)")
        ax.set_ylabel("APGR")
        ax.set_title(f"{res.benchmark}: label efficiency")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", nargs="+", default=SOURCES, help="held-out sources (core.evaluation.benchmarks.yardstick)")
    parser.add_argument("--budgets", nargs="+", type=int, default=[50, 100, 300, 1000])
    parser.add_argument("--strategies", nargs="+", default=["active", "random"])
    parser.add_argument("--recipe", default="configs/default.toml",
                        help="recipe of the base router, trained without each source (default: the default's)")
    parser.add_argument("--no-typical-length", dest="typical_length", action="store_false",
                        help="active selection without its typical-length term (uncertainty and diversity only)")
    parser.add_argument("--k", type=int, default=5, help="cross-fit folds (default: 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="seeds per strategy and budget (default: 3)")
    parser.add_argument("--max-items", type=int, default=3000, help="seeded subsample per source (default: 3000)")
    parser.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    parser.add_argument("--cache-dir", help="embedding cache (default: $WINROUTE_CACHE or ~/.cache/winroute)")
    parser.add_argument("--out", default="docs/adaptation", help="CSV/PNG folder (relative to the repository root)")
    parser.add_argument("--doc", default="docs/adaptation.md", help="page whose results section is rewritten ('' = none)")
    parser.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                        help="skip the row adapted on every label of the training folds")
    args = parser.parse_args(argv)
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        return _run(args, argv)
    finally:
        os.chdir(cwd)


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    import contextlib

    import numpy as np

    from core.adaptation import label_efficiency
    from core.adaptation.selection import router_scores
    from core.embeddings import DiskCachedEmbedder, EmbeddingCache, make_embedder
    from core.evaluation.benchmarks.yardstick import load_source_items
    from core.evaluation.harness.scores import evaluate_scores
    from core.evaluation.protocols.loso import train_fold_router
    from core.evaluation.reports.markdown import machine_info
    from core.features import prompt_features
    from core.predictors import Queries
    from core.recipes import load_recipe, recipe_records

    raw = argv if argv is not None else sys.argv[1:]
    command = ("python benchmarks/label_efficiency.py " + " ".join(shlex.quote(a) for a in raw)).strip()
    config = load_recipe(args.recipe, kind="pairwise")
    embedder = DiskCachedEmbedder(make_embedder(config.embedder), EmbeddingCache(args.cache_dir))
    records = recipe_records(config, args.data_dir)
    out = Path(args.out)
    started = time.perf_counter()
    tee = Tee(sys.stdout)
    results, refs, reports = [], {}, []
    with redirect_stdout(tee):
        for source in args.sources:
            items = load_source_items(source, args.data_dir).sample(args.max_items, args.seed)
            with contextlib.redirect_stdout(sys.stderr):
                router, run = train_fold_router(config, items, embedder, records=records, data_dir=args.data_dir)
            print(f"{source}: base router = {args.recipe} trained without {source} ({run.battles:,} battles, "
                  f"{run.dropped:,} overlapping prompts dropped), {items.strong} vs {items.weak}")
            queries = Queries(embedder.embed(items.prompts), prompt_features(items.prompts), items.prompts)
            names = {m: router.predictor_models.get(m, m) for m in (items.strong, items.weak)}
            select_scores = router_scores(router, queries)
            res = label_efficiency(
                items, queries, router.predictor, names=names, threshold=router.threshold, select_scores=select_scores,
                typical_length=args.typical_length,
                budgets=args.budgets, strategies=args.strategies, k=args.k, seed=args.seed, repeats=args.repeats,
            )
            results.append(res)
            scored = {"base router (no labels)": select_scores}
            for budget in (300, max(args.budgets)):
                for strategy in args.strategies:
                    if (strategy, budget) in res.scores:
                        scored[f"adapted, {budget} {strategy} labels"] = res.scores[(strategy, budget)]
            if args.ceiling:  # every label the training folds hold: what more labels could still buy
                every = label_efficiency(items, queries, router.predictor, names=names, budgets=[len(items)],
                                         strategies=["random"], k=args.k, seed=args.seed, repeats=1, progress=False)
                n_all = every.points[0].labels_used
                scored[f"adapted, all ~{n_all} training-fold labels"] = every.scores[("random", len(items))]
            report = evaluate_scores(items, scored, protocol="in-domain")
            reports.append(report)
            refs[source] = {"default": report.rows["base router (no labels)"]["apgr"],
                            "length": report.rows["length heuristic"]["apgr"]}
            print(f"{source}: {len(items)} items, {args.k}-fold cross-fit, seed {args.seed}, "
                  f"{args.repeats} repeat(s) per point, {res.seconds / 60:.1f} min; the adapted rows below "
                  f"are each strategy's first repeat (labels chosen only from the other folds)")
            print(report.table())
            print()
        budgets = list(args.budgets)
        print("APGR (mean ± sd over repeats) of the adapted base router vs labels per fold "
              "(in brackets: labels actually available when the pool is smaller)")
        print(_table(results, budgets))
        print()
        print(_verdicts(results, refs, budgets))
    seconds = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    with (out / "label_efficiency.csv").open("w", newline="", encoding="utf-8") as fh:
        rows = [p.as_row() for r in results for p in r.points]
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _plot(results, refs, out / "label_efficiency.png")
    print(f"wrote {out / 'label_efficiency.csv'} and {out / 'label_efficiency.png'} in {seconds / 60:.1f} min")
    if args.doc:
        _write_doc(Path(args.doc), out, tee.buffer_.getvalue(), command, seconds, machine_info(), np)
    return 0


def _verdicts(results: list[Any], refs: dict[str, dict[str, float]], budgets: list[int]) -> str:
    """Per budget: on how many sources active beats random, and adapting beats the base router."""
    lines = []
    for budget in budgets:
        active_wins = adapt_wins = n = 0
        for res in results:
            strategies = {p.strategy for p in res.points}
            if {"active", "random"} <= strategies:
                active_wins += res.apgr("active", budget) > res.apgr("random", budget)
            best = max(res.apgr(s, budget) for s in strategies)
            adapt_wins += best > refs[res.benchmark]["default"]
            n += 1
        lines.append(f"{budget} labels: active beats random on {active_wins}/{n} sources; "
                     f"adapting beats the base router on {adapt_wins}/{n}")
    return "\n".join(lines)


def _write_doc(doc: Path, out: Path, printed: str, command: str, seconds: float, machine: dict, np: Any) -> None:
    """Replace the results section of the page with the figure and what the command printed."""
    png = os.path.relpath(out / "label_efficiency.png", doc.parent)
    csv_path = os.path.relpath(out / "label_efficiency.csv", doc.parent)
    body = "\n".join([
        START,
        "<!-- Generated by benchmarks/label_efficiency.py. Do not edit by hand: rerun the command. -->",
        "",
        "```",
        command,
        "```",
        "",
        f"- wall time: {seconds / 60:.1f} min; machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; "
        f"numpy {np.__version__}",
        f"- data: [{csv_path}]({csv_path}); figure:",
        "",
        f"![label efficiency]({png})",
        "",
        "What the command printed:",
        "",
        "```",
        printed.rstrip(),
        "```",
        END,
    ])
    text = doc.read_text(encoding="utf-8") if doc.is_file() else f"# Adapting the router\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n## Results\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    doc.write_text(head + body + tail, encoding="utf-8")
    print(f"updated the results section of {doc}")


if __name__ == "__main__":
    sys.exit(main())
