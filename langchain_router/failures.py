"""How a failing child shows: the original exception, with notes saying what the router did."""

from __future__ import annotations

from collections.abc import Mapping


def describe(exc: BaseException) -> str:
    """``"TypeName: message"``, as recorded in ``error`` of a fallback's record."""
    return f"{type(exc).__name__}: {exc}"


def _note(exc: BaseException, note: str) -> None:
    if hasattr(exc, "add_note"):  # Python >= 3.11
        exc.add_note(note)


def exhausted(failures: list[tuple[str, Exception]], labels: Mapping[str, str]) -> Exception:
    """The chosen child's exception (its type kept), noting what the fallbacks raised."""
    route, first = failures[0]
    for other, exc in failures[1:]:
        _note(
            first,
            f"winroute: fallback from the {route} child {labels[route]!r} to the {other} child "
            f"{labels[other]!r} failed too: {describe(exc)}",
        )
    return first


def note_interrupted(exc: Exception, route: str, label: str, delivered: int) -> None:
    """Mark an error raised after streaming started (no fallback is possible then)."""
    _note(
        exc,
        f"winroute: the {route} child {label!r} failed after {delivered} chunk(s) had been streamed; "
        "no fallback, since part of its answer was already delivered",
    )
