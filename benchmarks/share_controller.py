"""Holding a strong share on drifting traffic: a fixed threshold against the online controller.

Run: ``python benchmarks/share_controller.py [--data-dir DIR] [--per-phase 300] [--target 0.3] [--window 200]``.
The stream is built from the shared data in three phases whose prompts differ in kind: chat
instructions (AlpacaEval), MMLU multiple choice, GSM8K math (a seeded sample of each, in that
order). The bundled router scores every prompt. The fixed threshold is calibrated, as a user
would, on the first phase (``strong_share = target``); the controller (core.share_controller)
starts from the same threshold and follows the last ``--window`` scores. Printed per phase:
the share sent strong by each, over the whole phase and after its first window ("settled").
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def phases(data_dir: str | None, n: int, seed: int) -> list[tuple[str, list[str]]]:
    from core.data import load_alpaca_eval, load_routellm_eval, resolve_data_dir

    root = resolve_data_dir(data_dir)
    rng = random.Random(seed)
    alpaca = sorted({c.prompt for c in load_alpaca_eval(next((root / "alpaca_eval" / "alpaca_eval_gpt4").glob("*.json")))})
    mmlu = sorted({o.prompt for o in load_routellm_eval(root / "routellm" / "mmlu")})
    gsm8k = sorted({o.prompt for o in load_routellm_eval(root / "routellm" / "gsm8k")})
    return [(name, rng.sample(pool, min(n, len(pool)))) for name, pool in (("chat", alpaca), ("mmlu", mmlu), ("gsm8k", gsm8k))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--per-phase", type=int, default=300)
    parser.add_argument("--target", type=float, default=0.3)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from core import load_router
    from core.policies import threshold_for_share
    from core.share_controller import ShareController

    router = load_router()
    stream = phases(args.data_dir, args.per_phase, args.seed)
    scored = [(name, router.score_texts(prompts)) for name, prompts in stream]
    fixed = threshold_for_share(scored[0][1], args.target)
    controller = ShareController(args.target, window=args.window, min_scores=min(50, args.window), initial_threshold=fixed)
    print(f"router {router.name}; target strong share {args.target:.2f}; fixed threshold {fixed:.4f} (calibrated on "
          f"phase 1); controller window {args.window}; {args.per_phase} prompts a phase, seed {args.seed}")
    print(f"{'phase':<8}{'n':>6}{'fixed: all':>12}{'settled':>9}{'online: all':>13}{'settled':>9}{'threshold at end':>18}")
    for name, scores in scored:
        online = []
        for s in scores:
            online.append(s >= controller.threshold())
            controller.observe(float(s), online[-1])
        static = scores >= fixed
        settle = min(args.window, len(scores) // 2)
        print(f"{name:<8}{len(scores):>6}{static.mean():>12.3f}{static[settle:].mean():>9.3f}"
              f"{np.mean(online):>13.3f}{np.mean(online[settle:]):>9.3f}{controller.threshold():>18.4f}")


if __name__ == "__main__":
    main()
