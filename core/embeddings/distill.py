"""Distil a static token table from a sentence-transformer (train time; needs torch).

Each vocabulary token goes through the encoder alone (``[CLS] token [SEP]``) and its
vector is the mean of the three output states, as model2vec does; the table is then
reduced by PCA (which also removes the common mean direction) and frequent tokens are
down-weighted by SIF weights ``sif / (sif + p)``, with ``p`` a Zipf law over the
vocabulary order (WordPiece vocabularies list whole words roughly by frequency).
model2vec's own ``distill`` is not used: its ``distill`` extra pins other transformers
and tokenizers versions than this project's.

Distilling all-MiniLM-L6-v2's 30,522 tokens takes about a minute of CPU, so the result is
kept in the on-disk cache (``$WINROUTE_CACHE/static/``, checksummed) and reused by later
trainings; a router artifact always carries its own copy.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

from ..artifacts import read_tensors, write_tensors
from ..errors import ArtifactError
from .cache import default_cache_dir
from .encoders import SentenceTransformerEmbedder, _torch_threads, resolve_model_path
from .static_ids import StaticSpec


@functools.lru_cache(maxsize=4)  # one distillation per spec and process (training several recipes)
def distill_table(spec: StaticSpec) -> tuple[np.ndarray, str]:
    """(float32 table of shape (vocab, dim), tokenizer.json text) for ``spec``, cached on disk."""
    base_dir = Path(resolve_model_path(spec.base))
    tok_file = base_dir / "tokenizer.json"
    if not tok_file.is_file():
        raise ValueError(f"static embeddings need a fast tokenizer: {tok_file} is missing")
    tokenizer_json = tok_file.read_text(encoding="utf-8")
    cached = _cache_file(spec, base_dir)
    table = _read_cached(cached)
    if table is None:
        table = reduce_table(token_vectors(spec.base), pca=spec.pca, sif=spec.sif)
        cached.parent.mkdir(parents=True, exist_ok=True)
        checksum = write_tensors(cached.with_suffix(".safetensors"), {"table": table})
        cached.with_suffix(".json").write_text(json.dumps({"tensors_sha256": checksum}))
    return table, tokenizer_json


def token_vectors(base: str, batch_size: int = 512) -> np.ndarray:
    """Mean output state of ``[CLS] t [SEP]`` for every token ``t`` of ``base``'s vocabulary."""
    import torch
    from tqdm.auto import tqdm

    embedder = SentenceTransformerEmbedder(base)
    model = embedder._load()
    tokenizer = model.tokenizer
    encoder = embedder._encoder or (lambda ids, mask: model[0].auto_model(input_ids=ids).last_hidden_state)
    first = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    last = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    ids = torch.arange(len(tokenizer), dtype=torch.long)[:, None]
    rows = []
    with torch.inference_mode(), _torch_threads(embedder.num_threads):
        for start in tqdm(range(0, len(ids), batch_size), desc=f"distilling {base}", unit="batch"):
            chunk = ids[start : start + batch_size]
            parts = [torch.full_like(chunk, t) for t in (first,) if t is not None] + [chunk]
            parts += [torch.full_like(chunk, t) for t in (last,) if t is not None]
            rows.append(encoder(torch.cat(parts, dim=1), None).mean(dim=1).float().cpu().numpy())
    return np.concatenate(rows)


def reduce_table(vectors: np.ndarray, *, pca: int, sif: float) -> np.ndarray:
    """Centre, project on the top ``pca`` principal axes (0: all), SIF-weight by vocabulary rank."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0)
    if pca and pca < x.shape[1]:
        _, vecs = np.linalg.eigh(x.T @ x)
        axes = vecs[:, ::-1][:, :pca]
        axes *= np.where(axes[np.abs(axes).argmax(axis=0), np.arange(pca)] < 0, -1.0, 1.0)  # a fixed sign
        x = x @ axes
    if sif:
        inv_rank = 1.0 / np.arange(2, len(x) + 2)
        p = inv_rank / inv_rank.sum()
        x = x * (sif / (sif + p))[:, None]
    return x.astype(np.float32)


def _cache_file(spec: StaticSpec, base_dir: Path) -> Path:
    """Cache path keyed by the spec and the base model's files (names, sizes, times)."""
    stamp = sorted(
        (str(p.relative_to(base_dir)), p.stat().st_size, int(p.stat().st_mtime))
        for p in base_dir.rglob("*")
        if p.is_file()
    )
    digest = hashlib.sha256(json.dumps([spec.model_id, stamp]).encode()).hexdigest()[:16]
    return default_cache_dir() / "static" / f"{digest}.json"


def _read_cached(meta_file: Path) -> np.ndarray | None:
    """The cached table, or None when absent or damaged (it is then distilled again)."""
    try:
        checksum = json.loads(meta_file.read_text())["tensors_sha256"]
        return read_tensors(meta_file.with_suffix(".safetensors"), checksum)["table"]
    except (OSError, ValueError, KeyError, TypeError, ArtifactError):
        return None
