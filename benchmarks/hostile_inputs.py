"""Worst-case routing time on hostile prompts, and routing under thread and task concurrency.

Run: ``python benchmarks/hostile_inputs.py [--budget 20] [--threads 8] [--tasks 1000]``.
Figures are printed, not asserted (tests check the bounds on work; docs/security.md quotes
these). Issue 18's findings 1 and 8:

- pathological prompts (all newlines, all spaces, 1M CJK characters, deeply nested markup,
  10 MB of text): the seconds one ``route`` takes. Each family grows in size; once one size
  takes longer than ``--budget`` seconds the larger ones are skipped (a quadratic step would
  take hours on them);
- ``--threads`` threads against one routing the same 3,200 calls (400 prompts, each asked 8
  times): calls/s, how many texts the encoder encoded, and whether every decision matched
  the sequential one;
- ``--tasks`` concurrent ``RouterChatModel.ainvoke`` calls (fake children, no network): the
  longest the asyncio event loop went without running a 1 ms heartbeat, and the encodes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

MB = 1_000_000


def families() -> dict[str, list[tuple[str, Callable[[], str]]]]:
    """Pathological prompt families, smallest first (built lazily: some are 10 MB)."""
    return {
        "newlines": [
            ("20k newlines + x", lambda: "\n" * 20_000 + "x"),
            ("40k newlines + x", lambda: "\n" * 40_000 + "x"),
            ("100k newlines + x", lambda: "\n" * 100_000 + "x"),
            ("10 MB newlines + x", lambda: "\n" * (10 * MB) + "x"),
        ],
        "spaces": [("10 MB spaces + x", lambda: " " * (10 * MB) + "x")],
        "cjk": [
            ("1M CJK characters", lambda: "漢字テスト" * (MB // 5)),
        ],
        "nested markup": [
            ("100k-deep <div> nesting", lambda: "<div>" * 100_000 + "x" + "</div>" * 100_000),
            ("1M-deep <div> nesting (~11 MB)", lambda: "<div>" * MB + "x" + "</div>" * MB),
        ],
        "option lines": [("1 MB of 'A. x' lines", lambda: "A. x\n" * (MB // 5))],
        "semicolons": [("1 MB of ';' + spaces", lambda: ("; " + " " * 98) * (MB // 100) + "x")],
        "prose": [("10 MB of prose", lambda: "The quick brown fox jumps over the lazy dog. " * (10 * MB // 45))],
    }


def pathological(router: Any, budget: float) -> None:
    print(f"\n## Pathological prompts: seconds for one route (skip larger sizes after one over {budget:g} s)")
    print(f"{'input':34s} {'chars':>12s} {'seconds':>9s}  decision")
    for family, cases in families().items():
        over = False
        for label, make in cases:
            if over:
                print(f"{label:34s} {'':>12s} {'skipped':>9s}  (a smaller {family} input exceeded the budget)")
                continue
            text = make()
            start = time.perf_counter()
            try:
                decision = router.route(text)
                outcome = f"{decision.route} ({decision.reason})"
            except Exception as exc:  # noqa: BLE001 - the figure is what happened
                outcome = f"{type(exc).__name__}: {str(exc)[:80]}"
            seconds = time.perf_counter() - start
            print(f"{label:34s} {len(text):12,d} {seconds:9.3f}  {outcome[:110]}")
            over = seconds > budget


class EncodeCounter:
    """Counts the texts an embedder's ``_encode`` receives (wraps the instance attribute)."""

    def __init__(self, embedder: Any) -> None:
        self.count = 0
        self._lock = threading.Lock()
        inner = embedder._encode

        def counted(texts: list[str]) -> Any:
            with self._lock:
                self.count += len(texts)
            return inner(texts)

        embedder._encode = counted

    def take(self) -> int:
        with self._lock:
            n, self.count = self.count, 0
            return n


def prompts(n: int, tag: str) -> list[str]:
    return [f"[{tag}] Question {i}: how would you explain topic number {i * 7919 % 1000} to a student?" for i in range(n)]


def fresh_cache(router: Any) -> None:
    cache = getattr(router.embedder, "_cache", None)
    if cache is not None:
        cache._data.clear()


def threads(router: Any, counter: EncodeCounter, n_threads: int, unique: int, repeats: int) -> None:
    print(f"\n## Threads: {unique * repeats:,} route() calls ({unique} prompts x {repeats}), cache cleared per run")
    for workers in (1, n_threads):
        calls = [p for p in prompts(unique, f"threads-{workers}") for _ in range(repeats)]
        expected = [router.score_texts([p])[0] for p in dict.fromkeys(calls)]  # sequential reference
        reference = dict(zip(dict.fromkeys(calls), expected))
        fresh_cache(router)
        counter.take()
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            decisions = list(pool.map(router.route, calls))
        seconds = time.perf_counter() - start
        same = sum(abs(d.score - reference[p]) < 1e-9 for d, p in zip(decisions, calls))
        print(
            f"{workers:2d} thread(s): {len(calls) / seconds:8.1f} calls/s  texts encoded {counter.take():5d} "
            f"(distinct {unique})  decisions equal to sequential {same}/{len(calls)}"
        )


def tasks(router: Any, counter: EncodeCounter, n_tasks: int, distinct: int) -> None:
    from langchain_core.messages import HumanMessage

    from langchain_router import RouterChatModel

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' offline stand-in model
    from fake_chat_model import FakeToolChatModel

    model = RouterChatModel(
        strong=FakeToolChatModel(model_name="strong-fake"), weak=FakeToolChatModel(model_name="weak-fake"), core=router
    )
    texts = prompts(distinct, "tasks")
    print(f"\n## asyncio: {n_tasks:,} concurrent RouterChatModel.ainvoke ({distinct} distinct prompts), fake children")

    async def run(kwargs: dict[str, Any]) -> tuple[float, float, int]:
        lags: list[float] = []
        stop = asyncio.Event()

        async def heartbeat() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                lags.append(now - last - 0.001)
                last = now

        beat = asyncio.create_task(heartbeat())
        await asyncio.sleep(0.01)
        start = time.perf_counter()
        answers = await asyncio.gather(
            *(model.ainvoke([HumanMessage(texts[i % distinct])], **kwargs) for i in range(n_tasks))
        )
        seconds = time.perf_counter() - start
        stop.set()
        await beat
        routed = sum("winroute" in a.response_metadata for a in answers)
        return seconds, max(lags), routed

    # the same calls with model="strong" skip routing: the stall LangChain's own per-call work causes
    for label, kwargs in (("routed", {}), ("model='strong' (no routing)", {"model": "strong"})):
        fresh_cache(router)
        counter.take()
        seconds, worst_lag, routed = asyncio.run(run(kwargs))
        print(
            f"{n_tasks} tasks, {label}: {seconds:6.2f} s, {n_tasks / seconds:7.1f} calls/s, longest event-loop "
            f"stall {worst_lag * 1000:6.1f} ms, texts encoded {counter.take()}, answered {routed}/{n_tasks}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--router", default=None, help="router directory (default: the bundled one)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds after which larger sizes are skipped")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--unique", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=50, help="distinct prompts among the tasks")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: pathological,threads,tasks")
    args = parser.parse_args(argv)

    import core

    router = core.load_router(args.router)
    router.route("warm up the encoder")
    counter = EncodeCounter(router.embedder)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if "pathological" not in skip:
        pathological(router, args.budget)
    if "threads" not in skip:
        threads(router, counter, args.threads, args.unique, args.repeats)
    if "tasks" not in skip:
        tasks(router, counter, args.tasks, args.distinct)


if __name__ == "__main__":
    main()
