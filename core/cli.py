"""The ``winroute`` command: route, train, calibrate, evaluate."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .cli_adaptation import add_commands
from .data.battles import DIFFICULTY_PAIR
from .errors import WinrouteError
from .evaluation.benchmarks.nway import is_nway_benchmark
from .evaluation.commands import run_loso, run_nway, run_pairwise
from .evaluation.harness.pairwise import EvalSettings
from .evaluation.protocols.pairwise import IN_DOMAIN, OUT_OF_DOMAIN, parse_in_domain_weight
from .labeling import (
    ChatEndpoint,
    EndpointError,
    LabelingError,
    PriceTable,
    PromptItem,
    ResponseCache,
    RetryPolicy,
    comparison_row,
    label_prompts,
    outcome_row,
    parse_price_spec,
    read_prompt_items,
    write_jsonl,
)
from .loading import load_router
from .policies import SETTING_NAMES
from .prompt_files import read_prompts
from .recipes import load_recipe, run_recipe
from .router import Router


def _load(path: str | None) -> Router:
    return load_router(path)


def _conversation_arg(text: str, stdin: Any = None) -> Any:
    """The prompt of ``winroute route``: the argument, or with ``-`` standard input.

    Standard input holding a JSON list of role/content messages is routed as that
    conversation; anything else as plain text. Bytes that are not UTF-8 become lone
    surrogates here and U+FFFD in the router (said in the decision's reason).
    """
    if text != "-":
        return text
    stream = stdin if stdin is not None else sys.stdin
    raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    data = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    if data.lstrip().startswith("["):
        try:
            messages = json.loads(data)
        except ValueError:
            return data  # text that happens to start with "[" is still a prompt
        if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
            return messages
        raise ValueError('standard input is a JSON list, but not of {"role": ..., "content": ...} messages')
    return data


def cmd_route(args: argparse.Namespace) -> int:
    router = _load(args.router)
    args.text = _conversation_arg(args.text)
    # the router takes the settings of its kind and names any of the other kind it is given
    decision = router.route(args.text, **{k: getattr(args, k) for k in SETTING_NAMES})
    if args.json:
        print(json.dumps(decision.as_dict(), indent=2))
    elif router.kind == "nway":
        print(f"model:  {decision.model}")
        print(f"reason: {decision.reason}")
        width = max(len(m) for m in decision.qualities) if decision.qualities else 5
        print(f"{'model':<{width}}  quality  cost (USD)  utility")
        for m in decision.qualities:
            mark = " <" if m == decision.model else ""
            print(
                f"{m:<{width}}  {decision.qualities[m]:7.3f}  {decision.costs[m]:10.6f}  {decision.utilities[m]:7.4f}{mark}"
            )
    else:
        print(f"model:     {decision.model} ({decision.route})")
        meaning = (
            "how much the prompt needs the stronger model (difficulty + length)"
            if router.predictor.models_ == list(DIFFICULTY_PAIR)
            else f"P[{router.strong} beats {router.weak}]"
        )
        print(f"score:     {decision.score:.4f}  ({meaning})")
        print(f"threshold: {decision.threshold:.4f}")
        print(f"reason:    {decision.reason}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    recipe = load_recipe(args.config)
    router = run_recipe(recipe, data_dir=args.data_dir, out=args.out)
    print(f"saved {router.predictor.kind} router over {len(router.models)} models to {args.out or recipe.out}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    router = _load(args.router)
    threshold = router.calibrate(read_prompts(args.prompts), args.strong_share)
    print(f"threshold {threshold:.4f} sends {args.strong_share:.0%} of {args.prompts} to {router.strong}")
    if args.out:
        router.save(args.out)
        print(f"saved calibrated router to {args.out}")
    return 0


def _evaluate_loso(args: argparse.Namespace) -> int:
    """The generalization yardstick: every recipe trained without each source, scored on it."""
    run_loso(
        args.recipes,
        sources=args.sources,
        data_dir=args.data_dir,
        cache_dir=args.cache_dir,
        seeds=args.seeds,
        max_items=args.max_items,
        seed=args.seed,
        out=args.out,
        plot=not args.no_plot,
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    routers = list(args.routers or []) + ([args.router] if args.router else [])
    nway = [b for b in args.benchmark if is_nway_benchmark(b)]
    if nway:  # N-way (PROCEED): single models, oracle, random and quality routers on the cost-quality plane
        if len(nway) != len(args.benchmark):
            raise ValueError("evaluate the N-way benchmarks (routerbench-zs, llmrouter) in a command of their own")
        run_nway(
            nway,
            routers=routers or None,
            data_dir=args.data_dir,
            cache_dir=args.cache_dir,
            config=args.config,
            max_items=args.max_items,
            max_train=getattr(args, "max_train_items", None),
            seed=args.seed,
            out=args.out,
            plot=not args.no_plot,
        )
        return 0
    if args.protocol == "leave-one-source-out":
        return _evaluate_loso(args)
    protocols = {"out-of-domain": (OUT_OF_DOMAIN,), "in-domain": (IN_DOMAIN,), "both": (OUT_OF_DOMAIN, IN_DOMAIN)}
    settings = EvalSettings(
        protocols=protocols[args.protocol],
        k=args.k,
        seed=args.seed,
        max_labels=args.max_labels,
        in_domain_weight=args.in_domain_weight,
        max_items=args.max_items,
        seeds=args.seeds,
        similarity=args.similarity,
    )
    run_pairwise(
        args.benchmark,
        routers,
        settings=settings,
        data_dir=args.data_dir,
        train_data_dir=args.train_data_dir,
        config=args.config,
        cache_dir=args.cache_dir,
        strong=args.strong,
        weak=args.weak,
        judge=args.judge,
        out=args.out,
        plot=not args.no_plot,
    )
    return 0


def cmd_label(args: argparse.Namespace) -> int:

    jsonl = Path(args.prompts).suffix.lower() == ".jsonl"
    if args.golden and not jsonl:
        raise LabelingError(
            f"--golden needs a JSONL prompt file whose records hold 'prompt' and 'answer'; got {args.prompts}"
        )
    if args.judge and args.grader:
        raise LabelingError("--grader applies to --golden only")
    items = read_prompt_items(args.prompts) if jsonl else [PromptItem(text) for text in read_prompts(args.prompts)]
    prices = dict(parse_price_spec(spec) for spec in args.price or [])
    endpoint = ChatEndpoint(
        args.base_url, args.api_key, retry=RetryPolicy(max_retries=args.retries), timeout=args.timeout
    )
    cache_path = Path(args.cache or f"{args.out}.cache.jsonl")
    cache = ResponseCache(cache_path)
    if len(cache):
        print(f"resuming: {len(cache)} cached replies in {cache_path}", file=sys.stderr)
    resume = f"the replies received so far are cached in {cache_path}: rerun the same command to resume"
    try:
        run = label_prompts(
            items,
            strong=args.strong,
            weak=args.weak,
            endpoint=endpoint,
            judge=args.judge,
            grader=(args.grader or "exact") if args.golden else None,
            cache=cache,
            prices=PriceTable.from_environment(prices),
            max_prompts=args.max_prompts,
            answer_params={"max_tokens": args.max_tokens} if args.max_tokens else None,
            progress=not args.no_progress,
        )
    except EndpointError as exc:
        raise EndpointError(f"{exc}; {resume}") from exc
    except KeyboardInterrupt:
        print(f"winroute: {resume}", file=sys.stderr)
        raise
    finally:
        cache.close()
        endpoint.close()
    print(run.summary)
    if args.golden:
        n = write_jsonl(args.out, (outcome_row(o) for o in run.outcomes))
        print(f"wrote {n} per-model outcomes to {args.out} (read by `winroute evaluate --benchmark` and load_labels)")
    else:
        n = write_jsonl(args.out, (comparison_row(c, **d) for c, d in zip(run.comparisons, run.details)))
        print(f"wrote {n} comparisons to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="winroute", description="Offline LLM router: strong vs weak, per call.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("route", help="route one prompt and print the decision")
    p.add_argument(
        "text",
        help="the prompt to route; '-' reads it from standard input (text, or a JSON list of role/content messages)",
    )
    p.add_argument(
        "--router", help="router artifact directory, or a bundled router: default (the default) or default-minilm"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--threshold", type=float, help="route strong when score >= this")
    group.add_argument("--strong-share", type=float, help="target share of calls to the strong model")
    group.add_argument("--cost-weight", type=float, help="N-way: utility = quality - this x cost (USD per call)")
    group.add_argument("--budget-per-1k", type=float, help="N-way: average budget in USD per 1,000 calls")
    group.add_argument("--min-quality", type=float, help="N-way: cheapest model predicted to reach this quality")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("train", help='train a router from a TOML config (two-model, or N-way with kind = "nway")')
    p.add_argument("config", help="TOML recipe (see configs/default.toml, configs/routerbench_zs.toml)")
    p.add_argument("--data-dir", help="shared data directory (default: $WINROUTE_DATA)")
    p.add_argument("--out", help="output directory (default: the config's 'out')")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("calibrate", help="set the threshold for a target strong-call share on your prompts")
    p.add_argument("--strong-share", type=float, required=True)
    p.add_argument("--prompts", required=True, help="text file (one prompt a line) or JSONL")
    p.add_argument(
        "--router", help="router artifact directory, or a bundled router: default (the default) or default-minilm"
    )
    p.add_argument("--out", help="save the calibrated router here")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "evaluate",
        help="APGR / CPT / AIQ of routers on GSM8K, MMLU, MT-Bench or your data, beside baselines",
        description="RouteLLM's evaluation: routers x benchmark x protocol, with random, prompt-length "
        "and oracle baselines; prints a table, writes JSON/CSV/PNG with --out.",
    )
    p.add_argument(
        "--benchmark",
        nargs="+",
        default=["gsm8k", "mmlu"],
        metavar="NAME_OR_PATH",
        help="gsm8k, mmlu, mt-bench (FastChat layout in --data-dir), or a JSONL/CSV of prompt x model "
        "outcomes, or a FastChat question.jsonl folder (default: gsm8k mmlu); or the N-way benchmarks "
        "routerbench-zs and llmrouter (train on their train split, test on test; --routers knn_quality, "
        "mlp_quality, 'kind:name=value,...' or saved N-way router directories; default: both predictors)",
    )
    p.add_argument(
        "--routers",
        nargs="+",
        metavar="ROUTER",
        help="saved router directories, 'default' (the bundled router) or predictors trained on the fly "
        "from --config's data: random, sw_ranking, mf, bert, causal_llm (default: default)",
    )
    p.add_argument("--router", help="one saved router directory (same as --routers DIR)")
    p.add_argument(
        "--protocol",
        choices=["out-of-domain", "in-domain", "both", "leave-one-source-out"],
        default="out-of-domain",
        help="out-of-domain: train on the training sources only; in-domain: add <= --max-labels "
        "benchmark labels with k-fold cross-fitting; leave-one-source-out: train each --recipes "
        "recipe without each labelled source and score it there (default: out-of-domain)",
    )
    p.add_argument(
        "--recipes",
        nargs="+",
        metavar="TOML",
        help="leave-one-source-out: recipe files to compare (default: configs/default.toml)",
    )
    p.add_argument(
        "--sources",
        nargs="+",
        metavar="NAME",
        help="leave-one-source-out: held-out sources to score (default: all of them)",
    )
    p.add_argument("--data-dir", help="shared data directory, or the MT-Bench folder (default: $WINROUTE_DATA)")
    p.add_argument("--train-data-dir", help="where the training sources are, if not in --data-dir ($WINROUTE_DATA)")
    p.add_argument("--config", help="recipe for routers trained on the fly (default: configs/default.toml)")
    p.add_argument("--strong", help="strong model (default: the router's)")
    p.add_argument("--weak", help="weak model (default: the router's)")
    p.add_argument("--judge", help="MT-Bench: keep only this judge model's scores")
    p.add_argument("--k", type=int, default=5, help="in-domain cross-fitting folds (default: 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds, label draws and --max-items (default: 0)")
    p.add_argument("--max-labels", type=int, default=1500, help="in-domain labels per fold, at most 1500 (default)")
    p.add_argument(
        "--in-domain-weight",
        type=parse_in_domain_weight,
        default="balanced",
        help="weight of each in-domain battle: a number, or 'balanced' (default): the labels together "
        "weigh as much as the whole training set",
    )
    p.add_argument("--max-items", type=int, help="evaluate a seeded subsample of this many items (quick runs)")
    p.add_argument(
        "--max-train-items",
        type=int,
        metavar="N",
        help="N-way benchmarks: train on a seeded subsample of N train prompts (quick runs)",
    )
    p.add_argument("--seeds", type=int, default=100, help="random-router seeds (default: 100)")
    p.add_argument(
        "--similarity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="benchmark-dataset similarity (default: when training data is loaded anyway)",
    )
    p.add_argument("--cache-dir", help="embedding cache (default: $WINROUTE_CACHE or ~/.cache/winroute)")
    p.add_argument("--out", help="write <benchmark>.json, *_metrics.csv, *_points.csv and a PNG plot here")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "label",
        help="label your prompts: strong vs weak answers, judged by an LLM or graded against your answers",
        description="Ask the strong and the weak model (any OpenAI-compatible endpoint) to answer each prompt; then "
        "a judge model compares the two answers twice with their order swapped (--judge), or a grader scores them "
        "against the 'answer' field of a JSONL prompt file (--golden). Every reply is cached as it arrives: rerun "
        "the same command to resume an interrupted run without paying twice.",
    )
    p.add_argument("prompts", help="text file (one prompt a line) or JSONL with 'prompt' and optional 'answer', 'id'")
    p.add_argument("--strong", required=True, metavar="MODEL", help="strong model, as the endpoint names it")
    p.add_argument("--weak", required=True, metavar="MODEL", help="weak model, as the endpoint names it")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--judge", metavar="MODEL", help="judge model for pairwise verdicts (RouteLLM / MT-Bench style)")
    how.add_argument("--golden", action="store_true", help="score both answers against the prompts' 'answer' field")
    p.add_argument(
        "--grader",
        choices=["exact", "number"],
        help="--golden: 'exact' match after normalisation (default) or 'number': the last number (math)",
    )
    p.add_argument("--out", required=True, help="output JSONL: comparisons (--judge) or per-model outcomes (--golden)")
    p.add_argument("--base-url", help="OpenAI-compatible API base URL (default: $OPENAI_BASE_URL, else the OpenAI API)")
    p.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY; any placeholder for a server needing none)")
    p.add_argument("--cache", help="reply cache, JSONL (default: OUT.cache.jsonl)")
    p.add_argument("--max-prompts", type=int, metavar="N", help="label only the first N prompts")
    p.add_argument(
        "--price",
        action="append",
        metavar="MODEL=IN,OUT",
        help="USD per 1M input and output tokens, repeatable (default: the price catalog in "
        "$WINROUTE_DATA/prices; otherwise the cost is shown as unknown)",
    )
    p.add_argument("--max-tokens", type=int, metavar="N", help="cap on each answer's length in tokens")
    p.add_argument(
        "--retries",
        type=int,
        default=5,
        help="retries per request on rate limits, 5xx and connection errors, with exponential backoff (default: 5)",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default: 120)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_label)

    add_commands(sub)  # inspect, select, adapt, sketch (issue 8)
    add_serve_command(sub)  # serve (issue 20): in core.serve, imported only when run
    return parser


def add_serve_command(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the OpenAI-compatible routing server (needs the 'serve' extra)")
    p.add_argument("--config", help="serve.toml: router, children, policy, auth, logging (README: Serve)")
    p.add_argument("--host", help="bind address (default: the config's; loopback only when no API keys are set)")
    p.add_argument("--port", type=int, help="port (default: the config's, 8000)")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes sharing the decision log (1)")
    p.add_argument("--hash-key", metavar="KEY", help="print KEY's digest for auth.api_keys / auth.admin_key and exit")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .serve import hash_key, serve
    except ImportError as exc:
        raise ValueError(f"winroute serve needs the 'serve' extra (pip install 'winroute[serve]'): {exc}") from None
    if args.hash_key is not None:
        print(hash_key(args.hash_key))
        return 0
    if not args.config:
        raise ValueError("winroute serve needs --config serve.toml")
    serve(args.config, workers=args.workers, host=args.host, port=args.port)
    return 0


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
