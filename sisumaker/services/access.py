"""Who may see which letter. One rule, used by every read path (lists, search, files, PDFs, counts).

A position sees a letter when it is an addressee (or tembusan), when the letter was disposed to it or by it,
or — for Biasa/Terbatas letters only — when it is a clerk of a unit that registered the letter. Rahasia and
Sangat Rahasia letters are seen only by addressees and by the positions they are disposed to.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from sisumaker.extensions import db
from sisumaker.models import CONFIDENTIAL, InboxItem, Letter, Position, RegisterEntry, Unit, User
from sisumaker.services.errors import NotFound
from sisumaker.services.org import ActingPosition, acting_positions

# Units that keep their own buku agenda; Pemkab's mail (the Bupati's) is registered by the Setda.
REGISTER_UNIT_KINDS = ("setda", "badan", "dinas", "lembaga", "kecamatan", "kelurahan", "desa")


def register_unit_of(position: Position) -> Unit | None:
    """The nearest unit at or above the position's unit that keeps a register."""
    unit = position.unit
    while unit is not None:
        if unit.kind in REGISTER_UNIT_KINDS:
            return unit
        if unit.kind == "pemkab":
            return db.session.scalar(select(Unit).where(Unit.kind == "setda").limit(1))
        unit = unit.parent
    return None


@dataclass(frozen=True)
class Viewer:
    """The acting user with what they act for today; computed once per request or job."""

    user: User
    positions: tuple[ActingPosition, ...]
    position_ids: frozenset[int]
    clerk_unit_ids: frozenset[int]

    def acts_for(self, position_id: int | None) -> bool:
        return position_id in self.position_ids

    @property
    def is_clerk(self) -> bool:
        return bool(self.clerk_unit_ids)

    @property
    def clerk_unit_id(self) -> int | None:
        return next(iter(sorted(self.clerk_unit_ids)), None)


def viewer_for(user: User, on: date | None = None) -> Viewer:
    positions = tuple(acting_positions(user, on))
    clerk_units: set[int] = set()
    if user.role == "agendaris":
        for ap in positions:
            unit = register_unit_of(ap.position)
            if unit is not None:
                clerk_units.add(unit.id)
    return Viewer(user, positions, frozenset(ap.position.id for ap in positions), frozenset(clerk_units))


# Built once: an aliased class makes its table alias and column proxies on first use (~1-2 ms a call).
_VIS_ITEM = aliased(InboxItem, name="vis_item")
_VIS_ENTRY = aliased(RegisterEntry, name="vis_entry")


def visible_letter_clause(viewer: Viewer):
    """SQL condition on Letter: true exactly for the letters the viewer may see."""
    if not viewer.position_ids and not viewer.clerk_unit_ids:
        return false()
    pids = list(viewer.position_ids)
    item, entry = _VIS_ITEM, _VIS_ENTRY  # aliases: never correlate with an outer query's tables
    conditions = []
    if pids:
        to_col, from_col = item.position_id, item.from_position_id
        if db.session.get_bind().dialect.name == "sqlite":
            # "+ 0": look items up by letter (a few each), never by position (the Bupati has tens of thousands):
            # without statistics SQLite would scan the position's items for every letter. PostgreSQL plans
            # this itself, and needs the plain columns to use its indexes.
            to_col, from_col = to_col + 0, from_col + 0
        conditions.append(exists().where(item.letter_id == Letter.id, to_col.in_(pids), item.status != "ditarik"))
        conditions.append(exists().where(item.letter_id == Letter.id, from_col.in_(pids)))
    if viewer.clerk_unit_ids:
        conditions.append(and_(
            Letter.sifat.not_in(CONFIDENTIAL),
            exists().where(entry.letter_id == Letter.id, entry.unit_id.in_(list(viewer.clerk_unit_ids)))))
    return or_(*conditions)


def can_view_letter(viewer: Viewer, letter_id: int) -> bool:
    return db.session.scalar(select(Letter.id).where(Letter.id == letter_id, visible_letter_clause(viewer))) \
        is not None


def get_visible_letter(viewer: Viewer, letter_id: int) -> Letter:
    """Rule: a letter the viewer may not see is reported as not found (its existence is not revealed)."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not can_view_letter(viewer, letter_id):
        raise NotFound("Surat tidak ditemukan atau Anda tidak berwenang melihatnya.")
    return letter
