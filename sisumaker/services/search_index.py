"""Keeping the search index (`search_document`) in step with the letters, drafts and dispositions.

Rule: every write of a searchable field, or of a row that decides who may see a document (an inbox item, a
register line, a review step, a letter's sifat, a draft's drafter or signer), through the ORM — by any service, the
seed or a job — re-indexes the document it belongs to in the same transaction (a session flush hook), so a search
never misses a letter that was committed, never shows one that was rolled back, and its `readers` follow the
visibility rule of services/access.py and services/outgoing.py. Writers that bypass the ORM call `refresh` (the
broadcast delivery) or `rebuild_search_index` (the benchmark's builder). The full-text structures themselves (FTS5
table and triggers on SQLite, the GIN index on PostgreSQL) follow `search_document` inside the database.
"""
from __future__ import annotations

import json

from datetime import date

from sqlalchemy import (BigInteger, Integer, Select, String, case, cast, delete, event, func, insert, inspect,
                        literal, literal_column, null, select, union)
from sqlalchemy.orm import Session

from sisumaker.models import (CONFIDENTIAL, Draft, DraftVersion, InboxItem, Letter, RegisterEntry, ReviewStep,
                              SearchDocument)
from sisumaker.services.bodytext import clean

LETTER_FIELDS = ("perihal", "sender", "number", "summary", "event_place", "letter_date", "sifat")
ITEM_FIELDS = ("instructions", "note", "report")
ITEM_READER_FIELDS = ("position_id", "from_position_id", "letter_id")
DRAFT_FIELDS = ("perihal", "version", "number", "number_date", "letter_id", "drafter_id", "signer_position_id")
DRAFT_TEXT_KEYS = ("body", "external", "tembusan", "menimbang", "mengingat", "diktum", "event_place",
                   "event_agenda")
_COLUMNS = ("id", "kind", "letter_id", "item_id", "doc_date", "title", "body", "readers")
KIND_CODE = {"surat": 0, "disposisi": 1, "konsep": 2}
_EPOCH = date(1970, 1, 1)


def document_id(kind: str, source_id: int, doc_date: date | None) -> int:
    """Rule: a document's id is its date's day (since 1970) x 2^32 + its source's id x 4 + its kind, so the ids
    order the documents by date, then by source, and re-indexing a source keeps its document's id."""
    day = (doc_date - _EPOCH).days if doc_date else 0
    return (day << 32) + source_id * 4 + KIND_CODE[kind]


def _document_id_sql(kind: str, source_id, doc_date, dialect: str):
    """document_id computed by the database (for INSERT ... SELECT)."""
    if dialect == "sqlite":
        day = cast(func.julianday(doc_date) - 2440587.5, Integer)  # julianday('1970-01-01') = 2440587.5
    else:
        day = doc_date - literal_column("DATE '1970-01-01'")  # an integer number of days
    return cast(func.coalesce(day, 0), BigInteger) * literal_column("4294967296") + source_id * 4 + KIND_CODE[kind]


def reader_tokens(position_ids=(), unit_ids=(), user_id: int | None = None) -> list[str]:
    """The readers' words a viewer is: their positions (p), their clerk units (u) and themselves as drafter (d)."""
    return ([f"p{int(p)}" for p in sorted(position_ids)] + [f"u{int(u)}" for u in sorted(unit_ids)]
            + ([f"d{int(user_id)}"] if user_id is not None else []))


def _token(prefix: str, column):
    return literal(prefix, String) + cast(column, String)


def _letter_readers(ids: list[int] | None):
    """Per letter, who may see it (services/access.py): the positions it was sent or disposed to (not recalled)
    and by, and — unless Rahasia or Sangat Rahasia — the clerks of the units that registered it."""
    def only(stmt, col):
        return stmt.where(col.in_(ids)) if ids is not None else stmt
    to = only(select(InboxItem.letter_id.label("lid"), _token("p", InboxItem.position_id).label("tok"))
              .where(InboxItem.status != "ditarik"), InboxItem.letter_id)
    by = only(select(InboxItem.letter_id, _token("p", InboxItem.from_position_id))
              .where(InboxItem.from_position_id.is_not(None)), InboxItem.letter_id)
    clerks = only(select(RegisterEntry.letter_id, _token("u", RegisterEntry.unit_id))
                  .join(Letter, Letter.id == RegisterEntry.letter_id).where(Letter.sifat.not_in(CONFIDENTIAL)),
                  RegisterEntry.letter_id)
    return union(to, by, clerks).subquery("tokens")


def _joined(column, dialect: str):
    return func.group_concat(column, " ") if dialect == "sqlite" else func.string_agg(column, " ")


def _letters_select(dialect: str, ids: list[int] | None = None) -> Select:
    """The letter documents: perihal as title; sender, number, summary and place as body."""
    body = (Letter.sender + " " + Letter.number + " " + func.coalesce(Letter.summary, "") + " "
            + func.coalesce(Letter.event_place, ""))
    tokens = _letter_readers(ids)
    readers = (select(tokens.c.lid, _joined(tokens.c.tok, dialect).label("readers"))
               .group_by(tokens.c.lid).subquery("readers"))
    stmt = (select(_document_id_sql("surat", Letter.id, Letter.letter_date, dialect), literal("surat", String),
                   Letter.id, null(), Letter.letter_date, Letter.perihal, body,
                   func.coalesce(readers.c.readers, ""))
            .outerjoin(readers, readers.c.lid == Letter.id))
    return stmt.where(Letter.id.in_(ids)) if ids is not None else stmt


def _items_select(dialect: str, ids: list[int] | None = None) -> Select:
    """The disposition documents: the standard instructions, the note and the report of one inbox item; read by
    its recipient (unless recalled) and its sender."""
    body = InboxItem.instructions + " " + InboxItem.note + " " + InboxItem.report
    to = case((InboxItem.status != "ditarik", _token("p", InboxItem.position_id)), else_="")
    by = func.coalesce(_token("p", InboxItem.from_position_id), "")
    stmt = (select(_document_id_sql("disposisi", InboxItem.id, Letter.letter_date, dialect),
                   literal("disposisi", String), InboxItem.letter_id, InboxItem.id, Letter.letter_date,
                   cast(literal(""), String), body, to + " " + by)
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
    """The draft documents; read by the drafter, the signer and every reviewer in the chain
    (services/outgoing.py)."""
    latest = (select(DraftVersion.draft_id, func.max(DraftVersion.version).label("v"))
              .where(DraftVersion.draft_id.in_(ids)).group_by(DraftVersion.draft_id).subquery())
    rows = conn.execute(
        select(Draft.id, Draft.perihal, Draft.number, Draft.number_date, Draft.created_at, DraftVersion.content,
               Draft.drafter_id, Draft.signer_position_id)
        .outerjoin(latest, latest.c.draft_id == Draft.id)
        .outerjoin(DraftVersion, (DraftVersion.draft_id == Draft.id) & (DraftVersion.version == latest.c.v))
        .where(Draft.id.in_(ids)))
    chain: dict[int, set[int]] = {}
    for draft_id, position_id in conn.execute(select(ReviewStep.draft_id, ReviewStep.position_id)
                                              .where(ReviewStep.draft_id.in_(ids))):
        chain.setdefault(draft_id, set()).add(position_id)
    out = []
    for r in rows:
        day = r.number_date or (r.created_at.date() if r.created_at else None)
        positions = chain.get(r.id, set()) | ({r.signer_position_id} if r.signer_position_id else set())
        out.append(dict(id=document_id("konsep", r.id, day), kind="konsep", draft_id=r.id, title=r.perihal,
                        body=" ".join(filter(None, [r.number or "", draft_text(r.content) if r.content else ""])),
                        doc_date=day, readers=" ".join(reader_tokens(positions, (), r.drafter_id))))
    return out


def refresh(conn, letter_ids=(), item_ids=(), draft_ids=()) -> None:
    """Re-index the given sources (delete their documents, insert them again from the source rows)."""
    doc, dialect = SearchDocument.__table__, conn.dialect.name
    for ids, select_of, kind, column in ((sorted(set(letter_ids)), _letters_select, "surat", doc.c.letter_id),
                                         (sorted(set(item_ids)), _items_select, "disposisi", doc.c.item_id)):
        for chunk in _chunks(ids):
            conn.execute(delete(doc).where(doc.c.kind == kind, column.in_(chunk)))
            conn.execute(insert(doc).from_select(_COLUMNS, select_of(dialect, chunk)))
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
    doc, dialect = SearchDocument.__table__, conn.dialect.name
    conn.execute(delete(doc))
    conn.execute(insert(doc).from_select(_COLUMNS, _letters_select(dialect)))
    conn.execute(insert(doc).from_select(_COLUMNS, _items_select(dialect)))
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


def _recall_changed(item: InboxItem) -> bool:
    """A status change that adds or removes the recipient as a reader (recalled: "ditarik")."""
    history = inspect(item).attrs.status.history
    return "ditarik" in (*(history.added or ()), *(history.deleted or ()))


def _old(obj, field: str):
    """The value a field had before this flush (the current one when it did not change)."""
    history = inspect(obj).attrs[field].history
    return history.deleted[0] if history.deleted else getattr(obj, field)


def _after_flush(session: Session, _context) -> None:
    letters, items, drafts = set(), set(), set()
    for obj in list(session.new) + list(session.dirty):
        is_new = obj in session.new
        if isinstance(obj, Letter) and (is_new or _changed(obj, LETTER_FIELDS)):
            letters.add(obj.id)
        elif isinstance(obj, InboxItem):
            readers = is_new or _changed(obj, ITEM_READER_FIELDS) or _recall_changed(obj)
            if readers:
                letters.update({obj.letter_id, _old(obj, "letter_id")})
            if obj.kind == "disposisi" and (readers or _changed(obj, ITEM_FIELDS)):
                items.add(obj.id)
        elif isinstance(obj, RegisterEntry) and (is_new or _changed(obj, ("unit_id", "letter_id"))):
            letters.update({obj.letter_id, _old(obj, "letter_id")})
        elif isinstance(obj, ReviewStep) and (is_new or _changed(obj, ("position_id", "draft_id"))):
            drafts.update({obj.draft_id, _old(obj, "draft_id")})
        elif isinstance(obj, Draft) and (is_new or _changed(obj, DRAFT_FIELDS)):
            drafts.add(obj.id)
        elif isinstance(obj, DraftVersion) and is_new:
            drafts.add(obj.draft_id)
    for obj in session.deleted:  # the readers a deleted row gave
        if isinstance(obj, (InboxItem, RegisterEntry)):
            letters.add(obj.letter_id)
        elif isinstance(obj, ReviewStep):
            drafts.add(obj.draft_id)
    letters -= {o.id for o in session.deleted if isinstance(o, Letter)}
    drafts -= {o.id for o in session.deleted if isinstance(o, Draft)}
    letters.discard(None)
    drafts.discard(None)
    if letters or items or drafts:
        refresh(session.connection(), letters, items, drafts)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)

__all__ = ["refresh", "rebuild_search_index", "draft_text", "document_id", "reader_tokens", "KIND_CODE"]
