"""Inbox lists per position (and acting positions) with filter counts, and the unit's register list."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager, joinedload

from sisumaker.extensions import db
from sisumaker.models import InboxItem, Letter, RegisterEntry
from sisumaker.services.access import Viewer, visible_letter_clause
from sisumaker.services.calendar import soon_cutoff
from sisumaker.services.dispositions import OPEN_STATUSES

FILTERS = {
    "semua": "Semua",
    "belum-dibaca": "Belum dibaca",
    "perlu-disposisi": "Perlu disposisi",
    "tenggat": "Tenggat dekat/lewat",
    "rahasia": "Rahasia",
}
PAGE_SIZE = 50
DEADLINE_SOON_DAYS = 3  # working days
UNREAD = "diterima"
AWAITING_DISPOSITION = ("diterima", "dibaca")  # of a letter or disposition (a tembusan needs none)


def _condition(filter_key: str, today: date):
    """The SQL condition of one filter (None: no condition). Only the deadline filter needs the calendar."""
    if filter_key == "belum-dibaca":
        return InboxItem.status == UNREAD
    if filter_key == "perlu-disposisi":
        return and_(InboxItem.kind != "tembusan", InboxItem.status.in_(AWAITING_DISPOSITION))
    if filter_key == "tenggat":
        soon = soon_cutoff(today, DEADLINE_SOON_DAYS)  # working days: the holiday calendar counts
        return and_(InboxItem.deadline.is_not(None), InboxItem.deadline <= soon, InboxItem.status.in_(OPEN_STATUSES))
    if filter_key == "rahasia":
        return InboxItem.confidential.is_(True)
    return None


def _base(viewer: Viewer, position_id: int | None):
    pids = [position_id] if position_id in viewer.position_ids else list(viewer.position_ids)
    return (InboxItem.position_id.in_(pids), InboxItem.status != "ditarik")


def inbox_counts(viewer: Viewer, position_id: int | None = None, today: date | None = None) -> dict[str, int]:
    """Counts per filter; only the viewer's own (acting) positions are counted.

    Two index-only reads of ix_item_position_status, whatever the size of the inbox: the items grouped by
    (status, kind, confidential) — a handful of rows from which every filter but the deadline one is summed here
    (the same rules as `_condition`) — and the count under `_condition`'s own deadline rule."""
    counts = {k: 0 for k in FILTERS}
    if not viewer.position_ids:
        return counts
    base = _base(viewer, position_id)
    groups = db.session.execute(
        select(InboxItem.status, InboxItem.kind, InboxItem.confidential, func.count())
        .where(*base).group_by(InboxItem.status, InboxItem.kind, InboxItem.confidential)).all()
    for status, kind, confidential, n in groups:
        counts["semua"] += n
        counts["belum-dibaca"] += n if status == UNREAD else 0
        counts["perlu-disposisi"] += n if kind != "tembusan" and status in AWAITING_DISPOSITION else 0
        counts["rahasia"] += n if confidential else 0
    deadline_rule = _condition("tenggat", today or date.today())
    counts["tenggat"] = db.session.scalar(select(func.count()).select_from(InboxItem).where(*base, deadline_rule)) or 0
    return counts


def inbox_items(viewer: Viewer, filter_key: str = "semua", position_id: int | None = None, page: int = 1,
                today: date | None = None) -> tuple[list[InboxItem], bool]:
    """The inbox page: newest first, PAGE_SIZE per page; returns (items, has_more)."""
    if not viewer.position_ids:
        return [], False
    cond = _condition(filter_key, today or date.today())
    stmt = (select(InboxItem).join(InboxItem.letter).options(contains_eager(InboxItem.letter),
                                                             joinedload(InboxItem.from_position))
            .where(*_base(viewer, position_id)))
    if cond is not None:
        stmt = stmt.where(cond)
    page = max(1, page)
    rows = list(db.session.scalars(stmt.order_by(InboxItem.received_at.desc(), InboxItem.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@dataclass(frozen=True)
class RegisterRow:
    entry: RegisterEntry
    visible: bool  # False: a Rahasia letter the clerk may not read — only its number and date are shown


def register_rows(viewer: Viewer, year: int | None = None, page: int = 1) -> tuple[list[RegisterRow], bool]:
    """The unit's buku agenda, newest first. Rahasia letters keep their line (the numbering stays visibly
    gap-free) but show only number and date to whoever may not read them."""
    if not viewer.clerk_unit_ids:
        return [], False
    stmt = (select(RegisterEntry, visible_letter_clause(viewer).label("visible"))
            .join(Letter, Letter.id == RegisterEntry.letter_id)
            .options(contains_eager(RegisterEntry.letter))
            .where(RegisterEntry.unit_id.in_(list(viewer.clerk_unit_ids))))
    if year:
        stmt = stmt.where(RegisterEntry.year == year)
    page = max(1, page)
    rows = db.session.execute(stmt.order_by(RegisterEntry.received_on.desc(), RegisterEntry.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    result = [RegisterRow(entry, bool(vis)) for entry, vis in rows]
    return result[:PAGE_SIZE], len(result) > PAGE_SIZE
