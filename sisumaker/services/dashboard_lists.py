"""The lists behind the adoption dashboard's numbers: each figure links to the records it counts, filtered by
OPD and period. A letter's subject is shown only to whoever may read the letter (services.access)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import and_, select

from sisumaker.extensions import db
from sisumaker.models import (CONFIDENTIAL, Certificate, InboxItem, Letter, Position, RegisterEntry, SignatureRequest,
                              SignDocument, User)
from sisumaker.models.org import as_utc
from sisumaker.services.access import Viewer, visible_letter_clause
from sisumaker.services.calendar import overdue_cutoff
from sisumaker.services.dashboard import OPEN, Period, _position_map, _seconds, open_letter_items, view_scope
from sisumaker.services.errors import ValidationError

LISTS = {
    "sertifikat": "Pejabat dengan sertifikat TTE aktif",
    "ttd": "Dokumen ditandatangani secara elektronik",
    "surat": "Surat masuk tercatat",
    "elektronik": "Surat yang diterima secara elektronik",
    "dibaca": "Waktu dari diterima sampai dibaca",
    "disposisi": "Disposisi yang diterima",
    "lewat-tenggat": "Disposisi lewat tenggat",
    "edaran": "Surat edaran yang belum dibaca",
}
PAGE_SIZE = 50
HIDDEN = "(isi surat tidak ditampilkan)"


@dataclass(frozen=True)
class ListRow:
    title: str
    detail: str
    when: date | datetime | None
    letter_id: int | None = None  # set only when the viewer may open the letter


def _letter_row(letter: Letter, visible: bool, detail: str, when) -> ListRow:
    return ListRow(letter.perihal if visible else HIDDEN, detail, when, letter.id if visible else None)


def dashboard_list(viewer: Viewer, kind: str, period: Period, opd_id: int | None = None, page: int = 1,
                   today: date | None = None) -> tuple[list[ListRow], bool]:
    """Rule: the records behind one dashboard figure, within the viewer's dashboard scope; (rows, has_more)."""
    if kind not in LISTS:
        raise ValidationError({"daftar": "Daftar tidak dikenal."})
    scope = view_scope(viewer, opd_id)
    pos, units = _position_map(scope)
    lo, hi = period.bounds
    page = max(1, page)
    visible = visible_letter_clause(viewer).label("visible")
    open_letter = Letter.sifat.not_in(CONFIDENTIAL)
    item_period = (InboxItem.received_at >= lo, InboxItem.received_at < hi, open_letter_items())

    def run(stmt, order):
        return db.session.execute(stmt.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()

    if kind == "sertifikat":
        now = datetime.now(timezone.utc)
        found = run(select(User, Position, Certificate).join(pos, pos.c.position_id == User.position_id)
                    .join(Position, Position.id == User.position_id).join(Certificate, Certificate.user_id == User.id)
                    .where(Certificate.status == "aktif", Certificate.not_before <= now, Certificate.not_after > now,
                           User.is_enabled.is_(True)), (User.full_name, Certificate.id))
        rows = [ListRow(u.full_name, f"{p.title} · berlaku s.d.", as_utc(c.not_after)) for u, p, c in found]
    elif kind == "ttd":
        found = run(select(SignDocument, SignatureRequest).join(SignatureRequest,
                                                                SignatureRequest.document_id == SignDocument.id)
                    .join(pos, pos.c.position_id == SignatureRequest.position_id)
                    .where(SignatureRequest.role == "ttd", SignatureRequest.status == "signed",
                           SignatureRequest.signed_at >= lo, SignatureRequest.signed_at < hi,
                           SignDocument.sifat.not_in(CONFIDENTIAL)),
                    (SignatureRequest.signed_at.desc(), SignDocument.id))
        rows = [ListRow(d.title if d.sifat == "B" else "(naskah Terbatas)",
                        f"{d.number or '-'} · {r.signer_title or ''}", as_utc(r.signed_at)) for d, r in found]
    elif kind in ("surat", "elektronik"):
        stmt = (select(RegisterEntry, Letter, visible).join(Letter, Letter.id == RegisterEntry.letter_id)
                .join(units, units.c.unit_id == RegisterEntry.unit_id)
                .where(RegisterEntry.received_on >= period.start, RegisterEntry.received_on <= period.end,
                       RegisterEntry.status == "aktif", open_letter))
        if kind == "elektronik":
            stmt = stmt.where(RegisterEntry.origin != "loket")
        if not scope.regency:
            stmt = stmt.where(units.c.opd_id.in_(list(scope.opd_ids)))
        found = run(stmt, (RegisterEntry.received_on.desc(), RegisterEntry.id.desc()))
        rows = [_letter_row(l, v, f"{e.unit.name} · agenda {e.agenda_label} · "
                                  f"{'elektronik' if e.origin != 'loket' else 'kertas (loket)'}", e.received_on)
                for e, l, v in found]
    else:
        stmt = (select(InboxItem, Letter, Position, visible).join(pos, pos.c.position_id == InboxItem.position_id)
                .join(Letter, Letter.id == InboxItem.letter_id).join(Position, Position.id == InboxItem.position_id)
                .where(*item_period))
        order = (InboxItem.received_at.desc(), InboxItem.id.desc())
        if kind == "dibaca":
            stmt = stmt.where(InboxItem.kind == "surat")
            order = (InboxItem.read_at.is_(None).desc(), _seconds(InboxItem.read_at, InboxItem.received_at).desc(),
                     InboxItem.id)
        elif kind == "disposisi":
            stmt = stmt.where(InboxItem.kind == "disposisi", InboxItem.status != "ditarik")
        elif kind == "lewat-tenggat":
            stmt = stmt.where(InboxItem.kind == "disposisi", InboxItem.status.in_(OPEN),
                              InboxItem.deadline <= overdue_cutoff(today or date.today()))
            order = (InboxItem.deadline, InboxItem.id)
        else:  # edaran: circulars still unread
            stmt = stmt.where(and_(Letter.jenis == "surat_edaran", InboxItem.kind.in_(("surat", "tembusan")),
                                   InboxItem.status == "diterima"))
        found = run(stmt, order)
        rows = [_letter_row(l, v, _item_detail(kind, it, p), as_utc(it.received_at)) for it, l, p, v in found]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _item_detail(kind: str, item: InboxItem, position: Position) -> str:
    if kind == "dibaca":
        if item.read_at is None:
            return f"{position.title} · belum dibaca"
        hours = (as_utc(item.read_at) - as_utc(item.received_at)).total_seconds() / 3600
        return f"{position.title} · dibaca {hours:.1f} jam setelah diterima"
    if item.deadline is not None:
        return f"{position.title} · tenggat {item.deadline:%d-%m-%Y} · {item.status}"
    return f"{position.title} · {item.status}"
