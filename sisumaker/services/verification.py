"""Public verification of issued documents (no login): legal status, signers as at signing time, and the check
of a PDF someone holds. Terbatas and Rahasia documents reveal no subject or content."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models.org import as_utc
from sisumaker.models import JENIS, Certificate, SignDocument, User
from sisumaker.pki_runtime import PkiContext
from sisumaker.services import audit
from sisumaker.services.errors import NotFound, PermissionDenied, ValidationError
from sisumaker.services.files import FileStore
from sisumaker.signing import current_crl, validate_pdf, wib_time

CERTIFIED = "Tersertifikasi (BSrE)"
UNCERTIFIED = "Tidak tersertifikasi (CA daerah)"
UNTRUSTED = "Tidak dipercaya"
STATUS_LABEL = {"ditandatangani": "Berlaku", "dicabut": "Dicabut", "diganti": "Diganti", "menunggu": "Belum berlaku"}


@dataclass(frozen=True)
class SignerInfo:
    name: str
    title: str
    role: str
    signed_at: str | None
    certified: bool
    kind: str  # CERTIFIED or UNCERTIFIED
    revoked_later: str | None  # "dicabut 2027-01-02 (pensiun / berhenti bertugas)" when revoked after signing


def lookup(token: str) -> SignDocument | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(SignDocument).where(SignDocument.token == token))


def public_info(doc: SignDocument | None, store: FileStore) -> dict:
    """Everything the public page and its JSON show; Terbatas/Rahasia documents omit the subject."""
    if doc is None:
        return {"status": "Tidak dikenal", "known": False}
    signers = []
    for req in doc.requests:
        if req.status != "signed":
            continue
        cert = db.session.get(Certificate, req.certificate_id) if req.certificate_id else None
        later = None
        if cert is not None and cert.status == "dicabut" and cert.revoked_at is not None:
            later = f"sertifikat dicabut {cert.revoked_at:%d-%m-%Y} ({cert.revoke_reason or 'tanpa alasan'}), " \
                    "setelah dokumen ditandatangani"
        certified = req.backend == "bsre" or bool(cert and cert.origin != "regency")
        signers.append(SignerInfo(name=req.signer_name or "", title=f"{req.capacity_prefix} {req.signer_title}".strip(),
                                  role=req.role, signed_at=wib_time(as_utc(req.signed_at)) if req.signed_at else None,
                                  certified=certified, kind=CERTIFIED if certified else UNCERTIFIED,
                                  revoked_later=later))
    status = STATUS_LABEL.get(doc.status, doc.status)
    replaced = None
    if doc.status == "diganti" and doc.replaced_by is not None:
        replaced = doc.replaced_by.number or doc.replaced_by.code
        status = f"Diganti oleh {replaced}"
    open_subject = doc.sifat == "B"
    return {
        "known": True, "status": status, "status_code": doc.status, "jenis": JENIS.get(doc.jenis, doc.jenis),
        "number": doc.number, "date": doc.doc_date.isoformat() if doc.doc_date else None,
        "title": doc.title if open_subject else None, "sifat_hidden": not open_subject,
        "code": doc.code, "signed_at": as_utc(doc.signed_at).isoformat() if doc.signed_at else None,
        "sha256": doc.current_file.sha256 if doc.is_final else None, "legal_note": doc.legal_note,
        "replaced_by": replaced, "signers": [s.__dict__ for s in signers],
        "signature_kind": _document_kind(signers),
    }


def _document_kind(signers: list[SignerInfo]) -> str | None:
    """Rule: a document is as certified as its final signature (TTE); parafs do not change its kind."""
    final = [s for s in signers if s.role == "ttd"] or signers
    return final[-1].kind if final else None


def signature_kind(trust_root_index: int | None) -> str:
    """Index 0 is the regency root (CA daerah); any further configured root is a certified (BSrE) one."""
    if trust_root_index is None:
        return UNTRUSTED
    return UNCERTIFIED if trust_root_index == 0 else CERTIFIED


def check_upload(doc: SignDocument | None, ctx: PkiContext, pdf: bytes) -> dict:
    """Rule: a held PDF is "asli dan sah" only when it is byte-for-byte this document's signed file and every
    signature validates (valid when signed) against the configured trust roots — the regency root and the
    certified roots of SIGNING_TRUST_ROOTS; each signature says which kind it is."""
    if not pdf:
        raise ValidationError({"pdf": "Pilih berkas PDF yang akan diperiksa."})
    digest = hashlib.sha256(pdf).hexdigest()
    same = doc is not None and doc.is_final and digest == doc.current_file.sha256
    report = validate_pdf(pdf, ctx.all_roots, crls=[current_crl(ctx.pki)], intermediates=[ctx.pki.issuing_cert])
    kinds = [signature_kind(s.trust_root_index) for s in report.signatures]
    if same:
        verdict = "asli dan sah" if report.ok else report.verdict
    elif report.ok:
        verdict = "tanda tangan sah, tetapi berkas ini bukan dokumen yang terdaftar untuk kode ini"
    else:
        verdict = f"tidak asli: berkas ini telah diubah atau bukan dokumen ini ({report.verdict})"
    return {"verdict": verdict, "ok": bool(same and report.ok), "sha256": digest, "same_document": same,
            "signature_kind": kinds[-1] if kinds else None,
            "signatures": [{"signer": s.signer_cn, "valid": s.ok, "verdict": s.verdict, "kind": kind,
                            "signing_time": s.signing_time.isoformat() if s.signing_time else None,
                            "revoked_later": s.revoked_later, "revocation_reason": s.revocation_reason}
                           for s, kind in zip(report.signatures, kinds)]}


def set_legal_status(actor: User, doc_id: int, status: str, note: str, replaced_by_token: str | None = None
                     ) -> SignDocument:
    """Rule: only a holder of the final signer's position (or the drafter's admin) marks a signed document
    revoked or replaced; the verification page then shows that legal status."""
    doc = db.session.get(SignDocument, doc_id)
    if doc is None or not doc.is_final:
        raise NotFound("Dokumen bertanda tangan tidak ditemukan.")
    final = next((r for r in doc.requests if r.role == "ttd"), None)
    from sisumaker.services.org import acting_position_ids

    if final is None or final.position_id not in acting_position_ids(actor):
        raise PermissionDenied("Hanya pejabat penanda tangan yang dapat mengubah status hukum dokumen ini.")
    if status not in ("dicabut", "diganti", "ditandatangani"):
        raise ValidationError({"status": "Status tidak dikenal."})
    if status != "ditandatangani" and len((note or "").strip()) < 5:
        raise ValidationError({"note": "Tuliskan dasar pencabutan/penggantian (mis. nomor keputusan)."})
    replacement = None
    if status == "diganti":
        replacement = lookup((replaced_by_token or "").strip())
        if replacement is None or replacement.id == doc.id or not replacement.is_final:
            raise ValidationError({"replaced_by": "Dokumen pengganti tidak ditemukan atau belum ditandatangani."})
    doc.status, doc.legal_note = status, (note or "").strip()[:500] or None
    doc.replaced_by_id = replacement.id if replacement else None
    db.session.flush()
    audit.record(actor, "document.legal_status", "sign_document", doc.id, {"status": status, "note": doc.legal_note})
    return doc
