"""Regenerate the benchmark report: docs/benchmarks.md and docs/benchmarks/*.{png,json,csv}.

Run: ``make bench-report`` (or ``python benchmarks/report.py [options]``). Evaluates every
router the project has (the bundled artifact and the predictors trained on the fly from
``configs/default.toml``) on RouteLLM's GSM8K and MMLU under both protocols, prints the
tables, and writes the page from exactly those results. Embeddings are cached on disk
(``$WINROUTE_CACHE`` or ``~/.cache/winroute``), so a rerun skips the embedding work.
"""

from __future__ import annotations

import argparse
import io
import os
import shlex
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))


class Tee(io.TextIOBase):
    """Write to the terminal and keep a copy (what the command printed goes into the page)."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream
        self.buffer_ = io.StringIO()

    def write(self, s: str) -> int:
        self.stream.write(s)
        self.stream.flush()
        return self.buffer_.write(s)


def _weight(text: str) -> float | str:
    return "balanced" if text.strip().lower() == "balanced" else float(text)


def run_ablation(harness, args, reports) -> dict:  # noqa: ANN001
    """In-domain APGR of one router at other label weights, same folds and seed: {(bench, weight): apgr}."""
    from core.evaluation.protocols.pairwise import IN_DOMAIN

    weights = [_weight(w) for w in args.ablation_weights]
    main_reports = [r for r in reports if r.protocol == IN_DOMAIN and args.ablation_router in r.rows]
    if not weights or not main_reports:
        return {}
    specs = harness.resolve_routers([args.ablation_router])
    main_weight = harness.settings.in_domain_weight
    out = {}
    print(f"in-domain label weight ablation ({args.ablation_router}, same folds and seed):")
    for r in main_reports:
        items = harness.load(r.benchmark, r.strong, r.weak)
        out[(r.benchmark, main_weight)] = r.rows[args.ablation_router]["apgr"]
        for w in weights:
            harness.settings.in_domain_weight = w
            rep = harness.run_one(items, specs, IN_DOMAIN)
            out[(r.benchmark, w)] = rep.rows[args.ablation_router]["apgr"]
        harness.settings.in_domain_weight = main_weight
        print("  " + r.benchmark + ": " + ", ".join(f"weight {w if isinstance(w, str) else f'{w:g}'}: "
                                                  f"APGR {out[(r.benchmark, w)]:.3f}"
                                                  for w in [main_weight, *weights]))
    print()
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse options, run from the repository root, write the page; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmarks", nargs="+", default=["gsm8k", "mmlu"])
    parser.add_argument("--routers", nargs="+", default=["default", "mf", "sw_ranking", "random"])
    parser.add_argument("--protocol", choices=["out-of-domain", "in-domain", "both"], default="both")
    parser.add_argument("--config", default="configs/default.toml", help="relative paths are from the repository root")
    parser.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    parser.add_argument("--cache-dir", help="embedding cache (default: $WINROUTE_CACHE or ~/.cache/winroute)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-labels", type=int, default=1500)
    parser.add_argument("--in-domain-weight", default="balanced", help="a number, or 'balanced' (default)")
    parser.add_argument("--max-items", type=int, help="seeded subsample per benchmark (quick runs; the page says so)")
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--ablation-router", default="mf", help="router of the in-domain label-weight ablation")
    parser.add_argument("--ablation-weights", nargs="*", default=["1", "100", "1000"],
                        help="in-domain label weights to compare with the main run's (none: skip the ablation)")
    parser.add_argument("--doc", default="docs/benchmarks.md", help="the page (relative to the repository root)")
    parser.add_argument("--title", default="Benchmarks", help="the page's title")
    parser.add_argument("--out", default="docs/benchmarks", help="plots, JSON and CSV (relative to the repository root)")
    args = parser.parse_args(argv)
    cwd = Path.cwd()
    os.chdir(ROOT)  # relative paths (recipe, outputs) are the repository's, whatever the caller's cwd
    try:
        return _run(args, argv)
    finally:
        os.chdir(cwd)


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    from core.evaluation.files import write_report
    from core.evaluation.harness.pairwise import EvalSettings, Harness
    from core.evaluation.protocols.pairwise import IN_DOMAIN, OUT_OF_DOMAIN
    from core.evaluation.reports.markdown import machine_info, render_markdown

    protocols = {"out-of-domain": (OUT_OF_DOMAIN,), "in-domain": (IN_DOMAIN,), "both": (OUT_OF_DOMAIN, IN_DOMAIN)}
    settings = EvalSettings(
        protocols=protocols[args.protocol], k=args.k, seed=args.seed, max_labels=args.max_labels,
        in_domain_weight=_weight(args.in_domain_weight), max_items=args.max_items, seeds=args.seeds, similarity=True,
    )
    harness = Harness(data_dir=args.data_dir, config=args.config, cache_dir=args.cache_dir, settings=settings)
    doc, out = Path(args.doc), Path(args.out)
    raw = argv if argv is not None else sys.argv[1:]
    command = ("python benchmarks/report.py " + " ".join(shlex.quote(a) for a in raw)).strip()
    if os.environ.get("BENCH_REPORT_COMMAND"):  # set by `make bench-report`
        command = f"{os.environ['BENCH_REPORT_COMMAND']}\n# which runs: {command}"

    started = time.perf_counter()
    tee = Tee(sys.stdout)  # type: ignore[arg-type]
    reports, plots = [], {}
    with redirect_stdout(tee):
        for report in harness.iter_run(args.benchmarks, args.routers):
            print(report.table())
            print()
            write_report(report, out)
            plots[(report.benchmark, report.protocol)] = os.path.relpath(out / f"{report.stem}.png", doc.parent)
            reports.append(report)
        ablation = run_ablation(harness, args, reports) if args.protocol != "out-of-domain" else {}
    seconds = time.perf_counter() - started
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(
        render_markdown(reports, command=command, seconds=seconds, machine=machine_info(), plots=plots,
                        printed=tee.buffer_.getvalue(), ablation=ablation, ablation_router=args.ablation_router,
                        title=args.title),
        encoding="utf-8",
    )
    print(f"wrote {doc} and {len(reports)} reports (JSON, CSV, PNG) under {out} in {seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
