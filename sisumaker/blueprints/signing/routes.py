"""Tanda Tangan: certificate enrolment, the signer's queue, batch signing with one passphrase and its progress,
submitting an uploaded PDF for signature, and the document page."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import login_required

from sisumaker.blueprints.common import is_fragment_request, read_upload, viewer
from sisumaker.blueprints.signing.forms import CORNERS, parse_submission
from sisumaker.extensions import db
from sisumaker.models import JENIS, SIFAT, Certificate, Position, SignDocument
from sisumaker.pki_runtime import bsre_client, pki_context, signing_policy
from sisumaker.services import certificates, directory, signatures, signing_choice, verification
from sisumaker.services.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError, parse_id
from sisumaker.services.outgoing_signing import drafts_to_sign, prepare_drafts
from sisumaker.signing import REASON_LABELS
from sisumaker.signing.backends import BACKEND_LABELS, BackendKind
from sisumaker.signing_queue import enqueue_batch, reconcile_batch
from sisumaker.storage import file_store_for

bp = Blueprint("signing", __name__, url_prefix="/tte")


def _queue_page(errors=None, status=200):
    v = viewer()
    waiting, drafts = signatures.waiting_requests(v), drafts_to_sign(v)
    pairs = [(r.document.jenis, r.role == "ttd") for r in waiting] + [(d.jenis, True) for d in drafts]
    backends = signing_choice.backend_labels(v.user, pairs, signing_policy())
    official = signing_choice.official_backend(v.user)
    ctx = dict(waiting=waiting, drafts=drafts, cert=certificates.active_certificate(v.user), errors=errors or {},
               backends=backends, official=official,
               via_bsre=official is BackendKind.BSRE or BackendKind.BSRE.label in backends.values())
    return render_template("signing/page.html", **ctx), status


@bp.get("/")
@login_required
def index():
    app = current_app._get_current_object()
    for batch_id in signatures.unfinished_batches(viewer()):
        reconcile_batch(app, batch_id)  # self-healing: work a killed process or a lost Redis left behind
    return _queue_page()


@bp.post("/sertifikat")
@login_required
def enroll():
    try:
        certificates.enroll(viewer().user, pki_context(), request.form.get("passphrase", ""),
                            request.form.get("confirm", ""))
    except ValidationError as exc:
        db.session.rollback()
        return _queue_page(exc.errors, 422)
    db.session.commit()
    flash("Sertifikat TTE Anda sudah terbit. Simpan frasa sandi Anda: server tidak menyimpannya.", "success")
    return redirect(url_for("signing.index"), 303)


@bp.post("/sertifikat/impor")
@login_required
def import_p12():
    data = read_upload("p12") or b""
    try:
        certificates.import_pkcs12(viewer().user, data, request.form.get("passphrase", ""))
    except ValidationError as exc:
        db.session.rollback()
        return _queue_page(exc.errors, 422)
    db.session.commit()
    flash("Sertifikat berhasil diimpor.", "success")
    return redirect(url_for("signing.index"), 303)


@bp.post("/tandatangani")
@login_required
def sign():
    ids = [i for i in map(parse_id, request.form.getlist("request_ids")) if i]
    draft_ids = [i for i in map(parse_id, request.form.getlist("draft_ids")) if i]
    passphrase = request.form.get("passphrase", "")
    try:
        policy, bsre = signing_policy(), bsre_client()
        if draft_ids:  # outgoing letters get their number and final rendering now
            ids += prepare_drafts(viewer(), pki_context(), file_store_for(), draft_ids, passphrase, policy=policy,
                                  bsre=bsre)
        batch = signatures.start_batch(viewer(), pki_context(), ids, passphrase, policy=policy, bsre=bsre)
    except (ValidationError, NotFound) as exc:
        db.session.rollback()
        return _queue_page(getattr(exc, "errors", {"": exc.message}), 422)
    from sisumaker import handoff

    app = current_app._get_current_object()
    handoff.seal(app, batch.ref, passphrase)
    db.session.commit()
    enqueue_batch(app, batch.id)
    return redirect(url_for("signing.batch", batch_id=batch.id), 303)


@bp.get("/proses/<int:batch_id>")
@login_required
def batch(batch_id: int):
    b = signatures.get_own_batch(viewer(), batch_id)
    counts = signatures.batch_counts(b.id)
    if counts["queued"] + counts["signing"] and is_fragment_request():
        if reconcile_batch(current_app._get_current_object(), b.id):  # self-healing if Redis lost the job
            counts = signatures.batch_counts(b.id)
    ctx = dict(batch=b, counts=counts, requests=signatures.batch_requests(b.id))
    return render_template("signing/_progress.html" if is_fragment_request() else "signing/batch.html", **ctx)


def _upload_context(values, errors=None, found=()):
    v = viewer()
    options = directory.usual_addressees(v) if v.is_clerk else []
    chain = [ap.position for ap in v.positions]
    for ap in v.positions:
        p = ap.position.parent
        while p is not None and len(chain) < 12:
            chain.append(p)
            p = p.parent
    known, merged = set(), []
    for p in [*found, *chain, *options]:
        if p.id not in known:
            known.add(p.id)
            merged.append(p)
    return dict(values=values, errors=errors or {}, jenis=JENIS, sifat=SIFAT, corners=CORNERS, options=merged)


@bp.route("/unggah", methods=["GET", "POST"])
@login_required
def upload():
    v = viewer()
    if not v.position_ids or v.user.role == "admin":
        raise PermissionDenied("Hanya pegawai yang memegang jabatan yang dapat mengajukan dokumen untuk TTE.")
    if request.method == "GET":
        return render_template("signing/upload.html", **_upload_context({}))
    if request.form.get("action") == "cari":
        found = directory.search_positions(request.form.get("cari", ""))
        return render_template("signing/upload.html", **_upload_context(request.form, found=found))
    data, errors = parse_submission(request.form)
    try:
        if errors:
            raise ValidationError(errors)
        doc = signatures.submit_pdf(v, file_store_for(), read_upload("pdf") or b"", data,
                                    max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    except ValidationError as exc:
        db.session.rollback()
        return render_template("signing/upload.html", **_upload_context(request.form, {**errors, **exc.errors})), 422
    db.session.commit()
    flash("Dokumen diajukan dan masuk antrean penanda tangan.", "success")
    return redirect(url_for("signing.document", doc_id=doc.id), 303)


def _visible_document(doc_id: int) -> SignDocument:
    """The drafter and everyone in the signing order see the document; nobody else."""
    v = viewer()
    doc = db.session.get(SignDocument, doc_id)
    if doc is None or not (doc.drafter_id == v.user.id or any(r.position_id in v.position_ids for r in doc.requests)):
        abort(404)
    return doc


@bp.get("/dokumen/<int:doc_id>")
@login_required
def document(doc_id: int):
    doc = _visible_document(doc_id)
    final = next((r for r in doc.requests if r.role == "ttd"), None)
    can_set_status = doc.is_final and final is not None and final.position_id in viewer().position_ids
    return render_template("signing/document.html", doc=doc, can_set_status=can_set_status,
                           verify_url=pki_context().verification_url(doc.token))


@bp.get("/dokumen/<int:doc_id>/pdf")
@login_required
def document_pdf(doc_id: int):
    doc = _visible_document(doc_id)
    resp = Response(file_store_for().read(doc.current_file), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="dokumen-{doc.id}.pdf"'
    return resp


@bp.post("/dokumen/<int:doc_id>/status")
@login_required
def legal_status(doc_id: int):
    try:
        verification.set_legal_status(viewer().user, doc_id, request.form.get("status", ""),
                                      request.form.get("note", ""), request.form.get("replaced_by"))
    except (ValidationError, Conflict) as exc:  # refusals of access answer 403/404 (errors.py)
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("signing.document", doc_id=doc_id), 303)
    db.session.commit()
    flash("Status hukum dokumen diperbarui.", "success")
    return redirect(url_for("signing.document", doc_id=doc_id), 303)


@bp.get("/sertifikat")
@login_required
def certificates_admin():
    if viewer().user.role != "admin":
        raise PermissionDenied("Hanya admin yang dapat mengelola sertifikat.")
    return _certificates_page()


def _certificates_page(errors=None, values=None, status=200):
    rows = db.session.scalars(db.select(Certificate).order_by(Certificate.id.desc()).limit(500)).all()
    return render_template("signing/certificates.html", rows=rows, reasons=REASON_LABELS, errors=errors or {},
                           values=values or {}, settings=signing_choice.official_settings(),
                           backends=BACKEND_LABELS), status


@bp.post("/sertifikat/penanda-tangan")
@login_required
def official_signing():
    f = request.form
    try:
        signing_choice.set_official_signing(viewer().user, f.get("username", ""), f.get("backend", ""),
                                            f.get("nik", ""), f.get("bsre_email", ""))
    except ValidationError as exc:
        db.session.rollback()
        return _certificates_page(exc.errors, f, 422)
    db.session.commit()
    flash("Cara penandatanganan pejabat disimpan.", "success")
    return redirect(url_for("signing.certificates_admin"), 303)


@bp.post("/sertifikat/<int:cert_id>/cabut")
@login_required
def revoke(cert_id: int):
    try:
        certificates.revoke_certificate(viewer().user, pki_context(), cert_id, request.form.get("reason", ""),
                                        request.form.get("note", ""))
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("signing.certificates_admin"), 303)
    db.session.commit()
    flash("Sertifikat dicabut; dokumen yang ditandatangani sebelumnya tetap sah.", "success")
    return redirect(url_for("signing.certificates_admin"), 303)


__all__ = ["bp", "Position"]
