"""A per-child time limit: a call that does not return in time raises ``ChildTimeoutError``.

A synchronous child runs in a worker thread so that the router can stop waiting for it; the
thread itself cannot be killed and finishes (or hangs) on its own, its result discarded.
Async children are cancelled.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from .failures import ChildTimeoutError

T = TypeVar("T")


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
    except asyncio.TimeoutError:
        raise ChildTimeoutError(f"{what} did not answer within {timeout:g} s") from None
