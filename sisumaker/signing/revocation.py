"""Revocation of officials' certificates and the issuing CA's CRL.

Rules enforced here:
- Revocation is permanent (no certificateHold) and recorded once, with a reason and a time that is
  not in the future; revoking twice keeps the first record.
- The CRL is signed by the issuing CA, has a CRL number that only grows, nextUpdate 7 days after
  thisUpdate, and lists every revoked serial with its reason code.
- A revoked, expired or not-yet-valid certificate cannot sign (`ensure_not_revoked`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from .errors import CertificateRevoked
from .pki import CLOCK_SKEW, Pki, locked_registry, read_registry, serial_hex, write_public

CRL_VALIDITY = dt.timedelta(days=7)

REASON_LABELS: dict[x509.ReasonFlags, str] = {
    x509.ReasonFlags.unspecified: "tidak disebutkan",
    x509.ReasonFlags.key_compromise: "kunci privat bocor",
    x509.ReasonFlags.affiliation_changed: "mutasi / perubahan jabatan",
    x509.ReasonFlags.superseded: "diganti sertifikat baru",
    x509.ReasonFlags.cessation_of_operation: "pensiun / berhenti bertugas",
    x509.ReasonFlags.privilege_withdrawn: "kewenangan dicabut",
}
"""Permanent reasons accepted by `revoke`, with their Bahasa Indonesia labels for the UI."""


@dataclass(frozen=True)
class RevocationEntry:
    """One revoked certificate."""

    serial: int
    reason: x509.ReasonFlags
    revoked_at: dt.datetime
    note: str = ""

    @property
    def reason_label(self) -> str:
        """The reason in Bahasa Indonesia."""
        return REASON_LABELS.get(self.reason, self.reason.value)


def parse_reason(reason: str | x509.ReasonFlags) -> x509.ReasonFlags:
    """Map "affiliation_changed" / "affiliationChanged" / ReasonFlags to a permanent reason."""
    if isinstance(reason, x509.ReasonFlags):
        flag = reason
    else:
        key = reason.strip()
        by_name = {f.name: f for f in x509.ReasonFlags}
        by_value = {f.value: f for f in x509.ReasonFlags}
        if key in by_name:
            flag = by_name[key]
        elif key in by_value:
            flag = by_value[key]
        else:
            raise ValueError(f"Alasan pencabutan tidak dikenal: {reason}.")
    if flag not in REASON_LABELS:
        raise ValueError(f"Alasan pencabutan tidak dapat dipakai: {flag.name}.")
    return flag


def _utc(value: dt.datetime | None) -> dt.datetime:
    return (value or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)


def revoke(pki: Pki, serial: int, reason: str | x509.ReasonFlags,
           when: dt.datetime | None = None, *, note: str = "") -> RevocationEntry:
    """Record the revocation of certificate `serial` (issued by this PKI) in registry.json.

    Rule: permanent and idempotent (an already revoked serial keeps its first record); `when`
    defaults to now and must not be in the future. Rebuild/publish the CRL afterwards
    (`current_crl` does so automatically because the registry changed).
    """
    flag = parse_reason(reason)
    revoked_at = _utc(when).replace(microsecond=0)
    if revoked_at > _utc(None) + CLOCK_SKEW:
        raise ValueError("Waktu pencabutan tidak boleh di masa depan.")
    key = serial_hex(serial)
    with locked_registry(pki.paths) as reg:
        if key not in reg["issued"]:
            raise ValueError("Sertifikat dengan nomor seri ini tidak diterbitkan oleh PKI ini.")
        if key not in reg["revoked"]:
            reg["revoked"][key] = {"reason": flag.name, "revoked_at": revoked_at.isoformat(),
                                   "note": note}
        rec = reg["revoked"][key]
    return RevocationEntry(serial=serial, reason=x509.ReasonFlags[rec["reason"]],
                           revoked_at=dt.datetime.fromisoformat(rec["revoked_at"]),
                           note=rec.get("note", ""))


def revoked_entries(pki: Pki) -> dict[int, RevocationEntry]:
    """All revocations recorded for this PKI, by serial number."""
    out: dict[int, RevocationEntry] = {}
    for key, rec in read_registry(pki.paths)["revoked"].items():
        serial = int(key, 16)
        out[serial] = RevocationEntry(serial=serial, reason=x509.ReasonFlags[rec["reason"]],
                                      revoked_at=dt.datetime.fromisoformat(rec["revoked_at"]),
                                      note=rec.get("note", ""))
    return out


def revocation_status(pki: Pki, cert: x509.Certificate) -> RevocationEntry | None:
    """The revocation record of `cert`, or None while it is not revoked."""
    if cert.issuer != pki.issuing_cert.subject:
        return None
    return revoked_entries(pki).get(cert.serial_number)


def ensure_not_revoked(pki: Pki, cert: x509.Certificate, at: dt.datetime | None = None) -> None:
    """Refuse to sign with a certificate that is revoked, expired or not yet valid at `at` (now).

    Rule: a revoked certificate never signs again, whatever the revocation time recorded.
    """
    moment = _utc(at)
    entry = revocation_status(pki, cert)
    if entry is not None:
        raise CertificateRevoked(
            "Sertifikat penanda tangan sudah dicabut sejak "
            f"{entry.revoked_at.astimezone(dt.timezone(dt.timedelta(hours=7))):%d-%m-%Y %H:%M} WIB "
            f"({entry.reason_label}); penandatanganan ditolak.")
    if moment > cert.not_valid_after_utc:
        raise CertificateRevoked("Sertifikat penanda tangan sudah kedaluwarsa; penandatanganan ditolak.")
    if moment + CLOCK_SKEW < cert.not_valid_before_utc:
        raise CertificateRevoked("Sertifikat penanda tangan belum berlaku; penandatanganan ditolak.")


def build_crl(pki: Pki, *, now: dt.datetime | None = None,
              validity: dt.timedelta = CRL_VALIDITY) -> bytes:
    """Build and sign the issuing CA's CRL (DER) listing every revocation in the registry.

    Rule: CRL number = thisUpdate in microseconds since the epoch (monotonic without shared state);
    nextUpdate = thisUpdate + 7 days; reason codes included except for "unspecified" (RFC 5280).
    """
    this_update = _utc(now)
    number = int(this_update.timestamp() * 1_000_000)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.issuing_cert.subject)
        .last_update(this_update.replace(microsecond=0))
        .next_update((this_update + validity).replace(microsecond=0))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            pki.issuing_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value),
            critical=False)
    )
    for entry in revoked_entries(pki).values():
        rb = (x509.RevokedCertificateBuilder().serial_number(entry.serial)
              .revocation_date(entry.revoked_at))
        if entry.reason is not x509.ReasonFlags.unspecified:
            rb = rb.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(rb.build())
    crl = builder.sign(pki.issuing_key, hashes.SHA256())
    return crl.public_bytes(Encoding.DER)


def current_crl(pki: Pki, *, max_age: dt.timedelta = dt.timedelta(hours=24),
                now: dt.datetime | None = None) -> bytes:
    """Return the cached crl.der, rebuilding (and caching) it when older than `max_age` or when
    the registry changed since. This is what the app should publish at the CRL URL and embed."""
    moment = _utc(now)
    path, registry = pki.paths.crl, pki.paths.registry
    if path.exists():
        data = path.read_bytes()
        try:
            crl = x509.load_der_x509_crl(data)
            fresh = (moment - crl.last_update_utc < max_age
                     and path.stat().st_mtime_ns > registry.stat().st_mtime_ns)
        except ValueError:
            fresh = False
        if fresh:
            return data
    data = build_crl(pki, now=moment)
    write_public(path, data)
    return data


def crl_lookup(crl_der: bytes, serial: int) -> RevocationEntry | None:
    """The entry for `serial` in a DER CRL, or None when it is not listed."""
    crl = x509.load_der_x509_crl(crl_der)
    revoked = crl.get_revoked_certificate_by_serial_number(serial)
    if revoked is None:
        return None
    try:
        reason = revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        reason = x509.ReasonFlags.unspecified
    return RevocationEntry(serial=serial, reason=reason, revoked_at=revoked.revocation_date_utc)

