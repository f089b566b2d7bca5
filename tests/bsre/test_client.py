"""The BSrE client and the BSrE backend against the stand-in: the three v2 calls, each known refusal with its own
Indonesian message and never retried, transient failures retried and then reported as transient, time-outs, the
stamp drawn into the page before the file is sent, and the NIK rule. No database here."""
from __future__ import annotations

import pytest
from cryptography import x509

from sisumaker.signing import StampSpec, validate_pdf
from sisumaker.signing.backends import BsreBackend, SignatureJob, prepare_for_remote, validate_nik
from sisumaker.signing.bsre import (AUTH_REFUSED, REFUSALS, BsreClient, BsreConfig, BsreCredential, BsreIdentity,
                                    SignatureProperties, Appearance)
from sisumaker.signing.errors import RemoteWrongCredential, SignerRefused, SigningUnavailable
from tests.bsre.standin import PASSWORD, USERNAME
from tests.tte.conftest import letter_pdf
from tests.tte.support import NEEDS_TOOLS, qr_codes

NIK = "3604011203800001"
SECRET = "Passphrase-BSrE-2026!"
URL = "http://localhost:5000/v/token-uji"


def client_for(standin, **overrides) -> BsreClient:
    config = dict(base_url=standin.url, username=USERNAME, password=PASSWORD, retries=2, backoff=0.02, timeout=5)
    return BsreClient(BsreConfig(**{**config, **overrides}))


def stamp(page: int = -1, box=(300, 48, 560, 128)) -> StampSpec:
    return StampSpec(page=page, box=box, url=URL, signer_name="Ir. Uji Coba, M.Si.",
                     position_label="Sekretaris Daerah", code="AB12CD34")


def job(pdf: bytes, with_stamp: bool = True) -> SignatureJob:
    return SignatureJob(pdf=pdf, stamp=stamp() if with_stamp else None, field_name="TTE1", reason="Tanda tangan",
                        location="Serang", certify_final=True)


@pytest.mark.parametrize("nik", ["3604011203800001", "3604 0145 0770 0003", "1101017112990001"])
def test_a_valid_nik_is_accepted_in_canonical_form(nik):
    assert validate_nik(nik) == nik.replace(" ", "")


@pytest.mark.parametrize("nik, says", [
    ("360401120380001", "16 angka"), ("36040112038000AB", "16 angka"), ("", "16 angka"),
    ("0004011203800001", "kode provinsi"), ("9904011203800001", "kode provinsi"),
    ("3604013503800001", "tanggal dan bulan"), ("3604011213800001", "tanggal dan bulan"),
    ("3604011203800000", "0000"),
])
def test_an_invalid_nik_is_refused_with_the_reason(nik, says):
    with pytest.raises(ValueError, match=says):
        validate_nik(nik)


def test_the_status_check_names_each_state(standin):
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    standin.add_user("3604011203800002", "Tanpa Sertifikat", SECRET, status="NO_CERTIFICATE")
    standin.add_user("3604011203800003", "Kedaluwarsa", SECRET, status="EXPIRED")
    standin.add_user("3604011203800004", "Dicabut", SECRET, status="REVOKED")
    client = client_for(standin)
    assert client.user_status(BsreIdentity(nik=NIK)).can_sign
    assert client.user_status(BsreIdentity(nik=NIK)).refusal() is None
    expected = {"3604011203800009": "2011", "3604011203800002": "2021", "3604011203800003": "2022",
                "3604011203800004": "2023"}
    messages = set()
    for nik, code in expected.items():
        status = client.user_status(BsreIdentity(nik=nik))
        assert not status.can_sign
        refusal = status.refusal()
        assert refusal.code == code and refusal.message == REFUSALS[code][1]
        messages.add(refusal.message)
    assert len(messages) == 4  # four different, specific messages


@pytest.mark.parametrize("nik, status, secret, code", [
    ("3604011203800009", None, SECRET, "2011"),           # not registered
    ("3604011203800002", "NO_CERTIFICATE", SECRET, "2021"),
    ("3604011203800003", "EXPIRED", SECRET, "2022"),
    ("3604011203800004", "REVOKED", SECRET, "2023"),
    (NIK, "ISSUE", "bukan-passphrase-ini", "2031"),       # wrong passphrase
])
def test_each_refusal_of_a_signing_call_has_its_message_and_is_never_retried(standin, nik, status, secret, code):
    if status:
        standin.add_user(nik, "Pejabat Uji", SECRET, status=status)
    backend = BsreBackend(client_for(standin, retries=3), BsreIdentity(nik=nik), BsreCredential(passphrase=secret))
    with pytest.raises(SignerRefused) as caught:
        backend.sign(job(letter_pdf("Surat uji")))
    assert caught.value.code == code and caught.value.message == REFUSALS[code][1]
    assert caught.value.stops_batch and not caught.value.transient
    assert isinstance(caught.value, RemoteWrongCredential) == (code == "2031")
    assert standin.hits == ["/api/v2/sign/pdf"]  # exactly one request: a refusal is not retried
    assert secret not in repr(caught.value) and secret not in caught.value.detail


def test_one_call_signs_many_files_invisibly_and_visibly(standin):
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    pdfs = [letter_pdf(f"Keputusan nomor {i}") for i in range(3)]
    props = [SignatureProperties(reason="Uji", location="Serang"),
             SignatureProperties(appearance=Appearance.VISIBLE, page=1, origin_x=300, origin_y=48, width=260,
                                 height=80, reason="Uji"),
             SignatureProperties(reason="Uji")]
    signed = client_for(standin).sign_pdf(BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET), pdfs, props)
    assert len(signed) == 3 and standin.sign_calls() == 1
    for original, pdf in zip(pdfs, signed):
        assert pdf.startswith(original)  # an incremental update: the page content is untouched
        report = validate_pdf(pdf, [standin.pki.root_cert])
        assert report.ok and report.signatures[0].signer_cn == "Ir. Uji Coba"
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    rects = []
    for pdf in signed:
        sig = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
        rects.append([round(float(v)) for v in sig.sig_field["/Rect"]])
    assert rects[1] == [300, 48, 560, 128] and rects[0] == [0, 0, 0, 0] == rects[2]


def test_signing_by_email_and_by_totp(standin):
    standin.add_user("sekda@serangkab.go.id", "Ir. Uji Coba", "482913")
    client = client_for(standin)
    (pdf,) = client.sign_pdf(BsreIdentity(email="sekda@serangkab.go.id"), BsreCredential(totp="482913"),
                             [letter_pdf("Surat")], [SignatureProperties()])
    assert validate_pdf(pdf, [standin.pki.root_cert]).ok
    with pytest.raises(ValueError):
        BsreIdentity(nik=NIK, email="a@b.id")
    with pytest.raises(ValueError):
        BsreCredential()


def test_an_unavailable_service_is_retried_then_reported_as_transient(standin):
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    client = client_for(standin, retries=2)
    standin.outage("503")
    with pytest.raises(SigningUnavailable) as caught:
        client.user_status(BsreIdentity(nik=NIK))
    assert caught.value.transient and not caught.value.stops_batch
    assert len(standin.hits) == 3  # one try and two retries
    with pytest.raises(SigningUnavailable):  # 503: the service did not take the job, so signing is retried too
        client.sign_pdf(BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET), [letter_pdf("x")],
                        [SignatureProperties()])
    assert standin.hits.count("/api/v2/sign/pdf") == 3

    standin.hits.clear()
    standin.outage("drop")  # the connection dies after the request was sent: the outcome is unknown, no retry
    with pytest.raises(SigningUnavailable):
        client.sign_pdf(BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET), [letter_pdf("x")],
                        [SignatureProperties()])
    assert standin.hits == ["/api/v2/sign/pdf"]
    with pytest.raises(SigningUnavailable):  # a status check may be repeated safely
        client.user_status(BsreIdentity(nik=NIK))
    assert standin.hits.count("/api/v2/user/check/status") == 3

    standin.outage(None)  # back: the same client works again
    assert client.user_status(BsreIdentity(nik=NIK)).can_sign


def test_a_slow_service_times_out_as_transient(standin):
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    standin.latency = 1.5
    client = client_for(standin, retries=0, status_timeout=0.3)
    with pytest.raises(SigningUnavailable) as caught:
        client.user_status(BsreIdentity(nik=NIK))
    assert caught.value.transient


def test_wrong_application_credentials_are_a_refusal_not_an_outage(standin):
    client = client_for(standin, password="salah")
    with pytest.raises(SignerRefused) as caught:
        client.user_status(BsreIdentity(nik=NIK))
    assert caught.value.message == AUTH_REFUSED and not caught.value.transient
    assert len(standin.hits) == 1


def test_verify_pdf_reports_unsigned_valid_and_altered(standin):
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    client = client_for(standin)
    plain = letter_pdf("Surat yang belum ditandatangani")
    assert client.verify_pdf(plain).conclusion == "NO_SIGNATURE"
    (signed,) = client.sign_pdf(BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET), [plain],
                                [SignatureProperties()])
    result = client.verify_pdf(signed)
    assert result.valid and result.signatures[0].signer_name == "Ir. Uji Coba"
    assert result.signatures[0].integrity_valid and result.signatures[0].certificate_trusted
    altered = signed.replace(b"Surat yang belum", b"Surat yang sudah")
    assert altered != signed
    assert client.verify_pdf(altered).conclusion == "INVALID"
    with pytest.raises(SigningUnavailable):  # the service answers 500 to a non-PDF, like the real one
        client_for(standin, retries=0).verify_pdf(b"bukan pdf")


def test_the_stand_in_ca_is_not_the_regency_ca(standin, pki_template):
    root = standin.pki.root_cert
    assert root.subject != pki_template.pki.root_cert.subject
    assert "BSrE test" in root.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    (signed,) = client_for(standin).sign_pdf(BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET),
                                             [letter_pdf("x")], [SignatureProperties()])
    assert validate_pdf(signed, [pki_template.pki.root_cert]).verdict == "tanda tangan tidak dipercaya"
    both = validate_pdf(signed, [pki_template.pki.root_cert, root])
    assert both.ok and both.signatures[0].trust_root_index == 1


@NEEDS_TOOLS
def test_the_qr_stamp_is_in_the_page_before_the_file_is_sent(standin, tmp_path):
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    pdf = letter_pdf("Keputusan Bupati Serang")
    sent, props = prepare_for_remote(job(pdf))
    assert props.appearance is Appearance.INVISIBLE  # nothing left for BSrE to draw
    (tmp_path / "sent.pdf").write_bytes(sent)
    assert qr_codes(tmp_path / "sent.pdf", tmp_path / "png") == [URL]

    backend = BsreBackend(client_for(standin), BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET))
    signed = backend.sign(job(pdf))
    (received,) = standin.received
    (tmp_path / "received.pdf").write_bytes(received)
    assert qr_codes(tmp_path / "received.pdf", tmp_path / "png1") == [URL]  # BSrE got the page with the QR on it
    assert signed.startswith(received)  # and only appended its signature
    (tmp_path / "signed.pdf").write_bytes(signed)
    assert qr_codes(tmp_path / "signed.pdf", tmp_path / "png2") == [URL]
    report = validate_pdf(signed, [standin.pki.root_cert])
    assert report.ok and report.signatures[0].covers_whole_document


@NEEDS_TOOLS
def test_after_an_earlier_signature_the_stamp_travels_as_the_visible_appearance(standin, tmp_path):
    standin.add_user(NIK, "Ir. Uji Coba", SECRET)
    backend = BsreBackend(client_for(standin), BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET))
    first = backend.sign(job(letter_pdf("Surat dengan paraf"), with_stamp=False))
    sent, props = prepare_for_remote(job(first))
    assert sent == first  # the signed revision is never touched
    assert props.appearance is Appearance.VISIBLE and props.image_png.startswith(b"\x89PNG")
    assert (props.page, props.origin_x, props.origin_y, props.width, props.height) == (1, 300, 48, 260, 80)
    second = backend.sign(job(first))
    report = validate_pdf(second, [standin.pki.root_cert])
    assert report.ok and len(report.signatures) == 2
    (tmp_path / "two.pdf").write_bytes(second)
    assert qr_codes(tmp_path / "two.pdf", tmp_path / "png") == [URL]
