"""A report's files: JSON, CSV rows and the PNG plot, in an output folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .plots import plot_loso, plot_nway, plot_report
from .reports.loso import LosoReport
from .reports.nway import NWayReport
from .reports.pairwise import BenchmarkReport

__all__ = ["write_loso_report", "write_nway_report", "write_report"]


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """CSV with a header of the first row's keys."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_report(report: BenchmarkReport, out_dir: str | Path, *, plot: bool = True) -> Path:
    """``<stem>.json``, ``<stem>_metrics.csv``, ``<stem>_points.csv`` and ``<stem>.png`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report.stem
    (out / f"{stem}.json").write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    for suffix, rows in (("metrics", report.metric_rows()), ("points", report.point_rows())):
        _write_rows(out / f"{stem}_{suffix}.csv", rows)
    if plot:
        plot_report(report, out / f"{stem}.png")
    return out


def write_nway_report(report: NWayReport, out_dir: str | Path, *, plot: bool = True) -> list[Path]:
    """``<stem>.json``, ``<stem>_points.csv``, ``<stem>_diagnostic.csv`` and ``<stem>.png``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report.stem
    written = [out / f"{stem}.json"]
    written[0].write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    for suffix, rows in (("points", report.point_rows()), ("diagnostic", report.diagnostic_rows())):
        if not rows:
            continue
        path = out / f"{stem}_{suffix}.csv"
        _write_rows(path, rows)
        written.append(path)
    if plot:
        written.append(plot_nway(report, out / f"{stem}.png"))
    return written


def write_loso_report(report: LosoReport, out_dir: str | Path, *, plot: bool = True) -> list[Path]:
    """``loso.json``, ``loso_apgr.csv`` (one row per source x router), ``loso.txt`` and ``loso.png``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "loso.json", out / "loso_apgr.csv", out / "loso.txt"]
    paths[0].write_text(json.dumps(report.to_json(), indent=2, default=float), encoding="utf-8")
    with paths[1].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "strong", "weak", "router", "apgr", "apgr_lo", "apgr_hi", "cpt_50", "cpt_80"])
        for src, rep, _ in report.folds:
            for name, row in rep.rows.items():
                writer.writerow(
                    [
                        src.name,
                        src.strong,
                        src.weak,
                        name,
                        *(row.get(k, "") for k in ("apgr", "apgr_lo", "apgr_hi", "cpt_50", "cpt_80")),
                    ]
                )
    paths[2].write_text(report.table() + "\n", encoding="utf-8")
    if plot:
        paths.append(plot_loso(report, out / "loso.png"))
    return paths
