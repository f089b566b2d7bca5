"""Dispositions: opening (the read tick), disposing down the command subtree, recall, progress and reports,
and the tracking tree."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models.org import utcnow
from sisumaker.models import INSTRUCTIONS, InboxItem, Position, StoredFile
from sisumaker.services import audit
from sisumaker.services.access import Viewer
from sisumaker.services.calendar import MAX_WORKING_DAYS, add_working_days, overdue_cutoff
from sisumaker.services.errors import Conflict, NotFound, ValidationError
from sisumaker.services.notifications import item_unread, mark_item_read, notify
from sisumaker.services.org import command_subtree_ids

OPEN_STATUSES = ("diterima", "dibaca", "diproses")


def get_own_item(viewer: Viewer, item_id: int) -> InboxItem:
    """Rule: an inbox item is acted on only by someone acting for its position."""
    item = db.session.get(InboxItem, item_id)
    if item is None or not viewer.acts_for(item.position_id) or item.status == "ditarik":
        raise NotFound("Surat tidak ditemukan di kotak masuk Anda.")
    return item


def open_item(viewer: Viewer, item_id: int) -> InboxItem:
    """Rule: the first time a holder of the position opens it, it is ticked as read (with the time and who).

    Only an open that changes something writes, and it takes the write lock first (`begin_write`): on SQLite a
    read transaction cannot become a writer once another writer has committed ("database is locked")."""
    item = get_own_item(viewer, item_id)
    if item.status != "diterima" and not item_unread(viewer.position_ids, item.id):
        return item
    begin_write()
    item = get_own_item(viewer, item_id)
    if item.status == "diterima":
        item.status = "dibaca"
        item.read_at = utcnow()
        item.read_by_id = viewer.user.id
        db.session.flush()
        audit.record(viewer.user, "item.read", "inbox_item", item.id, {"letter": item.letter_id})
    mark_item_read(viewer.position_ids, item.id)
    return item


@dataclass(frozen=True)
class DispositionInput:
    recipient_ids: tuple[int, ...]
    instructions: tuple[str, ...]
    other_instruction: str = ""
    note: str = ""
    deadline: date | None = None
    deadline_working_days: int | None = None  # "... hari kerja": the service computes the date
    extra: dict = field(default_factory=dict)


def allowed_recipients(position: Position) -> list[Position]:
    """The positions one may dispose to: strict subordinates in the command subtree, open, nearest first."""
    ids = command_subtree_ids(position.id) - {position.id}
    if not ids:
        return []
    rows = db.session.scalars(select(Position).where(Position.id.in_(ids), Position.closed_on.is_(None)))
    return sorted(rows, key=lambda p: (0 if p.parent_id == position.id else 1, p.title))


def dispose_letter(viewer: Viewer, item_id: int, data: DispositionInput, today: date | None = None
                   ) -> list[InboxItem]:
    """Rule: a holder disposes an item only down their own command subtree (the Bupati reaches any OPD head or
    camat), with at least one instruction; each recipient gets a new inbox item below this one."""
    today = today or date.today()
    item = get_own_item(viewer, item_id)
    if item.status == "selesai":
        raise Conflict("Surat ini sudah ditandai selesai; disposisi tidak dapat ditambahkan.")
    errors: dict[str, str] = {}
    recipient_ids = tuple(dict.fromkeys(data.recipient_ids))
    if not recipient_ids:
        errors["recipients"] = "Pilih paling sedikit satu penerima disposisi."
    subtree = command_subtree_ids(item.position_id)
    if any(r not in subtree or r == item.position_id for r in recipient_ids):
        errors["recipients"] = "Disposisi hanya dapat diteruskan kepada bawahan dalam garis komando Anda."
    instructions = [i for i in data.instructions if i]
    if any(i not in INSTRUCTIONS for i in instructions):
        errors["instructions"] = "Instruksi tidak dikenal."
    other = data.other_instruction.strip()
    if other:
        instructions.append(f"Lainnya: {other[:200]}")
    if not instructions:
        errors["instructions"] = "Pilih paling sedikit satu instruksi (atau isi instruksi lainnya)."
    if len(data.note) > 2000:
        errors["note"] = "Catatan paling banyak 2.000 karakter."
    if data.deadline is not None and data.deadline < today:
        errors["deadline"] = "Batas waktu tidak boleh sebelum hari ini."
    deadline = data.deadline
    if data.deadline_working_days is not None:
        if data.deadline is not None:
            errors["deadline"] = "Isi tanggal batas waktu atau jumlah hari kerja, tidak keduanya."
        elif not 1 <= data.deadline_working_days <= MAX_WORKING_DAYS:
            errors["deadline"] = f"Jumlah hari kerja harus di antara 1 dan {MAX_WORKING_DAYS}."
        else:
            deadline = add_working_days(today, data.deadline_working_days)
    if errors:
        raise ValidationError(errors)
    active = set(db.session.scalars(select(InboxItem.position_id).where(
        InboxItem.parent_id == item.id, InboxItem.status != "ditarik")))
    repeated = [r for r in recipient_ids if r in active]
    if repeated:
        raise ValidationError({"recipients": "Sebagian penerima sudah menerima disposisi surat ini dari Anda."})
    batch = uuid.uuid4().hex
    children = []
    from_pos = db.session.get(Position, item.position_id)
    for rid in recipient_ids:
        child = InboxItem(
            letter_id=item.letter_id, position_id=rid, kind="disposisi", parent_id=item.id, batch=batch,
            confidential=item.confidential,
            from_position_id=item.position_id, from_user_id=viewer.user.id,
            instructions=json.dumps(instructions, ensure_ascii=False), note=data.note.strip(),
            deadline=deadline,
        )
        db.session.add(child)
        db.session.flush()
        notify(rid, child, f"Disposisi dari {from_pos.title}: {', '.join(instructions)[:150]}")
        children.append(child)
    if item.status in ("diterima", "dibaca"):
        if item.status == "diterima":
            item.read_at, item.read_by_id = utcnow(), viewer.user.id
        item.status = "diproses"
    db.session.flush()
    audit.record(viewer.user, "letter.dispose", "inbox_item", item.id,
                 {"letter": item.letter_id, "to": list(recipient_ids), "instructions": instructions,
                  "deadline": str(deadline) if deadline else None,
                  "deadline_working_days": data.deadline_working_days})
    return children


def recall_disposition(viewer: Viewer, child_id: int) -> InboxItem:
    """Rule: the sender may recall a disposition only while the recipient has not opened it."""
    child = db.session.get(InboxItem, child_id)
    if child is None or child.kind != "disposisi" or not viewer.acts_for(child.from_position_id):
        raise NotFound("Disposisi tidak ditemukan.")
    if child.status == "ditarik":
        raise Conflict("Disposisi ini sudah ditarik.")
    if child.status != "diterima":
        raise Conflict("Disposisi sudah dibaca penerima sehingga tidak dapat ditarik.")
    child.status = "ditarik"
    child.recalled_at = utcnow()
    mark_item_read({child.position_id}, child.id)  # the recipient's bell no longer counts what was taken back
    db.session.flush()
    audit.record(viewer.user, "letter.recall", "inbox_item", child.id, {"letter": child.letter_id})
    return child


def report_progress(viewer: Viewer, item_id: int, *, done: bool, report: str,
                    attachment: StoredFile | None = None) -> InboxItem:
    """Rule: the recipient moves an item to diproses, or to selesai with a follow-up report; the sender of the
    disposition is notified of the report."""
    item = get_own_item(viewer, item_id)
    if item.status == "selesai":
        raise Conflict("Surat ini sudah ditandai selesai.")
    report = (report or "").strip()
    if len(report) > 5000:
        raise ValidationError({"report": "Laporan paling banyak 5.000 karakter."})
    if done and not report and item.kind == "disposisi":
        raise ValidationError({"report": "Tuliskan laporan tindak lanjut sebelum menandai selesai."})
    if item.status == "diterima":
        item.read_at, item.read_by_id = utcnow(), viewer.user.id
    if report:
        item.report = report
    if attachment is not None:
        item.report_file_id = attachment.id
    item.status = "selesai" if done else "diproses"
    if done:
        item.done_at = utcnow()
    db.session.flush()
    if item.from_position_id and report:
        label = "selesai" if done else "diproses"
        notify(item.from_position_id, item.parent, f"Laporan ({label}) dari {item.position.title}: {report[:120]}")
    audit.record(viewer.user, "item.done" if done else "item.progress", "inbox_item", item.id,
                 {"letter": item.letter_id, "attachment": attachment.id if attachment else None})
    return item


@dataclass
class TreeNode:
    item: InboxItem
    children: list["TreeNode"]
    overdue: bool


def tracking_trees(viewer: Viewer, letter_id: int, today: date | None = None) -> list[TreeNode]:
    """Rule: whoever holds a step sees the whole tree below it (recalled steps included, marked); a step is
    overdue when its deadline (moved to the next working day when it falls on a day off) has passed."""
    overdue_on_or_before = overdue_cutoff(today or date.today())
    items = list(db.session.scalars(select(InboxItem).where(InboxItem.letter_id == letter_id)
                                    .order_by(InboxItem.id)))
    by_parent: dict[int | None, list[InboxItem]] = {}
    for it in items:
        by_parent.setdefault(it.parent_id, []).append(it)

    def build(it: InboxItem) -> TreeNode:
        overdue = bool(it.deadline and it.deadline <= overdue_on_or_before and it.status in OPEN_STATUSES)
        return TreeNode(it, [build(c) for c in by_parent.get(it.id, [])], overdue)

    mine = [it for it in items if viewer.acts_for(it.position_id) and it.status != "ditarik"]
    mine_ids = {it.id for it in mine}
    # show only the topmost of the viewer's steps (a lower own step is inside that tree already)
    tops = [it for it in mine if not _has_ancestor_in(it, mine_ids, {i.id: i for i in items})]
    return [build(it) for it in tops]


def _has_ancestor_in(item: InboxItem, ids: set[int], by_id: dict[int, InboxItem]) -> bool:
    parent_id = item.parent_id
    while parent_id is not None:
        if parent_id in ids:
            return True
        parent_id = by_id[parent_id].parent_id if parent_id in by_id else None
    return False


def instructions_of(item: InboxItem) -> list[str]:
    try:
        return list(json.loads(item.instructions or "[]"))
    except ValueError:
        return []
