"""The ``winroute inspect | select | adapt | sketch`` subcommands of :mod:`core.adaptation` (registered by ``core.cli``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .adaptation import adapt_router, add_sketch_from_recipe, inspect_prompts, load_comparisons, select_prompts
from .loading import load_router
from .prompt_files import read_prompts

__all__ = ["add_commands"]


def _router(path: str | None) -> Any:
    return load_router(path)


def cmd_inspect(args: argparse.Namespace) -> int:
    report = inspect_prompts(_router(args.router), read_prompts(args.prompts), cutoff=args.cutoff)
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.text())
    return 0


def cmd_select(args: argparse.Namespace) -> int:
    exclude = read_prompts(args.exclude) if args.exclude else []
    selection = select_prompts(
        _router(args.router),
        read_prompts(args.prompts),
        args.k,
        exclude=exclude,
        seed=args.seed,
        strong_share=args.strong_share,
        strategy=args.strategy,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in selection.records()), encoding="utf-8")
    for note in selection.notes:
        print(f"note: {note}")
    print(
        f"selected {len(selection.prompts)} of {selection.n_pool} unlabeled prompts"
        f"{f' ({selection.n_excluded} already labeled or duplicate skipped)' if selection.n_excluded else ''}; "
        f"wrote {out} (one JSON object per line: prompt, index, score, uncertainty, typical_length)"
    )
    return 0


def cmd_adapt(args: argparse.Namespace) -> int:
    base = _router(args.base)
    if args.from_log:
        from .serve.feedback import labels_from_log_for_adapt  # the 'serve' extra (SQLAlchemy), only when asked

        labels, logged = labels_from_log_for_adapt(args.from_log)
    else:
        labels, logged = (
            load_comparisons(args.labels, strong=args.strong or base.strong, weak=args.weak or base.weak),
            None,
        )
    pool = read_prompts(args.prompts) if args.prompts else logged
    router = adapt_router(
        base,
        labels,
        calibration_prompts=pool,
        strong_share=args.strong_share,
        refit=args.refit,
        data_dir=args.data_dir,
        name=args.name,
        strong=args.strong,
        weak=args.weak,
    )
    router.save(args.out)
    info = router.metadata["adaptation"]
    print(
        f"adapted {base.name!r} on {info['n_labels']} labels ({info['n_prompts']} prompts); threshold "
        f"{router.threshold:.4f} sends {args.strong_share:.0%} of the {info['calibrated_on']} strong; saved to {args.out}"
    )
    return 0


def cmd_sketch(args: argparse.Namespace) -> int:
    out = add_sketch_from_recipe(
        args.router, args.config, data_dir=args.data_dir, out=args.out, cache_dir=args.cache_dir
    )
    print(f"added the training-prompt sketch of {args.config} to {out}")
    return 0


def add_commands(sub: Any) -> None:
    """Register the adaptation subcommands on the ``winroute`` parser's subparsers."""
    router_help = "router artifact directory, or a bundled router: 'default' (the default) or 'default-minilm'"

    p = sub.add_parser(
        "inspect", help="how close your prompts are to the router's training data, and how many to label"
    )
    p.add_argument("prompts", help="text file (one prompt a line) or JSONL ('prompt' field)")
    p.add_argument("--router", help=router_help)
    p.add_argument(
        "--cutoff",
        type=float,
        default=None,
        help="cosine below which a prompt has no close training neighbour (default: the embedder's: MiniLM 0.6, static 0.85)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("select", help="pick the next prompts to label (a seeded sample, or uncertain and diverse)")
    p.add_argument("prompts", help="pool of unlabeled prompts: text file or JSONL")
    p.add_argument("--k", type=int, required=True, help="how many prompts to pick")
    p.add_argument("--out", required=True, help="JSONL to write the picks to")
    p.add_argument("--router", help=router_help)
    p.add_argument(
        "--exclude", metavar="LABELED_FILE", help="prompts already labeled (a labels JSONL or a prompt file)"
    )
    p.add_argument(
        "--strong-share",
        type=float,
        help="center the uncertainty on the threshold sending this share strong "
        "(default: the router's threshold, its rank clipped to the pool's 20-80%%)",
    )
    p.add_argument(
        "--strategy",
        choices=["random", "active"],
        default="random",
        help="random: a seeded sample (default; active selection did not beat it across sources, "
        "docs/adaptation.md); active: uncertain near the threshold, typical length, diverse",
    )
    p.add_argument("--seed", type=int, default=0, help="sample / k-means seed (default: 0)")
    p.set_defaults(func=cmd_select)

    p = sub.add_parser("adapt", help="fit the router to your labels; writes a normal router artifact")
    p.add_argument("--base", default="default", help=router_help)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--labels", help="comparisons JSONL: prompt, model_a, model_b, outcome (P(a wins))")
    source.add_argument(
        "--from-log",
        metavar="DB",
        help="a `winroute serve` decision log (SQLite file or database URL): "
        "its feedback as labels, its logged prompts for the threshold (needs logging.log_prompts)",
    )
    p.add_argument("--out", required=True, help="directory to save the adapted router to")
    p.add_argument(
        "--prompts", help="your unlabeled prompts, to calibrate the threshold on (default: the labelled ones)"
    )
    p.add_argument("--strong-share", type=float, default=0.5, help="share of calls sent strong by the threshold (0.5)")
    p.add_argument(
        "--refit",
        action="store_true",
        help="also re-fit the base predictor on its training data + your "
        "labels (needs $WINROUTE_DATA; slow; measured in docs/adaptation.md)",
    )
    p.add_argument("--data-dir", help="training data for --refit (default: $WINROUTE_DATA)")
    p.add_argument("--name", help="the adapted router's name (default: <base name>-adapted)")
    p.add_argument(
        "--strong",
        metavar="MODEL",
        help="your strong model, if not the base router's: the labels may name it and the adapted router routes to it",
    )
    p.add_argument("--weak", metavar="MODEL", help="your weak model, if not the base router's")
    p.set_defaults(func=cmd_adapt)

    p = sub.add_parser("sketch", help="add the training-prompt sketch (for inspect) to a router saved without one")
    p.add_argument("--router", required=True, help="router artifact directory")
    p.add_argument("--config", required=True, help="the TOML recipe it was trained with")
    p.add_argument("--out", help="write the router here instead of in place")
    p.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    p.add_argument("--cache-dir", help="embedding cache (default: $WINROUTE_CACHE or ~/.cache/winroute)")
    p.set_defaults(func=cmd_sketch)
