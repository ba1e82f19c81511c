"""How a failing child shows: the original exception, with notes saying what the router did."""

from __future__ import annotations

from collections.abc import Mapping


def describe(exc: BaseException) -> str:
    """``"TypeName: message"``, as recorded in ``error`` of a fallback's record."""
    return f"{type(exc).__name__}: {exc}"


def who(route: str, label: str) -> str:
    """``"the weak child 'gpt-4o-mini'"``; N-way routes are model names: ``"the child 'mistral-7b-chat'"``."""
    return f"the child {label!r}" if route == label else f"the {route} child {label!r}"


def _note(exc: BaseException, note: str) -> None:
    if hasattr(exc, "add_note"):  # Python >= 3.11
        exc.add_note(note)


def exhausted(failures: list[tuple[str, Exception]], labels: Mapping[str, str]) -> Exception:
    """The chosen child's exception (its type kept), noting what the fallbacks raised."""
    route, first = failures[0]
    for other, exc in failures[1:]:
        _note(
            first,
            f"winroute: fallback from {who(route, labels[route])} to {who(other, labels[other])} "
            f"failed too: {describe(exc)}",
        )
    return first


def note_interrupted(exc: Exception, route: str, label: str, delivered: int) -> None:
    """Mark an error raised after streaming started (no fallback is possible then)."""
    _note(
        exc,
        f"winroute: {who(route, label)} failed after {delivered} chunk(s) had been streamed; "
        "no fallback, since part of its answer was already delivered",
    )


class EmptyAnswerError(RuntimeError):
    """A child answered with nothing: no generation, or a stream without a chunk."""


class ChildTimeoutError(TimeoutError):
    """A child did not answer (or start streaming) within the router's ``timeout``."""


_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


def _status(exc: BaseException) -> int | None:
    for holder in (exc, getattr(exc, "response", None)):
        code = getattr(holder, "status_code", None) if holder is not None else None
        if isinstance(code, int):
            return code
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether a child's failure is worth retrying on another child.

    Transient: connection errors, timeouts, rate limits and server errors (HTTP 408, 409, 425,
    429, 5xx; openai's ``APIConnectionError`` / ``APITimeoutError`` / ``RateLimitError`` /
    ``InternalServerError`` and httpx's transport errors are such), and empty answers.
    Everything else (HTTP 4xx such as a 404 for an unknown model, bad requests, parsing
    errors, programming errors) is a configuration or request error and is raised.
    """
    if isinstance(exc, (ConnectionError, TimeoutError, EmptyAnswerError)):
        return True
    status = _status(exc)
    if status is not None:
        return status in _TRANSIENT_STATUS or status >= 500
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"APIConnectionError", "APITimeoutError", "TransportError", "TimeoutException"})
