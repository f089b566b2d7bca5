"""Sending a signed letter: internal recipients get it in their own register (own agenda number, no re-keying),
broadcast groups expand to one delivery per unit in one transaction; the sender's read matrix and reminders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, insert, select

from sisumaker.extensions import db
from sisumaker.mail_hook import NEW_NOTIFICATIONS
from sisumaker.models import (CONFIDENTIAL, Draft, InboxItem, Letter, Notification, Position, RecipientGroupMember,
                              RegisterEntry, SignDocument, Unit)
from sisumaker.services import audit, page_versions, search_index
from sisumaker.services.access import Viewer, register_unit_of
from sisumaker.services.errors import NotFound, parse_id
from sisumaker.services.letters import take_agenda_numbers

GROUP_KINDS = {
    "semua-opd": ("badan", "dinas", "lembaga"),
    "semua-kecamatan": ("kecamatan",),
    "semua-desa": ("desa", "kelurahan"),
    "semua": ("badan", "dinas", "lembaga", "kecamatan", "desa", "kelurahan"),
}


def group_units(keys: list[str]) -> list[int]:
    """Rule: a group is expanded at send time into the units it names today (closed units excluded)."""
    kinds = {k for key in keys for k in GROUP_KINDS.get(key, ())}
    ids: set[int] = set()
    if kinds:
        ids |= set(db.session.scalars(select(Unit.id).where(Unit.kind.in_(kinds), Unit.closed_on.is_(None))))
    custom = [i for i in (parse_id(k[5:]) for k in keys if k.startswith("grup-")) if i]
    if custom:
        ids |= set(db.session.scalars(select(RecipientGroupMember.unit_id).join(Unit).where(
            RecipientGroupMember.group_id.in_(custom), Unit.closed_on.is_(None))))
    return sorted(ids)


def unit_heads(unit_ids: list[int]) -> dict[int, int]:
    """The head position of each unit (the lowest-numbered open head post)."""
    rows = db.session.execute(select(Position.unit_id, func.min(Position.id)).where(
        Position.unit_id.in_(unit_ids), Position.is_unit_head.is_(True), Position.closed_on.is_(None))
        .group_by(Position.unit_id))
    return dict(rows.all())


def deliver_signed(doc: SignDocument) -> Letter | None:
    """Rule: once the final signature is on, an outgoing letter is delivered — each internal recipient unit gets a
    register entry with its own agenda number and the addressed position an inbox item, all in the signing
    transaction (so a broadcast is never half-delivered)."""
    draft = db.session.scalar(select(Draft).where(Draft.sign_document_id == doc.id))
    if draft is None or draft.letter_id is not None:
        return None
    signing_unit = register_unit_of(draft.signer_position)
    letter = Letter(direction="keluar", jenis=draft.jenis, sender=signing_unit.name if signing_unit else "",
                    number=draft.number or "", letter_date=draft.number_date, perihal=draft.perihal, summary="",
                    sifat=draft.sifat, urgensi=draft.urgensi, classification_code=draft.classification_code,
                    scan_file_id=doc.current_file_id, created_by_id=draft.drafter_id)
    db.session.add(letter)
    db.session.flush()
    # (position, kind) per delivery; a unit gets one register entry however many of its positions are addressed
    targets: dict[int, tuple[int, str]] = {}
    for rcpt in draft.recipients:
        if rcpt.position_id:
            targets.setdefault(rcpt.position_id, (rcpt.position_id, "surat" if rcpt.kind == "to" else "tembusan"))
    heads = unit_heads(group_units((draft.group_key or "").split(","))) if draft.group_key else {}
    for position_id in heads.values():
        targets.setdefault(position_id, (position_id, "surat"))
    positions = {p.id: p for p in db.session.scalars(select(Position).where(Position.id.in_(list(targets))))}
    units_loaded = _preload_units({p.unit_id for p in positions.values()})  # noqa: F841  (kept while walking)
    unit_of = {pid: register_unit_of(p) for pid, p in positions.items()}
    units = sorted({u.id for u in unit_of.values() if u is not None})
    year = draft.number_date.year
    numbers = take_agenda_numbers(units, year)
    received = draft.number_date
    # Core inserts, one statement per table however many units: a broadcast to every unit would otherwise
    # make the ORM track ~1,100 new objects (most of the fan-out's time); column defaults still apply.
    if units:
        db.session.execute(insert(RegisterEntry.__table__), [
            {"letter_id": letter.id, "unit_id": u, "year": year, "agenda_number": numbers[u], "received_on": received,
             "origin": "internal"} for u in units])
        page_versions.touch(db.session, "unit", units)
    items = db.session.execute(insert(InboxItem.__table__).returning(InboxItem.id, InboxItem.position_id), [
        {"letter_id": letter.id, "position_id": pid, "kind": kind, "from_position_id": draft.signer_position_id,
         "confidential": letter.sifat in CONFIDENTIAL}
        for pid, kind in targets.values()]).all() if targets else []
    label = f"{'Surat Edaran' if draft.jenis == 'surat_edaran' else 'Surat'} {letter.number}: {letter.perihal[:120]}"
    if items:
        db.session.execute(insert(Notification.__table__), [
            {"position_id": position_id, "item_id": item_id, "text": label[:300]} for item_id, position_id in items])
        page_versions.touch(db.session, "pos", {position_id for _item_id, position_id in items})
        db.session.info[NEW_NOTIFICATIONS] = True  # the e-mail hook sees only ORM objects; tell it
    if units or items:  # Core inserts pass the flush hook by: the letter's readers change here
        search_index.refresh(db.session.connection(), letter_ids=[letter.id])
    draft.status, draft.letter_id = "terkirim", letter.id
    db.session.flush()
    audit.record(None, "letter.send", "letter", letter.id,
                 {"draft": draft.id, "units": len(units), "positions": len(items), "number": letter.number})
    return letter


def _preload_units(unit_ids: set[int]) -> list[Unit]:
    """Load the units and their ancestors once, so walking up to the register unit needs no query per row.
    The caller keeps the returned list while walking: the session holds loaded objects only weakly, so units
    nobody references are dropped again and every `position.unit` would be a query of its own."""
    loaded: dict[int, Unit] = {}
    while unit_ids:
        units = list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))))
        loaded.update((u.id, u) for u in units)
        unit_ids = {u.parent_id for u in units if u.parent_id is not None} - loaded.keys()
    return list(loaded.values())


@dataclass(frozen=True)
class MatrixRow:
    unit_name: str
    position_title: str
    agenda: str | None
    read_at: datetime | None
    disposed: bool
    item_id: int

    @property
    def state(self) -> str:
        return "ditindaklanjuti" if self.disposed else "dibaca" if self.read_at else "belum dibaca"


def read_matrix(viewer: Viewer, draft: Draft) -> list[MatrixRow]:
    """Rule: the sender (drafter, signer, chain) sees per recipient: delivered (agenda number), read, disposed."""
    if draft.letter_id is None:
        return []
    children = select(InboxItem.parent_id).where(InboxItem.parent_id.is_not(None),
                                                 InboxItem.letter_id == draft.letter_id)
    rows = db.session.execute(  # the Position entity, not only its title: item.position then needs no query
        select(InboxItem, Position, Unit.name, Unit.id, InboxItem.id.in_(children))
        .join(Position, Position.id == InboxItem.position_id).join(Unit, Unit.id == Position.unit_id)
        .where(InboxItem.letter_id == draft.letter_id, InboxItem.parent_id.is_(None))
        .order_by(Unit.kind, Unit.name)).all()
    entries = dict(db.session.execute(select(RegisterEntry.unit_id, RegisterEntry.agenda_number).where(
        RegisterEntry.letter_id == draft.letter_id)).all())
    year = draft.number_date.year if draft.number_date else None
    units_loaded = _preload_units({unit_id for *_, unit_id, _ in rows})  # noqa: F841  (kept while walking)
    out = []
    for item, position, unit_name, unit_id, has_children in rows:
        reg = register_unit_of(position)
        number = entries.get(reg.id) if reg else None
        out.append(MatrixRow(unit_name=unit_name, position_title=position.title,
                             agenda=f"{number}/{year}" if number else None, read_at=item.read_at,
                             disposed=bool(has_children) or item.status in ("diproses", "selesai"), item_id=item.id))
    return out


def remind_unread(viewer: Viewer, draft: Draft) -> int:
    """Rule: one click reminds every recipient that has not opened the letter yet (one bell entry each)."""
    if draft.letter_id is None:
        raise NotFound("Surat belum dikirim.")
    unread = list(db.session.scalars(select(InboxItem).where(
        InboxItem.letter_id == draft.letter_id, InboxItem.parent_id.is_(None), InboxItem.status == "diterima")))
    now = datetime.now(timezone.utc)
    db.session.add_all([Notification(position_id=i.position_id, item_id=i.id, created_at=now,
                                     text=f"Pengingat: mohon dibaca — {draft.perihal[:200]}") for i in unread])
    db.session.flush()
    audit.record(viewer.user, "letter.remind", "letter", draft.letter_id, {"count": len(unread)})
    return len(unread)
