"""Errors raised by the data importers: each names the file (and row) that was wrong."""

from __future__ import annotations

from pathlib import Path

from core.errors import WinrouteError


class DataFormatError(WinrouteError, ValueError):
    """A data file is malformed: bad JSON, a missing column or field, a score that is no number.

    The message always names the file and, where there is one, the line / row / record.
    """

    def __init__(self, path: str | Path, where: str | None, problem: str) -> None:
        self.path = str(path)
        self.where = where
        self.problem = problem
        loc = f"{self.path}, {where}" if where else self.path
        super().__init__(f"{loc}: {problem}")


class DataNotFoundError(WinrouteError, FileNotFoundError):
    """A data file or directory the importer needs does not exist."""

    def __init__(self, path: str | Path, what: str = "data file or directory", hint: str = "") -> None:
        self.path = str(path)
        super().__init__(f"{what} not found: {self.path}" + (f" ({hint})" if hint else ""))

    def __str__(self) -> str:  # FileNotFoundError's default str shows errno fields; keep ours
        return str(self.args[0])
