"""PAdES signing with pyHanko: B-LT (regency time stamp + embedded CRL/certificates), QR stamp.

Rules enforced here:
- Every signature is PAdES (ETSI.CAdES.detached) with a signature time stamp from the given TSA
  and the validation material (certificates + CRL) in the DSS of the *same* revision, so the
  signature covers the whole file and validates offline years later (B-LT).
- Trust is always explicit (root + issuing CA passed in); nothing is fetched from the network.
- A revoked / expired signer certificate is refused before pyHanko is called.
- The final signature locks the document: a certification signature with DocMDP "no changes" if
  it is the first signature, otherwise an approval signature with a field lock (FieldMDP All)
  and DocMDP "no changes". After it, `sign_pdf` refuses (`DocumentFinal`); pyHanko itself would
  not. Paraf (reviewer) signatures are approval signatures without locking.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .errors import CertificateRevoked, DocumentFinal, InvalidPdf, SigningLibError
from .keystore import load_pkcs12
from .pki import CLOCK_SKEW, Pki, PrivateKey
from .revocation import crl_lookup
from .stamp import StampSpec, stamp_style, text_params
from .tsa import hash_for, to_asn1_cert, to_asn1_key


class _OfflineNoticeFilter(logging.Filter):
    """Drop pyHanko's per-signature notice that fetching is disabled: offline embedding of the
    CRLs we pass is the intended mode here, and a batch of 300 would log it 300 times."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_OfflineNoticeFilter())


@dataclass(frozen=True)
class TrustAnchors:
    """Certificates a relying party trusts (`roots`) plus known intermediates."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()

    @classmethod
    def from_pki(cls, pki: Pki) -> "TrustAnchors":
        """Trust the regency root; know the issuing CA."""
        return cls(roots=(pki.root_cert,), intermediates=(pki.issuing_cert,))


class CachedSigner(signers.SimpleSigner):
    """A pyHanko SimpleSigner that keeps the private key parsed.

    SimpleSigner re-parses its PKCS#8 key for every signature; this one parses it once, so a batch
    of signatures (one passphrase entry, many documents) pays the key-loading cost once.
    """

    def __init__(self, certificate: x509.Certificate, private_key: PrivateKey,
                 chain: Sequence[x509.Certificate] = ()):
        asn1_chain = [to_asn1_cert(c) for c in chain]
        super().__init__(signing_cert=to_asn1_cert(certificate), signing_key=to_asn1_key(private_key),
                         cert_registry=SimpleCertificateStore.from_certs(asn1_chain))
        self._key = private_key
        self.certificate = certificate

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign with the cached key (PKCS#1 v1.5 for RSA, ECDSA for EC), like SimpleSigner."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_for(digest_algorithm))
        if mechanism == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_for(digest_algorithm)))
        return super().sign_raw(data, digest_algorithm)  # e.g. RSASSA-PSS: the generic path


def signer_from_pkcs12(p12_bytes: bytes, passphrase: str | bytes,
                       extra_chain: Sequence[x509.Certificate] = ()) -> CachedSigner:
    """Open an official's key store into a reusable signer; a wrong passphrase raises
    `WrongPassphrase` (never returns None)."""
    contents = load_pkcs12(p12_bytes, passphrase)
    chain = list(contents.chain) + [c for c in extra_chain if c not in contents.chain]
    return CachedSigner(contents.certificate, contents.private_key, chain)


def _reader(pdf_bytes: bytes) -> PdfFileReader:
    if b"%PDF-" not in pdf_bytes[:1024]:
        raise InvalidPdf()
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise InvalidPdf() from exc
    if reader.encrypted:
        raise InvalidPdf("PDF terenkripsi atau berkata sandi tidak dapat ditandatangani.")
    return reader


def is_final(pdf_bytes: bytes) -> bool:
    """True when a signature in the document forbids all further changes (certification with
    DocMDP P=1, or a signature field lock with P=1): the app must not sign it again."""
    reader = _reader(pdf_bytes)
    return _is_final(reader)


def _is_final(reader: PdfFileReader) -> bool:
    return any(sig.docmdp_level is fields.MDPPerm.NO_CHANGES for sig in reader.embedded_signatures)


def signature_count(pdf_bytes: bytes) -> int:
    """Number of signatures already in the document."""
    return len(_reader(pdf_bytes).embedded_signatures)


def _check_certificate(cert: x509.Certificate, crls: Sequence[bytes], now: dt.datetime) -> None:
    """Refuse a certificate listed in a CRL from its issuer, expired, or not yet valid."""
    for crl_der in crls:
        crl = x509.load_der_x509_crl(crl_der)
        if crl.issuer != cert.issuer:
            continue
        entry = crl_lookup(crl_der, cert.serial_number)
        if entry is not None:
            raise CertificateRevoked(
                f"Sertifikat penanda tangan sudah dicabut ({entry.reason_label}); "
                "penandatanganan ditolak.")
    if now > cert.not_valid_after_utc:
        raise CertificateRevoked("Sertifikat penanda tangan sudah kedaluwarsa; penandatanganan ditolak.")
    if now + CLOCK_SKEW < cert.not_valid_before_utc:
        raise CertificateRevoked("Sertifikat penanda tangan belum berlaku; penandatanganan ditolak.")


def _check_stamp_position(reader: PdfFileReader, stamp: StampSpec) -> None:
    """The stamp page must exist and the stamp box must lie on that page."""
    pages = int(reader.root["/Pages"]["/Count"])
    index = stamp.page if stamp.page >= 0 else pages + stamp.page
    if not 0 <= index < pages:
        raise SigningLibError(
            f"Halaman cap tanda tangan tidak ada (dokumen berisi {pages} halaman).")
    node = reader.find_page_for_modification(index)[0].get_object()
    box = None
    while box is None and node is not None:  # /CropBox and /MediaBox are inheritable
        box = node.get("/CropBox", node.get("/MediaBox"))
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    if box is None:
        return
    x0, y0, x1, y1 = (float(v.get_object()) for v in box.get_object())
    bx1, by1, bx2, by2 = stamp.box
    if bx1 < min(x0, x1) or by1 < min(y0, y1) or bx2 > max(x0, x1) or by2 > max(y0, y1):
        raise SigningLibError("Kotak cap tanda tangan berada di luar halaman.")


def validation_context(trust: TrustAnchors, crls: Sequence[bytes],
                       extra_certs: Sequence[x509.Certificate] = ()) -> ValidationContext:
    """An offline validation context: explicit roots, known CRLs, no fetching, and revocation
    checked for every certificate that declares a CRL distribution point ("hard-fail")."""
    return ValidationContext(
        trust_roots=[to_asn1_cert(c) for c in trust.roots],
        other_certs=[to_asn1_cert(c) for c in (*trust.intermediates, *extra_certs)],
        crls=list(crls), allow_fetching=False, revocation_mode="hard-fail")


def sign_pdf(pdf_bytes: bytes, *, signer: signers.Signer, pki_trust: TrustAnchors,
             stamp: StampSpec | None, field_name: str, reason: str | None, location: str | None,
             certify_final: bool, tsa: TimeStamper, crl_der: bytes | Sequence[bytes],
             contact_info: str | None = None, now: dt.datetime | None = None) -> bytes:
    """Sign `pdf_bytes` at PAdES B-LT and return the signed PDF.

    `certify_final=True` makes this the final, locking signature (see module rules); False makes
    an unlocked approval signature (paraf). `stamp=None` makes an invisible signature.
    `signer` is normally a `CachedSigner`, but any pyHanko `Signer` with a signing certificate
    works (e.g. a remote-signing client for the national CA behind the same interface).
    `now` (for tests) only moves the certificate check and the stamp text; the signature time
    comes from the TSA. Raises DocumentFinal, CertificateRevoked, InvalidPdf or SigningLibError
    (Indonesian `message`, technical `detail`).
    """
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    crls = [crl_der] if isinstance(crl_der, bytes) else list(crl_der)
    reader = _reader(pdf_bytes)
    if _is_final(reader):
        raise DocumentFinal()
    if signer.signing_cert is None:
        raise SigningLibError("Penanda tangan tidak memiliki sertifikat.")
    signer_cert = x509.load_der_x509_certificate(signer.signing_cert.dump())
    _check_certificate(signer_cert, crls, moment)
    existing = reader.embedded_signatures
    if any(name == field_name for name, _, _ in fields.enumerate_sig_fields(reader)):
        # an existing (even empty) field would be reused without our lock settings
        raise SigningLibError("Kolom tanda tangan dengan nama ini sudah ada di dokumen.")
    if stamp is not None:
        _check_stamp_position(reader, stamp)

    certify = certify_final and not existing
    lock = certify_final and bool(existing)
    field_spec = fields.SigFieldSpec(
        sig_field_name=field_name,
        on_page=stamp.page if stamp else 0,
        box=stamp.box if stamp else None,
        field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if lock else None,
        doc_mdp_update_value=fields.MDPPerm.NO_CHANGES if lock else None,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, contact_info=contact_info,
        md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        embed_validation_info=True, use_pades_lta=False,
        validation_context=validation_context(pki_trust, crls, signer_chain(signer)),
        signer_key_usage={"digital_signature", "non_repudiation"},
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False),
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=tsa,
        stamp_style=stamp_style(stamp) if stamp else None, new_field_spec=field_spec)
    out = BytesIO()
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
        pdf_signer.sign_pdf(writer, output=out,
                            appearance_text_params=text_params(stamp, moment) if stamp else None)
    except SigningError as exc:
        raise SigningLibError("Penandatanganan gagal: sertifikat penanda tangan atau cap waktu "
                              "tidak dapat divalidasi.", detail=str(exc)) from exc
    except PdfError as exc:
        raise InvalidPdf() from exc
    return out.getvalue()


def signer_chain(signer: signers.Signer) -> list[x509.Certificate]:
    """The CA certificates the signer carries (as `cryptography` objects)."""
    registry = signer.cert_registry or ()
    return [x509.load_der_x509_certificate(c.dump()) for c in registry
            if isinstance(c, asn1_x509.Certificate)]
