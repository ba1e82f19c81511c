"""What the predictors that read prompt text themselves (BERT, causal LM) share.

Both learn a score per model from the prompt and turn two scores into a win probability
with the logistic link, P(a beats b) = sigmoid(s_a - s_b), fitted with binary cross-entropy
on the battles' soft outcomes (strong win 1, tie 0.5, weak win 0). Both truncate long prompts
to their first and last tokens (the question usually comes last), split validation battles
by prompt, and checkpoint their training to safetensors + JSON so an interrupted run resumes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArtifactError
from .base import PairwiseData


def prompt_texts(data: PairwiseData, kind: str) -> list[str]:
    """The battles' prompt texts, which a text-reading predictor needs (not only embeddings)."""
    if data.queries.texts is None:
        raise ValueError(f"the {kind} predictor reads prompt text: build its Queries with texts")
    if len(data) == 0:
        raise ValueError(f"the {kind} predictor has no battles to fit on")
    return [str(t) for t in data.queries.texts]


def check_texts(texts: Sequence[str] | None, kind: str) -> list[str]:
    """Prompt texts to score; an empty prompt is an error (there is nothing to route on)."""
    if texts is None:
        raise ValueError(f"the {kind} predictor reads prompt text: build its Queries with texts")
    out = [str(t) for t in texts]
    empty = [i for i, t in enumerate(out) if not t.strip()]
    if empty:
        raise ValueError(f"the {kind} predictor got {len(empty)} empty prompt(s) (first at index {empty[0]})")
    return out


def head_tail(ids: list[int], budget: int, head: int) -> list[int]:
    """``ids`` if they fit in ``budget``, else their first ``head`` and last ``budget - head``."""
    if len(ids) <= budget:
        return ids
    head = min(head, budget)
    return ids[:head] + ids[len(ids) - (budget - head) :]


def length_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices in batches of similar length (longest first): little padding at inference."""
    order = np.argsort([-n for n in lengths], kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def shuffled_batches(
    order: np.ndarray, lengths: Sequence[int], batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Training batches: ``order`` cut in windows of 32 batches, sorted by length inside each, batches shuffled."""
    window = batch_size * 32
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort([-lengths[i] for i in chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def pad(rows: Sequence[list[int]], pad_id: int) -> tuple[Any, Any]:
    """Right-padded ``input_ids`` and ``attention_mask`` tensors."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return ids, mask


def split_by_prompt(data: PairwiseData, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Battle indices (train, validation): a seeded ``fraction`` of the prompts is held out whole."""
    if not 0 <= fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction}")
    prompts = np.unique(data.prompt)
    n_val = round(fraction * len(prompts))
    if n_val == 0 or n_val == len(prompts):
        return np.arange(len(data)), np.zeros(0, dtype=np.int64)
    held = np.random.default_rng(seed).choice(prompts, size=n_val, replace=False)
    is_val = np.isin(data.prompt, held)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def battle_loss(scores: Any, a: Any, b: Any, y: Any, w: Any) -> Any:
    """Weighted BCE of sigmoid(score_a - score_b) against the soft outcome; ``scores`` is (battles, models)."""
    import torch

    logit = scores.gather(1, a[:, None]).squeeze(1) - scores.gather(1, b[:, None]).squeeze(1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y, weight=w, reduction="sum")
    return loss / w.sum().clamp_min(1e-12)


def win_probability(scores: np.ndarray, strong: int, weak: int) -> np.ndarray:
    """sigmoid(s_strong - s_weak) per row."""
    diff = np.asarray(scores[:, strong], dtype=np.float64) - np.asarray(scores[:, weak], dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-diff))


def weighted_prompt_sample(data: PairwiseData, texts: Sequence[str], size: int, seed: int) -> np.ndarray:
    """``size`` prompt indices drawn without replacement in proportion to their battles' total weight.

    Each prompt's key comes from a hash of its text (Efraimidis-Spirakis), so the draw is
    stable: adding heavy prompts (in-domain labels) displaces the lowest-ranked others but
    keeps the rest, and refits on overlapping data read mostly the same prompts.
    """
    prompts = np.unique(data.prompt)
    weight = np.bincount(data.prompt, weights=data.weight, minlength=len(texts))[prompts]
    u = np.array(
        [
            (
                int.from_bytes(
                    hashlib.sha256(f"{seed}:{texts[p]}".encode("utf-8", "surrogatepass")).digest()[:8], "big"
                )
                + 0.5
            )
            / 2.0**64
            for p in prompts
        ]
    )
    with np.errstate(divide="ignore"):
        key = np.log(u) / np.maximum(weight, 0.0)  # larger is drawn first; weight 0 is never drawn first
    return np.sort(prompts[np.argsort(-key, kind="stable")[:size]])


def fingerprint(params: dict[str, Any], models: Sequence[str], texts: Sequence[str]) -> str:
    """What a checkpoint was made for: parameters, models and training prompts (a resume must match)."""
    h = hashlib.sha256(json.dumps({"params": params, "models": list(models)}, sort_keys=True).encode())
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest())
    return h.hexdigest()


class Checkpoint:
    """Training state in ``directory``: ``checkpoint.safetensors`` (tensors) + ``checkpoint.json`` (the rest).

    Written after every epoch and when training is interrupted; :meth:`load` returns it only
    when its fingerprint matches the run being resumed. No pickle anywhere.
    """

    def __init__(self, directory: str | Path | None, fingerprint: str) -> None:
        self.directory = None if directory is None else Path(directory)
        self.fingerprint = fingerprint

    def save(self, tensors: dict[str, Any], meta: dict[str, Any]) -> None:
        if self.directory is None:
            return
        from safetensors.torch import save_file

        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / "checkpoint.safetensors.tmp"
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
        tmp.replace(self.directory / "checkpoint.safetensors")
        (self.directory / "checkpoint.json").write_text(
            json.dumps({**meta, "fingerprint": self.fingerprint}, indent=2), encoding="utf-8"
        )

    def load(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(tensors, meta) of a matching checkpoint, None when there is none; a foreign one is an error."""
        if self.directory is None or not (self.directory / "checkpoint.json").is_file():
            return None
        from safetensors.torch import load_file

        meta = json.loads((self.directory / "checkpoint.json").read_text(encoding="utf-8"))
        if meta.get("fingerprint") != self.fingerprint:
            raise ArtifactError(
                f"{self.directory} holds a checkpoint of another training run (other parameters, models or "
                "prompts): give a fresh checkpoint_dir or delete it"
            )
        return load_file(str(self.directory / "checkpoint.safetensors")), meta


def optimizer_tensors(optimizer: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An optimizer's state as flat named tensors plus its JSON-able parameter groups."""
    state = optimizer.state_dict()
    tensors = {
        f"optimizer.{index}.{key}": value for index, slots in state["state"].items() for key, value in slots.items()
    }
    return tensors, state["param_groups"]


def restore_optimizer(optimizer: Any, tensors: dict[str, Any], groups: list[dict[str, Any]]) -> None:
    """Inverse of :func:`optimizer_tensors`."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optimizer."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": groups})
