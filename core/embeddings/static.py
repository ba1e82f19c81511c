"""Static (token-table) embeddings: route with numpy, ``tokenizers`` and ``safetensors`` only.

A prompt's vector is the L2-normalised mean of its tokens' rows in a table distilled, at
train time, from a sentence-transformer (:mod:`core.embeddings.distill`). The table and the
tokenizer travel inside the router artifact (``<router>/embedder/``: JSON + safetensors +
tokenizer.json, every file checksummed), so routing never loads torch, never distils and
never downloads. The work per prompt is one tokenizer pass and one row sum: linear in the
prompt's length, with no encoder window (prompts over ``max_chars`` characters keep their
head and tail, and say so through ``truncated``).

Embedder ids: ``static`` (alias) or ``static:<base model>[#<option>=<value>,...]``, e.g.
``static:all-MiniLM-L6-v2`` or ``static:all-MiniLM-L6-v2#pca=128,dtype=float16``. The id
names the distillation settings, so two different tables never share an id (nor an
on-disk embedding cache).
"""

from __future__ import annotations

import json
import re
import threading
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..artifacts import read_json, read_tensors, sha256_file, write_tensors
from ..errors import ArtifactError
from ..sanitize import replace_surrogates
from .distill import distill_table
from .encoders import _CachedEmbedder
from .static_ids import STATIC_PREFIX, parse_static_id

STATIC_FORMAT = 1
MAX_CHARS = 200_000  # longer prompts keep their head and tail (a safety cap, ~50k tokens)
HEAD_CHARS = 20_000


@dataclass(frozen=True)
class _Loaded:
    table: np.ndarray  # (vocab, dim) float32, routing copy
    tokenizer: Any  # tokenizers.Tokenizer
    tokenizer_json: str
    words: _WordPieces | None  # the word-level fast path, for lower-casing BERT WordPiece tokenizers


# A lower-casing BERT WordPiece tokenizer splits printable ASCII text at whitespace and at every
# ASCII punctuation character, lower-cases it and then cuts each word on its own: the ids of a
# text are the concatenated ids of its words. Words repeat (a 2,800-character prompt has ~500 of
# them, mostly common), so their ids are looked up in a table filled by the tokenizer itself;
# the Rust tokenizer then runs only on words it has not seen. Text with any other character
# (non-ASCII, control characters) or holding an added token such as "[CLS]" (which the tokenizer
# matches before splitting) goes through the tokenizer whole, as before.
_WORD = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")
_NOT_PLAIN = re.compile(r"[^\t\n\r -~]")
_MAX_WORDS = 500_000  # the table stops growing there (hostile text cannot grow it without bound)


class _WordPieces:
    """Token ids of plain ASCII text, word by word, from a growing word -> ids table."""

    def __init__(self, tokenizer: Any, tokenizer_json: str) -> None:
        self._tokenizer = tokenizer
        self._ids: dict[str, tuple[int, ...]] = {}
        added = json.loads(tokenizer_json).get("added_tokens") or []
        self._added = tuple({str(token.get("content", "")).lower() for token in added} - {""})

    @staticmethod
    def applies(tokenizer_json: str) -> bool:
        spec = json.loads(tokenizer_json)
        normalizer, pre, model = (spec.get(k) or {} for k in ("normalizer", "pre_tokenizer", "model"))
        return (
            normalizer.get("type") == "BertNormalizer"
            and normalizer.get("lowercase") is True
            and pre.get("type") == "BertPreTokenizer"
            and model.get("type") == "WordPiece"
        )

    def split(self, text: str) -> list[str] | None:
        """The words of ``text``, or None when it is not plain ASCII (the tokenizer must read it whole)."""
        if _NOT_PLAIN.search(text):
            return None
        lowered = text.lower()
        return None if any(token in lowered for token in self._added) else _WORD.findall(lowered)

    def ids(self, word_lists: Sequence[list[str]]) -> list[list[int]]:
        table: Mapping[str, tuple[int, ...]] = self._ids
        new = list({w for words in word_lists for w in words if w not in table})
        if new:
            encoded = dict(zip(new, (tuple(e.ids) for e in _encode_batch(self._tokenizer, new))))
            if len(self._ids) + len(new) <= _MAX_WORDS:
                self._ids.update(encoded)
            else:  # full: this call's new words are looked up beside the table, not kept
                table = ChainMap(encoded, self._ids)
        return [[i for w in words for i in table[w]] for words in word_lists]


def _encode_batch(tokenizer: Any, texts: list[str]) -> list[Any]:
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
    return encode(texts, add_special_tokens=False)


def _tokenizer(text: str) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(text)
    tok.no_truncation()  # the whole prompt: no encoder window here
    tok.no_padding()
    return tok


class StaticEmbedder(_CachedEmbedder):
    """Mean of distilled token vectors, L2-normalised; numpy + tokenizers at route time.

    Build one with :meth:`distilled` (train time: distils on first use, needs torch) or
    :meth:`load` (route time: from a router artifact, checksums verified). An empty or
    whitespace-only prompt has no tokens and embeds as the zero vector.
    """

    def __init__(
        self,
        model_id: str,
        source: Callable[[], tuple[np.ndarray, str]],
        *,
        max_chars: int = MAX_CHARS,
        cache_size: int = 8192,
    ) -> None:
        super().__init__(cache_size)
        self.spec = parse_static_id(model_id)
        self.model_id = self.spec.model_id
        if max_chars <= HEAD_CHARS:
            raise ValueError(f"max_chars must exceed {HEAD_CHARS}, got {max_chars}")
        self.max_chars = max_chars
        self._source = source
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def distilled(cls, model_id: str = STATIC_PREFIX, **kwargs: Any) -> StaticEmbedder:
        """An embedder whose table is distilled from the local base model when first needed."""
        spec = parse_static_id(model_id)
        return cls(spec.model_id, lambda: distill_table(spec), **kwargs)

    @classmethod
    def from_table(cls, model_id: str, table: np.ndarray, tokenizer_json: str, **kwargs: Any) -> StaticEmbedder:
        """An embedder over a given float table and tokenizer (validated now)."""
        emb = cls(model_id, lambda: (table, tokenizer_json), **kwargs)
        emb._state()
        return emb

    @classmethod
    def load(cls, directory: str | Path, *, expected_id: str | None = None, **kwargs: Any) -> StaticEmbedder:
        """Read ``directory`` (written by :meth:`save`), verifying checksums and shapes."""
        directory = Path(directory)
        meta = read_json(directory / "static.json")
        if meta.get("format") != STATIC_FORMAT:
            raise ArtifactError(
                f"{directory}/static.json: static table format {meta.get('format')!r}, expected {STATIC_FORMAT}"
            )
        model_id = str(meta.get("model_id", ""))
        if expected_id is not None and parse_static_id(expected_id).model_id != model_id:
            raise ArtifactError(f"{directory}: the router names embedder {expected_id!r} but the table is {model_id!r}")
        tok_path = directory / "tokenizer.json"
        if not tok_path.is_file():
            raise ArtifactError(f"missing tokenizer file {tok_path}")
        if sha256_file(tok_path) != meta.get("tokenizer_sha256"):
            raise ArtifactError(f"{tok_path} is corrupt or was modified (sha256 differs from static.json's)")
        tensors = read_tensors(directory / "table.safetensors", meta.get("tensors_sha256"))
        try:
            table = _dequantise(tensors)
            emb = cls(model_id, lambda: (table, tok_path.read_text(encoding="utf-8")), **kwargs)
            emb._state()
        except ArtifactError:
            raise
        except Exception as exc:  # numpy's, safetensors' and the Rust tokenizer's own error types
            raise ArtifactError(f"{directory}: invalid static embedding table: {exc}") from exc
        return emb

    def save(self, directory: str | Path) -> Path:
        """Write the table (stored as the id's dtype), the tokenizer and their checksums."""
        state = self._state()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors_sha = write_tensors(directory / "table.safetensors", _quantise(state.table, self.spec.dtype))
        (directory / "tokenizer.json").write_text(state.tokenizer_json, encoding="utf-8")
        meta = {
            "format": STATIC_FORMAT,
            "model_id": self.model_id,
            "vocab_size": int(state.table.shape[0]),
            "dim": int(state.table.shape[1]),
            "dtype": self.spec.dtype,
            "tensors_sha256": tensors_sha,
            "tokenizer_sha256": sha256_file(directory / "tokenizer.json"),
        }
        (directory / "static.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        return directory

    def _state(self) -> _Loaded:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    table, tok_json = self._source()
                    table = np.ascontiguousarray(table, dtype=np.float32)
                    tokenizer = _tokenizer(tok_json)
                    if table.ndim != 2 or table.shape[0] != tokenizer.get_vocab_size() or table.shape[1] < 1:
                        raise ValueError(
                            f"table of shape {table.shape} does not match the tokenizer's {tokenizer.get_vocab_size()} tokens"
                        )
                    if not np.isfinite(table).all():
                        raise ValueError("table holds non-finite values")
                    words = _WordPieces(tokenizer, tok_json) if _WordPieces.applies(tok_json) else None
                    self._loaded = _Loaded(table, tokenizer, tok_json, words)
        return self._loaded

    # -- Embedder protocol ---------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self._state().table.shape[1])

    def _cut(self, text: str) -> str:
        """The text the tokenizer reads: unpaired surrogates replaced (it refuses them), capped to ``max_chars``."""
        text = replace_surrogates(text)
        if len(text) <= self.max_chars:
            return text
        return text[:HEAD_CHARS] + " " + text[len(text) - (self.max_chars - HEAD_CHARS) :]

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each (capped) text, without special tokens (plain ASCII text word by word)."""
        state = self._state()
        cut = [self._cut(t) for t in texts]
        if state.words is None:
            return [e.ids for e in _encode_batch(state.tokenizer, cut)]
        split = [state.words.split(t) for t in cut]
        plain = [i for i, words in enumerate(split) if words is not None]
        other = [i for i, words in enumerate(split) if words is None]
        out: list[list[int]] = [[] for _ in cut]
        for i, ids in zip(plain, state.words.ids([split[i] for i in plain])):  # type: ignore[misc]
            out[i] = ids
        for i, enc in zip(other, _encode_batch(state.tokenizer, [cut[i] for i in other])):
            out[i] = enc.ids
        return out

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens per text, special tokens counted as the base encoder would (for cost estimates)."""
        return np.array([len(ids) + 2 for ids in self.token_ids(texts)], dtype=np.int64)

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([len(t) > self.max_chars for t in texts], dtype=bool)

    def _encode(self, texts: list[str]) -> np.ndarray:
        table = self._state().table
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        for i, ids in enumerate(self.token_ids(texts)):
            if ids:
                out[i] = table.take(ids, axis=0).sum(axis=0)  # the mean up to a factor: rows are normalised next
        return out


def _quantise(table: np.ndarray, dtype: str) -> dict[str, np.ndarray]:
    if dtype == "int8":  # symmetric, one scale per row
        scales = np.abs(table).max(axis=1) / 127.0
        safe = np.where(scales > 0, scales, 1.0)
        return {"table": np.round(table / safe[:, None]).astype(np.int8), "scales": scales.astype(np.float32)}
    return {"table": table.astype(dtype)}


def _dequantise(tensors: dict[str, np.ndarray]) -> np.ndarray:
    table = tensors["table"]
    if table.dtype == np.int8:
        scales = tensors["scales"]
        if scales.shape != (table.shape[0],):
            raise ValueError(f"scales of shape {scales.shape} for a table of shape {table.shape}")
        return table.astype(np.float32) * scales.astype(np.float32)[:, None]
    if table.dtype not in (np.float16, np.float32):
        raise ValueError(f"table dtype {table.dtype} (expected int8, float16 or float32)")
    return table.astype(np.float32)
