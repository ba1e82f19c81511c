"""PNG plots of the evaluation reports; call-performance curves laid out like RouteLLM's evaluation plots.

RouteLLM (``routellm/evals/evaluate.py``) draws performance against
"Strong Model Calls (%)" with one line per router (marker "."), dashed
horizontal lines at the weak (grey) and strong (red) model's performance and
the oracle ("Optimal", marker "x"). matplotlib is optional (``winroute[plot]``)
and imported only when a plot is drawn; the Agg canvas is used directly, so
no global pyplot backend or state is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .metrics import Curve, RandomBaseline, non_decreasing_convex_hull
from .reports.loso import LosoReport
from .reports.nway import NWayReport
from .reports.pairwise import LENGTH, ORACLE, RANDOM, BenchmarkReport

__all__ = ["plot_curves", "plot_loso", "plot_nway", "plot_report"]

# Router colours: matplotlib's cycle without red (the strong model's line), grey (the weak
# model's) and purple (the oracle's), so no router is mistaken for a reference line.
_PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "gold", "navy")


def _matplotlib() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError("plotting needs matplotlib, which is not installed: pip install winroute[plot]") from exc
    return Figure, FigureCanvasAgg


def plot_curves(
    curves: Mapping[str, Curve],
    strong_mean: float,
    weak_mean: float,
    out_png: str | Path,
    title: str,
    optimal: Curve | None = None,
    random_band: RandomBaseline | tuple[Any, Any, Any] | None = None,
    strong_label: str = "strong model",
    weak_label: str = "weak model",
) -> Path:
    """Draw performance vs strong-call % for each curve and save a PNG.

    ``random_band`` is a :class:`RandomBaseline` (its mean curve and 95%
    band are drawn) or ``(strong_pcts, low, high)`` arrays. Returns the path
    written; parent folders are created.
    """
    if not curves and optimal is None and random_band is None:
        raise ValueError("nothing to plot: no curves given")
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(10, 6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)

    for i, (name, curve) in enumerate(curves.items()):
        x, y = curve.sorted_by_share()
        color = _PALETTE[i % len(_PALETTE)]
        ax.plot(100.0 * x, y, label=str(name), marker=".", linestyle="-", color=color)

    if random_band is not None:
        if isinstance(random_band, RandomBaseline):
            x, y = random_band.curve.sorted_by_share()
            order = np.argsort(random_band.curve.strong_shares, kind="stable")
            lo, hi = random_band.band[0][order], random_band.band[1][order]
            xs = 100.0 * x
            lo_ap, hi_ap = random_band.interval
            ax.plot(
                xs,
                y,
                color="black",
                linestyle=":",
                label=f"random (APGR {random_band.apgr:.3f}, 95% {lo_ap:.3f}-{hi_ap:.3f})",
            )
        else:
            xs, lo, hi = (np.asarray(a, dtype=float) for a in random_band)
            order = np.argsort(xs, kind="stable")
            xs, lo, hi = xs[order], lo[order], hi[order]
        ax.fill_between(xs, lo, hi, color="grey", alpha=0.2, label="random 95% band")

    ax.axhline(y=float(weak_mean), color="grey", linestyle="--", label=weak_label)
    ax.axhline(y=float(strong_mean), color="red", linestyle="--", label=strong_label)

    if optimal is not None:
        x, y = optimal.sorted_by_share()
        ax.plot(100.0 * x, y, label="Optimal", marker="x", linestyle="-", color="tab:purple")

    ax.set_xlabel("Strong Model Calls (%)")
    ax.set_ylabel("Performance")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")  # curves rise from the bottom left to the top right

    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return out


def plot_report(report: BenchmarkReport, path: str | Path) -> Path:
    """RouteLLM-style plot: performance vs strong-call %, weak / strong / oracle lines, random band."""
    curves = {k: v for k, v in report.curves.items() if k not in (ORACLE, RANDOM)}
    return plot_curves(
        curves,
        report.strong_mean,
        report.weak_mean,
        path,
        title=f"Model Calls and Performance ({report.benchmark}, {report.protocol})",
        optimal=report.curves[ORACLE],
        random_band=report.random,
        strong_label=report.strong,
        weak_label=report.weak,
    )


def plot_nway(report: NWayReport, path: str | Path) -> Path:
    """The cost-quality plane: single models (labelled), oracle, random, the cheapest-best line,
    the single models' hull, and one curve per router (log cost axis)."""
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(14, 7))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    lo, hi = report.cost_range

    # the single models' non-decreasing convex hull and the cheapest-best line (straight in linear cost)
    hx, hy = non_decreasing_convex_hull(report.single_cost, report.single_quality)
    xs = np.geomspace(max(lo, 1e-12), hi, 400)
    ax.plot(
        xs,
        np.interp(xs, hx, hy, left=np.nan),
        color="grey",
        linestyle=":",
        linewidth=1.2,
        label=f"single models' hull (zero router), AIQ {report.zero_router_aiq:.3f}",
    )
    cq, cc = report.single(report.cheapest)
    bq, bc = report.single(report.best)
    lx = np.geomspace(cc, bc, 200) if bc > cc else np.array([cc])
    ax.plot(
        lx,
        cq + (bq - cq) * (lx - cc) / (bc - cc) if bc > cc else [bq],
        color="black",
        linestyle="--",
        linewidth=1.0,
        label=f"line {report.cheapest} - {report.best}\n(straight on a linear cost axis)",
    )
    ax.scatter(
        report.single_cost, report.single_quality, color="black", marker="o", s=28, zorder=3, label="single models"
    )
    for m, q, c in zip(report.models, report.single_quality, report.single_cost):
        ax.annotate(m, (c, q), textcoords="offset points", xytext=(5, -3), fontsize=7)
    ax.scatter(
        [report.oracle[1]],
        [report.oracle[0]],
        color="tab:purple",
        marker="*",
        s=140,
        zorder=4,
        label=f"oracle ({report.oracle[0]:.3f})",
    )
    ax.scatter(
        [report.random[1]],
        [report.random[0]],
        color="tab:red",
        marker="X",
        s=70,
        zorder=4,
        label=f"random N-way ({report.random[0]:.3f})",
    )
    for i, (name, r) in enumerate(report.routers.items()):
        order = np.argsort(r.costs, kind="stable")
        ax.plot(
            r.costs[order],
            r.qualities[order],
            marker=".",
            linestyle="-",
            color=_PALETTE[i % len(_PALETTE)],
            label=f"router {name}, AIQ {r.summary['aiq']:.3f}",
        )
    ref_q, ref_c = report.single(report.reference)
    ax.axvline(
        ref_c / 2, color="tab:red", linestyle=(0, (1, 3)), linewidth=0.9, label=f"half of {report.reference}'s cost"
    )
    ax.axhline(
        ref_q,
        color="tab:red",
        linestyle=(0, (1, 3)),
        linewidth=0.9,
        alpha=0.6,
        label=f"{report.reference}'s quality ({ref_q:.3f})",
    )
    ax.set_xscale("log")
    ax.set_xlim(lo / 1.25, hi * 1.9)  # room for the labels of the cheapest and the dearest model
    ax.set_xlabel("mean cost per call (USD, log scale)")
    ax.set_ylabel("mean quality")
    ax.set_title(f"Cost-quality plane: {report.benchmark} test, {report.n_items} items")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0.0)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=110)
    return out


def plot_loso(report: LosoReport, path: str | Path) -> Path:
    """Grouped bars: APGR per held-out source for every recipe, the length heuristic and random's band."""
    Figure, FigureCanvasAgg = _matplotlib()
    names = [*report.recipes, LENGTH]
    sources = [src.name for src, _, _ in report.folds]
    fig = Figure(figsize=(max(10, 1.1 * len(sources) + 3), 6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(sources))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        vals = [report.apgr(name)[s] for s in sources]
        ax.bar(
            x + (i - (len(names) - 1) / 2) * width,
            vals,
            width,
            label=name,
            color="lightgrey" if name == LENGTH else None,
            edgecolor="black" if name == LENGTH else None,
        )
    for j, (_, rep, _) in enumerate(report.folds):
        lo, hi = rep.random_interval
        ax.fill_between([j - 0.45, j + 0.45], [lo, lo], [hi, hi], color="tab:red", alpha=0.15, linewidth=0)
    ax.axhline(0.5, color="tab:red", linestyle="--", linewidth=1, label="random (band: 95% of seeds)")
    ax.set_xticks(x)
    ax.set_xticklabels(sources, rotation=30, ha="right")
    ax.set_ylabel("APGR on the held-out source")
    ax.set_ylim(0.25, 0.85)
    ax.set_title("Leave-one-source-out: each source scored by recipes trained on the others")
    ax.legend(loc="upper left", fontsize="small", ncol=2)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out
