"""Buku agenda downloads (issue 6 part 2): the unit's clerk or head gets its register for a period as PDF and
CSV, in agenda-number order, with Rahasia lines masked for whoever may not read them; others are refused."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.services.letters import cancel_entry
from tests.letters.support import register, viewer
from tests.outgoing.support import pdf_text

TODAY = date.today()


def url(unit_id: int, fmt: str = "csv", start: date | None = None, end: date | None = None) -> str:
    start, end = start or TODAY - timedelta(days=7), end or TODAY
    return f"/arsip/buku-agenda/unduh?unit={unit_id}&dari={start}&sampai={end}&format={fmt}"


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_clerk_gets_the_period_in_agenda_order_with_rahasia_masked(ctx, client_for):
    old = TODAY - timedelta(days=30)
    register(perihal="Di luar periode", letter_date=old, received_on=old)
    first = register(perihal="Undangan musrenbang", sender="Bappeda Provinsi", number="050/11/2026")
    secret = register(perihal="Laporan intelijen rahasia", sifat="R", sender="Kodim 0602")
    cancelled = register(perihal="Tercatat ganda")
    begin_write()
    cancel_entry(viewer("tu.setda"), cancelled.id, "Surat yang sama sudah dicatat")
    db.session.commit()
    rows = csv_rows(client_for("tu.setda").get(url(first.unit_id)))
    numbers = [r["No. Agenda"] for r in rows]
    assert numbers == sorted(numbers, key=lambda n: int(n.split("/")[0]))
    assert [r["Perihal"] for r in rows][-3:] == ["Undangan musrenbang", "(Surat Rahasia: isi hanya untuk penerima)",
                                                 "Tercatat ganda"]
    by_perihal = {r["Perihal"]: r for r in rows}
    assert "Di luar periode" not in by_perihal
    line = by_perihal["Undangan musrenbang"]
    assert (line["Asal Surat"], line["No. Surat"], line["Sifat"]) == ("Bappeda Provinsi", "050/11/2026", "Biasa")
    assert line["Tgl. Diterima"] == TODAY.isoformat() and "Bupati" in line["Diteruskan kepada"]
    masked = rows[-2]
    assert masked["No. Agenda"] == secret.agenda_label and masked["Asal Surat"] == ""
    assert "Kodim" not in str(rows) and "intelijen" not in str(rows)
    assert by_perihal["Tercatat ganda"]["Keterangan"] == "Dibatalkan: Surat yang sama sudah dicatat"

    pdf = client_for("tu.setda").get(url(first.unit_id, "pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    assert "BUKU AGENDA SURAT MASUK" in text and "Undangan musrenbang" in text and first.agenda_label in text
    assert "intelijen" not in text and "Tercatat ganda" in text


def test_the_head_sees_what_is_addressed_to_them_and_others_are_refused(ctx, client_for):
    entry = register("tu.dinkes", perihal="Hasil audit obat rahasia", sifat="R", to=("kadis.dinkes",))
    head = csv_rows(client_for("kadis.dinkes").get(url(entry.unit_id)))
    assert [r["Perihal"] for r in head] == ["Hasil audit obat rahasia"]
    clerk = csv_rows(client_for("tu.dinkes").get(url(entry.unit_id)))
    assert [r["Perihal"] for r in clerk] == ["(Surat Rahasia: isi hanya untuk penerima)"]
    for other in ("tu.setda", "kabid1.dinkes", "sekda"):
        response = client_for(other).get(url(entry.unit_id))
        assert response.status_code == 403, other
        assert "audit obat" not in response.get_data(as_text=True)
    assert client_for("kabid1.dinkes").get("/arsip/buku-agenda").status_code == 403


def test_the_register_page_links_the_download_and_a_bad_period_is_refused(ctx, client_for):
    entry = register(perihal="Apa saja")
    client = client_for("tu.setda")
    assert 'href="/arsip/buku-agenda"' in client.get("/surat-masuk").get_data(as_text=True)
    form = client.get("/arsip/buku-agenda").get_data(as_text=True)
    assert 'name="dari"' in form and "Sekretariat Daerah" in form
    bad = client.get(url(entry.unit_id, start=TODAY, end=TODAY - timedelta(days=1)))
    assert bad.status_code == 422 and "Tanggal akhir tidak boleh sebelum tanggal awal" in bad.get_data(as_text=True)
    too_long = client.get(url(entry.unit_id, start=TODAY - timedelta(days=400)))
    assert too_long.status_code == 422 and "satu tahun" in too_long.get_data(as_text=True)
