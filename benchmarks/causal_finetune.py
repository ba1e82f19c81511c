"""Frozen LM + trained label tokens vs full fine-tuning, for the causal-LLM classifier (issue 7).

Run: ``python benchmarks/causal_finetune.py [--epochs 2] [--max-length 64]``. On the same real
battles (arena_bench_v1's judge scores as capability-tier battles, prompts split 80/20 with a
fixed seed) it trains the label tokens' output embeddings of a frozen SmolLM2-135M-Instruct
(what ``CausalLMPredictor`` does) and, separately, the whole LM together with those rows, then
prints each one's held-out loss, how often it orders the two tiers of a decided battle right,
and its training time on this machine.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def held_out(data, scores: np.ndarray, idx: np.ndarray) -> tuple[float, float]:  # noqa: ANN001
    """(weighted BCE, share of decided battles ordered right) of per-prompt model scores on battles ``idx``."""
    diff = scores[data.prompt[idx], data.model_a[idx]] - scores[data.prompt[idx], data.model_b[idx]]
    p = np.clip(1 / (1 + np.exp(-diff)), 1e-7, 1 - 1e-7)
    y = data.outcome[idx]
    bce = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    decided = y != 0.5
    right = float(((p[decided] > 0.5) == (y[decided] > 0.5)).mean())
    return bce, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2, help="full fine-tuning epochs over the training battles")
    parser.add_argument("--lr", type=float, default=1e-5, help="full fine-tuning learning rate of the LM's weights")
    parser.add_argument("--max-length", type=int, default=64, help="query tokens kept (first 16 and the last ones)")
    parser.add_argument("--batch-size", type=int, default=8, help="prompts per full fine-tuning step")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from tqdm.auto import tqdm

    from core import SentenceTransformerEmbedder
    from core.data import load_fastchat, tier_comparisons
    from core.data.importers import resolve_data_dir
    from core.predictors import CausalLMPredictor, PairwiseData
    from core.predictors.text_models import battle_loss, head_tail, pad
    from core.training import pairwise_data

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    outcomes = load_fastchat(resolve_data_dir(None) / "arena_bench_v1", source="arena_bench_v1")
    data = pairwise_data(tier_comparisons(outcomes, 3), SentenceTransformerEmbedder())
    texts = list(data.queries.texts)
    prompts = np.random.default_rng(args.seed).permutation(len(texts))
    val_prompts = prompts[: len(prompts) // 5]
    is_val = np.isin(data.prompt, val_prompts)
    train, val = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    sub = PairwiseData(data.queries, data.models, data.prompt[train], data.model_a[train], data.model_b[train],
                       data.outcome[train], data.weight[train])
    print(f"arena_bench_v1 tier battles: {len(train)} train / {len(val)} held-out on {len(texts) - len(val_prompts)} / "
          f"{len(val_prompts)} prompts; query tokens <= {args.max_length}")

    started = time.perf_counter()
    head = CausalLMPredictor(max_length=args.max_length, head_tokens=16, seed=args.seed, show_progress=True).fit(sub)
    head_seconds = time.perf_counter() - started
    head_scores = head.label_logits(texts)
    rows = [("frozen LM, label tokens trained", *held_out(data, head_scores, val), head_seconds)]

    lm = head._lm()
    before, after, budget = head._budget(lm)
    ids = [before + head_tail(list(x), budget, 16) + after
           for x in lm.tokenizer(texts, add_special_tokens=False)["input_ids"]]
    model = copy.deepcopy(lm.model).train()
    for p in model.parameters():
        p.requires_grad_(True)
    mean_row = lm.model.get_output_embeddings().weight.detach().mean(dim=0)
    labels = torch.nn.Parameter(mean_row.repeat(len(data.models), 1))  # the frozen run's starting point
    opt = torch.optim.AdamW([{"params": model.parameters(), "lr": args.lr}, {"params": [labels], "lr": 1e-3}],
                            weight_decay=0.01)
    train_prompts = np.unique(data.prompt[train])
    y = torch.from_numpy(data.outcome.astype(np.float32))
    w = torch.from_numpy(data.weight.astype(np.float32))
    a = torch.from_numpy(data.model_a.astype(np.int64))
    b = torch.from_numpy(data.model_b.astype(np.int64))
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    steps = args.epochs * int(np.ceil(len(train_prompts) / args.batch_size))
    with tqdm(total=steps, desc="full fine-tuning", unit="step") as bar:
        for _ in range(args.epochs):
            order = rng.permutation(train_prompts)
            for s in range(0, len(order), args.batch_size):
                batch = order[s : s + args.batch_size]
                input_ids, mask = pad([ids[p] for p in batch], lm.pad_id)
                hidden = model.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                h = hidden[torch.arange(len(batch)), mask.sum(dim=1) - 1]
                pos = {int(p): i for i, p in enumerate(batch)}
                bidx = np.flatnonzero(np.isin(data.prompt, batch) & ~is_val)
                scores = (h @ labels.T)[torch.tensor([pos[int(p)] for p in data.prompt[bidx]])]
                t = torch.from_numpy(bidx)
                loss = battle_loss(scores, a[t], b[t], y[t], w[t])
                opt.zero_grad()
                loss.backward()
                opt.step()
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss.detach()):.4f}")
    full_seconds = time.perf_counter() - started
    model.eval()
    full_scores = np.empty((len(texts), len(data.models)), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(texts), 16):
            chunk = list(range(s, min(s + 16, len(texts))))
            input_ids, mask = pad([ids[p] for p in chunk], lm.pad_id)
            hidden = model.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            full_scores[chunk] = (hidden[torch.arange(len(chunk)), mask.sum(dim=1) - 1] @ labels.T).numpy()
    rows.append((f"full fine-tuning ({args.epochs} epochs, lr {args.lr:g})", *held_out(data, full_scores, val),
                 full_seconds))
    print(f"{'method':<42}{'held-out BCE':>14}{'ordered right':>15}{'train s':>10}")
    for name, bce, right, secs in rows:
        print(f"{name:<42}{bce:>14.4f}{right:>15.3f}{secs:>10.0f}")


if __name__ == "__main__":
    main()
