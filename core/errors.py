"""Exceptions raised by winroute, each naming what was wrong."""

from __future__ import annotations


class WinrouteError(Exception):
    """Base class of every winroute error."""


class InvalidConversationError(WinrouteError, ValueError):
    """The conversation to route is empty, malformed or has no user text."""


class InvalidArgumentError(WinrouteError, ValueError, TypeError):
    """An argument (threshold, strong share, cost weight, a batch of conversations...) has the wrong
    type or value. Both a ``ValueError`` and a ``TypeError``, so either ``except`` catches it."""


class UnknownModelError(WinrouteError, KeyError):
    """A model name the router (or a predictor) was not trained on."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "unknown model"


class ArtifactError(WinrouteError, RuntimeError):
    """A saved router or predictor is missing, corrupt, tampered with or of another version."""


class NotFittedError(WinrouteError, RuntimeError):
    """A predictor was used before ``fit`` or ``load``."""


class PredictionError(WinrouteError, FloatingPointError):
    """A predictor returned NaN or infinite scores: its weights or parameters are broken."""
