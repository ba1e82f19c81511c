"""One place that checks the numbers and batches callers hand to a router.

A threshold given as ``"0.5"``, ``[0.5]``, ``True`` or NaN is a caller's mistake: it gets an
:class:`~core.errors.InvalidArgumentError` naming the argument, never a numpy error from deep
inside, and never a silent conversion. Methods that change a router check every argument
before they change anything (issue 18, findings 3-5).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidArgumentError


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``).

    Accepts Python and numpy real numbers; rejects bools, strings, sequences, None, NaN and inf.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(f"{name} must be a number, got {type(value).__name__} {value!r:.60}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidArgumentError(f"{name} must be a finite number, got {value!r}")
    below = low is not None and (number < low or (low_open and number == low))
    if below or (high is not None and number > high):
        if low is not None and high is not None:
            bounds = f"in {'(' if low_open else '['}{low:g}, {high:g}]"
        elif low is not None:
            bounds = f"a finite number {'>' if low_open else '>='} {low:g}"
        else:
            bounds = f"a finite number <= {high:g}"
        raise InvalidArgumentError(f"{name} must be {bounds}, got {value!r}")
    return number


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``; rejects bools, floats (even 2.0), strings and None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(f"{name} must be an integer, got {type(value).__name__} {value!r:.60}")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = (
            f"in [{low}, {high}]"
            if low is not None and high is not None
            else f">= {low}"
            if low is not None
            else f"<= {high}"
        )
        raise InvalidArgumentError(f"{name} must be an integer {bounds}, got {value!r}")
    return number


def check_batch(items: Any, name: str = "conversations") -> list[Any]:
    """A batch (list, tuple or other iterable) of conversations, as a list.

    A bare string or a single message dict is one conversation, not a batch of characters or
    keys: it is refused with a hint, as are bytes, None and other non-iterables.
    """
    if isinstance(items, str):
        raise InvalidArgumentError(
            f"{name} must be a list of conversations, got a single string; wrap it in a list: [{items!r:.40}]"
        )
    if isinstance(items, Mapping):
        raise InvalidArgumentError(
            f"{name} must be a list of conversations, got a single message dict; wrap it: [[{{...}}]] "
            "(a list holding one conversation, itself a list of messages)"
        )
    if isinstance(items, (bytes, bytearray, memoryview)) or not isinstance(items, Iterable):
        raise InvalidArgumentError(f"{name} must be a list of conversations, got {type(items).__name__}")
    return list(items)
