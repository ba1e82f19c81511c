"""OpenAI-style error bodies: ``{"error": {"message", "type", "param", "code"}}`` with a matching status.

Upstream HTTP errors keep the upstream's status and type (a 404 for an unknown model stays a
404); an upstream that cannot be reached is a 502, one that times out a 504.
"""

from __future__ import annotations

from typing import Any

import openai

from ..child_calls import ChildTimeoutError
from ..dispatch import describe

__all__ = ["ApiError", "error_body", "error_for"]


class ApiError(Exception):
    """An error the server answers with, as OpenAI's API would."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param


def error_body(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _with_notes(message: str, exc: BaseException) -> str:
    notes = [n for n in getattr(exc, "__notes__", ()) if isinstance(n, str)]
    return " ".join([message, *notes])


def error_for(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The status and body answering a failed upstream call (after any fallback)."""
    if isinstance(exc, ApiError):
        return exc.status, error_body(exc.message, exc.type, exc.code, exc.param)
    if isinstance(exc, openai.APIStatusError):
        inner = exc.body if isinstance(exc.body, dict) else {}
        message = inner.get("message") if isinstance(inner.get("message"), str) else exc.message
        return exc.status_code, error_body(
            _with_notes(f"upstream error: {message}", exc),
            str(inner.get("type") or "upstream_error"),
            inner.get("code") if isinstance(inner.get("code"), str) else None,
            inner.get("param") if isinstance(inner.get("param"), str) else None,
        )
    if isinstance(exc, (ChildTimeoutError, openai.APITimeoutError)):
        return 504, error_body(_with_notes(f"upstream timed out: {describe(exc)}", exc), "timeout", "upstream_timeout")
    if isinstance(exc, openai.APIConnectionError):
        return 502, error_body(
            _with_notes(f"upstream unreachable: {describe(exc)}", exc), "upstream_error", "upstream_unavailable"
        )
    return 500, error_body(_with_notes(f"winroute server error: {describe(exc)}", exc), "server_error")
