"""On-disk cache of prompt embeddings, so re-running a training or an evaluation does not re-embed 15k prompts.

Layout (no pickle anywhere)::

    <root>/embeddings/<namespace>/index.json    {"model_id", "variant", "dim", "shards", "keys"}
    <root>/embeddings/<namespace>/000001.npy   float32 rows, one shard per embedded chunk

``namespace`` is the embedder's model id plus a short hash of what else changes its vectors
(its class and truncation settings); ``keys`` maps the SHA-256 of a text to (shard, row).
Shards and the index are written to a temporary file and renamed, under a lock file, so an
interrupted run keeps every finished chunk and two runs can share one cache. A shard that no
longer loads is forgotten and its texts are embedded again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CACHE_ENV_VAR", "DiskCachedEmbedder", "EmbeddingCache", "default_cache_dir", "text_key"]

CACHE_ENV_VAR = "WINROUTE_CACHE"
INDEX_VERSION = 1


def default_cache_dir() -> Path:
    """``$WINROUTE_CACHE`` if set, else ``~/.cache/winroute`` (never inside the repository)."""
    env = os.environ.get(CACHE_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "winroute"


def text_key(text: str) -> str:
    """SHA-256 of the UTF-8 text: the cache key of one prompt."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _variant(embedder: Any) -> str:
    """What besides the model id decides the vectors (class, truncation settings)."""
    parts = {
        "class": type(embedder).__name__,
        "head_tokens": getattr(embedder, "head_tokens", None),
        "max_chars": getattr(embedder, "max_chars", None),
    }
    return json.dumps(parts, sort_keys=True)


def _namespace(model_id: str, variant: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("_")[:80] or "model"
    digest = hashlib.sha256(f"{model_id}\n{variant}".encode()).hexdigest()[:10]
    return f"{slug}-{digest}"


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with path.open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class EmbeddingCache:
    """Embeddings keyed by (model id, text hash), stored as ``.npy`` shards + a JSON index."""

    def __init__(self, root: str | Path | None = None, *, chunk_size: int = 512) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self.chunk_size = chunk_size

    def directory(self, embedder: Any) -> Path:
        """The folder holding this embedder's vectors."""
        return self.root / "embeddings" / _namespace(str(embedder.model_id), _variant(embedder))

    # -- index ---------------------------------------------------------------------------------
    @staticmethod
    def _read_index(folder: Path) -> dict[str, Any]:
        file = folder / "index.json"
        try:
            index = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"version": INDEX_VERSION, "shards": [], "keys": {}}
        if not isinstance(index, dict) or index.get("version") != INDEX_VERSION:
            return {"version": INDEX_VERSION, "shards": [], "keys": {}}
        index.setdefault("shards", [])
        index.setdefault("keys", {})
        return index

    def _load_rows(self, folder: Path, index: dict[str, Any], keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors for the ``keys`` the index knows and whose shard loads; others are missing."""
        by_shard: dict[int, list[tuple[str, int]]] = {}
        for k in keys:
            loc = index["keys"].get(k)
            if loc is not None:
                by_shard.setdefault(int(loc[0]), []).append((k, int(loc[1])))
        dim = index.get("dim")
        found: dict[str, np.ndarray] = {}
        for shard, wanted in by_shard.items():
            try:
                arr = np.load(folder / index["shards"][shard], allow_pickle=False, mmap_mode="r")
            except (OSError, ValueError, IndexError):
                continue
            if arr.ndim != 2 or arr.dtype != np.float32 or (dim is not None and arr.shape[1] != dim):
                continue
            for k, row in wanted:
                if 0 <= row < arr.shape[0]:
                    found[k] = np.array(arr[row])
        return found

    # -- public --------------------------------------------------------------------------------
    def embed(
        self,
        embedder: Any,
        texts: Sequence[str],
        *,
        progress: bool | None = None,
        desc: str = "embedding",
    ) -> np.ndarray:
        """Rows of ``embedder.embed(texts)``, computing and storing only the texts not cached yet.

        ``progress`` shows a tqdm bar over the texts still to embed (default: when there are
        at least 64 of them). Returns float32 ``(len(texts), dim)``.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of texts, not a single string")
        texts = list(texts)
        if not texts:
            dim = getattr(embedder, "dim", 0)
            return np.zeros((0, int(dim) if isinstance(dim, int) else 0), dtype=np.float32)
        folder = self.directory(embedder)
        keys = [text_key(t) for t in texts]
        first: dict[str, str] = {}
        for k, t in zip(keys, texts):
            first.setdefault(k, t)
        index = self._read_index(folder)
        vectors = self._load_rows(folder, index, list(first))
        missing = [k for k in first if k not in vectors]
        if missing:
            vectors.update(self._compute(embedder, folder, [(k, first[k]) for k in missing], progress, desc))
        return np.stack([vectors[k] for k in keys]).astype(np.float32, copy=False)

    def _compute(
        self, embedder: Any, folder: Path, todo: list[tuple[str, str]], progress: bool | None, desc: str
    ) -> dict[str, np.ndarray]:
        from tqdm.auto import tqdm

        folder.mkdir(parents=True, exist_ok=True)
        show = len(todo) >= 64 if progress is None else progress
        out: dict[str, np.ndarray] = {}
        with tqdm(total=len(todo), desc=f"{desc} ({embedder.model_id})", unit="prompt", disable=not show) as bar:
            for start in range(0, len(todo), self.chunk_size):
                chunk = todo[start : start + self.chunk_size]
                rows = np.asarray(embedder.embed([t for _, t in chunk]), dtype=np.float32)
                if rows.ndim != 2 or rows.shape[0] != len(chunk):
                    raise ValueError(f"embedder returned shape {rows.shape} for {len(chunk)} texts")
                self._store(embedder, folder, [k for k, _ in chunk], rows)
                out.update(zip((k for k, _ in chunk), rows))
                bar.update(len(chunk))
        return out

    def _store(self, embedder: Any, folder: Path, keys: list[str], rows: np.ndarray) -> None:
        """Append one shard and register its keys, atomically and under the folder's lock."""
        with _locked(folder / ".lock"):
            index = self._read_index(folder)
            if index.get("dim") not in (None, rows.shape[1]):
                # The model behind this id changed its width: start the namespace afresh.
                index = {"version": INDEX_VERSION, "shards": [], "keys": {}}
            name = f"{len(index['shards']) + 1:06d}.npy"
            while (folder / name).exists() and name not in index["shards"]:
                name = f"{int(name[:6]) + 1:06d}.npy"
            _atomic_write(folder / name, lambda fh: np.save(fh, np.ascontiguousarray(rows), allow_pickle=False))
            shard = len(index["shards"])
            index["shards"].append(name)
            index.update(model_id=str(embedder.model_id), variant=_variant(embedder), dim=int(rows.shape[1]))
            for row, k in enumerate(keys):
                index["keys"][k] = [shard, row]
            payload = json.dumps(index, separators=(",", ":")).encode("utf-8")
            _atomic_write(folder / "index.json", lambda fh: fh.write(payload))

    def size(self, embedder: Any) -> int:
        """Number of texts cached for this embedder."""
        return len(self._read_index(self.directory(embedder))["keys"])


class DiskCachedEmbedder:
    """An :class:`~core.embeddings.Embedder` that reads and fills an :class:`EmbeddingCache`.

    Drop-in for the wrapped embedder (same ``model_id``, same vectors); every other
    attribute (``truncated``, ``max_tokens``, ``dim``...) is the wrapped one's.
    """

    def __init__(self, embedder: Any, cache: EmbeddingCache | None = None, *, desc: str = "embedding") -> None:
        if isinstance(embedder, DiskCachedEmbedder):
            embedder = embedder.inner
        self.inner: Any = embedder
        self.cache = cache if cache is not None else EmbeddingCache()
        self.desc = desc

    @property
    def model_id(self) -> str:
        return str(self.inner.model_id)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(self.inner, texts, desc=self.desc)

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.truncated(texts)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (during unpickling / copy): avoid recursion
            raise AttributeError(name)
        return getattr(self.inner, name)
