"""Calling a child model: which failures are worth a fallback, and a per-child time limit.

Shared by the LangChain and LlamaIndex adapters. A synchronous child under a ``timeout`` runs
in a worker thread so that the router can stop waiting for it; the thread itself cannot be
killed and finishes (or hangs) on its own, its result discarded. Async children are cancelled.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from .errors import WinrouteError


class EmptyAnswerError(WinrouteError, RuntimeError):
    """A child answered with nothing: no generation, or a stream without a chunk."""


class ChildTimeoutError(WinrouteError, TimeoutError):
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


T = TypeVar("T")


def note_interrupted(exc: BaseException, who: str, delivered: int) -> None:
    """Say which child failed after streaming started (no fallback is possible then)."""
    if hasattr(exc, "add_note"):  # Python >= 3.11
        exc.add_note(
            f"winroute: {who} failed after {delivered} chunk(s) had been streamed; "
            "no fallback, since part of its answer was already delivered"
        )


def call_with_timeout(fn: Callable[[], T], timeout: float | None, what: str) -> T:
    """``fn()``, or ``ChildTimeoutError`` after ``timeout`` seconds (None: no limit)."""
    if timeout is None:
        return fn()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="winroute-child")
    context = contextvars.copy_context()
    future = pool.submit(context.run, fn)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        raise ChildTimeoutError(f"{what} did not answer within {timeout:g} s") from None
    finally:
        pool.shutdown(wait=False)


async def acall_with_timeout(awaitable: Awaitable[T], timeout: float | None, what: str) -> T:
    """``await awaitable``, cancelled with ``ChildTimeoutError`` after ``timeout`` seconds."""
    if timeout is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise ChildTimeoutError(f"{what} did not answer within {timeout:g} s") from None
