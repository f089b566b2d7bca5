"""Retention (JRA): due dates per classification code, the retention calendar's groups and lists with
confidentiality, the berita acara PDF, and the admin's classification page."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, Classification
from sisumaker.services import jra
from sisumaker.services.errors import PermissionDenied, ValidationError
from sisumaker.services.retention import berita_acara_pdf, due_groups, due_letters, retention_dates
from tests.helpers import csrf_token, text
from tests.letters.support import register, user, viewer
from tests.outgoing.support import pdf_text

END_2026 = date(2026, 12, 31)


@pytest.mark.parametrize("letter_date, code, expected", [
    (date(2022, 3, 1), "800.1.11", (date(2024, 1, 1), date(2025, 1, 1))),   # cuti: 1 + 1, musnah
    (date(2023, 6, 1), "000.2", (date(2026, 1, 1), date(2029, 1, 1))),      # perlengkapan: 2 + 3
    (date(2018, 1, 10), "000.1.3", (date(2021, 1, 1), date(2026, 1, 1))),   # rapat pimpinan: 2 + 5, permanen
    (date(2026, 12, 31), "900.1.1", (date(2029, 1, 1), date(2039, 1, 1))),  # APBD: 2 + 10
])
def test_retention_dates_per_code(ctx, letter_date, code, expected):
    c = db.session.get(Classification, code)
    assert retention_dates(letter_date, c.active_years, c.inactive_years) == expected


@pytest.fixture
def archive(ctx):
    """Letters of Dinkes with known dates and codes, one Rahasia, and one of Dishub (hand-counted below)."""
    made = {}
    for key, day, code, sifat, clerk, to in [
        ("A", "2022-03-01", "800.1.11", "B", "tu.dinkes", "kadis.dinkes"),
        ("B", "2023-06-01", "000.2", "B", "tu.dinkes", "kadis.dinkes"),
        ("C", "2024-02-01", "000.2", "T", "tu.dinkes", "kadis.dinkes"),
        ("D", "2018-01-10", "000.1.3", "B", "tu.dinkes", "kadis.dinkes"),
        ("E", "2019-05-05", "100", "B", "tu.dinkes", "kadis.dinkes"),
        ("F", "2022-07-07", "800.1.11", "R", "tu.dinkes", "kadis.dinkes"),
        ("G", "2022-01-03", "800.1.11", "B", "tu.dishub", "kadis.dishub"),
    ]:
        made[key] = register(clerk, letter_date=date.fromisoformat(day), classification_code=code, sifat=sifat,
                             to=(to,), perihal=f"Surat {key} tentang arsip").letter_id
    return made


def _groups(username, by=END_2026, unit_id=None):
    return {(g.stage, g.code): (g.count, g.first_year, g.last_year) for g in due_groups(viewer(username), by, unit_id)}


def test_the_unit_archivist_sees_what_is_due_and_no_rahasia(archive):
    assert _groups("tu.dinkes") == {("musnah", "800.1.11"): (1, 2022, 2022), ("pindah", "000.2"): (1, 2023, 2023),
                                    ("pindah", "100"): (1, 2019, 2019), ("permanen", "000.1.3"): (1, 2018, 2018)}
    # a day later E reaches its final date (dinilai kembali) and C moves to inactive
    assert _groups("tu.dinkes", date(2027, 1, 1)) == {
        ("musnah", "800.1.11"): (1, 2022, 2022), ("pindah", "000.2"): (2, 2023, 2024),
        ("dinilai kembali", "100"): (1, 2019, 2019), ("permanen", "000.1.3"): (1, 2018, 2018)}
    rows, more = due_letters(viewer("tu.dinkes"), END_2026, "musnah")
    assert [(letter.id, visible) for letter, _c, visible in rows] == [(archive["A"], True)] and not more


def test_the_admin_sees_the_regency_without_rahasia(archive):
    groups = _groups("admin")
    assert groups[("musnah", "800.1.11")] == (2, 2022, 2022)  # A and G; F (Rahasia) neither listed nor counted
    rows, _ = due_letters(viewer("admin"), END_2026, "musnah")
    assert sorted(letter.id for letter, _c, _v in rows) == sorted([archive["A"], archive["G"]])
    assert not any(visible for _l, _c, visible in rows)  # the admin reads no content of these letters
    dishub = user("tu.dishub")
    from sisumaker.services.access import register_unit_of
    assert _groups("admin", unit_id=register_unit_of(dishub.position).id) == {("musnah", "800.1.11"): (1, 2022, 2022)}


def test_only_admins_and_archivists_use_the_retention_calendar(archive):
    for username in ("kadis.dinkes", "sekda", "bupati"):
        with pytest.raises(PermissionDenied):
            due_groups(viewer(username), END_2026)


def test_the_berita_acara_lists_the_records(archive):
    pdf = berita_acara_pdf(viewer("tu.dinkes"), END_2026, "musnah", None, date(2026, 11, 26))
    words = pdf_text(pdf)
    clerk, head = user("tu.dinkes"), user("kadis.dinkes")
    for expected in ("PEMERINTAH KABUPATEN SERANG", "DINAS KESEHATAN", "BERITA ACARA PEMUSNAHAN ARSIP",
                     "Nomor: 000.5/", "Kamis, 26 November 2026", "Daftar Arsip Usul Musnah", "800.1.11", "Cuti",
                     "2022", "1 berkas", "PIHAK PERTAMA", "PIHAK KEDUA", clerk.full_name, head.full_name,
                     clerk.position.title, "Serang, 26 November 2026"):
        assert expected in words, expected
    assert "000.2" not in words  # another stage
    permanen = pdf_text(berita_acara_pdf(viewer("tu.dinkes"), END_2026, "permanen", None, date(2026, 11, 26)))
    assert "BERITA ACARA PENYERAHAN ARSIP STATIS" in permanen and "000.1.3" in permanen
    with pytest.raises(ValidationError):  # nothing due in that stage
        berita_acara_pdf(viewer("tu.dinkes"), END_2026, "dinilai kembali", None, date(2026, 11, 26))
    with pytest.raises(ValidationError):  # the admin must choose one unit
        berita_acara_pdf(viewer("admin"), END_2026, "musnah", None, date(2026, 11, 26))


def test_retention_pages(archive, client_for):
    clerk = client_for("tu.dinkes")
    page = clerk.get("/arsip/retensi?sampai=2026-12-31&tahap=musnah")
    assert page.status_code == 200 and "Surat A tentang arsip" in text(page) and "Surat F" not in text(page)
    pdf = clerk.get("/arsip/retensi/berita-acara.pdf?sampai=2026-12-31&tahap=musnah")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert client_for("kadis.dinkes").get("/arsip/retensi").status_code == 403
    assert clerk.get("/arsip/retensi?sampai=kemarin").status_code == 422
    admin = client_for("admin").get("/arsip/retensi?sampai=2026-12-31&tahap=musnah")
    assert admin.status_code == 200 and "Surat A" not in text(admin) and "isi surat tidak ditampilkan" in text(admin)


def test_admin_edits_classification_codes_with_audit(ctx, client_for):
    admin = user("admin")
    with pytest.raises(ValidationError) as caught:
        jra.add_code(admin, "800.1.99.x", jra.JraInput("Uji", 1, 1, "musnah"))
    assert "code" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        jra.add_code(admin, "812.3", jra.JraInput("", -1, 1, "bakar"))
    assert set(caught.value.errors) == {"code", "name", "active_years", "final_disposition"}
    with pytest.raises(PermissionDenied):
        jra.add_code(user("sekda"), "800.1.12", jra.JraInput("Kenaikan Pangkat", 2, 3, "musnah"))
    db.session.rollback()
    client = client_for("admin")
    token = csrf_token(client, "/admin/klasifikasi")
    added = client.post("/admin/klasifikasi", data={"csrf_token": token, "code": "800.1.12", "name": "Kenaikan Pangkat",
                                                   "active_years": "2", "inactive_years": "3",
                                                   "final_disposition": "musnah"})
    assert added.status_code == 303
    edited = client.post("/admin/klasifikasi/800.1.12", data={"csrf_token": token, "name": "Kenaikan Pangkat",
                                                             "active_years": "3", "inactive_years": "4",
                                                             "final_disposition": "permanen"})
    assert edited.status_code == 303
    bad = client.post("/admin/klasifikasi/800.1.12", data={"csrf_token": token, "name": "X", "active_years": "dua",
                                                          "inactive_years": "4", "final_disposition": "permanen"})
    assert bad.status_code == 422 and "Harus berupa angka" in text(bad)
    db.session.rollback()
    row = db.session.get(Classification, "800.1.12")
    assert (row.parent_code, row.active_years, row.inactive_years, row.final_disposition) == ("800.1", 3, 4, "permanen")
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == "800.1.12")))
    assert actions == ["classification.add", "classification.update"]
    listing = client.get("/admin/klasifikasi?q=kenaikan")
    assert "800.1.12" in text(listing) and "Kenaikan Pangkat" in text(listing)
    assert client_for("sekda").get("/admin/klasifikasi").status_code == 403
