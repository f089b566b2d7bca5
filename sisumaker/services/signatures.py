"""Signing requests: submitting a PDF for signature, the signer's queue, batches with one passphrase entry, and
the worker's run of a batch (a state machine that makes running a job twice harmless)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models.org import as_utc, utcnow
from sisumaker.models import JENIS, SIFAT, Position, SignatureRequest, SignBatch, SignDocument
from sisumaker.pki_runtime import PkiContext
from sisumaker.services import audit
from sisumaker.services.access import Viewer
from sisumaker.services.certificates import active_certificate, check_usable, missing_certificate_message
from sisumaker.services.errors import NotFound, PermissionDenied, ValidationError
from sisumaker.services.files import FileStore, check_pdf, size_label, store_bytes
from sisumaker.services.notifications import notify
from sisumaker.services.signing_choice import batch_backend, bsre_identity, check_bsre_signer, open_backend
from sisumaker.signing import StampSpec, is_final
from sisumaker.signing.backends import BackendKind, SignatureJob, SigningPolicy
from sisumaker.signing.bsre import BsreClient
from sisumaker.signing.errors import SigningLibError

CAPACITY_PREFIX = {"definitif": "", "plt": "Plt.", "plh": "Plh."}
MAX_BATCH = 500
TTD_BOX = (300, 48, 560, 128)  # bottom right, above the footer: 260 x 80 pt scans well
PARAF_BOX = (36, 48, 236, 112)  # bottom left; 64 pt tall is the least whose QR reads at 150 dpi
PARAF_STEP = 72  # further parafs stack upwards


def new_token() -> tuple[str, str]:
    """An unguessable verification token (256 bits) and the short code printed in the stamp."""
    token = secrets.token_urlsafe(32)
    return token, secrets.token_hex(4).upper()


@dataclass(frozen=True)
class SignerStep:
    position_id: int
    role: str  # paraf | ttd


@dataclass(frozen=True)
class Submission:
    title: str
    jenis: str
    sifat: str
    number: str
    doc_date: date | None
    steps: tuple[SignerStep, ...]
    stamp_page: int = -1  # 0-based; -1 = last page
    stamp_box: tuple[int, int, int, int] = TTD_BOX


def check_submission(data: Submission) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.title.strip() or len(data.title) > 500:
        errors["title"] = "Judul/perihal dokumen wajib diisi (paling banyak 500 karakter)."
    if data.jenis not in JENIS:
        errors["jenis"] = "Pilih jenis naskah."
    if data.sifat not in SIFAT:
        errors["sifat"] = "Pilih sifat dokumen."
    if len(data.number) > 120:
        errors["number"] = "Nomor terlalu panjang."
    roles = [s.role for s in data.steps]
    if not data.steps:
        errors["steps"] = "Pilih penanda tangan."
    elif roles[-1] != "ttd" or roles.count("ttd") != 1 or any(r not in ("paraf", "ttd") for r in roles):
        errors["steps"] = "Urutan harus diakhiri satu penanda tangan (TTE); yang lain paraf."
    elif len({s.position_id for s in data.steps}) != len(data.steps):
        errors["steps"] = "Satu jabatan hanya boleh muncul sekali dalam urutan."
    return errors


def submit_pdf(viewer: Viewer, store: FileStore, pdf: bytes, data: Submission, *, max_bytes: int,
               token: tuple[str, str] | None = None) -> SignDocument:
    """Rule: a drafter with a position uploads a real, unencrypted, script-free PDF and names the signers; the
    page is never changed — the stamp is the signature's own appearance. It joins the first signer's queue.
    `token` (token, code) is given when the caller rendered the verification URL into the page beforehand."""
    if not viewer.position_ids or viewer.user.role == "admin":
        raise PermissionDenied("Hanya pegawai yang memegang jabatan yang dapat mengajukan dokumen untuk TTE.")
    errors = check_submission(data)
    pages = 0
    if not pdf:
        errors["pdf"] = "Pilih berkas PDF."
    elif len(pdf) > max_bytes:
        errors["pdf"] = f"Berkas melebihi batas {size_label(max_bytes)}."
    else:
        try:
            pages = check_pdf(pdf, "pdf")
            if is_final(pdf):
                errors["pdf"] = "PDF ini sudah dikunci oleh tanda tangan final."
        except ValidationError as exc:
            errors.update(exc.errors)
    if pages and not (-pages <= data.stamp_page < pages):
        errors["stamp_page"] = f"Halaman tanda tangan harus 1–{pages}."
    positions = {p.id: p for p in db.session.scalars(
        select(Position).where(Position.id.in_([s.position_id for s in data.steps]), Position.closed_on.is_(None)))}
    if data.steps and len(positions) != len({s.position_id for s in data.steps}):
        errors["steps"] = "Ada jabatan penanda tangan yang tidak dikenal atau sudah ditutup."
    if errors:
        raise ValidationError(errors)
    stored = store_bytes(store, pdf, "application/pdf", pages)
    doc = register_document(viewer.user, stored, data, token)
    audit.record(viewer.user, "document.submit", "sign_document", doc.id,
                 {"sha256": stored.sha256, "steps": [(s.position_id, s.role) for s in data.steps]})
    return doc


def register_document(drafter, stored, data: Submission, token: tuple[str, str] | None = None, *,
                      notify_signer: bool = True) -> SignDocument:
    """A stored PDF becomes a document with its signature requests in order (paraf stamps stacked at the left,
    the final signature in `data.stamp_box`); the first signer is notified unless they are signing right now."""
    token, code = token or new_token()
    doc = SignDocument(token=token, code=code, title=data.title.strip(), jenis=data.jenis, sifat=data.sifat,
                       number=data.number.strip() or None, doc_date=data.doc_date, drafter_id=drafter.id,
                       source_file_id=stored.id, current_file_id=stored.id)
    db.session.add(doc)
    db.session.flush()
    paraf_index = 0
    for step_no, step in enumerate(data.steps, start=1):
        if step.role == "ttd":
            box = data.stamp_box
        else:
            lift = PARAF_STEP * paraf_index
            box = (PARAF_BOX[0], PARAF_BOX[1] + lift, PARAF_BOX[2], PARAF_BOX[3] + lift)
            paraf_index += 1
        db.session.add(SignatureRequest(
            document_id=doc.id, step=step_no, role=step.role, position_id=step.position_id,
            stamp_page=data.stamp_page, stamp_x=box[0], stamp_y=box[1], stamp_w=box[2] - box[0],
            stamp_h=box[3] - box[1]))
    db.session.flush()
    first = data.steps[0]
    if notify_signer:
        notify(first.position_id, None, f"Menunggu {'paraf' if first.role == 'paraf' else 'TTE'}: {doc.title[:150]}")
    return doc


def _turn_is_now(req: SignatureRequest) -> bool:
    return all(r.status == "signed" for r in req.document.requests if r.step < req.step)


def waiting_requests(viewer: Viewer, limit: int = 1000) -> list[SignatureRequest]:
    """Rule: a request waits for a signer when it is addressed to a position they act for, every earlier step
    is signed, and the document is neither final nor withdrawn."""
    if not viewer.position_ids:
        return []
    rows = db.session.scalars(
        select(SignatureRequest).join(SignDocument)
        .where(SignatureRequest.position_id.in_(list(viewer.position_ids)),
               SignatureRequest.status.in_(("pending", "failed")), SignDocument.status == "menunggu")
        .order_by(SignatureRequest.id).limit(limit))
    return [r for r in rows if _turn_is_now(r)]


def start_batch(viewer: Viewer, ctx: PkiContext, request_ids: list[int], passphrase: str, *,
                policy: SigningPolicy | None = None, bsre: BsreClient | None = None) -> SignBatch:
    """Rule: one passphrase entry signs many documents through one backend (see signing_choice). It is checked
    here — the key store for the regency CA, the signer's status for BSrE — so a refusal queues nothing; the
    requests move pending → queued under one batch."""
    ids = list(dict.fromkeys(request_ids))
    if not ids:
        raise ValidationError({"requests": "Pilih paling sedikit satu dokumen."})
    if len(ids) > MAX_BATCH:
        raise ValidationError({"requests": f"Paling banyak {MAX_BATCH} dokumen sekali tanda tangan."})
    waiting = {r.id: r for r in waiting_requests(viewer, limit=5000)}
    if any(i not in waiting for i in ids):
        raise PermissionDenied("Sebagian dokumen tidak sedang menunggu tanda tangan Anda.")
    policy = policy or SigningPolicy(bsre_configured=False)
    backend = batch_backend(viewer.user, [(waiting[i].document.jenis, waiting[i].role == "ttd") for i in ids], policy)
    if not passphrase:
        raise ValidationError({"passphrase": "Masukkan frasa sandi TTE Anda."})
    cert = None
    if backend is BackendKind.BSRE:
        check_bsre_signer(bsre, bsre_identity(viewer.user))
    else:
        cert = active_certificate(viewer.user)
        if cert is None:
            raise ValidationError({"passphrase": missing_certificate_message(viewer.user)})
        check_usable(ctx, cert, passphrase)
    batch = SignBatch(ref=secrets.token_urlsafe(32), user_id=viewer.user.id, certificate_id=cert.id if cert else None,
                      backend=backend.value, total=len(ids))
    db.session.add(batch)
    db.session.flush()
    capacity = {ap.position.id: ap.capacity for ap in viewer.positions}
    for i in ids:
        req = waiting[i]
        req.status, req.batch_id, req.queued_at, req.error = "queued", batch.id, utcnow(), None
        req.signer_id, req.certificate_id, req.backend = viewer.user.id, cert.id if cert else None, backend.value
        req.signer_name = viewer.user.full_name
        acting = CAPACITY_PREFIX[capacity.get(req.position_id, "definitif")]
        keep = req.capacity_prefix if (req.capacity_prefix or "").startswith("a.n. ") else ""  # set by the letter
        req.capacity_prefix = acting or keep
        req.signer_title = req.position.title
    db.session.flush()
    audit.record(viewer.user, "signing.batch", "sign_batch", batch.id, {"requests": ids, "backend": backend.value})
    return batch


def job_id_for(batch_id: int) -> str:
    return f"sign-batch-{batch_id}"


def _stamp(ctx: PkiContext, req: SignatureRequest) -> StampSpec:
    title = f"{req.capacity_prefix} {req.signer_title}".strip()
    box = (int(req.stamp_x), int(req.stamp_y), int(req.stamp_x + req.stamp_w), int(req.stamp_y + req.stamp_h))
    return StampSpec(page=req.stamp_page, box=box, url=ctx.verification_url(req.document.token),
                     signer_name=req.signer_name or "", position_label=title, code=req.document.code,
                     paraf=req.role == "paraf")


def _claim(req_id: int) -> int | None:
    """Take a queued (or abandoned signing) request; returns this run's attempt number, the run's claim."""
    begin_write()
    attempt = db.session.execute(
        update(SignatureRequest).where(SignatureRequest.id == req_id,
                                       SignatureRequest.status.in_(("queued", "signing")))
        .values(status="signing", started_at=utcnow(), attempts=SignatureRequest.attempts + 1)
        .returning(SignatureRequest.attempts)).scalar_one_or_none()
    db.session.commit()
    return attempt


def _fail(req_id: int, message: str, *, quiet: bool = False) -> None:
    begin_write()
    req = db.session.get(SignatureRequest, req_id)
    if req.status in ("queued", "signing"):
        req.status, req.error = "failed", message[:500]
        if not quiet:
            notify(req.position_id, None, f"TTE gagal: {req.document.title[:120]} — {message[:100]}")
        audit.record(req.signer, "signing.failed", "signature_request", req.id, {"error": message[:200]})
    db.session.commit()


def _back_to_queue(req_id: int, message: str) -> None:
    """A transient failure (BSrE unreachable): the claimed request waits again, saying why; nothing was stored."""
    begin_write()
    db.session.execute(update(SignatureRequest).where(SignatureRequest.id == req_id,
                                                      SignatureRequest.status == "signing")
                       .values(status="queued", error=message[:500]))
    db.session.commit()


def run_batch(ctx: PkiContext, store: FileStore, batch_id: int, passphrase: str | None,
              bsre: BsreClient | None = None) -> dict[str, int]:
    """The worker's part. Each request is claimed (queued/signing → signing), signed through the batch's backend,
    and committed as signed together with the document's new file; a request already signed is skipped, so a
    rerun signs nothing twice. A refusal fails that request with the reason — and every remaining one when it
    concerns the signer (wrong passphrase, no certificate): one message, nothing half-signed. A transient failure
    (BSrE unreachable) puts the request back in the queue and propagates, so the job retries with back-off."""
    batch = db.session.get(SignBatch, batch_id)
    if batch is None:
        raise NotFound("Batch tidak ditemukan.")
    pending = list(db.session.scalars(select(SignatureRequest.id).where(
        SignatureRequest.batch_id == batch_id, SignatureRequest.status.in_(("queued", "signing")))
        .order_by(SignatureRequest.id)))
    if pending and passphrase is None:
        for rid in pending:
            _fail(rid, "Frasa sandi sudah kedaluwarsa sebelum diproses; silakan tanda tangani ulang.")
        pending = []
    backend = None
    if pending:
        try:
            backend = open_backend(ctx, batch, passphrase, bsre)
        except SigningLibError as exc:
            for n, rid in enumerate(pending):
                _fail(rid, exc.message, quiet=n > 0)
            pending = []
    for index, rid in enumerate(pending):
        attempt = _claim(rid)
        if attempt is None:
            continue
        req = db.session.get(SignatureRequest, rid)
        doc = req.document
        try:
            signed = backend.sign(SignatureJob(
                pdf=store.read(doc.current_file), stamp=_stamp(ctx, req), field_name=f"TTE{req.step}-{req.id}",
                reason="Paraf" if req.role == "paraf" else "Tanda tangan elektronik", location=ctx.location,
                certify_final=req.role == "ttd"))
        except SigningLibError as exc:
            db.session.rollback()
            if exc.transient:
                _back_to_queue(rid, exc.message)
                raise
            _fail(rid, exc.message)
            if exc.stops_batch:
                for other in pending[index + 1:]:
                    _fail(other, exc.message, quiet=True)
                break
            continue
        begin_write()
        won = db.session.execute(  # row-locked until commit; our claim must still be the latest
            update(SignatureRequest).where(SignatureRequest.id == rid, SignatureRequest.status == "signing",
                                           SignatureRequest.attempts == attempt)
            .values(status="signed").execution_options(synchronize_session=False)).rowcount
        if not won:  # signed, failed or claimed again elsewhere meanwhile: keep theirs
            db.session.rollback()
            continue
        req = db.session.get(SignatureRequest, rid, populate_existing=True)
        stored = store_bytes(store, signed, "application/pdf", doc.source_file.pages)
        req.status, req.signed_at, req.signed_file_id, req.error = "signed", utcnow(), stored.id, None
        doc = req.document
        doc.current_file_id = stored.id
        if req.role == "ttd":
            doc.status, doc.is_final, doc.signed_at = "ditandatangani", True, req.signed_at
            notify_to = doc.drafter.position_id
            text = f"Sudah ditandatangani: {doc.title[:150]}"
            from sisumaker.services.delivery import deliver_signed  # a signed outgoing letter goes out now

            deliver_signed(doc)
        else:
            nxt = next((r for r in doc.requests if r.step == req.step + 1), None)
            notify_to = nxt.position_id if nxt else None
            text = f"Menunggu {'paraf' if nxt and nxt.role == 'paraf' else 'TTE'}: {doc.title[:150]}"
        if notify_to:
            notify(notify_to, None, text)
        audit.record(req.signer, "signing.signed", "signature_request", req.id,
                     {"document": doc.id, "sha256": stored.sha256, "role": req.role})
        db.session.commit()
    begin_write()
    batch = db.session.get(SignBatch, batch_id)
    counts = batch_counts(batch_id)
    if counts["queued"] + counts["signing"] == 0 and batch.finished_at is None:
        batch.finished_at = utcnow()
        batch.seconds = (batch.finished_at - as_utc(batch.created_at)).total_seconds()
    db.session.commit()
    return counts


def batch_counts(batch_id: int) -> dict[str, int]:
    counts = {s: 0 for s in ("queued", "signing", "signed", "failed", "pending")}
    for status in db.session.scalars(select(SignatureRequest.status).where(SignatureRequest.batch_id == batch_id)):
        counts[status] += 1
    return counts


def get_own_batch(viewer: Viewer, batch_id: int) -> SignBatch:
    batch = db.session.get(SignBatch, batch_id)
    if batch is None or batch.user_id != viewer.user.id:
        raise NotFound("Proses tanda tangan tidak ditemukan.")
    return batch


def batch_requests(batch_id: int) -> list[SignatureRequest]:
    return list(db.session.scalars(select(SignatureRequest).where(SignatureRequest.batch_id == batch_id)
                                   .order_by(SignatureRequest.id)))


def unfinished_batches(viewer: Viewer) -> list[int]:
    """The viewer's own batches that still have queued or signing work (their page heals them if orphaned)."""
    return sorted(set(db.session.scalars(select(SignatureRequest.batch_id).join(SignBatch).where(
        SignBatch.user_id == viewer.user.id, SignatureRequest.status.in_(("queued", "signing"))))))


def stale_batches(older_than: timedelta = timedelta(seconds=0)) -> list[int]:
    """Batches that the database says still have queued or signing work (the reconciler's input)."""
    cutoff = utcnow() - older_than
    return sorted(set(db.session.scalars(select(SignatureRequest.batch_id).where(
        SignatureRequest.status.in_(("queued", "signing")), SignatureRequest.queued_at <= cutoff))))
