"""The ``winroute`` command: route, train, calibrate, evaluate."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import WinrouteError


def _load(path: str | None):  # noqa: ANN202 - Router, imported lazily
    from . import load_router

    return load_router(path)


def _read_prompts(path: str) -> list[str]:
    """Prompts from a text file (one per line) or JSONL (``prompt`` or ``text`` field, or a string)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"prompt file not found: {file}")
    prompts: list[str] = []
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if file.suffix == ".jsonl":
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file}:{lineno}: not valid JSON: {exc}") from exc
            text = item if isinstance(item, str) else item.get("prompt", item.get("text")) if isinstance(item, dict) else None
            if not isinstance(text, str):
                raise ValueError(f"{file}:{lineno}: expected a string or an object with a 'prompt' field")
            prompts.append(text)
        else:
            prompts.append(line)
    if not prompts:
        raise ValueError(f"{file} holds no prompts")
    return prompts


def cmd_route(args: argparse.Namespace) -> int:
    router = _load(args.router)
    decision = router.route(args.text, threshold=args.threshold, strong_share=args.strong_share)
    if args.json:
        print(json.dumps(decision.as_dict(), indent=2))
    else:
        print(f"model:     {decision.model} ({decision.route})")
        print(f"score:     {decision.score:.4f}  (P[{router.strong} beats {router.weak}])")
        print(f"threshold: {decision.threshold:.4f}")
        print(f"reason:    {decision.reason}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .recipes import load_config, run_recipe

    config = load_config(args.config)
    router = run_recipe(config, data_dir=args.data_dir, out=args.out)
    print(f"saved {router.predictor.kind} router to {args.out or config.out}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    router = _load(args.router)
    threshold = router.calibrate(_read_prompts(args.prompts), args.strong_share)
    print(f"threshold {threshold:.4f} sends {args.strong_share:.0%} of {args.prompts} to {router.strong}")
    if args.out:
        router.save(args.out)
        print(f"saved calibrated router to {args.out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation.runner import evaluate_routellm_benchmark

    router = _load(args.router)
    for benchmark in args.benchmark:
        report = evaluate_routellm_benchmark(router, benchmark, data_dir=args.data_dir, out_dir=args.out)
        print(report.table())
        print()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="winroute", description="Offline LLM router: strong vs weak, per call.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("route", help="route one prompt and print the decision")
    p.add_argument("text", help="the prompt to route")
    p.add_argument("--router", help="router artifact directory (default: the bundled router)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--threshold", type=float, help="route strong when score >= this")
    group.add_argument("--strong-share", type=float, help="target share of calls to the strong model")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("train", help="train a router from a TOML config")
    p.add_argument("config", help="TOML recipe (see configs/default.toml)")
    p.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    p.add_argument("--out", help="output directory (default: the config's 'out')")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("calibrate", help="set the threshold for a target strong-call share on your prompts")
    p.add_argument("--strong-share", type=float, required=True)
    p.add_argument("--prompts", required=True, help="text file (one prompt a line) or JSONL")
    p.add_argument("--router", help="router artifact directory (default: the bundled router)")
    p.add_argument("--out", help="save the calibrated router here")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("evaluate", help="APGR / CPT on RouteLLM's GSM8K and MMLU, beside baselines")
    p.add_argument("--benchmark", nargs="+", default=["gsm8k", "mmlu"], choices=["gsm8k", "mmlu"])
    p.add_argument("--router", help="router artifact directory (default: the bundled router)")
    p.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    p.add_argument("--out", help="write JSON results and PNG plots here")
    p.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (WinrouteError, ValueError, FileNotFoundError, KeyError) as exc:
        print(f"winroute: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("winroute: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
