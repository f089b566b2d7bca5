"""Composing the lembar disposisi of an inbox item from the records (rendering lives in documents/)."""
from __future__ import annotations


from sqlalchemy import select

from sisumaker.documents.disposition_sheet import DispositionStep, SheetLetter, render_disposition_sheet
from sisumaker.documents.kop import Kop
from sisumaker.extensions import db
from sisumaker.models.org import as_utc
from sisumaker.models import InboxItem, RegisterEntry, Unit, User
from sisumaker.services.access import Viewer, register_unit_of
from sisumaker.services.dispositions import get_own_item, instructions_of


def kop_for(unit: Unit | None) -> Kop:
    """The letterhead of a unit's documents: the regency (the root unit's name) and the unit."""
    root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
    regency = (root.name if root else "Kabupaten").removeprefix("Pemerintah ").strip()
    return Kop(regency=regency, unit_name=unit.name if unit else "", address=(unit.address or "") if unit else "")


def _step(group: list[InboxItem]) -> DispositionStep:
    first = group[0]
    user = db.session.get(User, first.from_user_id) if first.from_user_id else None
    return DispositionStep(
        from_title=first.from_position.title, from_name=user.full_name if user else "",
        at=as_utc(first.received_at), recipients=[c.position.title for c in group],
        instructions=instructions_of(first), note=first.note, deadline=first.deadline)


def disposition_sheet_pdf(viewer: Viewer, item_id: int) -> bytes:
    """Rule: the sheet is printed by a holder of the item; it shows the steps above it and its own dispositions."""
    item = get_own_item(viewer, item_id)
    letter = item.letter
    items = list(db.session.scalars(select(InboxItem).where(InboxItem.letter_id == letter.id)))
    by_id = {i.id: i for i in items}
    by_parent: dict[int, list[InboxItem]] = {}
    for it in items:
        if it.parent_id:
            by_parent.setdefault(it.parent_id, []).append(it)
    # the batches that led down to this item, then every batch this item sent on
    steps: list[DispositionStep] = []
    chain = []
    cursor = item
    while cursor.parent_id and cursor.parent_id in by_id:
        chain.append(cursor)
        cursor = by_id[cursor.parent_id]
    for node in reversed(chain):
        steps.append(_step([c for c in by_parent[node.parent_id] if c.batch == node.batch and c.status != "ditarik"]
                           or [node]))
    own: dict[str, list[InboxItem]] = {}
    for child in by_parent.get(item.id, []):
        if child.status != "ditarik":
            own.setdefault(child.batch or str(child.id), []).append(child)
    steps.extend(_step(group) for group in own.values())
    unit = register_unit_of(item.position)
    entry = None
    if unit is not None:
        entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.letter_id == letter.id,
                                                              RegisterEntry.unit_id == unit.id))
    entry = entry or (letter.entries[0] if letter.entries else None)
    kop = kop_for(entry.unit if entry else unit)
    sheet_letter = SheetLetter(
        sender=letter.sender, number=letter.number, letter_date=letter.letter_date,
        received_date=entry.received_on if entry else letter.letter_date,
        agenda_number=entry.agenda_label if entry else "-", sifat=letter.sifat, urgensi=letter.urgensi,
        perihal=letter.perihal)
    return render_disposition_sheet(kop, sheet_letter, steps)
