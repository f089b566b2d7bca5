"""The public verification page: legal status (Dicabut / Diganti oleh …), no subject of Terbatas/Rahasia
documents, unknown tokens; who may open a document inside the app; the acting (Plt./Plh.) signer's stamp."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, StreamObject

from sisumaker.extensions import db
from tests.helpers import csrf_token, text
from tests.tte.support import sign_all


def public(tte, token: str):
    client = tte.web.test_client()
    return client.get(f"/v/{token}"), client.get(f"/v/{token}.json")


def set_status(tte, username: str, doc_id: int, status: str, note: str, replaced_by: str = ""):
    client = tte.client(username)
    return client.post(f"/tte/dokumen/{doc_id}/status", data={
        "csrf_token": csrf_token(client, f"/tte/dokumen/{doc_id}"), "status": status, "note": note,
        "replaced_by": replaced_by})


def test_legal_status_revoked_then_replaced_shows_on_the_public_page(tte):
    first, second = tte.submit(2, title="Keputusan Tim Pengelola")
    sign_all(tte, "sekda")
    token, replacement = tte.document(first).token, tte.document(second)
    page, info = public(tte, token)
    assert "Status: <strong>Berlaku</strong>" in text(page) and info.get_json()["status"] == "Berlaku"

    assert set_status(tte, "bupati", first, "dicabut", "Keputusan Bupati 100/5/2026").status_code == 403
    assert tte.document(first).status == "ditandatangani", "only the final signer's position may change it"

    assert set_status(tte, "sekda", first, "dicabut", "Keputusan Bupati 100/5/2026").status_code == 303
    page, info = public(tte, token)
    assert page.status_code == 200
    assert "Status: <strong>Dicabut</strong>" in text(page) and "Keputusan Bupati 100/5/2026" in text(page)
    assert (info.get_json()["status"], info.get_json()["legal_note"]) == ("Dicabut", "Keputusan Bupati 100/5/2026")

    assert set_status(tte, "sekda", first, "diganti", "Diganti karena perubahan susunan tim",
                      replaced_by=replacement.token).status_code == 303
    page, info = public(tte, token)
    assert f"Status: <strong>Diganti oleh {replacement.number}</strong>" in text(page)
    assert info.get_json()["status"] == f"Diganti oleh {replacement.number}"
    assert info.get_json()["replaced_by"] == replacement.number == "800/2/2026"
    page, info = public(tte, replacement.token)
    assert info.get_json()["status"] == "Berlaku"


@pytest.mark.parametrize("sifat, hidden", [("T", True), ("R", True), ("SR", True), ("B", False)])
def test_restricted_documents_show_no_subject(tte, sifat, hidden):
    subject = f"Perihal Sangat Khusus XQ-{sifat}"
    (doc_id,) = tte.submit(1, sifat=sifat, title=subject)
    sign_all(tte, "sekda")
    page, info = public(tte, tte.document(doc_id).token)
    assert page.status_code == info.status_code == 200
    body = info.get_json()
    assert body["status"] == "Berlaku" and body["number"] == "800/1/2026"
    if hidden:
        assert "XQ-" not in text(page) and "XQ-" not in text(info)
        assert body["title"] is None and body["sifat_hidden"] is True
        assert "dirahasiakan" in text(page)
    else:  # the control: a Biasa document shows its subject
        assert subject in text(page) and body["title"] == subject + " 1"


@pytest.mark.parametrize("token", ["tidak-ada-token-seperti-ini", "x" * 43, "a" * 80])
def test_an_unknown_token_is_not_known(tte, token):
    page, info = public(tte, token)
    assert page.status_code == info.status_code == 404
    assert "Status: <strong>Tidak dikenal</strong>" in text(page)
    assert info.get_json() == {"status": "Tidak dikenal", "known": False}
    upload = tte.web.test_client().post(f"/v/{token}", data={"pdf": (io.BytesIO(b"%PDF-1.4"), "x.pdf")},
                                        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert upload.get_json()["ok"] is False


def test_only_the_drafter_and_the_signers_open_a_document(tte):
    (doc_id,) = tte.submit(1, parafs=("kabag.umum",), drafter="staf.umum")
    for username, allowed in [("staf.umum", True), ("kabag.umum", True), ("sekda", True), ("bupati", False),
                              ("kadis.dinkes", False), ("staf.hukum", False), ("admin", False)]:
        client = tte.client(username)
        for path in (f"/tte/dokumen/{doc_id}", f"/tte/dokumen/{doc_id}/pdf"):
            status = client.get(path).status_code
            assert status == (200 if allowed else 404), f"{username} {path}: {status}"
    assert tte.web.test_client().get(f"/tte/dokumen/{doc_id}/pdf").status_code == 302  # to the login


def stamp_text(pdf: bytes) -> str:
    """The text lines drawn by every signature widget's appearance (form XObjects included), joined by spaces."""
    reader, chunks, seen = PdfReader(io.BytesIO(pdf)), [], set()

    def walk(obj):
        obj = obj.get_object()
        if id(obj) in seen or not isinstance(obj, DictionaryObject):
            return
        seen.add(id(obj))
        if isinstance(obj, StreamObject):
            chunks.append(obj.get_data().decode("latin-1"))
        for value in obj.values():
            walk(value)

    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig" or annot.get("/Subtype") == "/Widget":
                walk(annot["/AP"])
    lines = re.findall(r"\(((?:\\.|[^\\)])*)\) Tj", "\n".join(chunks))
    unescape = lambda s: re.sub(r"\\([0-7]{3}|.)", lambda m: chr(int(m.group(1), 8)) if m.group(1).isdigit()
                                else m.group(1), s)
    return " ".join(unescape(line) for line in lines)


@pytest.mark.parametrize("kind, prefix", [("plt", "Plt."), ("plh", "Plh.")])
def test_an_acting_signer_is_named_plt_or_plh_in_the_stamp_and_the_record(tte, kind, prefix):
    from sisumaker.models import Position
    from sisumaker.services.org import assign_acting

    kadis = tte.user("kadis.dinkes")
    target = db.session.scalar(db.select(Position).where(Position.title.like("Kepala Dinas Pendidikan%")))
    assert target is not None and target.id != kadis.position_id
    assign_acting(tte.user("admin"), user=kadis, position=target, kind=kind, starts_on=date.today() - timedelta(days=1),
                  ends_on=date.today() + timedelta(days=30), decree_number="800/PLT/7/2026")
    db.session.commit()
    (doc_id,) = tte.submit(1, signer_position=target.id)
    (own_id,) = tte.submit(1, signer="kadis.dinkes", title="Surat dinas sendiri")
    assert len(tte.waiting("kadis.dinkes")) == 2
    sign_all(tte, "kadis.dinkes")

    acting, own = tte.document(doc_id), tte.document(own_id)
    assert (acting.requests[0].capacity_prefix, own.requests[0].capacity_prefix) == (prefix, "")
    stamp = stamp_text(tte.current_pdf(doc_id))
    assert stamp.startswith(f"Ditandatangani secara elektronik oleh: {kadis.full_name} {prefix} {target.title} ")
    assert re.search(r" \d\d-\d\d-\d{4} \d\d:\d\d WIB Kode verifikasi: " + acting.code + "$", stamp), stamp
    own_stamp = stamp_text(tte.current_pdf(own_id))
    assert own_stamp.startswith(f"Ditandatangani secara elektronik oleh: {kadis.full_name} Kepala Dinas Kesehatan ")
    assert prefix not in own_stamp
    info = tte.web.test_client().get(f"/v/{acting.token}.json").get_json()
    assert info["signers"][0]["title"] == f"{prefix} {target.title}"
    assert info["signers"][0]["name"] == kadis.full_name
    assert re.search(rf"{re.escape(prefix)} {re.escape(target.title)}", text(tte.web.test_client().get(f"/v/{acting.token}")))
