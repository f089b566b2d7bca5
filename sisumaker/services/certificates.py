"""Officials' signing certificates: enrolment with their own passphrase, import, revocation."""
from __future__ import annotations

from datetime import datetime, timezone

from cryptography import x509
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import Certificate, User
from sisumaker.pki_runtime import PkiContext
from sisumaker.services import audit
from sisumaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sisumaker.signing import (WrongPassphrase, check_passphrase_strength, ensure_not_revoked,
                               issue_official_certificate, load_pkcs12, make_pkcs12, revoke, rewrap_pkcs12)
from sisumaker.signing.errors import SigningLibError
from sisumaker.signing.revocation import REASON_LABELS, parse_reason
from sisumaker.signing.pki import serial_hex


def active_certificate(user: User) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user.id,
                                                       Certificate.status == "aktif")
                             .order_by(Certificate.id.desc()))


def missing_certificate_message(user: User) -> str:
    """Why a user without an active certificate cannot sign: a revoked one is named as such, with its reason."""
    revoked = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id,
                                                          Certificate.status == "dicabut")
                                .order_by(Certificate.id.desc()))
    if revoked is not None:
        return (f"Sertifikat TTE Anda sudah dicabut ({revoked.revoke_reason or 'tanpa alasan'}); "
                "penandatanganan ditolak.")
    return "Anda belum memiliki sertifikat TTE. Buat sertifikat terlebih dahulu."


def _record(user: User, cert: x509.Certificate, p12: bytes, origin: str) -> Certificate:
    from cryptography.hazmat.primitives.serialization import Encoding

    row = Certificate(
        user_id=user.id, serial=serial_hex(cert.serial_number), subject=cert.subject.rfc4514_string()[:300],
        issuer=cert.issuer.rfc4514_string()[:300], not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc, cert_pem=cert.public_bytes(Encoding.PEM).decode(), pkcs12=p12,
        origin=origin)
    db.session.add(row)
    db.session.flush()
    return row


def enroll(actor: User, ctx: PkiContext, passphrase: str, confirm: str) -> Certificate:
    """Rule: an official with a position enrols themself; the passphrase is theirs alone (strength-checked,
    never stored) and locks the AES-256 PKCS#12 that holds the new key."""
    if actor.position is None or actor.role == "admin":
        raise PermissionDenied("Hanya pejabat atau pegawai yang memegang jabatan yang dapat membuat sertifikat TTE.")
    if active_certificate(actor) is not None:
        raise Conflict("Anda sudah memiliki sertifikat aktif. Minta admin mencabutnya sebelum membuat yang baru.")
    problems = check_passphrase_strength(passphrase, username=actor.username, full_name=actor.full_name)
    if passphrase != confirm:
        problems.append("Konfirmasi frasa sandi tidak sama.")
    if problems:
        raise ValidationError({"passphrase": " ".join(problems)})
    issued = issue_official_certificate(
        ctx.pki, common_name=actor.full_name, nip_or_id=actor.nip or actor.username,
        position_title=actor.position.title, organisation=ctx.pki.config.regency_name, email=actor.email)
    p12 = make_pkcs12(issued.certificate, issued.private_key, ctx.pki.chain, passphrase,
                      friendly_name=actor.full_name)
    row = _record(actor, issued.certificate, p12, "regency")
    audit.record(actor, "certificate.enroll", "certificate", row.id, {"serial": row.serial})
    return row


def import_pkcs12(actor: User, data: bytes, passphrase: str) -> Certificate:
    """Rule: an official may bring an externally issued PKCS#12; it is re-wrapped with AES-256 under the same
    passphrase and must carry a signing key usage."""
    if actor.position is None:
        raise PermissionDenied("Hanya pemegang jabatan yang dapat mengimpor sertifikat.")
    if active_certificate(actor) is not None:
        raise Conflict("Anda sudah memiliki sertifikat aktif.")
    try:
        contents = load_pkcs12(data, passphrase)
        p12 = rewrap_pkcs12(data, passphrase, passphrase)
    except WrongPassphrase as exc:
        raise ValidationError({"passphrase": exc.message}) from None
    except (SigningLibError, ValueError):
        raise ValidationError({"p12": "Berkas bukan PKCS#12 (.p12/.pfx) yang dapat dibaca."}) from None
    try:
        usage = contents.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise ValidationError({"p12": "Sertifikat ini tidak untuk tanda tangan (key usage)."})
    except x509.ExtensionNotFound:
        pass
    row = _record(actor, contents.certificate, p12, "imported")
    audit.record(actor, "certificate.import", "certificate", row.id, {"serial": row.serial})
    return row


def revoke_certificate(actor: User, ctx: PkiContext, cert_id: int, reason: str, note: str = "") -> Certificate:
    """Rule: one admin action revokes an official's certificate (mutasi, pensiun, key compromise) with a
    reason; documents signed before stay valid-when-signed."""
    if actor.role != "admin":
        raise PermissionDenied("Hanya admin yang dapat mencabut sertifikat.")
    row = db.session.get(Certificate, cert_id)
    if row is None:
        raise NotFound("Sertifikat tidak ditemukan.")
    if row.status == "dicabut":
        raise Conflict("Sertifikat ini sudah dicabut.")
    try:
        flag = parse_reason(reason or "")
    except ValueError:
        raise ValidationError({"reason": "Pilih alasan pencabutan yang tersedia."}) from None
    now = datetime.now(timezone.utc)
    if row.origin == "regency":
        revoke(ctx.pki, int(row.serial, 16), flag, now, note=note)
    label = REASON_LABELS[flag] + (f" — {note.strip()}" if (note or "").strip() else "")
    row.status, row.revoked_at, row.revoke_reason = "dicabut", now, label[:300]
    db.session.flush()
    audit.record(actor, "certificate.revoke", "certificate", row.id, {"serial": row.serial, "reason": reason})
    return row


def check_usable(ctx: PkiContext, row: Certificate, passphrase: str):
    """Rule: signing needs an active, unrevoked certificate and the right passphrase — checked in the web request,
    so a wrong passphrase is refused at once and nothing is queued. Returns the opened key store."""
    if row.status != "aktif":
        raise PermissionDenied("Sertifikat Anda sudah dicabut; penandatanganan ditolak.")
    cert = x509.load_pem_x509_certificate(row.cert_pem.encode())
    if row.origin == "regency":
        try:
            ensure_not_revoked(ctx.pki, cert)
        except SigningLibError as exc:
            raise PermissionDenied(exc.message) from None
    try:
        return load_pkcs12(row.pkcs12, passphrase)
    except WrongPassphrase as exc:
        raise ValidationError({"passphrase": exc.message}) from None
