"""Signing through BSrE in the app (jobs in-process, no Redis): the admin sets an official's backend and NIK, the
signing page says which backend signs, the per-jenis policy, refusals in the web request, a wrong passphrase
stopping a batch with one message and nothing half-signed, and verification — the public page, the upload
check and `flask verify` — telling certified (BSrE) from uncertified (CA daerah) signatures."""
from __future__ import annotations

import io
import json
import shutil

from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, Notification, OfficialSigning, SignatureRequest, SignBatch, StoredFile
from sisumaker.services.verification import CERTIFIED, UNCERTIFIED
from sisumaker.signing import signature_count, validate_pdf
from sisumaker.signing.bsre import REFUSALS
from tests.bsre.conftest import BSRE_PASSPHRASE, KADIS_NIK, SEKDA_NIK, sign_through_bsre
from tests.helpers import csrf_token, text
from tests.tte.conftest import PASSPHRASE
from tests.tte.support import latest_batch_id, request_states

WRONG = REFUSALS["2031"][1]


def admin_post(tte, **form):
    client = tte.client("admin")
    token = csrf_token(client, "/tte/sertifikat")
    return client.post("/tte/sertifikat/penanda-tangan", data={"csrf_token": token, **form})


def requests_of(batch_id: int) -> list[SignatureRequest]:
    db.session.rollback()
    return list(db.session.scalars(select(SignatureRequest).where(SignatureRequest.batch_id == batch_id)))


def validate_both(tte, pdf: bytes):
    from sisumaker.pki_runtime import pki_context
    from sisumaker.signing import current_crl

    ctx = pki_context()
    return validate_pdf(pdf, ctx.all_roots, crls=[current_crl(ctx.pki)], intermediates=[ctx.pki.issuing_cert])


def cli_verify(tte, path) -> tuple[int, dict]:
    result = tte.web.test_cli_runner().invoke(args=["verify", str(path)])
    return result.exit_code, json.loads(result.output)


def test_the_admin_sets_an_officials_backend_and_nik(bsre_tte):
    tte = bsre_tte
    page = text(tte.client("admin").get("/tte/sertifikat"))
    assert "Cara penandatanganan pejabat" in page and 'name="nik"' in page
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    bad = admin_post(tte, username="kadis.dinkes", backend="bsre", nik="3604011203")
    assert bad.status_code == 422 and "NIK harus 16 angka." in text(bad)
    bad = admin_post(tte, username="kadis.dinkes", backend="bsre", nik="")
    assert bad.status_code == 422 and "memerlukan NIK" in text(bad)
    bad = admin_post(tte, username="tidak.ada", backend="bsre", nik=KADIS_NIK)
    assert bad.status_code == 422 and "Pengguna tidak ditemukan" in text(bad)
    db.session.rollback()
    assert db.session.get(OfficialSigning, tte.user("kadis.dinkes").id) is None  # nothing changed
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events

    ok = admin_post(tte, username="kadis.dinkes", backend="bsre", nik="3604 0112 0380 0001")
    assert ok.status_code == 303
    db.session.rollback()
    row = db.session.get(OfficialSigning, tte.user("kadis.dinkes").id)
    assert (row.backend, row.nik) == ("bsre", KADIS_NIK)
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action == "signing.official_backend" and KADIS_NIK not in json.dumps(event.detail)
    listing = text(tte.client("admin").get("/tte/sertifikat"))
    assert "3604••••••••0001" in listing and KADIS_NIK not in listing

    client = tte.client("kadis.dinkes")  # an official may not set it
    refused = client.post("/tte/sertifikat/penanda-tangan", data={
        "csrf_token": csrf_token(client, "/tte/"), "username": "kadis.dinkes", "backend": "regency"})
    assert refused.status_code == 403


def test_the_signing_page_says_which_backend_will_sign(bsre_tte):
    tte = bsre_tte
    tte.submit(1, signer="sekda", title="Surat Dinas Sekda")
    tte.submit(1, signer="kadis.dinkes", title="Surat Dinas Dinkes")
    sekda = text(tte.client("sekda").get("/tte/"))
    assert "Ditandatangani melalui: <span class=\"backend\">BSrE – BSSN (tersertifikasi)</span>" in sekda
    assert "passphrase BSrE" in sekda
    dinkes = text(tte.client("kadis.dinkes").get("/tte/"))
    assert "Ditandatangani melalui: <span class=\"backend\">CA daerah (tidak tersertifikasi)</span>" in dinkes
    assert "passphrase BSrE" not in dinkes


def test_an_sk_needs_bsre_when_bsre_is_configured(bsre_tte, standin):
    tte = bsre_tte
    (doc_id,) = tte.submit(1, signer="kadis.dinkes", title="Keputusan Kepala Dinas", jenis="surat_keputusan")
    page = text(tte.client("kadis.dinkes").get("/tte/"))
    assert "harus ditandatangani melalui BSrE, tetapi NIK BSrE Anda belum diatur" in page
    response = tte.post_sign("kadis.dinkes", passphrase=PASSPHRASE)
    assert response.status_code == 422 and "NIK BSrE Anda belum diatur" in text(response)
    assert tte.document(doc_id).requests[0].status == "pending" and standin.hits == []

    sign_through_bsre(tte, "kadis.dinkes", KADIS_NIK, backend="regency")  # own CA by default, NIK for the SK
    standin.add_user(KADIS_NIK, tte.user("kadis.dinkes").full_name, BSRE_PASSPHRASE)
    tte.submit(1, signer="kadis.dinkes", title="Surat Dinas biasa")
    mixed = tte.post_sign("kadis.dinkes", passphrase=BSRE_PASSPHRASE)
    assert mixed.status_code == 422 and "tandatangani secara terpisah" in text(mixed)

    response = tte.post_sign("kadis.dinkes", ids=[tte.document(doc_id).requests[0].id], passphrase=BSRE_PASSPHRASE)
    assert response.status_code == 303, text(response)
    (req,) = requests_of(latest_batch_id())
    assert (req.status, req.backend, req.certificate_id) == ("signed", "bsre", None)
    report = validate_both(tte, tte.current_pdf(doc_id))
    assert report.ok and report.signatures[0].trust_root_index == 1


def test_a_bsre_batch_signs_and_every_verifier_calls_it_certified(bsre_tte, standin, tmp_path):
    tte = bsre_tte
    ids = tte.submit(3, signer="sekda", title="Keputusan Sekda", jenis="surat_keputusan")
    response = tte.post_sign("sekda", passphrase=BSRE_PASSPHRASE)
    assert response.status_code == 303, text(response)
    assert "Selesai" in text(tte.client("sekda").get(response.headers["Location"]))
    batch_id = latest_batch_id()
    batch = db.session.get(SignBatch, batch_id)
    assert (batch.backend, batch.certificate_id) == ("bsre", None)
    assert standin.sign_calls() == 3 and all(nik == SEKDA_NIK for _, nik in standin.calls)
    for doc_id in ids:
        doc = tte.document(doc_id)
        assert doc.status == "ditandatangani" and doc.requests[0].backend == "bsre"
        pdf = tte.current_pdf(doc_id)
        assert signature_count(pdf) == 1
        report = validate_both(tte, pdf)
        assert report.ok and report.signatures[0].trust_root_index == 1
        assert report.signatures[0].signer_cn == tte.user("sekda").full_name

    doc = tte.document(ids[0])
    public = tte.web.test_client()
    page = text(public.get(f"/v/{doc.token}"))
    assert f'<dd class="signature-kind">{CERTIFIED}</dd>' in page
    assert public.get(f"/v/{doc.token}.json").get_json()["signature_kind"] == CERTIFIED
    pdf = tte.current_pdf(ids[0])
    checked = public.post(f"/v/{doc.token}", data={"pdf": (io.BytesIO(pdf), "sk.pdf")},
                          content_type="multipart/form-data", headers={"Accept": "application/json"}).get_json()
    assert checked["ok"] and checked["signature_kind"] == CERTIFIED and checked["signatures"][0]["kind"] == CERTIFIED
    (tmp_path / "sk.pdf").write_bytes(pdf)
    code, out = cli_verify(tte, tmp_path / "sk.pdf")
    assert code == 0 and out["signature_kind"] == CERTIFIED and out["document"]["token"] == doc.token
    altered = pdf.replace(b"Nomor 800/1/2026", b"Nomor 800/7/2026")
    assert altered != pdf
    (tmp_path / "ubah.pdf").write_bytes(altered)
    code, out = cli_verify(tte, tmp_path / "ubah.pdf")
    assert code == 1 and not out["ok"]


def test_a_regency_signature_is_called_uncertified_and_a_bsre_one_needs_the_configured_root(bsre_tte, tmp_path):
    tte = bsre_tte
    (doc_id,) = tte.submit(1, signer="kadis.dinkes", title="Surat Dinas Dinkes")
    assert tte.post_sign("kadis.dinkes").status_code == 303
    doc = tte.document(doc_id)
    assert tte.web.test_client().get(f"/v/{doc.token}.json").get_json()["signature_kind"] == UNCERTIFIED
    (tmp_path / "dinkes.pdf").write_bytes(tte.current_pdf(doc_id))
    code, out = cli_verify(tte, tmp_path / "dinkes.pdf")
    assert code == 0 and out["signatures"][0]["kind"] == UNCERTIFIED

    (bsre_doc,) = tte.submit(1, signer="sekda", title="Surat Sekda")
    assert tte.post_sign("sekda", passphrase=BSRE_PASSPHRASE).status_code == 303
    (tmp_path / "sekda.pdf").write_bytes(tte.current_pdf(bsre_doc))
    import dataclasses

    for app in (tte.web, tte.svc):  # without SIGNING_TRUST_ROOTS the BSrE chain is not trusted
        app.extensions["sisumaker_pki"] = dataclasses.replace(app.extensions["sisumaker_pki"], certified_roots=())
    code, out = cli_verify(tte, tmp_path / "sekda.pdf")
    assert code == 1 and out["signatures"][0]["kind"] == "Tidak dipercaya"


def test_a_wrong_bsre_passphrase_stops_the_batch_with_one_message_and_nothing_half_signed(bsre_tte, standin):
    tte = bsre_tte
    ids = tte.submit(4, signer="sekda", title="Surat Sekda")
    files = db.session.scalar(select(func.count()).select_from(StoredFile))
    bells = db.session.scalar(select(func.count()).select_from(Notification))
    response = tte.post_sign("sekda", passphrase="Bukan-Passphrase-Ini-1")
    assert response.status_code == 303  # BSrE alone can judge the passphrase: the batch is queued, then refused
    batch_id = latest_batch_id()
    progress = text(tte.client("sekda").get(f"/tte/proses/{batch_id}"))
    assert "4 gagal" in progress and WRONG in progress
    assert standin.sign_calls() == 1  # the first refusal stopped the batch; nothing was retried
    requests = requests_of(batch_id)
    assert {r.status for r in requests} == {"failed"} and {r.error for r in requests} == {WRONG}
    for doc_id in ids:
        doc = tte.document(doc_id)
        assert doc.status == "menunggu" and doc.current_file_id == doc.source_file_id
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == files  # no partial PDF stored
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "signing.signed")) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == bells + 1  # one message
    assert set(tte.waiting("sekda")) == {r.id for r in requests}  # back in the signer's queue

    assert tte.post_sign("sekda", passphrase=BSRE_PASSPHRASE).status_code == 303  # and the right one signs them
    assert request_states(latest_batch_id())["signed"] == 4


def test_a_refused_signer_is_told_at_once_and_nothing_is_queued(bsre_tte, standin):
    tte = bsre_tte
    standin.revoke(SEKDA_NIK)
    tte.submit(2, signer="sekda")
    response = tte.post_sign("sekda", passphrase=BSRE_PASSPHRASE)
    assert response.status_code == 422 and REFUSALS["2023"][1] in text(response)
    assert standin.sign_calls() == 0 and latest_batch_id() is None


def test_parafs_through_the_regency_ca_then_the_final_signature_through_bsre(bsre_tte):
    tte = bsre_tte
    (doc_id,) = tte.submit(1, signer="sekda", parafs=("kabag.umum",), title="Keputusan dengan paraf",
                           jenis="surat_keputusan")
    assert tte.post_sign("kabag.umum").status_code == 303
    assert tte.post_sign("sekda", passphrase=BSRE_PASSPHRASE).status_code == 303
    pdf = tte.current_pdf(doc_id)
    report = validate_both(tte, pdf)
    assert report.ok and [s.trust_root_index for s in report.signatures] == [0, 1]
    info = tte.web.test_client().get(f"/v/{tte.document(doc_id).token}.json").get_json()
    assert info["signature_kind"] == CERTIFIED
    assert [s["kind"] for s in info["signers"]] == [UNCERTIFIED, CERTIFIED]


def test_without_redis_an_outage_leaves_the_batch_queued_and_the_progress_page_finishes_it(make_tte, standin):
    from tests.bsre.conftest import bsre_config, trust_standin

    tte = make_tte(**bsre_config(standin, SIGNING_INPROCESS_RETRY_SECONDS=0))
    trust_standin(tte, standin)
    standin.add_user(SEKDA_NIK, tte.user("sekda").full_name, BSRE_PASSPHRASE)
    sign_through_bsre(tte, "sekda", SEKDA_NIK)
    ids = tte.submit(2, signer="sekda", title="Surat Sekda")
    standin.outage("503")
    response = tte.post_sign("sekda", passphrase=BSRE_PASSPHRASE)  # the status check cannot answer: queued anyway
    assert response.status_code == 303, text(response)
    batch_id = latest_batch_id()
    assert request_states(batch_id)["queued"] == 2
    page = text(tte.client("sekda").get(f"/tte/proses/{batch_id}"))
    assert "tidak dapat dihubungi" in page and "Antre" in page
    assert all(tte.document(i).current_file_id == tte.document(i).source_file_id for i in ids)

    standin.outage(None)
    fragment = text(tte.client("sekda").get(f"/tte/proses/{batch_id}", headers={"HX-Request": "true"}))
    assert request_states(batch_id)["signed"] == 2, fragment
    assert "2</span> dari 2</strong>" in fragment and "hx-trigger" not in fragment
    assert "Selesai" in text(tte.client("sekda").get(f"/tte/proses/{batch_id}"))


def test_an_outgoing_letter_is_rendered_whole_then_signed_through_bsre(bsre_tte, standin, tmp_path):
    """The letter's number, date and footer QR are rendered before BSrE gets the file; BSrE only appends."""
    from sisumaker.models import Draft
    from tests.outgoing.support import approve_all, content, routing, save

    tte = bsre_tte
    draft_id = save(c=content(jenis="surat_dinas", perihal="Undangan rapat koordinasi"), r=routing())
    approve_all(draft_id)
    client = tte.client("sekda")
    page = text(client.get("/tte/"))
    assert "Undangan rapat koordinasi" in page and "BSrE – BSSN (tersertifikasi)" in page
    response = client.post("/tte/tandatangani", data={"csrf_token": csrf_token(client, "/tte/"),
                                                      "draft_ids": [str(draft_id)], "passphrase": BSRE_PASSPHRASE})
    assert response.status_code == 303, text(response)
    db.session.rollback()
    draft = db.session.get(Draft, draft_id)
    doc = draft.sign_document
    assert draft.number and doc.status == "ditandatangani" and doc.requests[0].backend == "bsre"
    (received,) = standin.received
    pdf = tte.current_pdf(doc.id)
    assert pdf.startswith(received)  # BSrE appended its signature to exactly what it received
    report = validate_both(tte, pdf)
    assert report.ok and report.signatures[0].trust_root_index == 1
    if all(shutil.which(t) for t in ("pdftoppm", "zbarimg")):
        from sisumaker.pki_runtime import pki_context
        from tests.tte.support import qr_codes

        (tmp_path / "received.pdf").write_bytes(received)
        found = qr_codes(tmp_path / "received.pdf", tmp_path / "png", page=doc.requests[0].stamp_page + 1
                         if doc.requests[0].stamp_page >= 0 else 1)
        assert found and set(found) == {pki_context().verification_url(doc.token)}  # footer and stamp QR
