"""The retention calendar (JRA): which records move to the inactive archive, and which reach their final
disposition (musnah / permanen / dinilai kembali), by a chosen date; and the berita acara the archivist signs.

Counting rule (documented in README): a record's retention starts on 1 January of the year after its letter
date (the year its file is closed); it is active for the code's active years, then inactive for its inactive
years. A 2026 letter under a code with 2 + 3 years moves to inactive on 1 January 2029 and reaches its final
disposition on 1 January 2032. Letters without a classification code are not scheduled.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, extract, func, or_, select

from sisumaker.documents.berita_acara import ArchiveOfficial, BeritaAcara, RetentionGroup, render_berita_acara
from sisumaker.documents.kop import Kop
from sisumaker.extensions import db
from sisumaker.models import CONFIDENTIAL, Classification, Letter, Position, RegisterEntry, Unit, User
from sisumaker.services.access import Viewer, visible_letter_clause
from sisumaker.services.errors import PermissionDenied, ValidationError

STAGES = {"pindah": "Pindah ke inaktif", "musnah": "Musnah", "permanen": "Permanen (serahkan ke lembaga kearsipan)",
          "dinilai kembali": "Dinilai kembali"}
PAGE_SIZE = 50


def retention_dates(letter_date: date, active_years: int, inactive_years: int) -> tuple[date, date]:
    """(moves to inactive on, final disposition due on) under the counting rule of this module."""
    start = letter_date.year + 1
    return date(start + active_years, 1, 1), date(start + active_years + inactive_years, 1, 1)


def require_archivist(viewer: Viewer) -> None:
    """Rule: the retention calendar is for admins and the agendaris (arsiparis) of a registering unit."""
    if viewer.user.role != "admin" and not viewer.clerk_unit_ids:
        raise PermissionDenied("Kalender retensi hanya untuk administrator dan agendaris/arsiparis unit.")


def scope_units(viewer: Viewer, unit_id: int | None) -> set[int] | None:
    """The registering units whose records are listed: an admin's chosen unit (None: the whole regency), else
    the clerk's own unit(s), narrowed to the chosen one when it is theirs."""
    if viewer.user.role == "admin":
        return {unit_id} if unit_id else None
    if unit_id in viewer.clerk_unit_ids:
        return {unit_id}
    return set(viewer.clerk_unit_ids)


def _year():
    return extract("year", Letter.letter_date)


def _conditions(viewer: Viewer, by: date, unit_id: int | None) -> list:
    """Letters in scope that are due to move to inactive by `by` (which includes those past their final date).
    Rahasia/Sangat Rahasia letters only for whoever may see them: not listed, not counted otherwise."""
    conds = [Letter.classification_code.is_not(None),
             _year() + 1 + Classification.active_years <= by.year,
             or_(Letter.sifat.not_in(CONFIDENTIAL), visible_letter_clause(viewer))]
    units = scope_units(viewer, unit_id)
    if units is not None:
        conds.append(exists().where(RegisterEntry.letter_id == Letter.id, RegisterEntry.unit_id.in_(list(units)),
                                    RegisterEntry.status == "aktif"))
    return conds


def _stage(by: date):
    final_due = _year() + 1 + Classification.active_years + Classification.inactive_years <= by.year
    return case((final_due, Classification.final_disposition), else_="pindah")


@dataclass(frozen=True)
class DueGroup:
    stage: str
    code: str
    name: str
    active_years: int
    inactive_years: int
    first_year: int
    last_year: int
    count: int


def due_groups(viewer: Viewer, by: date, unit_id: int | None = None) -> list[DueGroup]:
    """Rule: per stage and classification code, how many visible records are due by `by` (one query)."""
    require_archivist(viewer)
    stage = _stage(by).label("stage")
    stmt = (select(stage, Classification.code, Classification.name, Classification.active_years,
                   Classification.inactive_years, func.min(_year()), func.max(_year()), func.count(Letter.id))
            .select_from(Letter).join(Classification, Classification.code == Letter.classification_code)
            .where(*_conditions(viewer, by, unit_id))
            .group_by(stage, Classification.code, Classification.name, Classification.active_years,
                      Classification.inactive_years)
            .order_by(stage, Classification.code))
    return [DueGroup(s, c, n, a, i, int(lo), int(hi), int(k)) for s, c, n, a, i, lo, hi, k in db.session.execute(stmt)]


def due_letters(viewer: Viewer, by: date, stage: str, unit_id: int | None = None, code: str | None = None,
                page: int = 1) -> tuple[list[tuple[Letter, Classification, bool]], bool]:
    """The records behind one stage (optionally one code), oldest first, PAGE_SIZE a page; the flag says whether
    the viewer may open the letter itself (an admin sees number, date and code of letters they may not read)."""
    require_archivist(viewer)
    if stage not in STAGES:
        raise ValidationError({"tahap": "Tahap retensi tidak dikenal."})
    stmt = (select(Letter, Classification, visible_letter_clause(viewer).label("visible")).join(Classification, Classification.code == Letter.classification_code)
            .where(*_conditions(viewer, by, unit_id), _stage(by) == stage))
    if code:
        stmt = stmt.where(Classification.code == code)
    page = max(1, page)
    rows = db.session.execute(stmt.order_by(Letter.letter_date, Letter.id).offset((page - 1) * PAGE_SIZE)
                              .limit(PAGE_SIZE + 1)).all()
    return [(r[0], r[1], bool(r[2])) for r in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def _head_of(unit: Unit) -> tuple[User | None, Position | None]:
    head = db.session.scalar(select(Position).where(Position.unit_id == unit.id, Position.is_unit_head.is_(True),
                                                    Position.closed_on.is_(None)).order_by(Position.id))
    holder = db.session.scalar(select(User).where(User.position_id == head.id, User.is_enabled.is_(True))
                               .order_by(User.id)) if head else None
    return holder, head


def berita_acara_pdf(viewer: Viewer, by: date, stage: str, unit_id: int | None, on: date) -> bytes:
    """Rule: the archivist drafts the berita acara of one unit for one stage from the due records they may see;
    the archivist is the acting user, the second party the unit's head; the number is left to be filled in."""
    require_archivist(viewer)
    units = scope_units(viewer, unit_id)
    if not units or len(units) != 1:
        raise ValidationError({"unit": "Pilih satu unit kerja untuk berita acara."})
    unit = db.session.get(Unit, next(iter(units)))
    if unit is None:
        raise ValidationError({"unit": "Unit kerja tidak ditemukan."})
    if stage not in STAGES:
        raise ValidationError({"tahap": "Tahap retensi tidak dikenal."})
    groups = [g for g in due_groups(viewer, by, unit.id) if g.stage == stage]
    if not groups:
        raise ValidationError({"tahap": "Tidak ada arsip pada tahap ini sampai tanggal yang dipilih."})
    root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
    regency = (root.name if root else "Kabupaten").removeprefix("Pemerintah ").strip()
    place = regency.removeprefix("Kabupaten ").removeprefix("Kota ")
    me = viewer.user
    my_title = me.position.title if me.position else "Arsiparis"
    holder, head = _head_of(unit)
    ba = BeritaAcara(
        kop=Kop(regency=regency, unit_name=unit.name, address=unit.address or ""),
        action="pindah" if stage == "pindah" else stage, number=f"000.5/......../{unit.code}/{on.year}",
        on=on, place=place, unit_name=unit.name,
        archivist=ArchiveOfficial(me.full_name, me.nip or "", my_title),
        head=ArchiveOfficial(holder.full_name if holder else "........................", (holder.nip or "")
                             if holder else "", head.title if head else f"Kepala {unit.name}"),
        groups=[RetentionGroup(g.code, g.name, g.first_year, g.last_year, g.count,
                               f"{g.active_years} th aktif, {g.inactive_years} th inaktif", STAGES[g.stage])
                for g in groups])
    return render_berita_acara(ba)


def unit_choices(viewer: Viewer) -> list[Unit]:
    """Units the viewer may pick: every registering unit for an admin, the clerk's own otherwise."""
    from sisumaker.services.access import REGISTER_UNIT_KINDS

    if viewer.user.role == "admin":
        stmt = select(Unit).where(Unit.kind.in_([k for k in REGISTER_UNIT_KINDS if k not in ("desa", "kelurahan")]))
    else:
        stmt = select(Unit).where(Unit.id.in_(list(viewer.clerk_unit_ids)))
    return list(db.session.scalars(stmt.order_by(Unit.name)))


__all__ = ["STAGES", "retention_dates", "due_groups", "due_letters", "berita_acara_pdf", "unit_choices"]
