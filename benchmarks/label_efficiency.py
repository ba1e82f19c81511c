"""Label-efficiency curves of `winroute adapt`: APGR vs number of labels, active vs random selection.

Run: ``python benchmarks/label_efficiency.py`` (``make label-efficiency``). For GSM8K and MMLU
(RouteLLM's files, gpt-4-1106-preview vs Mixtral-8x7B) and each label budget, the bundled default
router is adapted on labels chosen from the training folds of a 5-fold cross-fit (the evaluation
harness's in-domain protocol) and scored on the held-out fold; see ``core.adaptation.curves``.
Prints the table, writes ``docs/adaptation/label_efficiency.{csv,png}``, per-benchmark metric
tables of the adapted routers beside the default router and the length heuristic, and the results
section of ``docs/adaptation.md`` (between its ``results`` markers) from exactly what it printed.
Embeddings come from the on-disk cache (``$WINROUTE_CACHE`` or ``~/.cache/winroute``).
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

#: Aims of issue 8: APGR at (at most) this many actively chosen labels.
AIMS = {("gsm8k", 300): 0.62, ("mmlu", 300): 0.62, ("gsm8k", 1500): 0.66, ("mmlu", 1500): 0.68}
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

    fig = Figure(figsize=(5.2 * len(results), 4.2))
    FigureCanvasAgg(fig)
    for i, res in enumerate(results):
        ax = fig.add_subplot(1, len(results), i + 1)
        for strategy, color in (("active", "tab:blue"), ("random", "tab:orange")):
            pts = [p for p in res.points if p.strategy == strategy]
            if pts:
                ax.errorbar([p.budget for p in pts], [p.apgr for p in pts], yerr=[p.apgr_sd for p in pts],
                            marker="o", capsize=3, color=color, label=f"adapted, {strategy} labels")
        ref = refs[res.benchmark]
        ax.axhline(ref["default"], color="tab:green", ls="--", label=f"default router, no labels ({ref['default']:.3f})")
        ax.axhline(ref["length"], color="grey", ls=":", label=f"length heuristic ({ref['length']:.3f})")
        ax.axhline(0.5, color="black", lw=0.6, label="random router (0.500)")
        for (bench, budget), aim in AIMS.items():
            if bench == res.benchmark:
                ax.plot([budget], [aim], marker="*", ms=12, color="tab:red", ls="none",
                        label="aim (issue 8)" if budget == 300 else None)
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
    parser.add_argument("--benchmarks", nargs="+", default=["gsm8k", "mmlu"])
    parser.add_argument("--budgets", nargs="+", type=int, default=[50, 100, 200, 300, 500, 1000, 1500])
    parser.add_argument("--strategies", nargs="+", default=["active", "random"])
    parser.add_argument("--router", help="router to adapt (default: the bundled one)")
    parser.add_argument("--select-with", metavar="ROUTER",
                        help="choose the active labels with this router's scores and threshold while adapting "
                             "--router ('default' = the bundled one): tells the picks' share from the base's")
    parser.add_argument("--no-typical-length", dest="typical_length", action="store_false",
                        help="active selection without its typical-length term (uncertainty and diversity only)")
    parser.add_argument("--k", type=int, default=5, help="cross-fit folds (default: 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="seeds per strategy and budget (default: 3)")
    parser.add_argument("--max-items", type=int, help="seeded subsample per benchmark (quick runs)")
    parser.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    parser.add_argument("--cache-dir", help="embedding cache (default: $WINROUTE_CACHE or ~/.cache/winroute)")
    parser.add_argument("--out", default="docs/adaptation", help="CSV/PNG folder (relative to the repository root)")
    parser.add_argument("--doc", default="docs/adaptation.md", help="page whose results section is rewritten ('' = none)")
    parser.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                        help="skip the row adapted on every label of the training folds")
    parser.add_argument("--refit", action="store_true",
                        help="also measure re-fitting the base MF on its training data + the labels (slow)")
    args = parser.parse_args(argv)
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        return _run(args, argv)
    finally:
        os.chdir(cwd)


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    import numpy as np

    import core
    from core.adaptation import label_efficiency
    from core.adaptation.selection import router_scores
    from core.evaluation.benchmarks import load_routellm_benchmark
    from core.evaluation.cache import DiskCachedEmbedder, EmbeddingCache
    from core.evaluation.report import machine_info
    from core.evaluation.runner import evaluate_scores
    from core.features import prompt_features
    from core.predictors import Queries

    raw = argv if argv is not None else sys.argv[1:]
    command = ("python benchmarks/label_efficiency.py " + " ".join(shlex.quote(a) for a in raw)).strip()
    router = core.load_router(args.router)
    embedder = DiskCachedEmbedder(router.embedder, EmbeddingCache(args.cache_dir))
    router.embedder = embedder  # inspect and scoring read the on-disk cache too
    selector = _selector(router, args.select_with)
    out = Path(args.out)
    started = time.perf_counter()
    tee = Tee(sys.stdout)
    results, refs, reports = [], {}, []
    with redirect_stdout(tee):
        for bench in args.benchmarks:
            items = load_routellm_benchmark(bench, router.strong, router.weak, args.data_dir)
            items = items.sample(args.max_items, args.seed)
            queries = Queries(embedder.embed(items.prompts), prompt_features(items.prompts), items.prompts)
            _inspect(router, items, queries, args)
            names = {m: router.predictor_models.get(m, m) for m in (items.strong, items.weak)}
            picker = selector or router
            select_scores = router_scores(picker, queries)
            if selector is not None:
                print(f"active labels chosen with {args.select_with}'s scores (threshold {picker.threshold:.4f})")
            res = label_efficiency(
                items, queries, router.predictor, names=names, threshold=picker.threshold, select_scores=select_scores,
                typical_length=args.typical_length,
                budgets=args.budgets, strategies=args.strategies, k=args.k, seed=args.seed, repeats=args.repeats,
            )
            results.append(res)
            base_scores = select_scores if selector is None else router_scores(router, queries)
            scored = {"default router (no labels)": base_scores}
            for budget in (300, max(args.budgets)):
                for strategy in args.strategies:
                    if (strategy, budget) in res.scores:
                        scored[f"adapted, {budget} {strategy} labels"] = res.scores[(strategy, budget)]
            if args.ceiling:  # every label the training folds hold: what more labels could still buy
                every = label_efficiency(items, queries, router.predictor, names=names, budgets=[len(items)],
                                         strategies=["random"], k=args.k, seed=args.seed, repeats=1, progress=False)
                n_all = every.points[0].labels_used
                scored[f"adapted, all ~{n_all} training-fold labels"] = every.scores[("random", len(items))]
            if args.refit:
                scored.update(_refit_scores(items, queries, router, res, args, select_scores, picker.threshold))
            report = evaluate_scores(items, scored, protocol="in-domain")
            reports.append(report)
            refs[bench] = {"default": report.rows["default router (no labels)"]["apgr"],
                           "length": report.rows["length heuristic"]["apgr"]}
            print(f"{bench}: {len(items)} items, {args.k}-fold cross-fit, seed {args.seed}, "
                  f"{args.repeats} repeat(s) per point, {res.seconds / 60:.1f} min; the adapted rows below "
                  f"are each strategy's first repeat (labels chosen only from the other folds)")
            print(report.table())
            print()
        budgets = list(args.budgets)
        adapted = "default router" if args.router is None else f"router {args.router}"
        print(f"APGR (mean ± sd over repeats) of the adapted {adapted} vs labels per fold "
              "(in brackets: labels actually available when the pool is smaller)")
        print(_table(results, budgets))
        print()
        for (bench, budget), aim in AIMS.items():
            res = next((r for r in results if r.benchmark == bench), None)
            if res is None or budget not in budgets or "active" not in args.strategies:
                continue
            got = res.apgr("active", budget)
            verdict = "met" if got >= aim else f"NOT met (short by {aim - got:.3f})"
            print(f"aim {bench} with {budget} active labels: APGR >= {aim:.2f}: {got:.3f} -> {verdict}")
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


def _inspect(router: Any, items: Any, queries: Any, args: argparse.Namespace) -> None:
    """`winroute inspect` on the benchmark, beside the exact similarity to every training prompt."""
    from core.adaptation import inspect_prompts
    from core.evaluation.metrics import nearest_similarity

    report = inspect_prompts(router, items.prompts)
    print(f"winroute inspect on {items.name} ({len(items)} prompts):")
    print("  " + report.text().replace("\n", "\n  "))
    train = _training_embeddings(router, args)
    if train is not None:
        exact = nearest_similarity(queries.embeddings, train)
        print(f"  exact, against all {len(train)} training prompts: similarity {exact.mean():.3f}, "
              f"no close neighbour {(exact < report.cutoff).mean():.1%}")
    print()


_TRAIN: dict[str, Any] = {}


def _training_embeddings(router: Any, args: argparse.Namespace) -> Any:
    """Embeddings of the router's recipe's training prompts (None when it records no recipe)."""
    recipe = (router.metadata.get("recipe") or {}).get("config")
    if not recipe or not Path(recipe).is_file():
        return None
    if recipe not in _TRAIN:
        import contextlib

        from core.recipes import load_config, recipe_battles

        config = load_config(recipe)
        with contextlib.redirect_stdout(sys.stderr):
            comparisons, _ = recipe_battles(config, router.embedder, data_dir=args.data_dir)
        prompts = list(dict.fromkeys(c.prompt for c in comparisons if config.sources.get(c.source, 1.0) * c.weight > 0))
        _TRAIN[recipe] = router.embedder.embed(prompts)
    return _TRAIN[recipe]


def _selector(router: Any, name: str | None) -> Any:
    """The router whose scores choose the active labels (``--select-with``), or None for ``router`` itself."""
    if name is None:
        return None
    import core

    selector = core.load_router(None if name == "default" else name)
    if selector.embedder.model_id != router.embedder.model_id:
        raise SystemExit(f"--select-with {name}: embedder {selector.embedder.model_id!r} differs from the adapted "
                         f"router's {router.embedder.model_id!r}; the picks would need a second embedding pass")
    if (selector.strong, selector.weak) != (router.strong, router.weak):
        raise SystemExit(f"--select-with {name}: routes {selector.strong} vs {selector.weak}, the adapted router "
                         f"{router.strong} vs {router.weak}")
    return selector


def _refit_scores(
    items: Any, queries: Any, router: Any, res: Any, args: argparse.Namespace, select_scores: Any, threshold: float | None
) -> dict[str, Any]:
    """Adapted scores when the base MF is first re-fitted with the labels (harness in-domain weighting)."""
    import contextlib

    import numpy as np

    from core.adaptation import refit_base_predictor
    from core.adaptation.curves import _fit_scores, _Lookup, active_pick
    from core.adaptation.selection import log_length
    from core.evaluation.protocols import in_domain_comparisons

    names = {m: router.predictor_models.get(m, m) for m in (items.strong, items.weak)}
    lookup = _Lookup(items.prompts, np.asarray(queries.embeddings, dtype=np.float32))
    lengths = log_length(queries) if args.typical_length else None
    out = {}
    for budget in (300, max(args.budgets)):
        scores = np.full(len(items), np.nan)
        for f, (test, pool) in enumerate(zip(res.plan.test, res.plan.labels)):
            pick = pool[np.sort(active_pick(queries, select_scores, lengths, pool, min(budget, len(pool)), threshold,
                                            args.seed + f))]
            with contextlib.redirect_stdout(sys.stderr):
                base = refit_base_predictor(router, in_domain_comparisons(items, pick, names=names),
                                            data_dir=args.data_dir, cache_dir=args.cache_dir)
            scores[test] = _fit_scores(items, queries, lookup, base, names, pick, test, {})
        out[f"adapted + MF re-fit, {budget} active labels"] = scores
    return out


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
