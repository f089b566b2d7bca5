"""Finding positions: the usual addressees for a clerk, a search over all open positions, and the recipients
a disposer is offered first."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from sisumaker.extensions import db
from sisumaker.models import Position, Unit
from sisumaker.services.access import REGISTER_UNIT_KINDS, Viewer, register_unit_of
from sisumaker.services.org import command_subtree_ids


def usual_addressees(viewer: Viewer) -> list[Position]:
    """For a clerk: the head of the regency, the deputy, the Sekda, and the heads inside the clerk's own unit."""
    top = list(db.session.scalars(select(Position).join(Unit).where(
        Unit.kind.in_(("pemkab", "setda")), Position.closed_on.is_(None),
        or_(Position.parent_id.is_(None), Position.is_unit_head.is_(True), Position.title.like("Wakil%")))
        .order_by(Position.id).limit(4)))
    own: list[Position] = []
    for unit_id in viewer.clerk_unit_ids:
        unit = db.session.get(Unit, unit_id)
        heads = db.session.scalars(select(Position).where(
            Position.unit_id == unit.id, Position.closed_on.is_(None)).order_by(Position.id).limit(3))
        own.extend(p for p in heads if p not in top and "Pengadministrasi" not in p.title)
    return top + own


def search_positions(query: str, limit: int = 15, within: set[int] | None = None) -> list[Position]:
    """Open positions whose title or unit name contains every word of the query."""
    words = [w for w in (query or "").lower().split() if w][:5]
    if not words:
        return []
    stmt = select(Position).join(Unit).options(joinedload(Position.unit)).where(Position.closed_on.is_(None))
    for w in words:
        stmt = stmt.where(or_(func.lower(Position.title).contains(w), func.lower(Unit.name).contains(w)))
    if within is not None:
        stmt = stmt.where(Position.id.in_(within))
    return list(db.session.scalars(stmt.order_by(Position.title).limit(limit)))


def short_label(position: Position) -> str:
    """A short name for a head position: the OPD's acronym or the kecamatan's name."""
    if position.unit.kind == "kecamatan":
        return position.unit.name.removeprefix("Kecamatan ")
    return position.unit.code


def suggested_recipients(position: Position) -> list[tuple[str, list[Position], bool]]:
    """The first recipients offered to a disposer, grouped: direct subordinates, then the heads of OPDs and
    kecamatan inside the subtree (so the Bupati reaches any kepala OPD or camat in one tap)."""
    subtree = command_subtree_ids(position.id) - {position.id}
    if not subtree:
        return []
    direct = list(db.session.scalars(select(Position).where(
        Position.parent_id == position.id, Position.closed_on.is_(None)).order_by(Position.id)))
    direct_ids = {p.id for p in direct}
    heads = list(db.session.scalars(
        select(Position).join(Unit).where(
            Position.id.in_(subtree), Position.is_unit_head.is_(True), Position.closed_on.is_(None),
            Unit.kind.in_(tuple(k for k in REGISTER_UNIT_KINDS if k not in ("setda", "kelurahan", "desa"))))
        .order_by(Unit.kind, Position.title)))
    heads = [p for p in heads if p.id not in direct_ids]
    opd = sorted((p for p in heads if p.unit.kind != "kecamatan"), key=lambda p: p.unit.code)
    kec = sorted((p for p in heads if p.unit.kind == "kecamatan"), key=lambda p: p.unit.name)
    groups = [("Bawahan langsung", direct, False), ("Kepala OPD", opd, True), ("Camat", kec, True)]
    return [(label, ps, compact) for label, ps, compact in groups if ps]


__all__ = ["usual_addressees", "search_positions", "short_label", "suggested_recipients", "register_unit_of"]
