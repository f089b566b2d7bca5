"""The in-app bell (cheap unread count per position) and e-mail through the worker when SMTP is configured."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, update

from sisumaker.extensions import db
from sisumaker.models import InboxItem, Notification
from sisumaker.services import page_versions



def notify(position_id: int, item: InboxItem | None, text: str) -> Notification:
    """Rule: every delivery, disposition, report and reminder leaves one bell entry for the receiving position."""
    note = Notification(position_id=position_id, item_id=item.id if item else None, text=text[:300])
    db.session.add(note)
    db.session.flush()
    return note


def unread_count(position_ids: frozenset[int] | set[int]) -> int:
    if not position_ids:
        return 0
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.position_id.in_(list(position_ids)),
                                                  Notification.read_at.is_(None))
    ) or 0


def recent(position_ids: frozenset[int] | set[int], limit: int = 20) -> list[Notification]:
    if not position_ids:
        return []
    return list(db.session.scalars(
        select(Notification).where(Notification.position_id.in_(list(position_ids)))
        .order_by(Notification.id.desc()).limit(limit)
    ))


def item_unread(position_ids: frozenset[int] | set[int], item_id: int) -> bool:
    """Whether the item still rings the bell of one of these positions (opening it would clear that)."""
    return db.session.scalar(
        select(Notification.id).where(Notification.item_id == item_id, Notification.position_id.in_(list(position_ids)),
                                      Notification.read_at.is_(None)).limit(1)) is not None


def mark_item_read(position_ids: frozenset[int] | set[int], item_id: int) -> None:
    """Opening an item clears its bell entries for the positions the reader acts for."""
    page_versions.touch(db.session, "pos", position_ids)
    db.session.execute(
        update(Notification)
        .where(Notification.item_id == item_id, Notification.position_id.in_(list(position_ids)),
               Notification.read_at.is_(None))
        .values(read_at=datetime.now(timezone.utc))
    )


def mark_all_read(position_ids: frozenset[int] | set[int]) -> int:
    if not position_ids:
        return 0
    page_versions.touch(db.session, "pos", position_ids)
    result = db.session.execute(
        update(Notification)
        .where(Notification.position_id.in_(list(position_ids)), Notification.read_at.is_(None))
        .values(read_at=datetime.now(timezone.utc))
    )
    return result.rowcount or 0
