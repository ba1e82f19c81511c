"""Progress lines of the evaluation stages, on standard error (the tables go to standard output)."""

from __future__ import annotations

import sys

__all__ = ["log"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
