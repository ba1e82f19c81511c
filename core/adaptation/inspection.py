"""Know when you are out of domain: how close the user's prompts are to the router's training prompts.

The score is RouteLLM's benchmark-dataset similarity (section 5.3; the harness's
``core.evaluation.metrics.nearest_similarity``): the mean over the user's prompts of the maximum
cosine similarity to a training prompt, here computed against the artifact's training-prompt
sketch (``core.prompt_sketch``). A prompt has "no close training neighbour" when that maximum
is below the router's embedder's cutoff (:func:`close_cosine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..embeddings import is_static_id
from ..evaluation.metrics import nearest_similarity
from ..prompt_sketch import PromptSketch
from .errors import AdaptationError

__all__ = ["CLOSE_COSINE", "STATIC_CLOSE_COSINE", "DomainReport", "close_cosine", "inspect_prompts", "recommend_labels"]

#: MiniLM cosine at or above which a training prompt counts as a close neighbour (same topic and form).
CLOSE_COSINE = 0.6
#: The same for static token tables, whose cosines run higher: the cosine that calls as many prompts
#: far as MiniLM's 0.6 does (0.846 on 2,800 prompts of 14 sources; the two agree on 73% of them:
#: ``python benchmarks/inspect_cutoff.py``).
STATIC_CLOSE_COSINE = 0.85


def close_cosine(router: Any) -> float:
    """The close-neighbour cutoff on the scale of ``router``'s embedder."""
    return STATIC_CLOSE_COSINE if is_static_id(str(getattr(router.embedder, "model_id", ""))) else CLOSE_COSINE


#: Labels recommended with no far prompts, and added for a pool entirely far from the training data.
BASE_LABELS, FAR_LABELS = 200, 300


def recommend_labels(share_far: float, n_prompts: int) -> int:
    """``200 + 300 * share_far`` rounded to 50, at most the number of prompts.

    From the label-efficiency curves (docs/adaptation.md): on both benchmarks most of the gain
    from labels comes by about 300 actively chosen ones; the further the traffic is from the
    training data, the less the base router knows and the more labels pay off. Even close
    traffic (GSM8K has many near neighbours in the training data) gains from 200.
    """
    n = int(round((BASE_LABELS + FAR_LABELS * float(share_far)) / 50.0) * 50)
    return max(1, min(n, int(n_prompts)))


@dataclass(frozen=True)
class DomainReport:
    """What ``winroute inspect`` prints."""

    n_prompts: int
    similarity: float
    share_far: float
    cutoff: float
    sketch_size: int
    sketch_prompts: int
    sketch_exact: bool
    recommended_labels: int
    percentiles: dict[str, float]

    @property
    def recommendation(self) -> str:
        """One plain sentence: how many prompts to label."""
        if self.share_far >= 0.5:
            why = f"{self.share_far:.0%} of your prompts have no close training prompt: the router is out of domain"
        elif self.share_far >= 0.2:
            why = f"{self.share_far:.0%} of your prompts have no close training prompt"
        else:
            why = "your prompts are close to the training data, yet labels still sharpen the router"
        return (
            f"{why}; label about {self.recommended_labels} prompts (pick them with `winroute select`), "
            "then `winroute adapt`"
        )

    def text(self) -> str:
        """Human-readable report."""
        sketch = (
            f"all {self.sketch_prompts} training prompts"
            if self.sketch_exact
            else f"{self.sketch_size}-centroid sketch of {self.sketch_prompts} training prompts"
        )
        p = self.percentiles
        return "\n".join(
            [
                f"prompts:                  {self.n_prompts}",
                f"similarity to training:   {self.similarity:.3f}  (mean nearest cosine, against the {sketch})",
                f"nearest cosine p10/50/90: {p['p10']:.3f} / {p['p50']:.3f} / {p['p90']:.3f}",
                f"no close neighbour:       {self.share_far:.1%}  (nearest cosine < {self.cutoff:g})",
                f"recommendation:           {self.recommendation}",
            ]
        )

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["recommendation"] = self.recommendation
        return out


def inspect_prompts(router: Any, prompts: Sequence[str], *, cutoff: float | None = None) -> DomainReport:
    """Benchmark-dataset similarity of ``prompts`` to ``router``'s training prompts, and a label count.

    ``cutoff``: the cosine below which a prompt has no close training neighbour (default: the
    embedder's own, :func:`close_cosine`).
    """
    texts = [p for p in prompts if isinstance(p, str) and p.strip()]
    if not texts:
        raise AdaptationError("no prompts to inspect (the list is empty or every prompt is blank)")
    cutoff = close_cosine(router) if cutoff is None else cutoff
    if not 0.0 < cutoff < 1.0:
        raise AdaptationError(f"cutoff must be in (0, 1), got {cutoff}")
    sketch = PromptSketch.from_router(router)
    emb = np.asarray(router.encode(texts).embeddings, dtype=np.float32)
    if emb.shape[1] != sketch.dim:
        raise AdaptationError(f"prompt embeddings have {emb.shape[1]} dimensions, the sketch {sketch.dim}")
    nearest = nearest_similarity(emb, sketch.vectors())
    share_far = float(np.mean(nearest < cutoff))
    return DomainReport(
        n_prompts=len(texts),
        similarity=float(nearest.mean()),
        share_far=share_far,
        cutoff=cutoff,
        sketch_size=len(sketch.counts),
        sketch_prompts=sketch.n_prompts,
        sketch_exact=sketch.exact,
        recommended_labels=recommend_labels(share_far, len(texts)),
        percentiles={f"p{q}": float(np.percentile(nearest, q)) for q in (10, 50, 90)},
    )
