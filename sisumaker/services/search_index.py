"""Keeping the search index (`search_document`) in step with the letters, drafts and dispositions.

Rule: every write of a searchable field through the ORM — by any service, the seed or a job — re-indexes the
document it belongs to in the same transaction (a session flush hook), so a search never misses a letter that
was committed and never shows one that was rolled back. Bulk writers that bypass the ORM (the benchmark's
builder) call `rebuild_search_index` afterwards. The full-text structures themselves (FTS5 table and triggers on
SQLite, the GIN expression index on PostgreSQL) follow `search_document` inside the database.
"""
from __future__ import annotations

import json

from sqlalchemy import Select, String, cast, delete, event, func, insert, inspect, literal, null, select
from sqlalchemy.orm import Session

from sisumaker.models import Draft, DraftVersion, InboxItem, Letter, SearchDocument
from sisumaker.services.bodytext import clean

LETTER_FIELDS = ("perihal", "sender", "number", "summary", "event_place", "letter_date")
ITEM_FIELDS = ("instructions", "note", "report")
DRAFT_FIELDS = ("perihal", "version", "number", "number_date", "letter_id")
DRAFT_TEXT_KEYS = ("body", "external", "tembusan", "menimbang", "mengingat", "diktum", "event_place",
                   "event_agenda")
_COLUMNS = ("kind", "letter_id", "item_id", "doc_date", "title", "body")


def _letters_select(ids: list[int] | None = None) -> Select:
    """The letter documents: perihal as title; sender, number, summary and place as body."""
    body = (Letter.sender + " " + Letter.number + " " + func.coalesce(Letter.summary, "") + " "
            + func.coalesce(Letter.event_place, ""))
    stmt = select(literal("surat", String), Letter.id, null(), Letter.letter_date, Letter.perihal, body)
    return stmt.where(Letter.id.in_(ids)) if ids is not None else stmt


def _items_select(ids: list[int] | None = None) -> Select:
    """The disposition documents: the standard instructions, the note and the report of one inbox item."""
    body = InboxItem.instructions + " " + InboxItem.note + " " + InboxItem.report
    stmt = (select(literal("disposisi", String), InboxItem.letter_id, InboxItem.id, Letter.letter_date,
                   cast(literal(""), String), body)
            .join(Letter, Letter.id == InboxItem.letter_id)
            .where(InboxItem.kind == "disposisi"))
    return stmt.where(InboxItem.id.in_(ids)) if ids is not None else stmt


def draft_text(content_json: str) -> str:
    """The searchable text of a draft version: body, recipients, considerations, decree items, event."""
    data = json.loads(content_json or "{}")
    parts: list[str] = []
    for key in DRAFT_TEXT_KEYS:
        value = data.get(key)
        if isinstance(value, (list, tuple)):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    return clean(" ".join(parts))


def _draft_rows(conn, ids: list[int]) -> list[dict]:
    latest = (select(DraftVersion.draft_id, func.max(DraftVersion.version).label("v"))
              .where(DraftVersion.draft_id.in_(ids)).group_by(DraftVersion.draft_id).subquery())
    rows = conn.execute(
        select(Draft.id, Draft.perihal, Draft.number, Draft.number_date, Draft.created_at, DraftVersion.content)
        .outerjoin(latest, latest.c.draft_id == Draft.id)
        .outerjoin(DraftVersion, (DraftVersion.draft_id == Draft.id) & (DraftVersion.version == latest.c.v))
        .where(Draft.id.in_(ids)))
    return [dict(kind="konsep", draft_id=r.id, title=r.perihal,
                 body=" ".join(filter(None, [r.number or "", draft_text(r.content) if r.content else ""])),
                 doc_date=r.number_date or (r.created_at.date() if r.created_at else None)) for r in rows]


def refresh(conn, letter_ids=(), item_ids=(), draft_ids=()) -> None:
    """Re-index the given sources (delete their documents, insert them again from the source rows)."""
    doc = SearchDocument.__table__
    for ids, select_of, kind, column in ((sorted(set(letter_ids)), _letters_select, "surat", doc.c.letter_id),
                                         (sorted(set(item_ids)), _items_select, "disposisi", doc.c.item_id)):
        for chunk in _chunks(ids):
            conn.execute(delete(doc).where(doc.c.kind == kind, column.in_(chunk)))
            conn.execute(insert(doc).from_select(_COLUMNS, select_of(chunk)))
    for chunk in _chunks(sorted(set(draft_ids))):
        conn.execute(delete(doc).where(doc.c.draft_id.in_(chunk)))
        rows = _draft_rows(conn, chunk)
        if rows:
            conn.execute(insert(doc), rows)


def _chunks(ids: list[int], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def rebuild_search_index(conn) -> int:
    """Rule: the index can always be rebuilt from the source rows (after a bulk load or a restore); returns the
    number of documents. The caller commits."""
    doc = SearchDocument.__table__
    conn.execute(delete(doc))
    conn.execute(insert(doc).from_select(_COLUMNS, _letters_select()))
    conn.execute(insert(doc).from_select(_COLUMNS, _items_select()))
    draft_ids = [r[0] for r in conn.execute(select(Draft.id))]
    refresh(conn, draft_ids=draft_ids)
    return conn.execute(select(func.count()).select_from(doc)).scalar_one()


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _before_flush(session: Session, _context, _instances) -> None:
    """Documents of deleted sources go first (their foreign keys would refuse the delete)."""
    doc = SearchDocument.__table__
    for obj in session.deleted:
        if isinstance(obj, Letter):
            session.execute(delete(doc).where(doc.c.letter_id == obj.id))
        elif isinstance(obj, InboxItem):
            session.execute(delete(doc).where(doc.c.item_id == obj.id))
        elif isinstance(obj, Draft):
            session.execute(delete(doc).where(doc.c.draft_id == obj.id))


def _after_flush(session: Session, _context) -> None:
    letters, items, drafts = set(), set(), set()
    for obj in list(session.new) + list(session.dirty):
        is_new = obj in session.new
        if isinstance(obj, Letter) and (is_new or _changed(obj, LETTER_FIELDS)):
            letters.add(obj.id)
        elif isinstance(obj, InboxItem) and obj.kind == "disposisi" and (is_new or _changed(obj, ITEM_FIELDS)):
            items.add(obj.id)
        elif isinstance(obj, Draft) and (is_new or _changed(obj, DRAFT_FIELDS)):
            drafts.add(obj.id)
        elif isinstance(obj, DraftVersion) and is_new:
            drafts.add(obj.draft_id)
    if letters or items or drafts:
        refresh(session.connection(), letters, items, drafts)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)

__all__ = ["refresh", "rebuild_search_index", "draft_text"]
