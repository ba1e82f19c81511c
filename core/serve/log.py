"""The decision log: one row per request, feedback on requests, and the route each tool call was made on.

Any SQLAlchemy URL works (PostgreSQL for a shared deployment); SQLite is opened in WAL mode with
a busy timeout, so that several worker processes on one machine can share the file. Prompt text
is stored only when ``logging.log_prompts`` is on; otherwise only its SHA-256.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    case,
    cast,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

__all__ = ["DecisionLog", "LoggedDecision", "prompt_digest"]


class _Base(DeclarativeBase):
    pass


class LoggedDecision(_Base):
    """One request: the decision, the child that answered, what it cost."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created: Mapped[float] = mapped_column(Float, index=True)
    router: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))  # the child model that answered (none: all failed)
    child_route: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    routing_ms: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)  # request in to answer out (a stream: to its end)
    upstream_ms: Mapped[float | None] = mapped_column(Float)  # of which waiting on the children (fallbacks included)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[float | None] = mapped_column(Float)
    strong_cost: Mapped[float | None] = mapped_column(
        Float
    )  # the same tokens at the reference (strongest) child's prices
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_from: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    prompt_sha256: Mapped[str] = mapped_column(String(64))
    prompt: Mapped[str | None] = mapped_column(Text)


class ToolCallRoute(_Base):
    """The route a tool call was made on: the next turn of that tool call stays there (sticky)."""

    __tablename__ = "tool_calls"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"))
    route: Mapped[str] = mapped_column(String(200))


class Feedback(_Base):
    """An outcome a client reported for a request: ``score`` in [0, 1] (1: the answer was good)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    created: Mapped[float] = mapped_column(Float)


class ShadowLabel(_Base):
    """A shadow label: the other child answered the same request and a judge compared the two answers
    twice, order swapped (``outcome`` = P(strong beats weak), as ``winroute label --judge`` writes)."""

    __tablename__ = "shadow_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), index=True)
    outcome: Mapped[float] = mapped_column(Float)
    other_model: Mapped[str] = mapped_column(String(200))
    judge: Mapped[str] = mapped_column(String(200))
    cost: Mapped[float | None] = mapped_column(Float)  # the other child's answer and the two judgements
    created: Mapped[float] = mapped_column(Float)


def prompt_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class DecisionLog:
    """The log's tables behind one SQLAlchemy engine (calls are blocking: the app runs them in threads)."""

    def __init__(self, url: str, *, log_prompts: bool = False) -> None:
        self.url = url
        self.log_prompts = log_prompts
        self.engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            event.listen(self.engine, "connect", _sqlite_pragmas)
        _Base.metadata.create_all(self.engine)

    # -- writing -------------------------------------------------------------------------------
    def write(self, row: Mapping[str, Any], prompt: str, tool_calls: Iterable[str] = ()) -> None:
        """One request's row (the prompt kept only if allowed) and the tool calls its answer made."""
        with Session(self.engine) as session, session.begin():
            session.add(
                LoggedDecision(
                    **row,
                    prompt_sha256=prompt_digest(prompt),
                    prompt=prompt if self.log_prompts else None,
                )
            )
            session.flush()
            for call_id in tool_calls:
                session.merge(ToolCallRoute(id=call_id, request_id=row["id"], route=row["child_route"]))

    def add_feedback(self, request_id: str, score: float) -> bool:
        """Store a feedback score; ``False`` when no request has that id."""
        with Session(self.engine) as session, session.begin():
            if session.get(LoggedDecision, request_id) is None:
                return False
            session.add(Feedback(request_id=request_id, score=score, created=time.time()))
            return True

    def add_shadow(self, request_id: str, outcome: float, other_model: str, judge: str, cost: float | None) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(
                ShadowLabel(
                    request_id=request_id,
                    outcome=outcome,
                    other_model=other_model,
                    judge=judge,
                    cost=cost,
                    created=time.time(),
                )
            )

    # -- reading -------------------------------------------------------------------------------
    def tool_call_routes(self, call_ids: Sequence[str]) -> dict[str, str]:
        """The route each known tool call was made on."""
        if not call_ids:
            return {}
        with Session(self.engine) as session:
            rows = session.execute(
                select(ToolCallRoute.id, ToolCallRoute.route).where(ToolCallRoute.id.in_(list(call_ids)))
            )
            return {str(i): str(r) for i, r in rows}

    def get(self, request_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(LoggedDecision, request_id)
            return None if row is None else _as_dict(row)

    def recent(self, n: int = 20) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            rows = session.scalars(select(LoggedDecision).order_by(LoggedDecision.created.desc()).limit(n))
            return [_as_dict(r) for r in rows]

    def count(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(LoggedDecision)) or 0)

    def feedback_labels(self) -> list[tuple[str, str, float]]:
        """``(prompt, route, score)`` of every request with feedback and a logged prompt (latest feedback wins)."""
        with Session(self.engine) as session:
            latest = (
                select(Feedback.request_id, func.max(Feedback.id).label("fid")).group_by(Feedback.request_id)
            ).subquery()
            rows = session.execute(
                select(LoggedDecision.prompt, LoggedDecision.child_route, Feedback.score)
                .join(latest, latest.c.request_id == LoggedDecision.id)
                .join(Feedback, Feedback.id == latest.c.fid)
                .order_by(LoggedDecision.created)
            )
            return [(p, r, float(s)) for p, r, s in rows if p is not None and r is not None]

    def summary(self, *, since: float, bucket_s: int = 60) -> dict[str, Any]:
        """Totals and a time series (per ``bucket_s``) of requests logged since ``since`` (epoch seconds)."""
        d = LoggedDecision
        recent = d.created >= since
        with Session(self.engine) as session:
            total, strong, fallbacks, errors, cost, strong_cost = session.execute(
                select(
                    func.count(),
                    func.sum(case((d.route == "strong", 1), else_=0)),
                    func.sum(case((d.fallback, 1), else_=0)),
                    func.sum(case((d.status != 200, 1), else_=0)),
                    func.sum(d.cost),
                    func.sum(d.strong_cost),
                ).where(recent)
            ).one()
            by_model = session.execute(
                select(d.route, d.model, func.count())
                .where(recent)
                .group_by(d.route, d.model)
                .order_by(d.route, d.model)
            ).all()
            slot = cast(d.created / bucket_s, Integer)
            series = session.execute(
                select(slot, func.count(), func.sum(case((d.route == "strong", 1), else_=0)), func.sum(d.cost))
                .where(recent)
                .group_by(slot)
                .order_by(slot)
            ).all()
        return {
            "requests": int(total or 0),
            "strong": int(strong or 0),
            "fallbacks": int(fallbacks or 0),
            "errors": int(errors or 0),
            "cost": float(cost or 0.0),
            "strong_cost": float(strong_cost or 0.0),
            "by_model": [{"route": r, "model": m, "requests": int(n)} for r, m, n in by_model],
            "series": [
                {
                    "time": int(t) * bucket_s,
                    "requests": int(n),
                    "strong_share": float(k or 0) / int(n),
                    "cost": float(c or 0.0),
                }
                for t, n, k, c in series
            ],
        }

    def shadow_labels(self) -> list[tuple[str | None, float]]:
        """``(prompt, outcome)`` of every shadow label (the prompt is None unless prompts are logged)."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(LoggedDecision.prompt, ShadowLabel.outcome)
                .join(ShadowLabel, ShadowLabel.request_id == LoggedDecision.id)
                .order_by(ShadowLabel.id)
            )
            return [(p, float(o)) for p, o in rows]

    def prompts(self, n: int) -> list[str]:
        """The ``n`` most recent logged prompts (oldest first); none unless prompts are logged."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(LoggedDecision.prompt)
                .where(LoggedDecision.prompt.is_not(None))
                .order_by(LoggedDecision.created.desc())
                .limit(n)
            )
            return [p for p in rows if p][::-1]

    def feedback_count(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count(func.distinct(Feedback.request_id)))) or 0)

    def dispose(self) -> None:
        self.engine.dispose()


def _as_dict(row: LoggedDecision) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in LoggedDecision.__table__.columns}
