"""Buku Agenda Surat Masuk: PDF at scale with repeated headers, and the CSV export."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4, landscape

from sisumaker.documents import AGENDA_COLUMNS, AgendaRow, agenda_csv, render_agenda_book
from sisumaker.documents.agenda_book import wrap_text
from sisumaker.documents.common import FONT

from .support import KOP, flat, page_count, page_size, pages_text

SENDERS = (
    "Sekretariat Daerah Kabupaten Serang",
    "Kementerian Dalam Negeri Republik Indonesia",
    "PT Bank Pembangunan Daerah Jawa Barat dan Banten Tbk Cabang Serang",
    "Desa Kaserangan",
)
PERIHAL = (
    "Undangan Rapat",
    "Permohonan data penduduk untuk verifikasi bantuan sosial tahap IV tahun anggaran 2026",
    "Penyampaian Surat Edaran Bupati tentang Hari Kesadaran Nasional",
)


def rows(n: int) -> list[AgendaRow]:
    """``n`` varied register rows, in agenda order."""
    start = date(2026, 1, 1)
    return [
        AgendaRow(
            agenda_number=f"{i + 1:04d}",
            received_date=start + timedelta(days=i // 10),
            sender=SENDERS[i % len(SENDERS)],
            letter_number=f"005/{i + 1}/Kec-Crs/2026",
            letter_date=start + timedelta(days=i // 10 - 2),
            perihal=PERIHAL[i % len(PERIHAL)],
            sifat=("B", "T", "R", "SR")[i % 4],
            forwarded_to=["Sekretaris Kecamatan", "Kasi Pemerintahan"][: i % 3],
            keterangan="Selesai" if i % 5 == 0 else "",
        )
        for i in range(n)
    ]


def test_small_book_has_kop_title_period_and_columns(tmp_path: Path) -> None:
    pdf = render_agenda_book(KOP, "Kecamatan Ciruas", "November 2026", rows(5))
    assert page_count(pdf) == 1
    assert page_size(pdf) == pytest.approx(landscape(A4), abs=0.01)
    text = flat(pages_text(pdf, tmp_path)[0])
    for needle in (
        "PEMERINTAH KABUPATEN SERANG",
        "BUKU AGENDA SURAT MASUK",
        "Kecamatan Ciruas",
        "Periode: November 2026",
        "Jumlah surat: 5",
        "Halaman 1 dari 1",
        "0005",
        "005/3/Kec-Crs/2026",
        "01-01-2026",
        "Sangat Rahasia",
    ):
        assert needle in text, needle
    for column in ("No. Agenda", "Asal Surat", "No. Surat", "Tgl. Surat", "Perihal", "Sifat"):
        assert column in text
    for column in ("Diterima", "Diteruskan kepada", "Keterangan"):  # may wrap in the header
        assert column in text


def test_empty_period_says_so(tmp_path: Path) -> None:
    pdf = render_agenda_book(KOP, "Kecamatan Ciruas", "Desember 2026", [])
    assert page_count(pdf) == 1
    assert "Tidak ada surat masuk pada periode ini." in flat(pages_text(pdf, tmp_path)[0])


def test_three_thousand_rows_render_with_the_header_on_every_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = rows(3000)
    started = time.perf_counter()
    pdf = render_agenda_book(KOP, "Kecamatan Ciruas", "Tahun 2026", data)
    elapsed = time.perf_counter() - started
    pages = pages_text(pdf, tmp_path)
    n = page_count(pdf)
    with capsys.disabled():
        print(f"\n[agenda book] 3000 rows -> {n} pages, {len(pdf) // 1024} KiB in {elapsed:.2f} s")
    assert n == len(pages) > 50
    for i, page in enumerate(pages, start=1):
        text = flat(page)
        assert "No. Agenda" in text and "Asal Surat" in text and "Perihal" in text, i
        assert f"Halaman {i} dari {n}" in text
    everything = flat(" ".join(pages))
    assert "0001" in everything and "3000" in everything
    assert "BUKU AGENDA SURAT MASUK" in flat(pages[0])
    assert "BUKU AGENDA SURAT MASUK" not in flat(pages[1])  # title once; kop only on page 1


def test_overlong_cells_are_cut_so_a_row_fits_a_page(tmp_path: Path) -> None:
    row = AgendaRow("1", date(2026, 1, 1), "S" * 2000, "N" * 300, None, "kata " * 3000, "B")
    pdf = render_agenda_book(KOP, "Unit", "2026", [row, row])
    assert page_count(pdf) <= 2
    lines = wrap_text("kata " * 3000, 100, FONT, 8, max_lines=5).split("\n")
    assert len(lines) == 5 and lines[-1].endswith("...")
    assert all(len(line) < 40 for line in wrap_text("x" * 500, 50).split("\n"))


def test_csv_has_the_same_columns_in_indonesian() -> None:
    data = rows(3)
    text = agenda_csv(data)
    parsed = list(csv.reader(io.StringIO(text)))
    assert tuple(parsed[0]) == AGENDA_COLUMNS
    assert parsed[0][:3] == ["No. Agenda", "Tgl. Diterima", "Asal Surat"]
    assert len(parsed) == 4
    assert parsed[1][0] == "0001"
    assert parsed[1][1] == "2026-01-01"
    assert parsed[3][6] == "Rahasia"
    assert parsed[3][7] == "Sekretaris Kecamatan; Kasi Pemerintahan"
    assert text.encode("utf-8")  # plain UTF-8 text
    assert agenda_csv(data, bom=True).startswith("\ufeff")


def test_csv_neutralises_spreadsheet_formulas_and_keeps_unicode() -> None:
    row = AgendaRow("1", date(2026, 1, 1), '=HYPERLINK("x")', "+62", None, "Café “x”", "B")
    parsed = list(csv.reader(io.StringIO(agenda_csv([row]))))
    assert parsed[1][2].startswith("'=")
    assert parsed[1][3] == "'+62"
    assert parsed[1][4] == ""
    assert parsed[1][5] == "Café “x”"
