"""Active selection: which unlabeled prompts to label next.

Two things make a label useful to the adapted predictor (``core.predictors.adapted``): the prompt
stands for many others (its kernel-kNN correction reaches them) and the router is unsure about it
(its score is near the routing threshold, where a label can flip decisions). The selection:

1. uncertainty ``u`` in [0, 1]: 1 at the threshold's rank among the pool's scores, falling linearly
   to 0 at the far end of the ranking; the threshold is the router's own, with its rank clipped to
   the pool's 20-80% quantiles (a router not calibrated to this traffic may put it at an extreme),
   or the one sending ``strong_share`` of the pool strong;
2. typical length ``t`` in [0, 1], the same ramp around the pool's median prompt length. Length
   is the strongest single signal on the benchmarks measured, so labels at its extremes mostly
   restate it, while labels of middling length show the in-domain corrections the adapted
   predictor learns (without the term, the default router, whose scores do not follow length
   closely, picked labels worse than random ones: docs/adaptation.md). Picks weigh
   ``w = 0.5 + (u + t) / 2``;
3. diversity: seeded spherical k-means splits the candidates into K clusters; when some prompts are
   labeled already, they join the clustering and clusters holding one are skipped;
4. from each cluster (largest first) the member with the highest ``w * (1 + cos to centroid)``:
   representative of its cluster, preferring uncertain, typical ones.

Same pool, scores, seed -> same selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..clustering import spherical_kmeans, unit_rows
from ..features import FEATURE_NAMES
from .errors import AdaptationError

__all__ = [
    "Selection",
    "log_length",
    "router_scores",
    "select_indices",
    "select_prompts",
    "threshold_quantile",
    "uncertainty",
]

QUANTILE_CLIP = (0.2, 0.8)


def router_scores(router: Any, queries: Any) -> np.ndarray:
    """The router's P(strong wins) for already encoded prompts (no second embedding pass)."""
    names = router.predictor_models
    scores = router.predictor.predict(
        queries, names.get(router.strong, router.strong), names.get(router.weak, router.weak)
    )
    return np.asarray(scores, dtype=np.float64)


def log_length(queries: Any) -> np.ndarray:
    """Each encoded prompt's log character count (its ``log_chars`` text feature): the length selection weighs."""
    return np.asarray(queries.features, dtype=np.float64)[:, FEATURE_NAMES.index("log_chars")]


def threshold_quantile(
    scores: np.ndarray, threshold: float | None = None, *, strong_share: float | None = None
) -> float:
    """The threshold's rank in the pool (share of scores below it), clipped to 20-80%.

    ``strong_share`` instead gives the threshold that sends that share of the pool strong (not clipped).
    """
    if strong_share is not None:
        if not 0.0 <= strong_share <= 1.0:
            raise AdaptationError(f"strong_share must be in [0, 1], got {strong_share}")
        return 1.0 - float(strong_share)
    if threshold is None:
        return 0.5
    below = float(np.mean(np.asarray(scores) < threshold))
    return float(np.clip(below, *QUANTILE_CLIP))


def uncertainty(scores: np.ndarray, quantile: float = 0.5) -> np.ndarray:
    """1 at the threshold's rank, falling linearly with rank distance to 0 at the farther end (ties share a rank)."""
    from scipy.stats import rankdata

    scores = np.asarray(scores, dtype=float)
    if len(scores) == 0:
        return np.zeros(0)
    ranks = (rankdata(scores, method="average") - 0.5) / len(scores)
    return 1.0 - np.abs(ranks - quantile) / max(quantile, 1.0 - quantile)


def select_indices(
    embeddings: np.ndarray,
    scores: np.ndarray,
    k: int,
    *,
    quantile: float = 0.5,
    labeled: np.ndarray | None = None,
    seed: int = 0,
    lengths: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of ``k`` rows of ``embeddings`` to label (see the module docstring), in pick order.

    ``lengths`` (e.g. log characters, one per row) add the typical-length term; without them the
    weight is ``0.5 + u``.
    """
    x = unit_rows(embeddings)
    n = len(x)
    if k < 1:
        raise AdaptationError(f"k must be >= 1, got {k}")
    if len(scores) != n:
        raise AdaptationError(f"{len(scores)} scores for {n} prompts")
    if lengths is not None and len(lengths) != n:
        raise AdaptationError(f"{len(lengths)} lengths for {n} prompts")
    if k >= n:
        return np.arange(n)
    u = uncertainty(scores, quantile)
    weight = 0.5 + (u if lengths is None else 0.5 * (u + uncertainty(lengths)))
    done = np.zeros((0, x.shape[1]), np.float32) if labeled is None or len(labeled) == 0 else unit_rows(labeled)
    centroids, assignment = spherical_kmeans(np.concatenate([x, done]), k + len(done), seed=seed)
    covered = set(assignment[n:].tolist())
    assignment = assignment[:n]
    sizes = np.bincount(assignment, minlength=len(centroids))
    order = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] > 0 and c not in covered]
    picks: list[int] = []
    for c in order[:k]:
        members = np.flatnonzero(assignment == c)
        merit = weight[members] * (1.0 + x[members] @ centroids[c])
        picks.append(int(members[np.argmax(merit)]))
    if len(picks) < k:  # fewer uncovered clusters than wanted: weighted farthest-first among the rest
        picks += _farthest_first(x, weight, k - len(picks), np.concatenate([done, x[picks]]) if picks else done)
    return np.asarray(picks, dtype=np.int64)


def _farthest_first(x: np.ndarray, weight: np.ndarray, k: int, centers: np.ndarray) -> list[int]:
    """Greedy weighted k-center: each pick maximises weight * (1 - cos to the nearest center)."""
    dist = np.ones(len(x), np.float32) if len(centers) == 0 else 1.0 - (x @ centers.T).max(axis=1)
    out: list[int] = []
    taken = np.zeros(len(x), dtype=bool)
    for _ in range(k):
        merit = np.where(taken, -np.inf, np.maximum(dist, 0.0) * weight)
        i = int(np.argmax(merit))
        out.append(i)
        taken[i] = True
        dist = np.minimum(dist, 1.0 - x @ x[i])
    return out


@dataclass
class Selection:
    """Prompts picked for labeling, with why: their router score, uncertainty and typical length."""

    indices: np.ndarray
    prompts: list[str]
    scores: np.ndarray
    uncertainty: np.ndarray
    typical_length: np.ndarray
    quantile: float
    n_pool: int
    n_excluded: int = 0
    notes: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per pick (``prompt``, ``index`` in the pool file, ``score``, ``uncertainty``,
        ``typical_length``)."""
        return [
            {
                "prompt": p,
                "index": int(i),
                "score": round(float(s), 6),
                "uncertainty": round(float(u), 4),
                "typical_length": round(float(t), 4),
            }
            for p, i, s, u, t in zip(self.prompts, self.indices, self.scores, self.uncertainty, self.typical_length)
        ]


def select_prompts(
    router: Any,
    prompts: Sequence[str],
    k: int,
    *,
    exclude: Sequence[str] = (),
    seed: int = 0,
    strong_share: float | None = None,
    strategy: str = "random",
) -> Selection:
    """Pick ``k`` of ``prompts`` to label next for ``router`` (duplicates and ``exclude`` are skipped).

    ``strategy="random"`` (the default) draws a seeded uniform sample: on six held-out sources
    active selection did not beat it (docs/adaptation.md). ``"active"`` picks uncertain, typical
    and diverse prompts; already labeled prompts (``exclude``, and the labels an adapted router was
    fitted on) count as covered, so clusters around them are not picked again.
    """
    if strategy not in ("random", "active"):
        raise AdaptationError(f"unknown selection strategy {strategy!r}; choose 'random' or 'active'")
    prompts = list(prompts)
    if not prompts:
        raise AdaptationError("no prompts to select from")
    excluded = set(exclude)
    first: dict[str, int] = {}
    for i, p in enumerate(prompts):
        if p not in excluded and p.strip():
            first.setdefault(p, i)
    pool = list(first.values())
    if not pool:
        raise AdaptationError("every prompt in the pool is already labeled (or empty)")
    texts = [prompts[i] for i in pool]
    queries = router.encode(texts)
    scores = router_scores(router, queries)
    quantile = threshold_quantile(scores, router.threshold, strong_share=strong_share)
    labeled = [router.encode(sorted(excluded)).embeddings] if excluded else []
    fitted = getattr(router.predictor, "label_embeddings_", None)
    if fitted is not None:
        labeled.append(np.asarray(fitted))
    done = np.concatenate(labeled) if labeled else None
    lengths = log_length(queries)
    if strategy == "random":
        pick = np.sort(np.random.default_rng(seed).choice(len(pool), size=min(k, len(pool)), replace=False))
    else:
        pick = select_indices(
            queries.embeddings, scores, min(k, len(pool)), quantile=quantile, labeled=done, seed=seed, lengths=lengths
        )
    notes = []
    if k > len(pool):
        notes.append(f"asked for {k} prompts but only {len(pool)} unlabeled distinct prompts remain: all selected")
    u, t = uncertainty(scores, quantile), uncertainty(lengths)
    return Selection(
        np.asarray([pool[i] for i in pick], dtype=np.int64),
        [texts[i] for i in pick],
        scores[pick],
        u[pick],
        t[pick],
        quantile,
        len(pool),
        len(prompts) - len(pool),
        notes,
    )
