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
