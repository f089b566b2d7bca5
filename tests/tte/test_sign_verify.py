"""Signing through the routes (jobs in-process, no Redis) and public verification of the result: the page, its
JSON, the upload check and `flask verify`; altered files, wrong passphrases and revoked certificates."""
from __future__ import annotations

import io
import json
import re
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import Certificate, SignatureRequest, SignBatch
from sisumaker.signing import signature_count
from tests.helpers import csrf_token, text
from tests.tte.conftest import PASSPHRASE
from tests.tte.support import sign_all


def check(tte, token: str, pdf: bytes, as_json: bool = False):
    headers = {"Accept": "application/json"} if as_json else {}
    return tte.web.test_client().post(f"/v/{token}", data={"pdf": (io.BytesIO(pdf), "dipegang.pdf")},
                                      content_type="multipart/form-data", headers=headers)


def verdict(response) -> str:
    found = re.search(r"<h2>Hasil: ([^<]+)</h2>", text(response))
    assert found, text(response)
    return found.group(1)


def cli_verify(tte, path) -> tuple[int, dict]:
    result = tte.web.test_cli_runner().invoke(args=["verify", str(path)])
    return result.exit_code, json.loads(result.output)


def flip_byte(pdf: bytes, needle: bytes = b"Nomor 800/1/2026") -> bytes:
    """Change one character of the letter's own text (inside the signed byte range)."""
    at = pdf.index(needle) + len(needle) - 1
    altered = bytearray(pdf)
    altered[at] = ord("7")
    return bytes(altered)


def revoke_via_admin(tte, username: str, reason: str = "cessation_of_operation", note: str = "pensiun 2026"):
    admin = tte.client("admin")
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == tte.user(username).id,
                                                      Certificate.status == "aktif"))
    response = admin.post(f"/tte/sertifikat/{cert.id}/cabut", data={
        "csrf_token": csrf_token(admin, "/tte/sertifikat"), "reason": reason, "note": note})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Certificate, cert.id).status == "dicabut"
    return cert.id


def test_sign_then_validate_and_one_flipped_byte_is_not_genuine(tte, tmp_path):
    (doc_id,) = tte.submit(1, title="Surat Edaran Apel Pagi")
    sign_all(tte, "sekda")
    doc = tte.document(doc_id)
    assert (doc.status, doc.is_final) == ("ditandatangani", True)
    signed = tte.current_pdf(doc_id)
    assert signature_count(signed) == 1 and tte.validate(signed).ok

    page = tte.web.test_client().get(f"/v/{doc.token}")
    assert page.status_code == 200
    html = text(page)
    assert "Status: <strong>Berlaku</strong>" in html and tte.user("sekda").full_name in html
    assert doc.current_file.sha256 in html and "Surat Edaran Apel Pagi 1" in html
    assert verdict(check(tte, doc.token, signed)) == "asli dan sah"
    assert check(tte, doc.token, signed, as_json=True).get_json()["ok"] is True
    (tmp_path / "asli.pdf").write_bytes(signed)
    code, out = cli_verify(tte, tmp_path / "asli.pdf")
    assert (code, out["ok"], out["verdict"], out["document"]["token"]) == (0, True, "asli dan sah", doc.token)

    altered = flip_byte(signed)
    assert len(altered) == len(signed) and altered != signed
    assert verdict(check(tte, doc.token, altered)).startswith("tidak asli")
    assert "dokumen telah diubah setelah ditandatangani" in verdict(check(tte, doc.token, altered))
    assert check(tte, doc.token, altered, as_json=True).get_json()["ok"] is False
    (tmp_path / "ubah.pdf").write_bytes(altered)
    code, out = cli_verify(tte, tmp_path / "ubah.pdf")
    assert (code, out["ok"]) == (1, False) and "diubah" in out["verdict"]


@pytest.mark.redis
def test_a_wrong_passphrase_is_refused_at_once_and_nothing_is_queued(make_tte, own_redis):
    tte = make_tte(REDIS_URL=own_redis.url, RQ_QUEUE="tte-wrong")
    tte.submit(3)
    waiting = tte.waiting("sekda")
    response = tte.post_sign("sekda", passphrase=PASSPHRASE + "x")
    assert response.status_code == 422
    assert "Frasa sandi salah" in text(response)
    db.session.rollback()
    assert db.session.scalar(select(func.count(SignBatch.id))) == 0
    statuses = db.session.scalars(select(SignatureRequest.status).where(SignatureRequest.id.in_(waiting))).all()
    assert statuses == ["pending"] * 3
    assert own_redis.client().keys("*") == []
    # control: the right passphrase does queue (so the checks above can see a queued batch)
    assert tte.post_sign("sekda").status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count(SignBatch.id))) == 1
    assert own_redis.client().keys("sisumaker:handoff:*")


def test_a_revoked_certificate_cannot_sign(tte):
    tte.submit(2)
    revoke_via_admin(tte, "sekda")
    response = tte.post_sign("sekda")
    assert response.status_code in (403, 422)
    assert "dicabut" in text(response)
    db.session.rollback()
    assert db.session.scalar(select(func.count(SignBatch.id))) == 0
    assert len(tte.waiting("sekda")) == 2


def test_a_certificate_revoked_in_the_pki_only_cannot_sign(tte):
    """`pki revoke` on the CA side (the registry) is enough, even while the row still says aktif."""
    from cryptography import x509

    from sisumaker.pki_runtime import pki_context
    from sisumaker.signing import revoke

    tte.submit(1)
    row = db.session.scalar(select(Certificate).where(Certificate.user_id == tte.user("sekda").id))
    revoke(pki_context(tte.web).pki, x509.load_pem_x509_certificate(row.cert_pem.encode()).serial_number,
           "key_compromise")
    response = tte.post_sign("sekda")
    assert response.status_code == 403
    assert "Sertifikat penanda tangan sudah dicabut sejak" in text(response)
    assert db.session.scalar(select(func.count(SignBatch.id))) == 0


def test_revocation_between_queueing_and_signing_fails_the_requests_with_the_reason(tte):
    from sisumaker import handoff, jobs
    from sisumaker.pki_runtime import pki_context
    from sisumaker.services.access import viewer_for
    from sisumaker.services.certificates import revoke_certificate
    from sisumaker.services.signatures import start_batch

    ids = tte.submit(2)
    batch = start_batch(viewer_for(tte.user("sekda")), pki_context(), tte.waiting("sekda"), PASSPHRASE)
    handoff.seal(tte.svc, batch.ref, PASSPHRASE)
    db.session.commit()
    revoke_certificate(tte.user("admin"), pki_context(), batch.certificate_id, "key_compromise")
    db.session.commit()
    counts = jobs.sign_batch(batch.id)
    assert counts["failed"] == 2 and counts["signed"] == 0
    for doc_id in ids:
        doc = tte.document(doc_id)
        assert doc.status == "menunggu" and signature_count(tte.current_pdf(doc_id)) == 0
        assert "dicabut" in doc.requests[0].error and "kunci privat bocor" in doc.requests[0].error


def test_signed_then_revoked_stays_valid_when_signed_and_says_why(tte, tmp_path):
    (doc_id,) = tte.submit(1)
    sign_all(tte, "sekda")
    doc = tte.document(doc_id)
    signed = tte.current_pdf(doc_id)
    # the CRL records whole seconds: revoke in a later second than the signature's time stamp
    signed_at = doc.signed_at if doc.signed_at.tzinfo else doc.signed_at.replace(tzinfo=timezone.utc)
    time.sleep(max(0.0, 1.05 - (datetime.now(timezone.utc) - signed_at).total_seconds()))
    revoke_via_admin(tte, "sekda", "cessation_of_operation", "pensiun per 1 Desember 2026")

    html = text(tte.web.test_client().get(f"/v/{doc.token}"))
    assert "Status: <strong>Berlaku</strong>" in html
    assert re.search(r"Sah saat ditandatangani; sertifikat dicabut \d\d-\d\d-\d{4} \(pensiun / berhenti bertugas"
                     r" — pensiun per 1 Desember 2026\), setelah dokumen ditandatangani", html), html
    info = tte.web.test_client().get(f"/v/{doc.token}.json").get_json()
    assert info["status"] == "Berlaku"
    assert "pensiun / berhenti bertugas" in info["signers"][0]["revoked_later"]
    result = check(tte, doc.token, signed)
    assert verdict(result) == "asli dan sah"
    assert "(sertifikat dicabut kemudian: pensiun / berhenti bertugas)" in text(result)
    detail = check(tte, doc.token, signed, as_json=True).get_json()
    assert detail["ok"] and detail["signatures"][0]["revoked_later"] is True
    (tmp_path / "asli.pdf").write_bytes(signed)
    assert cli_verify(tte, tmp_path / "asli.pdf")[0] == 0
    # and the official can no longer sign anything new
    tte.submit(1)
    assert tte.post_sign("sekda").status_code in (403, 422)


def test_paraf_then_final_both_validate_and_the_final_signature_locks(tte):
    (doc_id,) = tte.submit(1, parafs=("kabag.umum",))
    assert tte.waiting("sekda") == []  # the paraf comes first
    sign_all(tte, "kabag.umum")
    after_paraf = tte.current_pdf(doc_id)
    assert signature_count(after_paraf) == 1 and tte.validate(after_paraf).ok
    assert tte.document(doc_id).status == "menunggu"
    sign_all(tte, "sekda")
    final = tte.current_pdf(doc_id)
    report = tte.validate(final)
    assert report.ok and len(report.signatures) == 2
    assert [s.locks_document for s in report.signatures] == [False, True]
    assert all(s.ok for s in report.signatures)
    doc = tte.document(doc_id)
    assert doc.is_final and doc.status == "ditandatangani"
    assert verdict(check(tte, doc.token, final)) == "asli dan sah"

    # the app refuses a further signature: a request added to the final document fails with the reason
    from sisumaker.models import SignDocument

    bupati = tte.user("bupati")
    db.session.add(SignatureRequest(document_id=doc_id, step=3, role="ttd", position_id=bupati.position_id))
    db.session.get(SignDocument, doc_id).status = "menunggu"  # as if someone reopened it
    db.session.commit()
    sign_all(tte, "bupati")
    db.session.rollback()
    req = db.session.scalars(select(SignatureRequest).where(SignatureRequest.document_id == doc_id,
                                                            SignatureRequest.step == 3)).one()
    assert req.status == "failed"
    assert req.error == "Dokumen sudah ditandatangani final dan terkunci; tidak dapat ditandatangani lagi."
    assert tte.current_pdf(doc_id) == final


def test_a_final_pdf_cannot_be_submitted_again(tte):
    (doc_id,) = tte.submit(1)
    sign_all(tte, "sekda")
    final = tte.current_pdf(doc_id)
    client = tte.client("staf.umum")
    response = client.post("/tte/unggah", data={
        "csrf_token": csrf_token(client, "/tte/unggah"), "title": "Tanda tangan lagi", "jenis": "surat_dinas",
        "sifat": "B", "signer_id": str(tte.user("bupati").position_id), "pdf": (io.BytesIO(final), "final.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PDF ini sudah dikunci oleh tanda tangan final." in text(response)
