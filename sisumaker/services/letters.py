"""Incoming mail register: registering a letter at the counter, agenda numbers, cancelling an entry."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sisumaker.extensions import db
from sisumaker.models import (CONFIDENTIAL, JENIS, SIFAT, URGENSI, AgendaCounter, Classification, InboxItem, Letter,
                              LetterAddressee, Position, RegisterEntry, StoredFile)
from sisumaker.services import audit
from sisumaker.services.access import Viewer
from sisumaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sisumaker.services.notifications import notify


@dataclass(frozen=True)
class IncomingLetter:
    """What a clerk types from a paper letter."""

    sender: str
    number: str
    letter_date: date | None
    received_on: date | None
    jenis: str
    perihal: str
    summary: str = ""
    sifat: str = "B"
    urgensi: str = "biasa"
    classification_code: str | None = None
    attachments: int = 0
    to_position_ids: tuple[int, ...] = ()
    cc_position_ids: tuple[int, ...] = ()
    event_date: date | None = None
    event_time: time | None = None
    event_place: str | None = None
    extra: dict = field(default_factory=dict)


def take_agenda_numbers(unit_ids: list[int], year: int) -> dict[int, int]:
    """Rule: agenda numbers are gap-free per unit and year. Each unit's counter row is incremented atomically in
    the caller's transaction by ONE upsert ... returning (row-locked on PostgreSQL, under the write lock on
    SQLite), so a rollback returns every number and two clerks never get the same one. Units are taken in a
    fixed order so two concurrent broadcasts lock counters the same way."""
    if not unit_ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(AgendaCounter)
    stmt = ins.values([{"unit_id": u, "year": year, "last_number": 1} for u in sorted(set(unit_ids))])
    stmt = stmt.on_conflict_do_update(index_elements=["unit_id", "year"],
                                      set_={"last_number": AgendaCounter.last_number + 1})
    rows = db.session.execute(stmt.returning(AgendaCounter.unit_id, AgendaCounter.last_number)).all()
    return {unit_id: number for unit_id, number in rows}


def take_agenda_number(unit_id: int, year: int) -> int:
    """The next agenda number of one unit (see take_agenda_numbers)."""
    return take_agenda_numbers([unit_id], year)[unit_id]


def check_incoming(data: IncomingLetter, today: date | None = None) -> dict[str, str]:
    """Every field error of an incoming letter at once (empty when it may be registered)."""
    today = today or date.today()
    errors: dict[str, str] = {}
    if not data.sender.strip():
        errors["sender"] = "Asal surat wajib diisi."
    if not data.number.strip():
        errors["number"] = "Nomor surat wajib diisi (sesuai yang tercetak)."
    if data.letter_date is None:
        errors["letter_date"] = "Tanggal surat wajib diisi."
    elif data.letter_date > today:
        errors["letter_date"] = "Tanggal surat tidak boleh di masa depan."
    if data.received_on is None:
        errors["received_on"] = "Tanggal diterima wajib diisi."
    elif data.received_on > today:
        errors["received_on"] = "Tanggal diterima tidak boleh di masa depan."
    elif data.letter_date and data.received_on < data.letter_date:
        errors["received_on"] = "Tanggal diterima tidak boleh sebelum tanggal surat."
    if data.jenis not in JENIS:
        errors["jenis"] = "Pilih jenis naskah."
    if not data.perihal.strip():
        errors["perihal"] = "Perihal wajib diisi."
    elif len(data.perihal) > 500:
        errors["perihal"] = "Perihal paling banyak 500 karakter."
    if len(data.summary) > 5000:
        errors["summary"] = "Ringkasan paling banyak 5.000 karakter."
    if len(data.sender) > 250 or len(data.number) > 120:
        errors.setdefault("sender", "Asal atau nomor surat terlalu panjang.")
    if data.sifat not in SIFAT:
        errors["sifat"] = "Pilih sifat surat."
    if data.urgensi not in URGENSI:
        errors["urgensi"] = "Pilih urgensi surat."
    if data.classification_code and db.session.get(Classification, data.classification_code) is None:
        errors["classification_code"] = "Kode klasifikasi tidak dikenal."
    if not 0 <= data.attachments <= 999:
        errors["attachments"] = "Jumlah lampiran harus 0–999."
    if not data.to_position_ids:
        errors["to_position_ids"] = "Pilih paling sedikit satu jabatan tujuan."
    if set(data.to_position_ids) & set(data.cc_position_ids):
        errors["cc_position_ids"] = "Jabatan yang sama tidak boleh menjadi tujuan dan tembusan sekaligus."
    if data.jenis == "surat_undangan" and data.event_date is None:
        errors["event_date"] = "Untuk undangan, tanggal acara wajib diisi."
    if data.event_place and len(data.event_place) > 250:
        errors["event_place"] = "Tempat acara terlalu panjang."
    # unknown or closed positions are found here too, so that the form refuses them before storing the scan
    _positions(data.to_position_ids, "to_position_ids", errors)
    _positions(data.cc_position_ids, "cc_position_ids", errors)
    return errors


def _positions(ids: tuple[int, ...], field_name: str, errors: dict[str, str]) -> list[Position]:
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(select(Position).where(Position.id.in_(ids)))}
    if len(found) != len(set(ids)) or any(p.closed_on for p in found.values()):
        errors[field_name] = "Ada jabatan tujuan yang tidak dikenal atau sudah ditutup."
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def register_incoming(viewer: Viewer, data: IncomingLetter, scan: StoredFile | None,
                      today: date | None = None) -> RegisterEntry:
    """Rule: a clerk (agendaris) registers a paper letter into their own unit's register; the agenda number is
    taken in the same transaction; each addressee (and tembusan) gets it in their inbox."""
    today = today or date.today()
    if not viewer.is_clerk:
        raise PermissionDenied("Hanya petugas agendaris yang dapat mencatat surat masuk.")
    errors = check_incoming(data, today)
    if errors:
        raise ValidationError(errors)
    to_positions = _positions(data.to_position_ids, "to_position_ids", errors)
    cc_positions = _positions(data.cc_position_ids, "cc_position_ids", errors)
    unit_id = viewer.clerk_unit_id
    letter = Letter(
        direction="masuk", jenis=data.jenis, sender=data.sender.strip(), number=data.number.strip(),
        letter_date=data.letter_date, perihal=data.perihal.strip(), summary=data.summary.strip(), sifat=data.sifat,
        urgensi=data.urgensi, classification_code=data.classification_code or None, attachments=data.attachments,
        event_date=data.event_date, event_time=data.event_time, event_place=(data.event_place or "").strip() or None,
        scan_file_id=scan.id if scan else None, created_by_id=viewer.user.id,
    )
    db.session.add(letter)
    db.session.flush()
    for kind, positions in (("to", to_positions), ("cc", cc_positions)):
        for p in positions:
            db.session.add(LetterAddressee(letter_id=letter.id, position_id=p.id, kind=kind))
    number = take_agenda_number(unit_id, data.received_on.year)
    entry = RegisterEntry(letter_id=letter.id, unit_id=unit_id, year=data.received_on.year, agenda_number=number,
                          received_on=data.received_on, registered_by_id=viewer.user.id, origin="loket")
    db.session.add(entry)
    db.session.flush()
    for kind, positions in (("surat", to_positions), ("tembusan", cc_positions)):
        for p in positions:
            item = InboxItem(letter_id=letter.id, position_id=p.id, kind=kind, from_user_id=viewer.user.id,
                             confidential=letter.sifat in CONFIDENTIAL)
            db.session.add(item)
            db.session.flush()
            label = "Surat masuk" if kind == "surat" else "Tembusan surat"
            notify(p.id, item, f"{label}: {_short(letter)}")
    audit.record(viewer.user, "letter.register", "register_entry", entry.id,
                 {"letter": letter.id, "unit": unit_id, "agenda": f"{number}/{entry.year}", "sifat": letter.sifat})
    return entry


def _short(letter: Letter) -> str:
    if letter.confidential:
        return f"{letter.sender} (RAHASIA)"
    return f"{letter.perihal[:120]} — {letter.sender}"


def cancel_entry(viewer: Viewer, entry_id: int, reason: str) -> RegisterEntry:
    """Rule: only a clerk of the entry's unit cancels it, with a reason; the number stays used, never reused."""
    entry = db.session.get(RegisterEntry, entry_id)
    if entry is None or entry.unit_id not in viewer.clerk_unit_ids:
        raise NotFound("Catatan agenda tidak ditemukan atau bukan milik unit Anda.")
    if entry.status == "dibatalkan":
        raise Conflict("Catatan agenda ini sudah dibatalkan.")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": "Tuliskan alasan pembatalan (minimal 5 karakter)."})
    entry.status = "dibatalkan"
    entry.cancel_reason = reason[:500]
    entry.cancelled_at = datetime.now(timezone.utc)
    entry.cancelled_by_id = viewer.user.id
    db.session.flush()
    audit.record(viewer.user, "letter.cancel", "register_entry", entry.id, {"reason": entry.cancel_reason})
    return entry
