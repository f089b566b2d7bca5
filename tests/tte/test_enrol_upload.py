"""Enrolment with the official's own passphrase, and the checks on a PDF uploaded for signature: a refused
upload answers 422 and stores nothing (no document, no file row, no file on disk)."""
from __future__ import annotations

import io

import pytest
from cryptography import x509
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import Certificate, SignatureRequest, SignDocument, StoredFile
from sisumaker.signing import WrongPassphrase, load_pkcs12
from tests.helpers import csrf_token, text
from tests.tte.conftest import PASSPHRASE, letter_pdf


def enrol(tte, username: str, passphrase: str, confirm: str | None = None):
    client = tte.client(username)
    return client.post("/tte/sertifikat", data={"csrf_token": csrf_token(client, "/tte/"), "passphrase": passphrase,
                                                "confirm": passphrase if confirm is None else confirm})


def certificates_of(tte, username: str) -> list[Certificate]:
    db.session.rollback()
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == tte.user(username).id)))


@pytest.mark.parametrize("passphrase, message", [
    ("Rahasia1!", "Frasa sandi minimal 10 karakter."),
    ("abcdefghijkl", "Frasa sandi harus memadukan jenis karakter"),
    ("password123", "Frasa sandi terlalu umum"),
    ("asisten1-Aman-2026", "tidak boleh memuat nama pengguna"),
])
def test_enrolment_refuses_a_weak_passphrase(tte, passphrase, message):
    response = enrol(tte, "asisten1", passphrase)
    assert response.status_code == 422
    assert message in text(response)
    assert certificates_of(tte, "asisten1") == []


def test_enrolment_refuses_a_mismatched_confirmation(tte):
    response = enrol(tte, "asisten1", "Kopi-Tubruk-2026!", "Kopi-Tubruk-2027!")
    assert response.status_code == 422
    assert "Konfirmasi frasa sandi tidak sama." in text(response)
    assert certificates_of(tte, "asisten1") == []


def test_a_second_active_certificate_is_refused(tte):
    assert len(certificates_of(tte, "sekda")) == 1
    response = enrol(tte, "sekda", "Kopi-Tubruk-2026!")
    assert response.status_code == 409
    assert "sudah memiliki sertifikat aktif" in text(response)
    assert len(certificates_of(tte, "sekda")) == 1


def test_enrolment_issues_a_signing_certificate_locked_by_the_passphrase(tte):
    chosen = "Kopi-Tubruk-2026!"
    response = enrol(tte, "asisten1", chosen)
    assert response.status_code == 303
    (row,) = certificates_of(tte, "asisten1")
    assert row.status == "aktif" and row.origin == "regency"
    cert = x509.load_pem_x509_certificate(row.cert_pem.encode())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment  # nonRepudiation
    assert load_pkcs12(row.pkcs12, chosen).certificate == cert
    with pytest.raises(WrongPassphrase):
        load_pkcs12(row.pkcs12, PASSPHRASE)
    for form in (chosen.encode(), chosen.encode("utf-16-le"), chosen.encode("utf-16-be")):
        assert form not in row.pkcs12 and form not in row.cert_pem.encode()
    page = text(tte.client("asisten1").get("/tte/"))
    assert "Aktif · nomor seri" in page


# --------------------------------------------------------------------------------------------- uploads


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(letter_pdf("Terkunci")))
    writer.encrypt(user_password="", owner_password="pemilik-2026", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_pdf() -> bytes:
    """A link annotation on the page whose action is JavaScript (deep in the page, not on the catalog)."""
    writer = PdfWriter(clone_from=io.BytesIO(letter_pdf("Berskrip")))
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('halo');")})
    link = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                             NameObject("/Rect"): ArrayObject([NumberObject(v) for v in (72, 700, 300, 720)]),
                             NameObject("/A"): action})
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def hidden_javascript_pdf() -> bytes:
    """An OpenAction whose /S name is written with a #-escape, so a plain byte search misses it."""
    body = letter_pdf("Tersembunyi")
    assert body.count(b"/Type /Catalog") == 1
    return body.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Java#53cript /J#53 (app.alert(1)) >>")


def upload(tte, pdf: bytes, **fields):
    client = tte.client("staf.umum")
    sekda = tte.user("sekda").position_id
    data = {"csrf_token": csrf_token(client, "/tte/unggah"), "title": "SK Tim Pelaksana", "jenis": "surat_keputusan",
            "sifat": "B", "number": "800/11/2026", "signer_id": str(sekda), "stamp_corner": "kanan-bawah",
            "pdf": (io.BytesIO(pdf), "dokumen.pdf"), **fields}
    return client.post("/tte/unggah", data=data, content_type="multipart/form-data")


def stored_counts(tte) -> tuple[int, int, int, int]:
    db.session.rollback()
    files = tte.instance_path / "files"
    on_disk = sum(1 for p in files.rglob("*") if p.is_file()) if files.exists() else 0
    return (db.session.scalar(select(func.count(SignDocument.id))), db.session.scalar(select(func.count(StoredFile.id))),
            db.session.scalar(select(func.count(SignatureRequest.id))), on_disk)


@pytest.mark.parametrize("kind, body, fields, message", [
    ("not a PDF", b"Ini surat, bukan PDF.\n" * 20, {}, "Berkas PDF rusak atau tidak dapat dibaca."),
    ("renamed image", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, {}, "Berkas PDF rusak atau tidak dapat dibaca."),
    ("encrypted PDF", encrypted_pdf(), {}, "PDF terkunci kata sandi"),
    ("PDF with JavaScript", javascript_pdf(), {}, "PDF berisi skrip"),
    ("PDF with escaped JavaScript", hidden_javascript_pdf(), {}, "PDF berisi skrip"),
    ("stamp page beyond the end", letter_pdf("Satu halaman"), {"stamp_page": "3"}, "Halaman tanda tangan harus 1–1."),
    ("no signer", letter_pdf("Tanpa penanda tangan"), {"signer_id": ""}, "Pilih penanda tangan."),
])
def test_a_refused_upload_answers_422_and_stores_nothing(tte, kind, body, fields, message):
    before = stored_counts(tte)
    response = upload(tte, body, **fields)
    assert response.status_code == 422, kind
    assert message in text(response), kind
    assert stored_counts(tte) == before, f"{kind}: something was stored"


def test_an_accepted_upload_joins_the_signers_queue_unchanged(tte):
    """The control for the refusals above: the same form with a good PDF is stored, byte for byte."""
    before = stored_counts(tte)
    body = letter_pdf("Dua halaman", pages=2)
    response = upload(tte, body, stamp_page="2")
    assert response.status_code == 303, text(response)
    assert stored_counts(tte)[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    doc = db.session.scalar(select(SignDocument).order_by(SignDocument.id.desc()))
    assert tte.current_pdf(doc.id) == body
    (req,) = doc.requests
    assert (req.role, req.status, req.stamp_page, req.position_id) == ("ttd", "pending", 1, tte.user("sekda").position_id)
    assert req.id in tte.waiting("sekda")
    assert len(doc.token) >= 43  # 256 bits, made before signing
