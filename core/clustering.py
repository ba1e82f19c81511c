"""Seeded spherical k-means on unit-norm embeddings (numpy only; same result for the same input and seed)."""

from __future__ import annotations

import numpy as np

__all__ = ["assign", "spherical_kmeans", "unit_rows"]


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (float32); all-zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def assign(x: np.ndarray, centroids: np.ndarray, block: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most cosine-similar centroid for each row, and that similarity."""
    labels = np.empty(len(x), dtype=np.int64)
    best = np.empty(len(x), dtype=np.float32)
    for start in range(0, len(x), block):
        sim = x[start : start + block] @ centroids.T
        labels[start : start + block] = sim.argmax(axis=1)
        best[start : start + block] = sim.max(axis=1)
    return labels, best


def spherical_kmeans(x: np.ndarray, k: int, *, seed: int = 0, iterations: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Cluster unit vectors by cosine similarity: returns (unit centroids ``(k, d)``, label per row).

    Initial centroids are ``k`` rows picked by seeded k-means++ (each next one drawn with
    probability proportional to its cosine distance to the nearest one picked, squared); a cluster
    that empties keeps its previous centroid. ``k`` is capped at the number of rows.
    """
    x = unit_rows(x)
    if len(x) == 0:
        raise ValueError("spherical_kmeans: no rows to cluster")
    k = max(1, min(int(k), len(x)))
    centroids = x[_kmeans_plus_plus(x, k, np.random.default_rng(seed))].copy()
    labels, _ = assign(x, centroids)
    for _ in range(iterations):
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, x)
        counts = np.bincount(labels, minlength=k)
        empty = counts == 0
        sums[empty] = centroids[empty]
        centroids = unit_rows(sums)
        new, _ = assign(x, centroids)
        if np.array_equal(new, labels):
            break
        labels = new
    return centroids, labels


def _kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of k-means++ seeds under the cosine distance (distinct rows while any remain)."""
    picks = [int(rng.integers(len(x)))]
    dist = np.maximum(1.0 - x @ x[picks[0]], 0.0).astype(np.float64)
    for _ in range(1, k):
        weight = dist**2
        total = weight.sum()
        if total <= 0:  # every row coincides with a pick: take unpicked rows in order
            rest = np.setdiff1d(np.arange(len(x)), picks)
            picks.extend(int(i) for i in rest[: k - len(picks)])
            break
        i = int(rng.choice(len(x), p=weight / total))
        picks.append(i)
        dist = np.minimum(dist, np.maximum(1.0 - x @ x[i], 0.0))
    return np.asarray(picks, dtype=np.int64)
