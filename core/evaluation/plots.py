"""PNG plots of call-performance curves, laid out like RouteLLM's evaluation plots.

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

from .metrics import Curve, RandomBaseline

__all__ = ["plot_curves"]

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
