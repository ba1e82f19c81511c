"""The static embedder's "close training neighbour" cutoff for ``winroute inspect``, matched to MiniLM's 0.6.

Run: ``python benchmarks/inspect_cutoff.py [--per-source 200]``. A static table's cosines run
higher than MiniLM's, so the 0.6 that ``winroute inspect`` uses with MiniLM would call almost
every prompt close. On the same prompts (a seeded sample of every held-out yardstick source, and
of GSM8K and MMLU) this prints each router's nearest-sketch cosines and the static cutoff that
calls the same share of prompts far as MiniLM does at 0.6, with how often the two agree
prompt by prompt.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import load_router  # noqa: E402
from core.prompt_sketch import PromptSketch  # noqa: E402
from core.evaluation.benchmarks.pairwise import load_benchmark  # noqa: E402
from core.evaluation.benchmarks.yardstick import YARDSTICK, load_source_items  # noqa: E402
from core.evaluation.metrics import nearest_similarity  # noqa: E402


def nearest(router_dir: str | None, prompts: list[str]) -> np.ndarray:
    router = load_router(router_dir)
    sketch = PromptSketch.from_router(router)
    return nearest_similarity(np.asarray(router.encode(prompts).embeddings, dtype=np.float32), sketch.vectors())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minilm", default="routers/default_minilm", help="a MiniLM router (its sketch)")
    parser.add_argument("--static", default=None, help="a static router (default: the bundled one)")
    parser.add_argument("--per-source", type=int, default=200)
    parser.add_argument("--minilm-cutoff", type=float, default=0.6)
    args = parser.parse_args()
    prompts: list[str] = []
    for src in YARDSTICK:
        prompts += load_source_items(src.name).sample(args.per_source, 0).prompts
    for name in ("gsm8k", "mmlu"):
        prompts += load_benchmark(name, "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1").sample(args.per_source, 0).prompts
    a, b = nearest(args.minilm, prompts), nearest(args.static, prompts)
    share = float(np.mean(a < args.minilm_cutoff))
    cutoff = float(np.quantile(b, share))
    agree = float(np.mean((a < args.minilm_cutoff) == (b < cutoff)))
    rho = float(np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1])
    print(f"{len(prompts)} prompts ({args.per_source} per source: {len(YARDSTICK)} yardstick sources, GSM8K, MMLU)")
    for label, x in (("minilm", a), ("static", b)):
        print(f"{label:7s} nearest cosine p10/p50/p90: " + " / ".join(f"{np.percentile(x, q):.3f}" for q in (10, 50, 90)))
    print(f"far at MiniLM < {args.minilm_cutoff:g}: {share:.1%}; the same share for static: cosine < {cutoff:.3f}")
    print(f"prompt-by-prompt agreement (far / close) at those cutoffs: {agree:.1%}; Spearman rho of the cosines {rho:.3f}")


if __name__ == "__main__":
    main()
