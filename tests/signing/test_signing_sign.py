"""Signing (PAdES B-LT, QR stamp, locking) and "valid when signed" validation."""
from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore

from sisumaker.signing import (
    VERDICT_ALTERED,
    VERDICT_NONE,
    VERDICT_OK,
    VERDICT_REVOKED_BEFORE,
    VERDICT_UNREADABLE,
    VERDICT_UNTRUSTED,
    Acting,
    CertificateRevoked,
    DocumentFinal,
    InvalidPdf,
    current_crl,
    ensure_not_revoked,
    is_final,
    position_label,
    revoke,
    sha256_hex,
    signature_count,
    validate_pdf,
    wib_time,
)
from sisumaker.signing.stamp import StampSpec, text_params

from .conftest import letter_pdf, make_official


def _validate(pki, pdf):
    return validate_pdf(pdf, [pki.root_cert], [current_crl(pki)])


def test_sign_then_validate(pki, official, letter, sign):
    signed = sign(letter, official)
    report = _validate(pki, signed)
    assert report.verdict == VERDICT_OK == "asli dan sah"
    assert report.sha256 == sha256_hex(signed)
    (sig,) = report.signatures
    assert sig.signer_cn == "Drs. Budi Santoso, M.Si."
    assert sig.intact and sig.valid and sig.trusted and sig.timestamped
    assert sig.covers_whole_document and sig.modification_level == "NONE"
    assert sig.locks_document and not sig.revoked_later
    assert abs(sig.signing_time - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)


def test_signature_is_b_lt_in_one_revision(pki, official, letter, sign):
    """Time stamp in the CMS, CRL + chain in a DSS that the signature itself covers."""
    signed = sign(letter, official)
    reader = PdfFileReader(io.BytesIO(signed))
    (emb,) = reader.embedded_signatures
    assert emb.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert "signature_time_stamp_token" in [a["type"].native for a in emb.signer_info["unsigned_attrs"]]
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.crls) >= 1
    subjects = {c.subject.native["common_name"] for c in dss.load_certs()}
    assert {"Kabupaten Contoh Root CA", "Kabupaten Contoh Issuing CA"} <= subjects
    assert reader.xrefs.total_revisions == 2  # original + one signing revision (DSS included)


def test_flipped_byte_is_reported_altered(pki, official, letter, sign):
    signed = sign(letter, official)
    at = signed.index(b"Surat Edaran")
    tampered = bytearray(signed)
    tampered[at] ^= 0x01  # "Surat" -> "Rurat": one bit inside the signed byte range
    report = _validate(pki, bytes(tampered))
    assert report.verdict == VERDICT_ALTERED == "dokumen telah diubah setelah ditandatangani"
    assert not report.signatures[0].intact


def test_change_appended_after_final_signature_is_reported(pki, official, letter, sign):
    signed = sign(letter, official)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    from pyhanko.pdf_utils import generic

    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 500 Td (PALSU) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    report = _validate(pki, out.getvalue())
    assert report.verdict == VERDICT_ALTERED
    assert report.signatures[0].intact  # the signed bytes are untouched; the new revision is not allowed


def test_final_signature_locks_and_app_refuses_more(pki, official, letter, sign):
    assert not is_final(letter)
    signed = sign(letter, official)
    assert is_final(signed)
    with pytest.raises(DocumentFinal) as err:
        sign(signed, make_official(pki), field="TTE-2")
    assert "terkunci" in err.value.message


def test_paraf_then_final_both_validate(pki, letter, sign):
    reviewer = make_official(pki, name="Andi Wijaya, S.H.", position="Kepala Bagian Hukum")
    head = make_official(pki)
    paraf = sign(letter, reviewer, final=False, field="Paraf-1",
                 stamp=StampSpec(page=0, box=(72, 80, 300, 140), url="https://e-office.contohkab.go.id/v/p1",
                                 signer_name="Andi Wijaya, S.H.", position_label="Kepala Bagian Hukum",
                                 code="P1", paraf=True))
    assert not is_final(paraf)
    invisible_paraf = sign(paraf, make_official(pki), final=False, field="Paraf-2", stamp=None)
    final = sign(invisible_paraf, head, final=True, field="TTE")
    assert is_final(final) and signature_count(final) == 3
    report = _validate(pki, final)
    assert report.verdict == VERDICT_OK, report
    first, second, last = report.signatures
    assert [s.field_name for s in report.signatures] == ["Paraf-1", "Paraf-2", "TTE"]
    assert not first.covers_whole_document and first.modification_level == "FORM_FILLING"
    assert not first.locks_document and last.locks_document and last.covers_whole_document


def test_signed_then_revoked_later_stays_valid(pki, official, letter, sign):
    signed = sign(letter, official)
    time.sleep(1.1)  # CRL revocation times have one-second resolution
    revoke(pki, official.cert.serial_number, "cessation_of_operation")
    report = _validate(pki, signed)
    assert report.verdict == VERDICT_OK
    (sig,) = report.signatures
    assert sig.trusted and sig.revoked_later
    assert sig.revocation_reason == "pensiun / berhenti bertugas"
    assert sig.revoked_at > sig.signing_time


def test_plain_pyhanko_current_time_validation_calls_it_revoked(pki, official, letter, sign):
    """Why past validation is needed: judged now, the same letter would be rejected."""
    from pyhanko.sign.validation import validate_pdf_signature

    from sisumaker.signing.sign import TrustAnchors, validation_context

    signed = sign(letter, official)
    time.sleep(1.1)
    revoke(pki, official.cert.serial_number, "affiliation_changed")
    (emb,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(
        emb, signer_validation_context=validation_context(TrustAnchors.from_pki(pki), [current_crl(pki)]))
    assert not status.trusted and status.revocation_details is not None
    assert _validate(pki, signed).verdict == VERDICT_OK


def test_revoked_before_signing_refuses_to_sign(pki, official, letter, sign):
    revoke(pki, official.cert.serial_number, "key_compromise")
    with pytest.raises(CertificateRevoked):
        ensure_not_revoked(pki, official.cert)
    with pytest.raises(CertificateRevoked) as err:
        sign(letter, official)  # the current CRL lists the serial: refused before pyHanko runs
    assert "kunci privat bocor" in err.value.message


def test_signature_made_after_revocation_is_invalid(pki, official, letter, sign):
    """A stale CRL let a signature through; the current CRL shows revocation before T."""
    signed = sign(letter, official)
    signing_time = _validate(pki, signed).signatures[0].signing_time
    revoke(pki, official.cert.serial_number, "key_compromise", signing_time - dt.timedelta(minutes=5))
    report = _validate(pki, signed)
    assert report.verdict == VERDICT_REVOKED_BEFORE
    assert not report.signatures[0].trusted and not report.signatures[0].revoked_later


def test_untrusted_root(ec_pki, pki, official, letter, sign):
    signed = sign(letter, official)
    report = validate_pdf(signed, [ec_pki.root_cert], [current_crl(pki)])
    assert report.verdict == VERDICT_UNTRUSTED == "tanda tangan tidak dipercaya"
    assert report.signatures[0].intact and not report.signatures[0].trusted


def test_no_signature_and_garbage(pki, letter):
    assert _validate(pki, letter).verdict == VERDICT_NONE == "tidak ada tanda tangan"
    assert _validate(pki, b"not a pdf at all").verdict == VERDICT_UNREADABLE
    with pytest.raises(InvalidPdf):
        is_final(b"not a pdf")


def test_ec_p256_pki_signs_and_validates(ec_pki, letter):
    from sisumaker.signing import TrustAnchors, make_timestamper, sign_pdf

    official = make_official(ec_pki)
    signed = sign_pdf(letter, signer=official.signer, pki_trust=TrustAnchors.from_pki(ec_pki), stamp=None,
                      field_name="TTE", reason=None, location=None, certify_final=True,
                      tsa=make_timestamper(ec_pki), crl_der=current_crl(ec_pki))
    assert validate_pdf(signed, [ec_pki.root_cert], [current_crl(ec_pki)]).verdict == VERDICT_OK


def test_cached_signer_signs_a_batch(pki, official, sign):
    letters = [letter_pdf(f"Surat Keputusan Nomor {n}/2026") for n in range(5)]
    for pdf in letters:
        assert _validate(pki, sign(pdf, official)).verdict == VERDICT_OK


def test_existing_field_name_refused(pki, official, letter, sign):
    from sisumaker.signing import SigningLibError

    paraf = sign(letter, official, final=False, field="Paraf")
    with pytest.raises(SigningLibError):
        sign(paraf, make_official(pki), final=False, field="Paraf")


def test_stamp_text_and_labels():
    assert position_label("Sekretaris Daerah", Acting.AN, "Bupati Contoh") == "a.n. Bupati Contoh\nSekretaris Daerah"
    assert position_label("Kepala Dinas Kesehatan", Acting.PLT) == "Plt. Kepala Dinas Kesehatan"
    assert position_label("Camat Kota", Acting.PLH) == "Plh. Camat Kota"
    with pytest.raises(ValueError):
        position_label("Sekretaris Daerah", Acting.AN)
    moment = dt.datetime(2026, 11, 26, 3, 15, tzinfo=dt.timezone.utc)
    assert wib_time(moment) == "26-11-2026 10:15 WIB"
    spec = StampSpec(page=0, box=(300, 60, 560, 140), url="https://x.go.id/v/t", signer_name="Ani 100%",
                     position_label="Plt. Kepala", code="AB12")
    params = text_params(spec, moment)
    assert params["waktu"] == "26-11-2026 10:15 WIB" and params["signer"] == "Ani 100%"
    with pytest.raises(ValueError):
        StampSpec(page=0, box=(0, 0, 10, 10), url="https://x/v/t", signer_name="A", position_label="B", code="C")


def test_stamp_page_and_box_are_checked(official, letter, sign):
    from sisumaker.signing import SigningLibError

    with pytest.raises(SigningLibError, match="Halaman"):
        sign(letter, official, stamp=StampSpec(page=3, box=(300, 60, 560, 140), url="https://x.go.id/v/t",
                                               signer_name="A", position_label="B", code="C"))
    with pytest.raises(SigningLibError, match="di luar halaman"):
        sign(letter, official, stamp=StampSpec(page=-1, box=(400, 60, 700, 140), url="https://x.go.id/v/t",
                                               signer_name="A", position_label="B", code="C"))


def test_existing_empty_field_name_refused(official, letter, sign):
    """An existing empty field would be reused without the lock: refuse rather than not lock."""
    from pyhanko.sign import fields

    from sisumaker.signing import SigningLibError

    writer = IncrementalPdfFileWriter(io.BytesIO(letter))
    fields.append_signature_field(writer, fields.SigFieldSpec("TTE-1", box=(10, 10, 200, 60)))
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(SigningLibError, match="sudah ada"):
        sign(out.getvalue(), official, field="TTE-1")


def test_pyhanko_ades_lta_finds_no_poe_for_b_lt(pki, official, letter, sign):
    """Why validate.py does its own past validation: pyHanko's ades_lta_validation needs a
    document time stamp after the DSS (B-LTA) and says NO_POE for a fresh B-LT signature."""
    import asyncio
    import logging

    from pyhanko.sign.ades.report import AdESIndeterminate
    from pyhanko.sign.validation import ades
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    from sisumaker.signing.tsa import to_asn1_cert

    signed = sign(letter, official)
    (emb,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[to_asn1_cert(pki.root_cert)]),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy.from_legacy("hard-fail"))),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)))
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    try:
        result = asyncio.run(ades.ades_lta_validation(emb, spec))
    finally:
        logging.getLogger("pyhanko").setLevel(logging.NOTSET)
    assert result.ades_subindic == AdESIndeterminate.NO_POE
    assert _validate(pki, signed).verdict == VERDICT_OK


def test_untrusted_signer_refused_before_signing(ec_pki, pki, tsa, trust, letter):
    """A certificate that does not chain to the given root is refused (pyHanko pre-sign check)."""
    from sisumaker.signing import SigningLibError, sign_pdf

    stranger = make_official(ec_pki)
    with pytest.raises(SigningLibError) as err:
        sign_pdf(letter, signer=stranger.signer, pki_trust=trust, stamp=None, field_name="TTE",
                 reason=None, location=None, certify_final=True, tsa=tsa,
                 crl_der=[current_crl(pki), current_crl(ec_pki)])
    assert "tidak dapat divalidasi" in err.value.message and err.value.detail
