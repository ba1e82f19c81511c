"""Errors of the labeling step: each names the endpoint, model, file or line that was wrong."""

from __future__ import annotations

from ..errors import WinrouteError

__all__ = [
    "EndpointError",
    "EndpointUnreachableError",
    "GradingError",
    "LabelingError",
    "UnparseableVerdictError",
]


class LabelingError(WinrouteError, ValueError):
    """A labeling run cannot go on: bad input, a missing option, or no labels produced."""


class EndpointError(LabelingError):
    """The OpenAI-compatible endpoint refused a request or kept failing after the retries."""


class EndpointUnreachableError(EndpointError):
    """No connection to the endpoint could be made, even after the retries."""


class UnparseableVerdictError(LabelingError):
    """The judge's reply names no winner (no ``[[A]]``, ``[[B]]`` or ``[[C]]``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        head = " ".join(text.split())[:200]
        super().__init__(f"judge reply names no winner ([[A]], [[B]] or [[C]] expected): {head!r}")


class GradingError(LabelingError):
    """A reference answer or a grader's result cannot be used to score a response."""
