"""Routing overhead of a router: batch routes/s, single-route latency, cold start, peak RSS.

Run: ``python benchmarks/overhead.py [--router DIR] [--n 400]``. Prompts are made unique so the
embedding cache never answers; figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import time

import numpy as np

SIZES = {
    "short": "What is the capital of country number {i}?",
    "medium": "Summarise the following note {i} for a busy manager. " + "The quarterly report shows mixed results across regions. " * 8,
    "long": "Review this code {i} and list every bug you find:\n" + "def f(x):\n    return x * 2  # doubling helper\n" * 60,
}


def cold_start(router_dir: str | None) -> float:
    """Seconds for a fresh interpreter to import core, load the router and route once."""
    arg = "" if router_dir is None else repr(router_dir)
    code = f"import core; r = core.load_router({arg}); r.route('hello there')"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--router", help="router directory (default: bundled)")
    parser.add_argument("--n", type=int, default=400, help="prompts per batch measurement")
    parser.add_argument("--single", type=int, default=200, help="single routes per latency measurement")
    args = parser.parse_args()

    import torch

    import core

    router = core.load_router(args.router)
    router.route("warm-up")  # loads the encoder
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, torch threads {torch.get_num_threads()}, "
          f"python {platform.python_version()}")
    print(f"router: {router.name} ({router.predictor.kind}), embedder {router.embedder.model_id}")
    print(f"{'prompt':<8}{'chars':>7}{'batch routes/s':>16}{'p50 ms':>9}{'p99 ms':>9}")
    offset = 0
    for label, template in SIZES.items():
        batch = [template.format(i=offset + i) for i in range(args.n)]
        offset += args.n
        started = time.perf_counter()
        router.route_batch(batch)
        rate = len(batch) / (time.perf_counter() - started)
        latencies = []
        for i in range(args.single):
            prompt = template.format(i=offset + i)
            t0 = time.perf_counter()
            router.route(prompt)
            latencies.append((time.perf_counter() - t0) * 1000)
        offset += args.single
        p50, p99 = np.percentile(latencies, [50, 99])
        print(f"{label:<8}{len(batch[0]):>7}{rate:>16.1f}{p50:>9.2f}{p99:>9.2f}")
    print(f"cold start (import + load default + first route): {cold_start(args.router):.2f} s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
