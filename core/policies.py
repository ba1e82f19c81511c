"""Turning predictor scores into decisions: thresholds and their calibration to a strong-call share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_share(strong_share: float) -> float:
    if not 0.0 <= float(strong_share) <= 1.0:
        raise ValueError(f"strong_share must be in [0, 1], got {strong_share!r}")
    return float(strong_share)


def check_threshold(threshold: float) -> float:
    if not np.isfinite(threshold) or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}")
    return float(threshold)


def threshold_for_share(reference_scores: Sequence[float] | np.ndarray, strong_share: float) -> float:
    """Threshold under which ``strong_share`` of ``reference_scores`` would go to the strong model.

    A score routes strong when ``score >= threshold``; share 0 gives a threshold above every
    score and share 1 one at or below every score.
    """
    share = check_share(strong_share)
    ref = np.sort(np.asarray(reference_scores, dtype=np.float64))
    if ref.size == 0:
        raise ValueError("cannot calibrate a threshold without reference scores")
    if np.isnan(ref).any():
        raise ValueError("reference scores contain NaN")
    if share <= 0.0:
        return float(np.nextafter(ref[-1], np.inf)) if ref[-1] < 1.0 else 1.0
    if share >= 1.0:
        return float(ref[0])
    return float(np.quantile(ref, 1.0 - share))


def strong_mask(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Which scores route to the strong model."""
    return np.asarray(scores) >= threshold
