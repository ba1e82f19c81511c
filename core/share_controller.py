"""An online policy that holds a target strong share as traffic drifts.

A fixed threshold sends a fixed share strong only while the prompts look like the ones it was
calibrated on: when traffic drifts toward harder (or easier) prompts, the share (and the bill)
drifts with it. :class:`ShareController` instead sets the threshold to the ``1 - target`` quantile
of the scores of the last ``window`` routed prompts, so the share follows the target within about
half a window of a change. Scores do not depend on the threshold, so observing them is enough.

Use it with any two-model router (the server's ``policy.target_share``, or by hand in an adapter)::

    decision = router.route(conversation, threshold=controller.threshold())
    controller.observe(decision.score)
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Any

import numpy as np

from .policies import check_share, check_threshold, threshold_for_share
from .validation import check_int

__all__ = ["ShareController"]


class ShareController:
    """Threshold from a sliding window of recent scores, holding ``target_share`` of calls strong.

    ``window``: how many recent scores set the threshold (a longer window is steadier and slower
    to follow drift). Until ``min_scores`` have been seen, the target's quantile of
    ``reference_scores`` (e.g. the router's reference prompts) applies, or without them
    ``initial_threshold``. Thread-safe; sticky decisions (NaN scores) are not observed.
    """

    def __init__(
        self,
        target_share: float,
        *,
        window: int = 500,
        min_scores: int = 50,
        initial_threshold: float = 0.5,
        reference_scores: Any = None,
    ) -> None:
        self._lock = threading.Lock()
        self.target_share = target_share
        self.window = check_int(window, "window", low=1)
        self.min_scores = check_int(min_scores, "min_scores", low=1)
        self.initial_threshold = check_threshold(initial_threshold)
        self.reference = None if reference_scores is None else np.sort(np.asarray(reference_scores, dtype=float))
        self._scores: deque[float] = deque(maxlen=self.window)
        self._strong: deque[bool] = deque(maxlen=self.window)
        self._threshold: float | None = None  # cached until the next observation or target change

    @property
    def target_share(self) -> float:
        return self._target

    @target_share.setter
    def target_share(self, value: float) -> None:
        share = check_share(value)
        with self._lock:
            self._target, self._threshold = share, None

    def threshold(self) -> float:
        """The threshold for the next call."""
        with self._lock:
            if self._threshold is None:
                if len(self._scores) < self.min_scores:
                    ref = self.reference
                    no_prior = ref is None or ref.size == 0
                    self._threshold = (
                        self.initial_threshold if ref is None or no_prior else threshold_for_share(ref, self._target)
                    )
                else:
                    self._threshold = threshold_for_share(np.fromiter(self._scores, float), self._target)
            return self._threshold

    def observe(self, score: float, strong: bool | None = None) -> None:
        """Record a routed call's score (and, if known, whether it went strong: for :meth:`state`)."""
        if not isinstance(score, (int, float)) or math.isnan(score):
            return
        with self._lock:
            self._scores.append(float(score))
            if strong is not None:
                self._strong.append(bool(strong))
            self._threshold = None

    def state(self) -> dict[str, Any]:
        """Target, current threshold, scores in the window and the share that went strong among them."""
        threshold = self.threshold()
        with self._lock:
            achieved = float(np.mean(self._strong)) if self._strong else None
            return {
                "target_share": self._target,
                "threshold": threshold,
                "window": self.window,
                "n_scores": len(self._scores),
                "achieved_share": achieved,
            }
