"""The Markdown benchmark report (``docs/benchmarks.md``), written from the reports a run produced.

Every number in the page comes from the :class:`~.pairwise.BenchmarkReport` objects passed in
(the same ones the command printed); the only numbers typed in here are RouteLLM's published
reference figures and the issue's aims, both labelled as such.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..protocols.pairwise import IN_DOMAIN, OUT_OF_DOMAIN
from .pairwise import BASELINES, ORACLE, RANDOM, BenchmarkReport

__all__ = ["AIMS", "ROUTELLM_REFERENCE", "machine_info", "render_markdown"]

#: RouteLLM (Ong et al., 2024), GPT-4-1106 vs Mixtral-8x7B, as quoted in DESIGN.md section 5.
ROUTELLM_REFERENCE: tuple[tuple[str, str, str, str, str], ...] = (
    ("MT-Bench", "best router in the paper", "0.802", "13.4%", "31.3%"),
    ("MMLU", "best router (trained with MMLU golden-label augmentation)", "0.603", "-", "-"),
    ("any", "random router", "0.500", "-", "-"),
)

#: Issue 3's aims (APGR) per (benchmark, protocol).
AIMS: dict[tuple[str, str], float] = {
    ("mmlu", IN_DOMAIN): 0.68,
    ("gsm8k", IN_DOMAIN): 0.66,
    ("mmlu", OUT_OF_DOMAIN): 0.62,
    ("gsm8k", OUT_OF_DOMAIN): 0.62,
}


def _run(cmd: Sequence[str]) -> str:
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and library versions of the machine running the report."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    versions = {}
    for mod in ("numpy", "torch", "sentence_transformers"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing optional library is simply not listed
            continue
    gpu = "none used (CPU only)"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0) + " (available; embeddings and training ran on CPU)"
    except Exception:  # noqa: BLE001
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "gpu": gpu,
        **versions,
        "git_commit": _run(["git", "rev-parse", "--short", "HEAD"]) or "unknown",
        "git_dirty": bool(_run(["git", "status", "--porcelain", "--untracked-files=no"])),
    }


def _f(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return f"{x:.{digits}f}"


def _pct(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f}%"


def _ratio(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "inf" if math.isinf(x) else f"{x:.2f}x"


def _weight_desc(report: BenchmarkReport) -> str:
    setting = report.settings.get("in_domain_weight", 1.0)
    if setting != "balanced":
        return f"{float(setting):g}"
    return "'balanced': the labels together weigh as much as all the router's training battles"


def _metrics_table(report: BenchmarkReport) -> list[str]:
    lines = [
        "| router | APGR | CPT(20%) | CPT(50%) | CPT(80%) | cost saving @50% | cost saving @80% | AIQ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in report.rows.items():
        apgr = _f(row.get("apgr"))
        if name == RANDOM and "apgr_lo" in row:
            apgr += f" [{_f(row['apgr_lo'])}, {_f(row['apgr_hi'])}]"
        label = f"**{name}**" if name not in BASELINES else name
        lines.append(
            f"| {label} | {apgr} | {_pct(row.get('cpt_20'))} | {_pct(row.get('cpt_50'))} | {_pct(row.get('cpt_80'))} "
            f"| {_ratio(row.get('saving_50'))} | {_ratio(row.get('saving_80'))} | {_f(row.get('aiq'))} |"
        )
    return lines


def _summary(reports: Sequence[BenchmarkReport]) -> list[str]:
    """APGR of every router (rows) x benchmark x protocol (columns)."""
    cols = [(r.benchmark, r.protocol) for r in reports]
    names: list[str] = []
    for r in reports:
        for n in r.rows:
            if n not in names:
                names.append(n)
    names = [n for n in names if n not in BASELINES] + [n for n in BASELINES if n in names]
    by_col = {(r.benchmark, r.protocol): r for r in reports}
    lines = [
        "| router | " + " | ".join(f"{b} {p}" for b, p in cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for n in names:
        cells = []
        for c in cols:
            row = by_col[c].rows.get(n)
            cells.append("-" if row is None else _f(row.get("apgr")))
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def _aims(reports: Sequence[BenchmarkReport]) -> list[str]:
    lines = ["| benchmark | protocol | aim (APGR) | best router | its APGR | met? |", "|---|---|---:|---|---:|---|"]
    for r in reports:
        aim = AIMS.get((r.benchmark, r.protocol))
        if aim is None:
            continue
        routers = {n: r.rows[n]["apgr"] for n in r.router_names}
        if not routers:
            continue
        best = max(routers, key=lambda n: routers[n])
        gap = routers[best] - aim
        met = "yes" if gap >= 0 else f"no (short by {-gap:.3f})"
        lines.append(f"| {r.benchmark} | {r.protocol} | {aim:.2f} | {best} | {_f(routers[best])} | {met} |")
    return lines


def _router_lines(reports: Sequence[BenchmarkReport]) -> list[str]:
    merged: dict[str, dict[str, Any]] = {}
    for r in reports:
        for name, info in r.routers.items():
            merged.setdefault(name, {}).update(info)
    seen: dict[str, str] = {}
    for name, info in merged.items():
        if info.get("artifact"):
            where = (
                "the bundled router (`core/default_router`)"
                if info["artifact"] == "bundled"
                else f"`{info['artifact']}`"
            )
            desc = f"saved artifact {where}: name `{info.get('name')}`, predictor `{info.get('predictor')}`"
            if info.get("trained_with"):
                fit = info.get("fit_seconds")
                desc += f", built by `winroute train {info['trained_with']}`" + (
                    f" (fit {fit / 60:.1f} min on the machine that trained it)" if fit is not None else ""
                )
            if info.get("retrained_from_recipe"):
                desc += f"; in-domain: retrained from its recipe `{info['retrained_from_recipe']}` plus the labels"
            if info.get("refit_params"):
                overrides = ", ".join(f"{k} = {v}" for k, v in info["refit_params"].items())
                desc += f", continuing from the artifact's weights ({overrides})"
        else:
            desc = f"predictor `{info.get('predictor')}` trained on the fly with the data of `{info.get('recipe')}` (not saved)"
        seen[name] = desc
    return [f"- **{n}**: {d}" for n, d in seen.items()]


def render_markdown(
    reports: Sequence[BenchmarkReport],
    *,
    command: str,
    seconds: float,
    machine: Mapping[str, Any] | None = None,
    plots: Mapping[tuple[str, str], str] | None = None,
    printed: str = "",
    ablation: Mapping[tuple[str, Any], float] | None = None,
    ablation_router: str = "mf",
    title: str = "Benchmarks",
) -> str:
    """The whole ``docs/benchmarks.md`` page (or another page of the same shape, by ``title``)."""
    machine = dict(machine or machine_info())
    plots = dict(plots or {})
    first = reports[0]
    out = [
        f"# {title}",
        "",
        "<!-- Generated by benchmarks/report.py (command under Reproduce). Do not edit by hand: rerun the command. -->",
        "",
        f"Routing between **{first.strong}** (strong) and **{first.weak}** (weak) on RouteLLM's benchmarks, "
        "scored with RouteLLM's own metric definitions (`core/evaluation/metrics.py`): thresholds at the 10 "
        "quantile bins of each router's scores, APGR by the trapezoid rule normalised by the strong-weak gap, "
        "CPT(x%) by linear interpolation, the cost-saving ratio as random's CPT over the router's (RouteLLM "
        "Table 6), and RouterBench's AIQ on the cost-quality plane. Every table and plot below was written by "
        "the command in *Reproduce*; none was edited by hand.",
        "",
        "## Reproduce",
        "",
        "```",
        command,
        "```",
        "",
        f"- wall time: {seconds / 60:.1f} min (embeddings cached on disk by earlier runs are reused; "
        "a cold cache adds the embedding of ~25k prompts)",
        f"- machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memory_gb')} GiB RAM; GPU: {machine.get('gpu')}",
        f"- software: Python {machine.get('python')}, numpy {machine.get('numpy', '?')}, torch {machine.get('torch', '?')}, "
        f"sentence-transformers {machine.get('sentence_transformers', '?')}; {machine.get('os')}",
        f"- code: git commit `{machine.get('git_commit')}`"
        + (" plus uncommitted changes" if machine.get("git_dirty") else ""),
        "",
        "## Setup",
        "",
    ]
    bench_seen: set[str] = set()
    for r in reports:
        if r.benchmark in bench_seen:
            continue
        bench_seen.add(r.benchmark)
        info = r.benchmark_info
        extra = (
            f"; a seeded subsample of {r.n_items} items was evaluated (`--max-items`)" if info.get("max_items") else ""
        )
        out.append(
            f"- **{r.benchmark}**: {r.n_items} of {info.get('n_total')} items after dropping "
            f"{r.dropped_contaminated} listed in RouteLLM's `contaminated_prompts.jsonl`{extra}; "
            f"strong {r.strong_mean:.3f}, weak {r.weak_mean:.3f}."
        )
    ind = next((r for r in reports if r.protocol == IN_DOMAIN), None)
    training = next((r.settings["training"] for r in reports if r.settings.get("training")), None)
    if training is not None:
        tiers = f", as battles between {training['n_tiers']} capability tiers" if training.get("n_tiers") else ""
        out.append(
            f"- Protocols: *out-of-domain* trains on the training sources of `{training['recipe']}` only "
            f"({', '.join(training['sources'])}{tiers}: {training['battles']:,} battles on {training['prompts']:,} prompts "
            f"after decontamination against {', '.join(training['decontaminated_against'])}, which dropped "
            f"{training['dropped_by_decontamination']:,}; exact, containment and embedding similarity >= 0.95)."
        )
    else:
        out.append("- Protocols: *out-of-domain* trains on the recipe's training sources only.")
    if ind is not None and ind.settings.get("cross_fit"):
        cf = ind.settings["cross_fit"]
        out.append(
            f"  *In-domain augmentation* adds at most {cf['max_labels']} labelled benchmark items per router "
            f"(strong-vs-weak outcome as one battle, weight {_weight_desc(ind)}) with "
            f"{cf['k']}-fold cross-fitting, seed {cf['seed']}: each item is scored by a router trained on labels "
            "from the other folds only (identical prompts share a fold)."
        )
    out.append("- Routers:")
    out.extend("  " + line for line in _router_lines(reports))
    out.append(
        "- Baselines in every table: the random router (mean APGR over "
        f"{first.settings.get('seeds', 100)} seeds, with the 2.5-97.5 percentile range in brackets), "
        "the prompt-length heuristic (longer prompt -> strong) and the oracle (optimal) router."
    )
    out.append(f"- AIQ cost axis: {first.cost_basis}.")
    out += ["", "## Summary: APGR", "", *_summary(reports)]
    out += ["", "### Against the aims of issue 3", "", *_aims(reports)]
    out += [
        "",
        "### RouteLLM's published numbers (reference, not produced here)",
        "",
        "| benchmark | router | APGR | CPT(50%) | CPT(80%) |",
        "|---|---|---:|---:|---:|",
    ]
    out += [f"| {b} | {r} | {a} | {c5} | {c8} |" for b, r, a, c5, c8 in ROUTELLM_REFERENCE]
    if ablation:
        benches = list(dict.fromkeys(b for b, _ in ablation))
        weights = list(dict.fromkeys(w for _, w in ablation))
        out += [
            "",
            f"### In-domain label weight (ablation, `{ablation_router}`, same folds and seed)",
            "",
            "The main in-domain rows use the first weight; the others show how much the choice matters. "
            "Picking the best of these per benchmark would tune on the test items, so the main tables do not.",
            "",
            "| label weight | " + " | ".join(benches) + " |",
            "|---|" + "---:|" * len(benches),
        ]
        for w in weights:
            label = w if isinstance(w, str) else f"{w:g}"
            out.append(f"| {label} | " + " | ".join(_f(ablation.get((b, w))) for b in benches) + " |")
    out += [
        "",
        "## N-way routing (RouterBench-zs, LLMRouter)",
        "",
        "This page is the two-model (RouteLLM) evaluation. Routing among N models with per-model quality "
        "predictors (PROCEED, issue 6) is evaluated on RouterBench's zero-shot split (11 models, per-call "
        "costs) and LLMRouter (9 open models, token prices) by `winroute evaluate --benchmark routerbench-zs "
        "llmrouter`: every single model, the oracle, random N-way and the kNN / MLP quality routers at a sweep "
        "of cost weights on the cost-quality plane, with RouterBench's AIQ, against the aims of issue 6. "
        "See [docs/nway.md](nway.md).",
    ]
    out += ["", "## Per benchmark", ""]
    for r in reports:
        out += [f"### {r.benchmark}, {r.protocol}", ""]
        sim = (
            ""
            if r.similarity is None
            else f" Benchmark-dataset similarity (RouteLLM section 5.3): **{r.similarity:.3f}**."
        )
        out.append(
            f"{r.n_items} items; strong {r.strong_mean:.3f}, weak {r.weak_mean:.3f}; "
            f"oracle APGR {r.rows[ORACLE]['apgr']:.3f}.{sim}"
        )
        out.append("")
        out += _metrics_table(r)
        secs = {n: i.get("train_seconds") for n, i in r.routers.items() if i.get("train_seconds") is not None}
        if secs:
            out += ["", "Training time: " + ", ".join(f"{n} {s:.0f} s" for n, s in secs.items()) + "."]
        for note in r.notes:
            out += ["", f"Note: {note}"]
        png = plots.get((r.benchmark, r.protocol))
        if png:
            out += ["", f"![{r.benchmark} {r.protocol}]({png})"]
        out.append("")
    if printed:
        out += ["## What the command printed", "", "```", printed.rstrip(), "```", ""]
    return "\n".join(out)
