"""Surat Keluar through the test client with CSRF (issue 5): drafting each of the six kinds, Indonesian messages
and 422 on bad input with nothing saved, only the drafter edits, only the current reviewer gives paraf or returns
(outsiders get 404), the preview PDF, and signing at /tte: a wrong passphrase takes no number."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import Draft, NumberCounter, ReviewStep, SignDocument
from tests.helpers import csrf_token
from tests.outgoing.support import pdf_text, pos, routing, save

BODY = "Dengan hormat,\n\nDalam rangka **SPBE**, disampaikan:\n\n1. satu\n2. dua"
KINDS = {
    "nota_dinas": {},
    "surat_dinas": {},
    "surat_edaran": {"groups": ["semua-opd", "semua-kecamatan"], "to_ids": []},
    "surat_keputusan": {"body": "", "menimbang": "bahwa perlu dibentuk tim;\nbahwa ...",
                        "mengingat": "Undang-Undang Nomor 23 Tahun 2014;", "diktum": "Membentuk tim.\nBerlaku."},
    "surat_undangan": {"event_date": "2026-12-03", "event_time": "09.00 WIB s.d. selesai",
                       "event_place": "Aula Setda", "event_agenda": "Rapat koordinasi SPBE"},
    "surat_tugas": {},
}
MARKS = {  # something each kind's preview must print
    "nota_dinas": "NOTA DINAS", "surat_dinas": "Dalam rangka SPBE", "surat_edaran": "SURAT EDARAN",
    "surat_keputusan": "MEMUTUSKAN", "surat_undangan": "Aula Setda", "surat_tugas": "MENUGASKAN",
}


def _form(client, jenis: str, path: str = "/surat-keluar/baru", **overrides) -> dict:
    data = {"csrf_token": csrf_token(client, f"{path}?jenis={jenis}" if path.endswith("baru") else path),
            "jenis": jenis, "perihal": f"Uji {jenis.replace('_', ' ')}", "body": BODY, "sifat": "B",
            "urgensi": "biasa", "classification_code": "000.1.2 Rapat", "lampiran": "-",
            "to_ids": [str(pos("kadis.dinkes"))], "cc_ids": [str(pos("camat.pulo-ampel"))],
            "reviewer_ids": [str(pos("kabag.umum"))], "signer_id": str(pos("sekda")), "capacity": "definitif",
            "action": "simpan", **KINDS[jenis]}
    data.update(overrides)
    return data


def _drafts() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Draft.id)))


@pytest.mark.parametrize("jenis", list(KINDS))
def test_drafting_each_kind_and_its_preview(ctx, client_for, jenis):
    client = client_for("staf.umum")
    page = client.get(f"/surat-keluar/baru?jenis={jenis}").get_data(as_text=True)
    assert ('name="menimbang"' in page) == (jenis == "surat_keputusan")
    assert ('name="event_date"' in page) == (jenis == "surat_undangan")
    response = client.post("/surat-keluar/baru", data=_form(client, jenis))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.rollback()
    draft = db.session.get(Draft, draft_id)
    assert (draft.jenis, draft.status, draft.version, draft.classification_code) == (jenis, "konsep", 1, "000.1.2")
    assert "Konsep disimpan (versi 1)." in client.get(f"/surat-keluar/{draft_id}").get_data(as_text=True)

    pdf = client.get(f"/surat-keluar/{draft_id}/pratinjau.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    assert MARKS[jenis] in text, text
    if jenis != "surat_tugas":  # a surat tugas has no perihal line: Kepada (addressees), then the task
        assert f"Uji {jenis.replace('_', ' ')}".upper() in text.upper(), text
    db.session.rollback()
    assert db.session.get(Draft, draft_id).number is None, "the preview fixes no number"
    assert client_for("kadis.dinkes").get(f"/surat-keluar/{draft_id}/pratinjau.pdf").status_code == 404


@pytest.mark.parametrize("jenis, overrides, messages", [
    ("surat_keputusan", {"diktum": ""}, ["Surat Keputusan memerlukan Menimbang, Mengingat dan diktum Memutuskan."]),
    ("surat_keputusan", {"menimbang": "", "mengingat": ""},
     ["Surat Keputusan memerlukan Menimbang, Mengingat dan diktum Memutuskan."]),
    ("surat_undangan", {"event_date": "", "event_place": ""},
     ["Undangan memerlukan tanggal acara.", "Undangan memerlukan tempat acara."]),
    ("surat_undangan", {"event_date": "2026-02-30"}, ["Undangan memerlukan tanggal acara."]),
    ("nota_dinas", {"perihal": "  "}, ["Perihal wajib diisi (paling banyak 500 karakter)."]),
    ("nota_dinas", {"body": "   "}, ["Isi surat wajib diisi."]),
    ("nota_dinas", {"body": "x" * 20_001}, ["Isian terlalu panjang (paling banyak 20000 karakter)."]),
    ("nota_dinas", {"to_ids": [], "cc_ids": []},
     ["Pilih paling sedikit satu penerima (jabatan, kelompok, atau alamat luar)."]),
    ("nota_dinas", {"classification_code": "999.9.9"}, ["Kode klasifikasi tidak dikenal."]),
    ("nota_dinas", {"reviewer_ids": [str(0)]}, ["Ada jabatan yang tidak dikenal atau sudah ditutup."]),
    ("surat_edaran", {"groups": ["semua-planet"]}, ["Kelompok penerima tidak dikenal."]),
    ("nota_dinas", {"capacity": "an"}, ["Untuk a.n., pilih jabatan yang diwakili."]),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(ctx, client_for, jenis, overrides, messages):
    client = client_for("staf.umum")
    response = client.post("/surat-keluar/baru", data=_form(client, jenis, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tidak ada yang disimpan." in html
    for message in messages:
        assert message in html, message
    assert _drafts() == 0


def test_the_signer_cannot_also_give_paraf(ctx, client_for):
    client = client_for("staf.umum")
    data = _form(client, "nota_dinas", reviewer_ids=[str(pos("kabag.umum")), str(pos("sekda"))])
    response = client.post("/surat-keluar/baru", data=data)
    assert response.status_code == 422
    assert "Pemaraf tidak boleh ganda dan tidak boleh sama dengan penanda tangan." in response.get_data(as_text=True)
    assert _drafts() == 0


def test_a_post_without_csrf_token_is_refused(ctx, client_for):
    client = client_for("staf.umum")
    data = _form(client, "nota_dinas")
    data.pop("csrf_token")
    assert client.post("/surat-keluar/baru", data=data).status_code == 400
    assert _drafts() == 0


def test_only_the_drafter_edits(ctx, client_for):
    draft_id = save(r=routing(reviewers=("kabag.umum",)), send=False)
    path = f"/surat-keluar/{draft_id}/ubah"
    drafter = client_for("staf.umum")
    assert drafter.get(path).status_code == 200
    save(draft_id=draft_id, send=False)  # a second version, kept with the first
    response = drafter.post(path, data=_form(drafter, "surat_edaran", path=path, perihal="Perihal diperbaiki",
                                             action="kirim"))
    assert response.status_code == 303
    db.session.rollback()
    draft = db.session.get(Draft, draft_id)
    assert (draft.perihal, draft.version, draft.status) == ("Perihal diperbaiki", 3, "review")
    assert drafter.post(path, data=_form(drafter, "surat_edaran", path=f"/surat-keluar/{draft_id}")).status_code \
        == 409  # in review: no edits until it is returned
    kabag = client_for("kabag.umum")
    assert kabag.get(path).status_code == 403
    assert kabag.post(path, data=_form(kabag, "surat_edaran", path=f"/surat-keluar/{draft_id}")).status_code == 403
    outsider = client_for("kadis.dinkes")
    assert outsider.get(path).status_code == 404
    assert outsider.get(f"/surat-keluar/{draft_id}").status_code == 404
    db.session.rollback()
    assert db.session.get(Draft, draft_id).version == 3


def _step_states(draft_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(ReviewStep.status).where(ReviewStep.draft_id == draft_id)
                                   .order_by(ReviewStep.step)))


def test_only_the_current_reviewer_gives_paraf_or_returns(ctx, client_for):
    draft_id = save(r=routing(reviewers=("kabag.umum", "asisten3")))
    show = f"/surat-keluar/{draft_id}"
    for outsider in ("kadis.dinkes", "kabag.hukum"):
        client = client_for(outsider)
        for action in ("paraf", "kembalikan"):
            token = csrf_token(client, "/")
            assert client.post(f"{show}/{action}", data={"csrf_token": token, "note": "Tidak berwenang."}
                               ).status_code == 404
    for insider in ("asisten3", "sekda", "staf.umum"):  # in the chain or its drafter, but not their turn
        client = client_for(insider)
        assert 'id="form-paraf"' not in client.get(show).get_data(as_text=True)
        response = client.post(f"{show}/paraf", data={"csrf_token": csrf_token(client, show)}, follow_redirects=True)
        assert "Konsep ini tidak sedang menunggu paraf Anda." in response.get_data(as_text=True)
    assert _step_states(draft_id) == ["menunggu", "menunggu"]

    kabag = client_for("kabag.umum")
    page = kabag.get(show).get_data(as_text=True)
    assert 'id="form-paraf"' in page and "menunggu di <strong>Kepala Bagian Umum</strong>" in page
    response = kabag.post(f"{show}/kembalikan", data={"csrf_token": csrf_token(kabag, show), "note": " "},
                          follow_redirects=True)
    assert "Tuliskan catatan koreksi untuk konseptor." in response.get_data(as_text=True)
    assert _step_states(draft_id) == ["menunggu", "menunggu"]
    response = kabag.post(f"{show}/paraf", data={"csrf_token": csrf_token(kabag, show)}, follow_redirects=True)
    assert "Paraf diberikan." in response.get_data(as_text=True)
    assert _step_states(draft_id) == ["disetujui", "menunggu"]
    assert "menunggu di <strong>Asisten Administrasi Umum</strong>" in \
        client_for("staf.umum").get(show).get_data(as_text=True)
    for username in ("staf.umum", "kabag.umum", "asisten3"):  # the list says where it waits, by title
        listing = client_for(username).get("/surat-keluar/").get_data(as_text=True)
        assert "menunggu di Asisten Administrasi Umum" in listing and "posisi #" not in listing


def test_a_wrong_passphrase_takes_no_number(ctx, pki, client_for):
    from tests.outgoing.conftest import PASSPHRASE
    from tests.outgoing.support import approve_all

    draft_id = save(r=routing(groups=("semua-kecamatan",)))
    approve_all(draft_id)
    sekda = client_for("sekda")
    page = sekda.get("/tte/").get_data(as_text=True)
    assert re.search(rf'name="draft_ids" value="{draft_id}"', page)

    def post(client, passphrase):
        return client.post("/tte/tandatangani", data={"csrf_token": csrf_token(client, "/tte/"),
                                                      "draft_ids": str(draft_id), "passphrase": passphrase})

    for client, passphrase in ((sekda, "salah-sekali-2026"), (sekda, ""), (client_for("bupati"), PASSPHRASE)):
        response = post(client, passphrase)
        assert response.status_code == 422, response.status_code
        db.session.rollback()
        assert db.session.scalars(select(NumberCounter)).all() == []
        draft = db.session.get(Draft, draft_id)
        assert (draft.status, draft.number, draft.sign_document_id) == ("siap", None, None)
        assert db.session.scalar(select(func.count(SignDocument.id))) == 0

    response = post(sekda, PASSPHRASE)
    assert response.status_code == 303
    db.session.rollback()
    draft = db.session.get(Draft, draft_id)
    assert draft.status == "terkirim" and draft.number.startswith("000/1/SETDA/")
    assert [c.last_number for c in db.session.scalars(select(NumberCounter))] == [1]  # exactly one number taken

    drafter = client_for("staf.umum")
    matrix = drafter.get(f"/surat-keluar/{draft_id}/matriks").get_data(as_text=True)
    assert "Dibaca 0 dari 29" in matrix and "Kecamatan Pulo Ampel" in matrix
    assert client_for("kadis.dinkes").get(f"/surat-keluar/{draft_id}/matriks").status_code == 404
    signed = drafter.get(f"/surat-keluar/{draft_id}/pdf")
    assert signed.status_code == 200 and draft.number in pdf_text(signed.data)
    response = drafter.post(f"/surat-keluar/{draft_id}/ingatkan",
                            data={"csrf_token": csrf_token(drafter, f"/surat-keluar/{draft_id}")},
                            follow_redirects=True)
    assert "Pengingat dikirim kepada 29 penerima yang belum membaca." in response.get_data(as_text=True)
