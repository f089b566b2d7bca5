"""The faces of issue 3 through the test client, with real CSRF tokens: registering with a scan (and every
refused upload storing nothing), the position search without JavaScript, inbox filters, disposing with and
without htmx, the lembar disposisi PDF, the bell and the notifications page."""
from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import date, timedelta

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript

from sisumaker.extensions import db
from sisumaker.database import begin_write
from sisumaker.models import InboxItem, Letter, Position, RegisterEntry
from sisumaker.services.org import assign_acting
from tests.helpers import csrf_token, login, text
from tests.helpers import RELAXED_LIMITS
from tests.letters.support import (bell_count, counts, dispose, files_under, make_pdf, pos, raw_pdf, register,
                                   root_item, tab_counts, user)

TODAY = date.today()
NEW = "/surat-masuk/baru"


def _form(client, **overrides) -> dict:
    values = dict(
        csrf_token=csrf_token(client, NEW), sender="Dinas Pendidikan Provinsi Banten", number="421/1234/Dindik",
        letter_date=(TODAY - timedelta(days=2)).isoformat(), received_on=TODAY.isoformat(), jenis="surat_dinas",
        perihal="Pendataan sekolah rusak XR-ROUTE", summary="Mohon data sekolah rusak.", sifat="B", urgensi="biasa",
        classification_code="400 Kesejahteraan Rakyat", attachments="1", to_ids=[str(pos("bupati"))],
    )
    values.update(overrides)
    return values


def _upload(data: bytes, name: str = "scan.pdf", mime: str = "application/pdf"):
    return (io.BytesIO(data), name, mime)


# ------------------------------------------------------------------------------------------ uploads


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf("Surat terkunci")))
    writer.encrypt("rahasia")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf("Surat dengan skrip")))
    writer.add_open_action(JavaScript("app.alert('halo');"))  # a document-level JavaScript name tree
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PAGES = ("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]{} >>")
ESCAPED_JS = "<< /Type /Action /S /Java#53cript /J#53 (app.alert\\(1\\)) >>"  # names spelled with #xx escapes
HIDDEN = {  # active content that a byte search for "/JavaScript" does not see
    "page-open-action": raw_pdf("<< /Type /Catalog /Pages 2 0 R >>", PAGES[0], PAGES[1].format(" /AA << /O 4 0 R >>"),
                                ESCAPED_JS),
    "chained-action": raw_pdf("<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES[0], PAGES[1].format(""),
                              ESCAPED_JS, "<< /S /GoTo /D [3 0 R /Fit] /Next 4 0 R >>"),
    "launch": raw_pdf("<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", PAGES[0], PAGES[1].format(""),
                      "<< /S /Launc#68 /F (cmd.exe) >>"),
}


def _png_bomb(side: int = 20_000) -> bytes:
    """A 1-bit greyscale PNG of side x side pixels, all black: ~50 MB of pixels in a ~50 KB file."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = (b"\x00" + b"\x00" * ((side + 7) // 8)) * side
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def test_clerk_registers_with_a_pdf_scan(ctx, client_for, files_dir):
    clerk = client_for("tu.kec.pulo-ampel")
    scan = make_pdf("Surat Dinas Pendidikan", "Perihal: pendataan sekolah", pages=2)
    response = clerk.post(NEW, data={**_form(clerk), "scan": _upload(scan)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/surat-masuk")
    page = text(clerk.get("/surat-masuk"))
    label = f"1/{TODAY.year}"
    assert f"Surat dicatat dengan nomor agenda {label}." in page
    assert f"No. {label}" in page and "Pendataan sekolah rusak XR-ROUTE" in page

    db.session.rollback()
    letter = db.session.query(Letter).filter_by(perihal="Pendataan sekolah rusak XR-ROUTE").one()
    assert letter.entries[0].agenda_label == label and letter.classification_code == "400"
    assert (letter.scan.mime, letter.scan.pages, letter.scan.size) == ("application/pdf", 2, len(scan))
    stored = files_dir / letter.scan.sha256[:2] / letter.scan.sha256[2:]
    assert stored.read_bytes() == scan
    shown = clerk.get(f"/surat/{letter.id}/pindaian")
    assert shown.data == scan and "sandbox" in shown.headers["Content-Security-Policy"]
    assert clerk.get(f"/surat/{letter.id}/pindaian/2.png").data.startswith(b"\x89PNG")
    assert clerk.get(f"/surat/{letter.id}/pindaian/3.png").status_code in (404, 422)


BAD = [
    ("empty-sender", dict(sender="  "), None, "Asal surat wajib diisi"),
    ("future-date", dict(letter_date=(TODAY + timedelta(days=1)).isoformat()), None, "tidak boleh di masa depan"),
    ("no-addressee", dict(to_ids=[]), None, "Pilih paling sedikit satu jabatan tujuan"),
    ("bad-date", dict(received_on="kemarin"), None, "Tanggal tidak valid"),
    ("renamed-exe", {}, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 4000, "Berkas harus PDF, JPEG atau PNG"),
    ("encrypted-pdf", {}, "encrypted", "PDF terkunci kata sandi"),
    ("javascript-pdf", {}, "javascript", "PDF berisi skrip"),
    ("png-bomb", {}, "bomb", "Gambar terlalu besar"),
    *((f"hidden-{name}", {}, name, "PDF berisi skrip") for name in HIDDEN),
    ("unknown-position", dict(to_ids=["987654"]), "valid", "tidak dikenal atau sudah ditutup"),
]


@pytest.mark.parametrize("case,changes,upload,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_422_and_nothing_is_stored(ctx, client_for, files_dir, case, changes, upload,
                                                             message):
    makers = {"encrypted": _encrypted_pdf, "javascript": _javascript_pdf, "bomb": _png_bomb,
              "valid": lambda: make_pdf("Pindaian sah"), **{name: (lambda d=d: d) for name, d in HIDDEN.items()}}
    payload = makers.get(upload, lambda: upload)()
    clerk = client_for("tu.setda")
    data = _form(clerk, **changes)
    if payload is not None:
        data["scan"] = _upload(payload, "scan.png" if upload == "bomb" else "scan.pdf")
    db.session.rollback()
    before, files_before = counts(), files_under(files_dir)
    response = clerk.post(NEW, data=data)
    assert response.status_code == 422
    html = text(response)
    assert message in html and "Tidak ada yang disimpan" in html
    assert 'value="Dinas Pendidikan Provinsi Banten"' in html or case == "empty-sender"  # input kept
    db.session.rollback()
    assert counts() == before
    assert files_under(files_dir) == files_before


def test_an_upload_above_the_limit_is_refused(demo_db_url, make_app, ctx, files_dir):
    app = make_app(demo_db_url, schema=False, UPLOAD_MAX_BYTES=1024 * 1024, **RELAXED_LIMITS)
    clerk = app.test_client()
    login(clerk, "tu.setda")
    big = make_pdf("Surat besar", padding=1_300_000)
    assert len(big) > 1024 * 1024
    before, files_before = counts(), files_under(files_dir)
    response = clerk.post(NEW, data={**_form(clerk), "scan": _upload(big)})
    assert response.status_code == 422 and "Berkas melebihi batas 1 MB" in text(response)
    db.session.rollback()
    assert counts() == before and files_under(files_dir) == files_before
    # the same letter with a small scan goes through on that app
    ok = clerk.post(NEW, data={**_form(clerk), "scan": _upload(make_pdf("Surat kecil"))})
    assert ok.status_code == 302


def test_position_search_works_without_javascript(ctx, client_for):
    clerk = client_for("tu.kec.pulo-ampel")
    before = counts()
    page = clerk.post(NEW, data=_form(clerk, action="cari", cari_jabatan="dinas kesehatan"))
    html = text(page)
    assert page.status_code == 200 and "<html" in html
    kadis = pos("kadis.dinkes")
    assert f'id="to-{kadis}" name="to_ids" value="{kadis}"' in html
    assert "Kepala Dinas Perhubungan" not in html  # only matches are added
    assert f'value="{pos("bupati")}" checked' in html  # the earlier choice is kept
    assert 'value="Pendataan sekolah rusak XR-ROUTE"' in html
    fragment = clerk.post(NEW, data=_form(clerk, action="cari", cari_jabatan="dinas kesehatan"),
                          headers={"HX-Request": "true"})
    assert text(fragment).lstrip().startswith('<fieldset class="field picker" id="tujuan">')
    assert f'id="to-{kadis}"' in text(fragment)
    nothing = clerk.post(NEW, data=_form(clerk, action="cari", cari_jabatan="zzzz tidak ada"))
    assert "Jabatan tidak ditemukan" in text(nothing)
    db.session.rollback()
    assert counts() == before
    # the found position can be chosen and registered
    done = clerk.post(NEW, data=_form(clerk, to_ids=[str(kadis)]))
    assert done.status_code == 302


def test_cancel_an_entry_through_the_register(ctx, client_for):
    entry = register("tu.setda", perihal="Surat tercatat ganda XR-CANCEL")
    other = client_for("tu.dinkes")
    token = csrf_token(other, "/surat-masuk/baru")
    assert other.post(f"/surat-masuk/{entry.id}/batal", data={"csrf_token": token, "reason": "Bukan unit saya"}
                      ).status_code == 404
    clerk = client_for("tu.setda")
    token = csrf_token(clerk, "/surat-masuk")
    short = clerk.post(f"/surat-masuk/{entry.id}/batal", data={"csrf_token": token, "reason": "x"})
    assert short.status_code == 303 and "alasan pembatalan" in text(clerk.get("/surat-masuk"))
    done = clerk.post(f"/surat-masuk/{entry.id}/batal", data={"csrf_token": token, "reason": "Surat ganda XR"})
    assert done.status_code == 303
    page = text(clerk.get("/surat-masuk"))
    assert f"Agenda {entry.agenda_label} dibatalkan; nomornya tetap tercatat." in page
    assert "Dibatalkan" in page and "Alasan: Surat ganda XR" in page and f"No. {entry.agenda_label}" in page
    db.session.rollback()
    assert db.session.get(RegisterEntry, entry.id).status == "dibatalkan"


@pytest.mark.parametrize("days,sees", [(0, True), (-1, False)], ids=["acting-today", "acting-ended"])
def test_a_plh_works_the_acting_positions_inbox_only_while_acting(ctx, client_for, days, sees):
    """kabid2.dinkes is Plh Kepala Dinas Kesehatan until today (or until yesterday)."""
    begin_write()
    assign_acting(None, user=user("kabid2.dinkes"), position=db.session.get(Position, pos("kadis.dinkes")),
                  kind="plh", starts_on=TODAY - timedelta(days=5), ends_on=TODAY + timedelta(days=days),
                  decree_number="800/99/DINKES")
    db.session.commit()
    entry = register("tu.setda", perihal="Surat untuk Plh XR-PLH")
    child = dispose("bupati", root_item(entry.letter_id, "bupati").id, ("kadis.dinkes",))[0]
    plh = client_for("kabid2.dinkes")
    assert ("XR-PLH" in text(plh.get("/"))) is sees
    assert plh.get(f"/disposisi/{child.id}").status_code == (200 if sees else 404)
    response = plh.post(f"/disposisi/{child.id}/teruskan", data=_dispose_form(plh, child.id, "kabid1.dinkes")
                        if sees else {"csrf_token": csrf_token(plh, "/"), "recipients": [str(pos("kabid1.dinkes"))],
                                      "instructions": ["Pelajari"]})
    assert response.status_code == (303 if sees else 404)
    db.session.rollback()
    read = db.session.get(InboxItem, child.id)
    assert (read.status, read.read_by_id) == (("diproses", user("kabid2.dinkes").id) if sees else ("diterima", None))
    assert db.session.query(InboxItem).filter_by(parent_id=child.id).count() == (1 if sees else 0)


# ------------------------------------------------------------------------------------ inbox and bell


def test_inbox_counts_and_bell_change_after_opening(ctx, client_for):
    entries = [register("tu.setda", perihal=f"Surat ke-{i} XR-INBOX") for i in range(3)]
    items = [root_item(e.letter_id, "bupati").id for e in entries]
    bupati = client_for("bupati")
    before = tab_counts(text(bupati.get("/")))
    bell_before = bell_count(text(bupati.get("/notifikasi/jumlah")))
    assert before["belum-dibaca"] >= 3 and bell_before >= 3
    unread = text(bupati.get("/?f=belum-dibaca"))
    assert all(f"/disposisi/{i}" in unread for i in items)

    assert bupati.get(f"/disposisi/{items[0]}").status_code == 200
    after = tab_counts(text(bupati.get("/")))
    assert after["belum-dibaca"] == before["belum-dibaca"] - 1
    assert after["semua"] == before["semua"] and after["perlu-disposisi"] == before["perlu-disposisi"]
    assert f"/disposisi/{items[0]}" not in text(bupati.get("/?f=belum-dibaca"))
    bell = bupati.get("/notifikasi/jumlah")
    assert bell_count(text(bell)) == bell_before - 1 and "<html" not in text(bell)

    notes = text(bupati.get("/notifikasi"))
    assert notes.count("XR-INBOX") == 3 and f'href="/disposisi/{items[1]}"' in notes
    token = csrf_token(bupati, "/notifikasi")
    assert bupati.post("/notifikasi/baca-semua", data={"csrf_token": token}).status_code == 303
    assert bell_count(text(bupati.get("/notifikasi/jumlah"))) == 0
    assert tab_counts(text(bupati.get("/")))["belum-dibaca"] == after["belum-dibaca"]  # the bell is not the inbox


def test_deadline_and_confidential_filters(ctx, client_for):
    secret = register("tu.setda", sifat="SR", perihal="Surat sangat rahasia XR-FILTER")
    plain = register("tu.setda", perihal="Surat biasa XR-FILTER")
    item = dispose("bupati", root_item(plain.letter_id, "bupati").id, ("kadis.dinkes",),
                   deadline=TODAY + timedelta(days=1))[0]
    kadis = client_for("kadis.dinkes")
    assert f"/disposisi/{item.id}" in text(kadis.get("/?f=tenggat"))
    bupati = text(client_for("bupati").get("/?f=rahasia"))
    assert "Surat sangat rahasia XR-FILTER" in bupati and "Surat biasa XR-FILTER" not in bupati
    assert f"/disposisi/{root_item(secret.letter_id, 'bupati').id}" in bupati


# -------------------------------------------------------------------------------------- disposing


def _dispose_form(client, item_id: int, *usernames, **extra) -> dict:
    return {"csrf_token": csrf_token(client, f"/disposisi/{item_id}"), "action": "kirim",
            "recipients": [str(pos(u)) for u in usernames], "instructions": ["Untuk ditindaklanjuti"], **extra}


def test_dispose_with_htmx_returns_the_panel_and_an_out_of_band_tree(ctx, client_for):
    entry = register("tu.setda", perihal="Surat untuk disposisi XR-HTMX")
    item = root_item(entry.letter_id, "bupati").id
    bupati = client_for("bupati")
    response = bupati.post(f"/disposisi/{item}/teruskan", headers={"HX-Request": "true"},
                           data=_dispose_form(bupati, item, "kadis.dinkes", "kadis.dishub", note="Segera XR"))
    html = text(response)
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    assert "<html" not in html and html.lstrip().startswith('<section id="panel"')
    assert re.search(r'<section class="card" id="lacak" hx-swap-oob="true">', html)
    tree = html[html.index('id="lacak"'):]
    assert "Kepala Dinas Kesehatan" in tree and "Kepala Dinas Perhubungan" in tree and "Segera XR" in tree
    assert "Disposisi terkirim kepada" in html
    db.session.rollback()
    children = db.session.query(InboxItem).filter_by(parent_id=item).all()
    assert sorted(c.position_id for c in children) == sorted([pos("kadis.dinkes"), pos("kadis.dishub")])


def test_dispose_without_htmx_redirects_and_errors_answer_422(ctx, client_for):
    entry = register("tu.setda", perihal="Surat untuk disposisi XR-PLAIN")
    item = root_item(entry.letter_id, "bupati").id
    bupati = client_for("bupati")
    refused = bupati.post(f"/disposisi/{item}/teruskan", data=_dispose_form(bupati, item))
    assert refused.status_code == 422 and "Pilih paling sedikit satu penerima" in text(refused)
    outside = bupati.post(f"/disposisi/{item}/teruskan",
                          data=_dispose_form(bupati, item, "kadis.dinkes", deadline="2000-01-01"))
    assert outside.status_code == 422 and "Batas waktu tidak boleh sebelum hari ini" in text(outside)
    db.session.rollback()
    assert db.session.query(InboxItem).filter_by(parent_id=item).count() == 0

    response = bupati.post(f"/disposisi/{item}/teruskan", data=_dispose_form(bupati, item, "kadis.dlh"))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/disposisi/{item}")
    page = text(bupati.get(response.headers["Location"]))
    assert "Disposisi terkirim kepada Kepala Dinas Lingkungan Hidup" in page
    assert "Tarik kembali" in page  # unread: the sender may still recall it
    assert "HX-Request" in bupati.get(f"/disposisi/{item}").headers.get("Vary", "")


def test_recipient_reports_done_with_an_attachment(ctx, client_for):
    entry = register("tu.setda", perihal="Surat untuk laporan XR-REPORT")
    child = dispose("bupati", root_item(entry.letter_id, "bupati").id, ("kadis.dinkes",))[0]
    kadis = client_for("kadis.dinkes")
    token = csrf_token(kadis, f"/disposisi/{child.id}")
    empty = kadis.post(f"/disposisi/{child.id}/laporan", data={"csrf_token": token, "status": "selesai"})
    assert empty.status_code == 422 and "Tuliskan laporan" in text(empty)
    attachment = make_pdf("Notulen rapat")
    done = kadis.post(f"/disposisi/{child.id}/laporan", data={
        "csrf_token": token, "status": "selesai", "report": "Rapat selesai XR-LAP",
        "lampiran": _upload(attachment, "notulen.pdf")})
    assert done.status_code == 303
    bupati = client_for("bupati")
    tree = text(bupati.get(f"/surat/{entry.letter_id}"))
    assert "Rapat selesai XR-LAP" in tree and "Selesai" in tree
    assert bupati.get(f"/disposisi/{child.id}/lampiran").data == attachment
    assert bell_count(text(bupati.get("/notifikasi/jumlah"))) >= 1
    assert "Rapat selesai XR-LAP" in text(bupati.get("/notifikasi"))


def test_lembar_disposisi_is_a_pdf_with_the_particulars(ctx, client_for):
    entry = register("tu.setda", perihal="Permohonan audiensi XR-SHEET", number="005/77/XR")
    item = root_item(entry.letter_id, "bupati").id
    dispose("bupati", item, ("kadis.dinkes",), instructions=("Koordinasikan", "Siapkan jawaban"),
            note="Mohon dibahas XR")
    response = client_for("bupati").get(f"/disposisi/{item}/lembar.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    words = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for expected in ("LEMBAR DISPOSISI", entry.agenda_label, "005/77/XR", "Permohonan audiensi XR-SHEET",
                     "Koordinasikan", "Siapkan jawaban", "Kepala Dinas Kesehatan", "Mohon dibahas XR"):
        assert expected in words, f"{expected!r} missing from the sheet: {words[:400]}"


def test_the_empty_registration_form_has_today_as_the_received_date(ctx, client_for):
    page = text(client_for("tu.setda").get(NEW))
    assert f'name="received_on" type="date" value="{TODAY.isoformat()}"' in page
    assert 'name="letter_date" type="date" value=""' in page  # the letter's own date must be read off the paper
