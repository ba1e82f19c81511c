"""Errors of the evaluation harness: each says what was wrong and what to do."""

from __future__ import annotations

from ..errors import WinrouteError

__all__ = ["BadScoresError", "EmptyBenchmarkError", "EvaluationError", "UnknownBenchmarkError"]


class EvaluationError(WinrouteError, ValueError):
    """A benchmark, router or option the harness cannot evaluate."""


class UnknownBenchmarkError(EvaluationError):
    """``--benchmark`` is neither a known name nor an existing path."""


class EmptyBenchmarkError(EvaluationError):
    """No items are left to evaluate (after decontamination, or none were scored for both models)."""


class BadScoresError(EvaluationError):
    """A router returned scores the metrics cannot use (NaN, infinite, wrong length)."""
