"""Reading the audit log for the admin: filters, pages, and the hash-chain check (the same as
`flask audit verify`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, AuditHead, User
from sisumaker.services import audit
from sisumaker.services.org import require_admin

WIB = ZoneInfo("Asia/Jakarta")
PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # username, exact
    action: str = ""  # exact, or a prefix ending in "." (e.g. "user.")
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None  # WIB calendar days, inclusive
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments (for page links)."""
        args = {"pelaku": self.actor, "aksi": self.action, "jenis": self.object_type, "objek": self.object_id,
                "dari": self.date_from.isoformat() if self.date_from else "",
                "sampai": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor: str | None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, WIB)


def search_events(actor: User, flt: AuditFilter, page: int = 1) -> tuple[list[AuditRow], bool, str | None]:
    """Events matching every given filter, newest first, PAGE_SIZE per page. Returns (rows, has_more, note);
    `note` says when a filter named an unknown user (the list is then empty, not unfiltered)."""
    require_admin(actor)
    stmt = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
    note = None
    if flt.actor:
        actor_id = db.session.scalar(select(User.id).where(User.username == flt.actor.strip().lower()))
        if actor_id is None:
            note = f"Pengguna '{flt.actor}' tidak ditemukan."
        stmt = stmt.where(AuditEvent.actor_id == (actor_id or -1))
    if flt.action:
        action = flt.action.strip()
        stmt = stmt.where(AuditEvent.action.startswith(action) if action.endswith(".") else
                          AuditEvent.action == action)
    if flt.object_type:
        stmt = stmt.where(AuditEvent.object_type == flt.object_type.strip())
    if flt.object_id:
        stmt = stmt.where(AuditEvent.object_id == flt.object_id.strip())
    if flt.date_from:
        stmt = stmt.where(AuditEvent.at >= _start_of(flt.date_from))
    if flt.date_to:
        stmt = stmt.where(AuditEvent.at < _start_of(flt.date_to + timedelta(days=1)))
    page = max(1, page)
    rows = db.session.execute(stmt.order_by(AuditEvent.seq.desc()).offset((page - 1) * PAGE_SIZE)
                              .limit(PAGE_SIZE + 1)).all()
    result = [AuditRow(event, username) for event, username in rows]
    return result[:PAGE_SIZE], len(result) > PAGE_SIZE, note


def known_values(actor: User, recent: int = 10_000) -> tuple[list[str], list[str]]:
    """The actions and object types of the newest `recent` events (the filter's suggestions; bounded so a log of
    millions of rows is not scanned on every page view)."""
    require_admin(actor)
    newest = select(AuditEvent.action, AuditEvent.object_type).order_by(AuditEvent.seq.desc()).limit(recent).subquery()
    rows = db.session.execute(select(newest.c.action, newest.c.object_type).distinct()).all()
    return sorted({a for a, _ in rows}), sorted({t for _, t in rows})


def total_events() -> int:
    """How many events the chain holds (read from its head row, not by counting)."""
    return db.session.scalar(select(AuditHead.last_seq).where(AuditHead.id == 1)) or 0


def check_chain(actor: User) -> audit.ChainReport:
    """Rule: only an admin runs the chain check from the web (it reads the whole log)."""
    require_admin(actor)
    return audit.verify_chain()
