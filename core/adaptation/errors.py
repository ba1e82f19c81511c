"""Errors of the adaptation workflow (inspect, select, adapt)."""

from __future__ import annotations

from ..errors import WinrouteError


class AdaptationError(WinrouteError, ValueError):
    """Bad input to inspect / select / adapt: empty prompts, unusable labels, a router lacking what is needed."""
