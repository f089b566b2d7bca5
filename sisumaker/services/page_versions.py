"""Change counters for cached list pages (the inbox, the buku agenda): bumped in the transaction that changes
what those pages show, read before a page is computed.

Rule: every committed change to an inbox item or a bell notification bumps its position's counter; a register
entry bumps its unit's; an edited letter bumps the positions it reached and the units that registered it; a
change to positions, units, acting posts or the holiday calendar bumps the one counter every page depends on.
The counters are bumped in one statement per scope, keys sorted, at commit (rows are locked in one order, so
two transactions cannot deadlock on them), by a session hook for ORM changes and by `touch` for Core writes.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from sisumaker.models import (ActingAssignment, Holiday, InboxItem, Letter, Notification, Position, RegisterEntry,
                              Unit)

GLOBAL = ("all", 0)
_KEYS = "page_versions"  # session.info: {(scope, key)} to bump at commit
_LETTERS = "page_versions_letters"  # session.info: ids of edited letters, resolved to positions/units at commit
_EVERYTHING = (Position, Unit, ActingAssignment, Holiday)
LETTER_FIELDS = ("perihal", "sender", "sifat", "urgensi", "number", "letter_date", "jenis", "summary")

_BUMP = text(
    "INSERT INTO page_version (scope, key, version) VALUES (:scope, :key, 1) "
    "ON CONFLICT (scope, key) DO UPDATE SET version = page_version.version + 1")


def touch(session: Session, scope: str, keys: Iterable[int]) -> None:
    """Mark counters to bump at this transaction's commit (for writes that bypass the ORM's unit of work)."""
    session.info.setdefault(_KEYS, set()).update((scope, int(k)) for k in keys if k is not None)


def read_versions(session: Session, position_ids: Iterable[int] = (), unit_ids: Iterable[int] = ()) -> tuple:
    """The counters a page depends on, as one comparable value (a missing counter reads 0)."""
    wanted = [GLOBAL] + sorted(("pos", int(p)) for p in set(position_ids)) + sorted(
        ("unit", int(u)) for u in set(unit_ids))
    pos = ",".join(str(k) for s, k in wanted if s == "pos") or "-1"
    units = ",".join(str(k) for s, k in wanted if s == "unit") or "-1"
    # ids are ints (formatted above), so they are inlined: one plain statement, no per-id bind parameters
    rows = session.execute(text(
        "SELECT scope, key, version FROM page_version WHERE (scope = 'all' AND key = 0) "
        f"OR (scope = 'pos' AND key IN ({pos})) OR (scope = 'unit' AND key IN ({units}))")).all()
    found = {(s, k): v for s, k, v in rows}
    return tuple(found.get(w, 0) for w in wanted)


def _changed(obj, fields: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _old_and_new(obj, attribute: str) -> set[int]:
    history = inspect(obj).attrs[attribute].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _after_flush(session: Session, _context) -> None:
    keys: set = session.info.setdefault(_KEYS, set())
    letters: set = session.info.setdefault(_LETTERS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (InboxItem, Notification)):
            keys.update(("pos", p) for p in _old_and_new(obj, "position_id"))
            if isinstance(obj, InboxItem) and (obj in session.new or obj in session.deleted):
                # a disposition sent lets its sender's positions read a Rahasia letter (the register's mask)
                keys.update(("pos", p) for p in _old_and_new(obj, "from_position_id"))
        elif isinstance(obj, RegisterEntry):
            keys.update(("unit", u) for u in _old_and_new(obj, "unit_id"))
        elif isinstance(obj, Letter) and obj not in session.new and _changed(obj, LETTER_FIELDS):
            letters.add(obj.id)
        elif isinstance(obj, _EVERYTHING):
            keys.add(GLOBAL)


def _before_commit(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this hook: collect its changes first (a no-op if none)
    keys = session.info.pop(_KEYS, set())
    letters = session.info.pop(_LETTERS, set())
    if letters:
        keys.update(("pos", p) for p in session.scalars(
            select(InboxItem.position_id).where(InboxItem.letter_id.in_(letters)).distinct()))
        keys.update(("unit", u) for u in session.scalars(
            select(RegisterEntry.unit_id).where(RegisterEntry.letter_id.in_(letters)).distinct()))
    if keys:
        session.execute(_BUMP, [{"scope": s, "key": k} for s, k in sorted(keys)])


def _forget(session: Session, transaction) -> None:
    """A rolled-back transaction bumps nothing (a savepoint's end keeps what the outer transaction collected)."""
    if transaction.parent is None:
        session.info.pop(_KEYS, None)
        session.info.pop(_LETTERS, None)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_transaction_end", _forget)

__all__ = ["GLOBAL", "touch", "read_versions"]
