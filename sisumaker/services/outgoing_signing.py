"""Signing outgoing letters: the number and date are fixed when the signer signs; the letter is rendered
completely (kop, number, date, recipients, footer with the verification URL) before the signature."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from sisumaker.documents import (EventDetails, Kop, LetterDoc, SkSections, kepala_daerah, render_letter)
from sisumaker.extensions import db
from sisumaker.models import SIFAT, Draft, Unit
from sisumaker.pki_runtime import PkiContext
from sisumaker.services import audit
from sisumaker.services.access import Viewer, register_unit_of
from sisumaker.services.bodytext import parse_body
from sisumaker.services.certificates import active_certificate, check_usable
from sisumaker.services.errors import NotFound, ValidationError
from sisumaker.services.files import FileStore, store_bytes
from sisumaker.services.numbering import assign_number
from sisumaker.services.outgoing import GROUPS, content_of
from sisumaker.services.signatures import SignerStep, Submission, new_token, register_document
from sisumaker.services.signing_choice import batch_backend, bsre_identity, check_bsre_signer
from sisumaker.signing.backends import BackendKind, SigningPolicy
from sisumaker.signing.bsre import BsreClient

CAPACITY_FROM_ACTING = {"plt": "plt", "plh": "plh"}


def drafts_to_sign(viewer: Viewer) -> list[Draft]:
    """Drafts whose review chain is complete and whose signer position the viewer acts for."""
    if not viewer.position_ids:
        return []
    return list(db.session.scalars(select(Draft).where(
        Draft.status == "siap", Draft.signer_position_id.in_(list(viewer.position_ids))).order_by(Draft.id)))


def _regency(root: Unit | None) -> str:
    return (root.name if root else "Kabupaten").removeprefix("Pemerintah ").strip()


def build_letter_doc(draft: Draft, viewer: Viewer, verification_url: str, place: str) -> LetterDoc:
    """The complete page content of a draft at signing time."""
    content = content_of(draft)
    root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
    regency = _regency(root)
    signer_pos = draft.signer_position
    unit = register_unit_of(signer_pos)
    if signer_pos.parent_id is None:  # the head of the regency signs on the regency's own letterhead
        kop = Kop(regency=regency, unit_name="", address=(root.address or "") if root else "",
                  heading=kepala_daerah(regency))
    else:
        kop = Kop(regency=regency, unit_name=unit.name if unit else "", address=(unit.address or "") if unit else "")
    prefix = {"definitif": "", "plt": "Plt.", "plh": "Plh."}.get(draft.signer_capacity, "")
    if draft.signer_capacity == "an" and draft.on_behalf_position is not None:
        prefix = f"a.n. {draft.on_behalf_position.title}\n{signer_pos.title}"
    addressees = [r.position.title for r in draft.recipients if r.position_id and r.kind == "to"]
    addressees += [GROUPS.get(k, "Daftar penerima") for k in (draft.group_key or "").split(",") if k]
    addressees += [r.external for r in draft.recipients if r.external]
    tembusan = [r.position.title for r in draft.recipients if r.position_id and r.kind == "cc"] + list(content.tembusan)
    event = None
    if draft.jenis == "surat_undangan" and content.event_date:
        event = EventDetails(day=date.fromisoformat(content.event_date), time=content.event_time or "-",
                             place=content.event_place, agenda=content.event_agenda or draft.perihal)
    sk = SkSections(list(content.menimbang), list(content.mengingat), list(content.diktum)) \
        if draft.jenis == "surat_keputusan" else None
    issuer = kepala_daerah(regency) if (signer_pos.parent_id is None or draft.on_behalf_position_id) else signer_pos.title
    return LetterDoc(
        kind=draft.jenis, kop=kop, number=draft.number or "", date=draft.number_date, place=place,
        sifat=SIFAT.get(draft.sifat, draft.sifat), lampiran=content.lampiran or "-", perihal=draft.perihal,
        addressees=addressees or ["-"], body_blocks=parse_body(content.body), signer_title=signer_pos.title,
        signer_name=viewer.user.full_name, signer_nip=viewer.user.nip, signer_capacity_prefix=prefix,
        tembusan=tembusan, verification_url=verification_url, sk_sections=sk, event=event, issuer=issuer)


def prepare_drafts(viewer: Viewer, ctx: PkiContext, store: FileStore, draft_ids: list[int], passphrase: str,
                   today: date | None = None, *, policy: SigningPolicy | None = None,
                   bsre: BsreClient | None = None) -> list[int]:
    """Rule: when the signer signs, each letter gets its number and date (gap-free: in this transaction) and is
    rendered in full (QR included, also for BSrE, which signs the whole file); it becomes a document with one
    final signature request. The credential is checked first (key store, or the signer's BSrE status), so a
    refusal assigns no number. Returns the request ids to put in the batch."""
    today = today or date.today()
    ready = {d.id: d for d in drafts_to_sign(viewer)}
    chosen = [(ready[i].jenis, True) for i in draft_ids if i in ready]
    if batch_backend(viewer.user, chosen, policy or SigningPolicy(bsre_configured=False)) is BackendKind.BSRE:
        check_bsre_signer(bsre, bsre_identity(viewer.user))
    else:
        cert = active_certificate(viewer.user)
        if cert is None:
            raise ValidationError({"passphrase": "Anda belum memiliki sertifikat TTE. Buat sertifikat terlebih dahulu."})
        check_usable(ctx, cert, passphrase)
    capacity = {ap.position.id: ap.capacity for ap in viewer.positions}
    request_ids = []
    for draft_id in dict.fromkeys(draft_ids):
        draft = ready.get(draft_id)
        if draft is None:
            raise NotFound("Sebagian konsep tidak sedang menunggu tanda tangan Anda.")
        acting = capacity.get(draft.signer_position_id, "definitif")
        if acting in CAPACITY_FROM_ACTING and draft.signer_capacity == "definitif":
            draft.signer_capacity = CAPACITY_FROM_ACTING[acting]  # the record and the page say Plt./Plh.
        unit = register_unit_of(draft.signer_position)
        draft.number = assign_number(draft.jenis, unit, draft.classification_code, today)
        draft.number_date = today
        token = new_token()
        rendered = render_letter(build_letter_doc(draft, viewer, ctx.verification_url(token[0]), ctx.location))
        stored = store_bytes(store, rendered.pdf, "application/pdf", rendered.page_count)
        box = tuple(int(round(v)) for v in rendered.stamp_box)
        doc = register_document(draft.drafter, stored, Submission(
            title=draft.perihal, jenis=draft.jenis, sifat=draft.sifat, number=draft.number, doc_date=today,
            steps=(SignerStep(draft.signer_position_id, "ttd"),), stamp_page=rendered.stamp_page, stamp_box=box),
            token, notify_signer=False)  # the signer is signing it right now
        if draft.signer_capacity == "an" and draft.on_behalf_position is not None:  # the record says a.n. too
            doc.requests[0].capacity_prefix = f"a.n. {draft.on_behalf_position.title}"[:60]
        draft.sign_document_id = doc.id
        draft.status = "ditandatangani"
        request_ids.append(doc.requests[0].id)
        audit.record(viewer.user, "draft.number", "draft", draft.id, {"number": draft.number, "document": doc.id})
    db.session.flush()
    return request_ids
