"""Validation of signed PDFs: "valid when signed" (past validation at the time-stamp time).

How a signature is judged (rules enforced here):
1. Integrity: the signed byte range hashes to the signed digest (`intact`) and the signature value
   verifies with the signer's key (`valid`). Later revisions must be allowed updates only
   (DSS/time stamps, form filling such as further signatures) and respect the DocMDP in force.
2. Time: the signing time is the verified RFC 3161 signature time stamp T (a self-claimed /M
   time is only reported, never trusted; without a time stamp the signature is judged now).
3. Trust at T: the chain to an explicitly given root is validated *at T* by pyHanko
   (point-in-time validation, revocation checked with the CRLs embedded at signing plus the
   CRLs given), offline. The time stamp itself is validated at T with the same trust.
4. Revocation: CRLs given by the caller (the PKI's current CRL) are checked explicitly. A
   certificate revoked at or before T makes the signature invalid; one revoked after T leaves it
   valid and is reported as `revoked_later` with the reason. The same holds for the TSA certificate.
This is AdES "past signature validation" for B-LT signatures whose DSS sits in the signed
revision. (pyHanko's `ades_lta_validation` is not used: without a document time stamp after the
DSS it finds no proof of existence for the embedded material and returns NO_POE even for a fresh
signature; see the module tests.)
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import (
    CMSExtractionError,
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .revocation import REASON_LABELS, crl_lookup
from .tsa import to_asn1_cert

VERDICT_OK = "asli dan sah"
VERDICT_ALTERED = "dokumen telah diubah setelah ditandatangani"
VERDICT_UNTRUSTED = "tanda tangan tidak dipercaya"
VERDICT_REVOKED_BEFORE = "sertifikat penanda tangan sudah dicabut saat ditandatangani"
VERDICT_NONE = "tidak ada tanda tangan"
VERDICT_UNREADABLE = "berkas bukan PDF yang dapat dibaca"
_SEVERITY = [VERDICT_OK, VERDICT_UNTRUSTED, VERDICT_REVOKED_BEFORE, VERDICT_ALTERED]


@dataclass(frozen=True)
class SignatureReport:
    """The judgment on one signature (`verdict` is Bahasa Indonesia, see VERDICT_*)."""

    field_name: str
    signer_cn: str
    signer_serial: int
    signing_time: dt.datetime | None
    timestamped: bool
    intact: bool
    valid: bool
    trusted: bool
    revoked_later: bool
    revocation_reason: str | None
    revoked_at: dt.datetime | None
    covers_whole_document: bool
    modification_level: str
    locks_document: bool
    verdict: str
    detail: str = ""
    trust_root_index: int | None = None  # which of the given trust roots the signer's chain ends in

    @property
    def ok(self) -> bool:
        return self.verdict == VERDICT_OK


@dataclass(frozen=True)
class ValidationReport:
    """The judgment on a whole file: the worst signature verdict wins."""

    sha256: str
    signatures: tuple[SignatureReport, ...]
    verdict: str

    @property
    def ok(self) -> bool:
        return self.verdict == VERDICT_OK


def sha256_hex(pdf_bytes: bytes) -> str:
    """SHA-256 of the exact file bytes, lowercase hex (what the verification page shows)."""
    return hashlib.sha256(pdf_bytes).hexdigest()


def _dss_material(reader: PdfFileReader) -> tuple[list[x509.Certificate], list[bytes]]:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return [], []
    certs = [x509.load_der_x509_certificate(c.dump()) for c in dss.load_certs()]
    crls = [c.get_object().read_data(DecodePurpose.CRL) for c in dss.crls]
    return certs, crls


def _verified_crls(crls: Sequence[bytes], issuers: Sequence[x509.Certificate]) -> list[bytes]:
    """Keep only CRLs whose signature verifies with one of the known CA certificates."""
    good = []
    for der in crls:
        try:
            crl = x509.load_der_x509_crl(der)
        except ValueError:
            continue
        for ca in issuers:
            if ca.subject == crl.issuer and crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
                good.append(der)
                break
    return good


def _revocation(cert: x509.Certificate, crls: Sequence[bytes]):
    """Earliest revocation of `cert` listed in the (verified) CRLs, or None."""
    found = []
    for der in crls:
        if x509.load_der_x509_crl(der).issuer == cert.issuer:
            entry = crl_lookup(der, cert.serial_number)
            if entry is not None:
                found.append(entry)
    return min(found, key=lambda e: e.revoked_at, default=None)


def _tst_time_and_cert(sig: EmbeddedPdfSignature) -> tuple[dt.datetime | None, x509.Certificate | None]:
    try:
        token = find_unique_cms_attribute(sig.signer_info["unsigned_attrs"],
                                          "signature_time_stamp_token")
        tst = token["content"]
    except (NonexistentAttributeError, MultivaluedAttributeError, CMSExtractionError, KeyError):
        return None, None
    gen_time = tst["encap_content_info"]["content"].parsed["gen_time"].native
    sid = tst["signer_infos"][0]["sid"]
    tsa_cert = None
    for choice in tst["certificates"]:
        cert = choice.chosen
        if (sid.name == "issuer_and_serial_number"
                and cert.serial_number == sid.chosen["serial_number"].native
                and cert.issuer == sid.chosen["issuer"]):
            tsa_cert = x509.load_der_x509_certificate(cert.dump())
    return gen_time, tsa_cert


def _context(roots: Sequence[x509.Certificate], others: Sequence[x509.Certificate],
             crls: Sequence[bytes], moment: dt.datetime | None) -> ValidationContext:
    return ValidationContext(
        trust_roots=[to_asn1_cert(c) for c in roots],
        other_certs=[to_asn1_cert(c) for c in others],
        crls=[asn1_crl.CertificateList.load(c) for c in crls],
        allow_fetching=False, revocation_mode="hard-fail", moment=moment,
        best_signature_time=moment)


def _judge(sig: EmbeddedPdfSignature, roots: Sequence[x509.Certificate],
           others: Sequence[x509.Certificate], embedded_crls: Sequence[bytes],
           given_crls: Sequence[bytes]) -> SignatureReport:
    signer = x509.load_der_x509_certificate(sig.signer_cert.dump())
    cn_attrs = signer.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    cn = str(cn_attrs[0].value) if cn_attrs else signer.subject.rfc4514_string()
    ts_time, tsa_cert = _tst_time_and_cert(sig)
    ctx = _context(roots, others, [*embedded_crls, *given_crls], ts_time)
    status = validate_pdf_signature(sig, signer_validation_context=ctx)
    tsv = status.timestamp_validity
    timestamped = bool(tsv and tsv.intact and tsv.valid and tsv.trusted and ts_time
                       and tsv.timestamp == ts_time)
    signing_time = ts_time if timestamped else status.signer_reported_dt
    detail: list[str] = []
    if ts_time and not timestamped:
        detail.append("cap waktu tidak sah atau tidak dipercaya")
    if ts_time is None:
        detail.append("tanpa cap waktu: dinilai pada waktu sekarang")

    revoked = _revocation(signer, given_crls)
    revoked_before = revoked is not None and (not timestamped or revoked.revoked_at <= ts_time)
    if tsa_cert is not None and timestamped:
        tsa_rev = _revocation(tsa_cert, given_crls)
        if tsa_rev is not None and tsa_rev.revoked_at <= ts_time:
            timestamped = False
            detail.append("sertifikat TSA sudah dicabut saat cap waktu dibuat")

    level = status.modification_level
    altered = (not status.intact or not status.valid
               or status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE,
                                          SignatureCoverageLevel.ENTIRE_REVISION)
               or status.docmdp_ok is False
               or (level is not None and level > ModificationLevel.FORM_FILLING))
    trusted = bool(status.trusted) and (timestamped or ts_time is None)
    if altered:
        verdict = VERDICT_ALTERED
    elif revoked_before:
        verdict = VERDICT_REVOKED_BEFORE
    elif not trusted:
        verdict = VERDICT_UNTRUSTED
        if status.trust_problem_indic is not None:
            detail.append(str(status.trust_problem_indic))
    else:
        verdict = VERDICT_OK
    later = revoked is not None and not revoked_before
    return SignatureReport(
        field_name=str(sig.field_name), signer_cn=cn, signer_serial=signer.serial_number,
        signing_time=signing_time, timestamped=timestamped, intact=bool(status.intact),
        valid=bool(status.valid), trusted=trusted and not revoked_before,
        revoked_later=later,
        revocation_reason=REASON_LABELS.get(revoked.reason, revoked.reason.value) if revoked else None,
        revoked_at=revoked.revoked_at if revoked else None,
        covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modification_level=level.name if level is not None else "UNKNOWN",
        locks_document=sig.docmdp_level is not None and sig.docmdp_level.value == 1,
        verdict=verdict, detail="; ".join(detail), trust_root_index=_anchor_index(status, roots))


def _anchor_index(status, roots: Sequence[x509.Certificate]) -> int | None:
    """Index in `roots` of the trust anchor pyHanko validated the signer's chain to (None if untrusted)."""
    path = getattr(status, "validation_path", None)
    if path is None or not status.trusted:
        return None
    try:
        anchor = path.trust_anchor.authority.name.dump()
    except AttributeError:
        return None
    for index, root in enumerate(roots):
        if root.subject.public_bytes() == anchor:
            return index
    return None


def _broken(sig: EmbeddedPdfSignature, exc: Exception) -> SignatureReport:
    return SignatureReport(
        field_name=str(sig.field_name), signer_cn="", signer_serial=0, signing_time=None,
        timestamped=False, intact=False, valid=False, trusted=False, revoked_later=False,
        revocation_reason=None, revoked_at=None, covers_whole_document=False,
        modification_level="UNKNOWN", locks_document=False, verdict=VERDICT_ALTERED,
        detail=f"tanda tangan rusak: {type(exc).__name__}")


def validate_pdf(pdf_bytes: bytes, trust_roots: Sequence[x509.Certificate],
                 crls: Sequence[bytes] = (), *,
                 intermediates: Sequence[x509.Certificate] = ()) -> ValidationReport:
    """Judge every signature in `pdf_bytes` ("valid when signed"), offline.

    `trust_roots` are the only trusted roots (e.g. the regency root); `crls` are current CRLs
    (DER) used to tell "revoked before signing" from "revoked later"; `intermediates` are
    optional extra CA certificates (the DSS usually carries them).
    """
    digest = sha256_hex(pdf_bytes)
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        sigs = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
        dss_certs, dss_crls = _dss_material(reader)
    except Exception:  # noqa: BLE001 - any parse failure means "not a readable PDF"
        return ValidationReport(sha256=digest, signatures=(), verdict=VERDICT_UNREADABLE)
    if not sigs:
        return ValidationReport(sha256=digest, signatures=(), verdict=VERDICT_NONE)
    cas = [*trust_roots, *intermediates,
           *(c for c in dss_certs if _is_ca(c) and _issued_by_any(c, trust_roots))]
    given = _verified_crls(crls, cas)
    others = [*intermediates, *dss_certs]
    reports = []
    for sig in sigs:
        try:
            reports.append(_judge(sig, trust_roots, others, dss_crls, given))
        except Exception as exc:  # noqa: BLE001 - a malformed signature is reported, not raised
            reports.append(_broken(sig, exc))
    verdict = max((r.verdict for r in reports), key=_SEVERITY.index)
    return ValidationReport(sha256=digest, signatures=tuple(reports), verdict=verdict)


def _issued_by_any(cert: x509.Certificate, roots: Sequence[x509.Certificate]) -> bool:
    for root in roots:
        try:
            cert.verify_directly_issued_by(root)
            return True
        except (ValueError, TypeError, InvalidSignature):
            continue
    return False


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
