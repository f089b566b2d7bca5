"""The buku agenda of a unit for a period, as PDF and CSV (rendering lives in documents/agenda_book.py).

Rule: the book of a unit is printed by its agendaris or by the head of the unit; Rahasia and Sangat Rahasia
letters keep their line (the numbering stays visibly gap-free) but only their number and dates, unless the
reader may see the letter.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import literal, or_, select

from sisumaker.documents.agenda_book import AgendaRow, agenda_csv, render_agenda_book
from sisumaker.documents.dates import tanggal_id
from sisumaker.extensions import db
from sisumaker.models import InboxItem, Letter, LetterAddressee, Position, RegisterEntry, Unit
from sisumaker.services.access import Viewer, register_unit_of, visible_letter_clause
from sisumaker.services.errors import PermissionDenied, ValidationError
from sisumaker.services.org import unit_subtree_ids
from sisumaker.services.sheets import kop_for

MAX_DAYS = 366
HIDDEN = "(Surat {sifat}: isi hanya untuk penerima)"


@dataclass(frozen=True)
class AgendaBook:
    unit: Unit
    date_from: date
    date_to: date
    rows: list[AgendaRow]

    @property
    def period_label(self) -> str:
        return f"{tanggal_id(self.date_from)} s.d. {tanggal_id(self.date_to)}"

    @property
    def file_stem(self) -> str:
        return f"buku-agenda-{self.unit.code.lower()}-{self.date_from.isoformat()}-{self.date_to.isoformat()}"


def agenda_units(viewer: Viewer) -> list[Unit]:
    """The units whose book the viewer may print: their clerk units, and units whose head position they hold
    or act in."""
    ids = set(viewer.clerk_unit_ids)
    for ap in viewer.positions:
        unit = register_unit_of(ap.position)
        if ap.position.is_unit_head and unit is not None and ap.position.unit_id == unit.id:
            ids.add(unit.id)
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.name)))


def check_period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    errors = {}
    if date_from is None:
        errors["dari"] = "Tanggal awal periode wajib diisi."
    if date_to is None:
        errors["sampai"] = "Tanggal akhir periode wajib diisi."
    if date_from and date_to:
        if date_from > date_to:
            errors["sampai"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
        elif (date_to - date_from).days >= MAX_DAYS:
            errors["sampai"] = "Periode paling panjang satu tahun."
    if errors:
        raise ValidationError(errors)
    return date_from, date_to


def agenda_book(viewer: Viewer, unit_id: int, date_from: date | None, date_to: date | None) -> AgendaBook:
    """Rule (module docstring): the unit's register lines received in the period, in agenda-number order."""
    unit = next((u for u in agenda_units(viewer) if u.id == unit_id), None)
    if unit is None:
        raise PermissionDenied("Buku agenda hanya dapat dicetak oleh agendaris atau pimpinan unit tersebut.")
    date_from, date_to = check_period(date_from, date_to)
    rows = db.session.execute(
        select(RegisterEntry, Letter, visible_letter_clause(viewer).label("visible"))
        .join(Letter, Letter.id == RegisterEntry.letter_id)
        .where(RegisterEntry.unit_id == unit.id, RegisterEntry.received_on.between(date_from, date_to))
        .order_by(RegisterEntry.year, RegisterEntry.agenda_number)).all()
    units = unit_subtree_ids(unit.id)
    if unit.kind == "setda":  # the Setda keeps the register of the Bupati's (Pemkab's) mail
        units += list(db.session.scalars(select(Unit.id).where(Unit.kind == "pemkab")))
    forwarded = _forwarded_to([letter.id for _e, letter, _v in rows], units)
    out = []
    for entry, letter, visible in rows:
        note = f"Dibatalkan: {entry.cancel_reason}" if entry.status == "dibatalkan" else \
            ("Diterima dari unit lain (elektronik)" if entry.origin != "loket" else "")
        hidden = HIDDEN.format(sifat="Rahasia" if letter.sifat == "R" else "Sangat Rahasia")
        out.append(AgendaRow(
            agenda_number=entry.agenda_label, received_date=entry.received_on,
            sender=letter.sender if visible else "", letter_number=letter.number if visible else "",
            letter_date=letter.letter_date, perihal=letter.perihal if visible else hidden, sifat=letter.sifat,
            forwarded_to=forwarded.get(letter.id, ()) if visible else (), keterangan=note))
    return AgendaBook(unit, date_from, date_to, out)


def _forwarded_to(letter_ids: list[int], unit_ids: list[int]) -> dict[int, list[str]]:
    """Per letter: the positions of these units it was addressed to, and the dispositions sent to or from them,
    in order of arrival."""
    out: dict[int, list[str]] = {}
    own = select(Position.id).where(Position.unit_id.in_(unit_ids))
    for i in range(0, len(letter_ids), 500):
        chunk = letter_ids[i:i + 500]
        addressed = select(LetterAddressee.letter_id, Position.title, literal(0).label("g"), LetterAddressee.id.label("o")).join(
            Position, Position.id == LetterAddressee.position_id).where(LetterAddressee.letter_id.in_(chunk),
                                                                     Position.unit_id.in_(unit_ids))
        disposed = select(InboxItem.letter_id, Position.title, literal(1), InboxItem.id).join(
            Position, Position.id == InboxItem.position_id).where(
            InboxItem.letter_id.in_(chunk), InboxItem.kind == "disposisi", InboxItem.status != "ditarik",
            or_(Position.unit_id.in_(unit_ids), InboxItem.from_position_id.in_(own)))
        for letter_id, title, _group, _order in db.session.execute(addressed.union_all(disposed).order_by("g", "o")):
            titles = out.setdefault(letter_id, [])
            if title not in titles:
                titles.append(title)
    return out


def agenda_book_pdf(book: AgendaBook) -> bytes:
    return render_agenda_book(kop_for(book.unit), book.unit.name, book.period_label, book.rows)


def agenda_book_csv(book: AgendaBook) -> bytes:
    return agenda_csv(book.rows, bom=True).encode("utf-8")
