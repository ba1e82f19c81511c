"""Admin state shared by every worker: the router in use and the policy, with a version counter.

``POST /admin/reload`` and ``POST /admin/policy`` write one row here (in the decision log's
database); each worker compares its version with the row's before routing (at most once per
:data:`SYNC_INTERVAL_S`) and takes on a newer state, so one admin call changes every worker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Float, Integer, String, Text, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

__all__ = ["SYNC_INTERVAL_S", "AdminState", "AdminStore"]

SYNC_INTERVAL_S = 1.0  # how stale a worker's admin state may be, at most
_ROW = 1


class _Base(DeclarativeBase):
    pass


class _AdminRow(_Base):
    """The one row: the admin state every worker serves, and its version (bumped by each write)."""

    __tablename__ = "admin_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    router: Mapped[str | None] = mapped_column(Text)  # artifact directory; none: the bundled default
    router_sha256: Mapped[str | None] = mapped_column(String(64))  # the artifact as loaded (a changed one reloads)
    settings: Mapped[str] = mapped_column(Text)  # JSON: the policy's router settings
    target_share: Mapped[float | None] = mapped_column(Float)  # the strong share held online, if any
    updated: Mapped[float] = mapped_column(Float)


@dataclass(frozen=True)
class AdminState:
    """One version of the shared admin state."""

    version: int
    router: str | None
    router_sha256: str | None
    settings: Mapping[str, Any]
    target_share: float | None


class AdminStore:
    """The ``admin_state`` table behind an engine (blocking calls: the app runs them in threads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        _Base.metadata.create_all(engine)

    def publish(
        self, router: str | None, router_sha256: str | None, settings: Mapping[str, Any], target_share: float | None
    ) -> int:
        """Write a new state; returns its version (one more than any before, whichever worker wrote it)."""
        values = {
            "router": router,
            "router_sha256": router_sha256,
            "settings": json.dumps(dict(settings), sort_keys=True),
            "target_share": target_share,
            "updated": time.time(),
        }
        with Session(self.engine) as session, session.begin():
            bumped = session.execute(
                update(_AdminRow).where(_AdminRow.id == _ROW).values(version=_AdminRow.version + 1, **values)
            )
            if not bumped.rowcount:  # type: ignore[attr-defined]
                session.add(_AdminRow(id=_ROW, version=1, **values))
                return 1
            return int(session.scalar(select(_AdminRow.version).where(_AdminRow.id == _ROW)) or 0)

    def version(self) -> int:
        """The current version (0: nothing written yet): the cheap check each worker makes."""
        with Session(self.engine) as session:
            return int(session.scalar(select(_AdminRow.version).where(_AdminRow.id == _ROW)) or 0)

    def read(self) -> AdminState | None:
        with Session(self.engine) as session:
            row = session.get(_AdminRow, _ROW)
            if row is None:
                return None
            return AdminState(row.version, row.router, row.router_sha256, json.loads(row.settings), row.target_share)
