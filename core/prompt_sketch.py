"""A compact sketch of a router's training prompts, stored in the artifact so ``inspect`` works offline.

The sketch is the spherical k-means centroids (float16, unit norm) of the training prompts'
embeddings with the number of prompts behind each; a training set of at most ``k`` prompts is
stored whole (each centroid is one prompt, count 1). With the default ``k = 512`` and MiniLM's 384
dimensions it takes 384 KiB. It lives in ``router.safetensors`` beside the reference scores, under
the keys ``sketch.centroids`` and ``sketch.counts``, covered by the same checksum.

Measured on the bundled router's 7,850 training prompts (docs/adaptation.md): the mean nearest-
centroid cosine tracks the exact benchmark-dataset similarity (mean nearest-training-prompt
cosine) within about 0.04 on GSM8K, MMLU and held-out training prompts.

Training builds it (:mod:`core.training`); :func:`core.adaptation.add_sketch_from_recipe` adds one to an
older artifact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .clustering import spherical_kmeans, unit_rows
from .errors import WinrouteError

__all__ = ["DEFAULT_SKETCH_SIZE", "SKETCH_PREFIX", "MissingSketchError", "PromptSketch", "build_sketch", "sketch_meta"]

DEFAULT_SKETCH_SIZE = 512
SKETCH_PREFIX = "sketch."


class MissingSketchError(WinrouteError, ValueError):
    """The router artifact stores no training-prompt sketch (saved before winroute kept one)."""


@dataclass(frozen=True)
class PromptSketch:
    """Unit-norm centroids of the training prompts' embeddings and the prompt count behind each."""

    centroids: np.ndarray  # (k, dim) float16
    counts: np.ndarray  # (k,) int64

    def __post_init__(self) -> None:
        if self.centroids.ndim != 2 or len(self.centroids) != len(self.counts) or len(self.counts) == 0:
            raise ValueError(f"bad sketch: centroids {self.centroids.shape}, counts {self.counts.shape}")

    @property
    def n_prompts(self) -> int:
        """Training prompts summarised."""
        return int(self.counts.sum())

    @property
    def exact(self) -> bool:
        """True when every training prompt is stored (no clustering)."""
        return bool(np.all(self.counts == 1))

    @property
    def dim(self) -> int:
        return int(self.centroids.shape[1])

    def vectors(self) -> np.ndarray:
        """Centroids as float32 rows (what similarities are computed against)."""
        return unit_rows(self.centroids.astype(np.float32))

    def to_tensors(self) -> dict[str, np.ndarray]:
        """The arrays a Router saves (keys without the ``sketch.`` prefix)."""
        return {"centroids": self.centroids, "counts": self.counts}

    @classmethod
    def from_tensors(cls, tensors: Mapping[str, np.ndarray]) -> PromptSketch:
        return cls(np.asarray(tensors["centroids"], dtype=np.float16), np.asarray(tensors["counts"], dtype=np.int64))

    @classmethod
    def from_router(cls, router: Any) -> PromptSketch:
        """The sketch a router carries, or :class:`MissingSketchError` saying how to add one."""
        tensors = getattr(router, "prompt_sketch", None)
        if not tensors:
            raise MissingSketchError(
                f"router {getattr(router, 'name', '?')!r} stores no training-prompt sketch (it was saved before "
                "winroute kept one): retrain it with `winroute train`, or add one to the artifact with "
                "`winroute sketch --router DIR --config RECIPE.toml`"
            )
        try:
            return cls.from_tensors(tensors)
        except (KeyError, ValueError) as exc:
            raise MissingSketchError(
                f"router {getattr(router, 'name', '?')!r} has an unusable prompt sketch: {exc}"
            ) from exc


def build_sketch(embeddings: np.ndarray, *, k: int = DEFAULT_SKETCH_SIZE, seed: int = 0) -> PromptSketch:
    """Sketch of training-prompt embeddings: all of them when there are at most ``k``, else k-means centroids."""
    x = unit_rows(np.asarray(embeddings, dtype=np.float32))
    if len(x) == 0:
        raise ValueError("build_sketch: no embeddings")
    if len(x) <= k:
        return PromptSketch(x.astype(np.float16), np.ones(len(x), dtype=np.int64))
    centroids, labels = spherical_kmeans(x, k, seed=seed)
    counts = np.bincount(labels, minlength=len(centroids)).astype(np.int64)
    keep = counts > 0
    return PromptSketch(centroids[keep].astype(np.float16), counts[keep])


def sketch_meta(sketch: PromptSketch, *, k: int = DEFAULT_SKETCH_SIZE, seed: int = 0) -> dict[str, Any]:
    """What goes into the router's metadata about its sketch."""
    return {
        "method": "all prompts" if sketch.exact else "spherical k-means",
        "k": len(sketch.counts),
        "requested_k": k,
        "seed": seed,
        "n_prompts": sketch.n_prompts,
        "dtype": "float16",
    }
