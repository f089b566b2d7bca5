"""Which backend signs: the official's setting (regency CA or BSrE with their NIK), the per-jenis policy, the checks
made in the web request before anything is queued, and opening the chosen backend in the worker."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import JENIS, OfficialSigning, SignBatch, User
from sisumaker.pki_runtime import PkiContext
from sisumaker.services import audit
from sisumaker.services.errors import PermissionDenied, ValidationError
from sisumaker.signing import current_crl, signer_from_pkcs12
from sisumaker.signing.backends import (BackendKind, BsreBackend, RegencyCaBackend, SigningBackend, SigningPolicy,
                                        validate_nik)
from sisumaker.signing.bsre import BsreClient, BsreCredential, BsreIdentity
from sisumaker.signing.errors import SigningLibError

NO_BSRE_IDENTITY = ("{jenis} harus ditandatangani melalui BSrE, tetapi NIK BSrE Anda belum diatur. "
                    "Minta admin TTE mengisinya di halaman Sertifikat TTE.")
MIXED = ("Dokumen yang ditandatangani melalui BSrE dan melalui CA daerah memakai frasa sandi berbeda; "
         "tandatangani secara terpisah.")


def official_setting(user: User) -> OfficialSigning | None:
    return db.session.get(OfficialSigning, user.id)


def official_backend(user: User) -> BackendKind:
    row = official_setting(user)
    return BackendKind(row.backend) if row is not None else BackendKind.REGENCY


def bsre_identity(user: User) -> BsreIdentity | None:
    """The official's identity at BSrE (NIK preferred over e-mail), or None when none is set."""
    row = official_setting(user)
    if row is None or not (row.nik or row.bsre_email):
        return None
    return BsreIdentity(nik=row.nik) if row.nik else BsreIdentity(email=row.bsre_email)


def backend_for(user: User, jenis: str, policy: SigningPolicy, final: bool = True) -> BackendKind:
    """Rule: the official's own backend, except that the final signature of a jenis the policy reserves for BSrE
    goes through BSrE when BSrE is configured — and then the official must have a BSrE identity."""
    kind = policy.backend_for(official_backend(user), jenis, final)
    if kind is BackendKind.BSRE and bsre_identity(user) is None:
        raise ValidationError({"passphrase": NO_BSRE_IDENTITY.format(jenis=JENIS.get(jenis, jenis))})
    return kind


def batch_backend(user: User, signatures: Iterable[tuple[str, bool]], policy: SigningPolicy) -> BackendKind:
    """Rule: one batch, one passphrase, one backend; a selection that mixes both is refused. `signatures` are
    (jenis, is the final signature) pairs."""
    kinds = {backend_for(user, jenis, policy, final) for jenis, final in signatures}
    if len(kinds) > 1:
        raise ValidationError({"passphrase": MIXED})
    return kinds.pop() if kinds else official_backend(user)


def check_bsre_signer(client: BsreClient | None, identity: BsreIdentity) -> None:
    """Rule: before queuing BSrE work the signer's status is asked, so "not registered", "no certificate",
    "expired" or "revoked" are refused at once. An unreachable BSrE does not stop queuing: the worker retries."""
    if client is None:
        raise ValidationError({"passphrase": "Layanan BSrE belum dikonfigurasi di server ini (BSRE_URL)."})
    try:
        refusal = client.user_status(identity).refusal()
    except SigningLibError as exc:
        if exc.transient:
            return
        raise ValidationError({"passphrase": exc.message}) from None
    if refusal is not None:
        raise ValidationError({"passphrase": refusal.message})


def open_backend(ctx: PkiContext, batch: SignBatch, passphrase: str, client: BsreClient | None) -> SigningBackend:
    """The worker's backend for a batch: the official's key store opened with the passphrase (regency CA), or the
    BSrE client with the official's identity. Raises SigningLibError (the batch's requests then fail)."""
    if batch.backend == BackendKind.BSRE.value:
        identity = bsre_identity(batch.user)
        if client is None or identity is None:
            raise SigningLibError("BSrE belum dikonfigurasi, atau NIK BSrE penanda tangan belum diatur.")
        return BsreBackend(client=client, identity=identity, credential=BsreCredential(passphrase=passphrase))
    if batch.certificate is None:
        raise SigningLibError("Sertifikat penanda tangan tidak ditemukan.")
    signer = signer_from_pkcs12(batch.certificate.pkcs12, passphrase)
    return RegencyCaBackend(signer=signer, trust=ctx.trust, tsa=ctx.tsa, crl_der=current_crl(ctx.pki))


def set_official_signing(actor: User, username: str, backend: str, nik: str = "", email: str = "") -> OfficialSigning:
    """Rule: only the admin sets how an official signs; BSrE needs a valid 16-digit NIK or an e-mail address."""
    if actor.role != "admin":
        raise PermissionDenied("Hanya admin yang dapat mengatur cara penandatanganan pejabat.")
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or user.position_id is None:
        raise ValidationError({"username": "Pengguna tidak ditemukan atau tidak memegang jabatan."})
    errors: dict[str, str] = {}
    if backend not in {k.value for k in BackendKind}:
        errors["backend"] = "Pilih CA daerah atau BSrE."
    nik, email = (nik or "").strip(), (email or "").strip()
    if nik:
        try:
            nik = validate_nik(nik)
        except ValueError as exc:
            errors["nik"] = str(exc)
    if email and ("@" not in email or len(email) > 200 or " " in email):
        errors["bsre_email"] = "Alamat e-mail BSrE tidak sah."
    if backend == BackendKind.BSRE.value and not (nik or email) and "nik" not in errors:
        errors["nik"] = "Penandatanganan melalui BSrE memerlukan NIK (16 angka) atau e-mail terdaftar di BSrE."
    if errors:
        raise ValidationError(errors)
    row = official_setting(user) or OfficialSigning(user_id=user.id)
    row.backend, row.nik, row.bsre_email = backend, nik or None, email or None
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "signing.official_backend", "user_account", user.id,
                 {"backend": backend, "nik_set": bool(nik), "email_set": bool(email)})
    return row


def official_settings(limit: int = 500) -> list[OfficialSigning]:
    """Officials whose signing setting was set, for the admin page (the rest sign through the regency CA)."""
    return list(db.session.scalars(select(OfficialSigning).join(User).order_by(User.username).limit(limit)))


def backend_labels(user: User, signatures: Iterable[tuple[str, bool]], policy: SigningPolicy
                   ) -> dict[tuple[str, bool], str]:
    """For the signing page: per (jenis naskah, final) pair, which backend will sign (or why it cannot)."""
    labels = {}
    for jenis, final in dict.fromkeys(signatures):
        try:
            labels[(jenis, final)] = backend_for(user, jenis, policy, final).label
        except ValidationError as exc:
            labels[(jenis, final)] = exc.errors["passphrase"]
    return labels
