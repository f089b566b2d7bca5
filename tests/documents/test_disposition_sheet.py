"""Lembar Disposisi: layout labels, ticks, multi-level steps, robustness."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4

from sisumaker.documents import (
    INSTRUKSI_BAKU,
    instruction_marks,
    render_disposition_sheet,
)

from .support import KOP, SHEET_LETTER, flat, page_count, page_size, pages_text, step

LABELS = (
    "LEMBAR DISPOSISI",
    "Surat dari",
    "No. Surat",
    "Tgl. Surat",
    "Diterima Tgl.",
    "No. Agenda",
    "Sifat",
    "Urgensi",
    "Perihal",
    "Diteruskan kepada Sdr.:",
    "Dengan hormat harap:",
    "Catatan:",
    "Batas waktu",
    "(ditandatangani secara elektronik)",
)


def test_one_step_fits_on_one_a4_page_with_all_labels(tmp_path: Path) -> None:
    pdf = render_disposition_sheet(KOP, SHEET_LETTER, [step()])
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    assert page_size(pdf) == pytest.approx(A4, abs=0.01)
    text = flat(pages_text(pdf, tmp_path)[0])
    for label in LABELS:
        assert label in text, label
    for value in (
        "PEMERINTAH KABUPATEN SERANG",
        "Kementerian Dalam Negeri Republik Indonesia",
        "400.12.3/1234/Dukcapil",
        "18 November 2026",  # Tgl. Surat
        "22 November 2026",  # Diterima
        "0457/2026",
        "Batas waktu: 1 Desember 2026",
        "23 November 2026, pukul 10:15 WIB",
        "Pejabat Tingkat 1",
        "Nama Pejabat 1",
        "Penerima 1A",
        "Catatan langkah 1",
        "Halaman 1 dari 1",
    ):
        assert value in text, value
    for label in ("Biasa", "Terbatas", "Rahasia", "Sangat Rahasia", "Segera", "Sangat Segera"):
        assert label in text
    for instruction in INSTRUKSI_BAKU:
        assert instruction in text


def test_instruction_marks_tick_the_chosen_and_collect_free_text() -> None:
    marks = dict(instruction_marks(["untuk  DIKETAHUI", "Hadiri / wakili", "Segera laporkan"]))
    ticked = [label for label, checked in marks.items() if checked]
    assert ticked == ["Untuk diketahui", "Hadiri/wakili", "Lainnya: Segera laporkan"]
    assert len(marks) == len(INSTRUKSI_BAKU)
    assert dict(instruction_marks(["Lainnya: cek lapangan"]))["Lainnya: cek lapangan"] is True
    assert not any(checked for _, checked in instruction_marks([]))


def test_free_text_instruction_is_printed(tmp_path: Path) -> None:
    pdf = render_disposition_sheet(
        KOP, SHEET_LETTER, [step(instructions=["Arsipkan", "Cek ke lapangan"])]
    )
    assert "Lainnya: Cek ke lapangan" in flat(pages_text(pdf, tmp_path)[0])


def test_multi_level_disposition_continues_on_a_second_page(tmp_path: Path) -> None:
    steps = [step(1), step(2, deadline=None), step(3, note="")]
    pdf = render_disposition_sheet(KOP, SHEET_LETTER, steps)
    assert page_count(pdf) == 2
    text = flat(" ".join(pages_text(pdf, tmp_path)))
    for n in (1, 2, 3):
        assert f"Nama Pejabat {n}" in text
        assert f"Penerima {n}B" in text
    assert "Disposisi (1 dari 3)" in text
    assert "Disposisi lanjutan (3 dari 3)" in text
    assert "Halaman 2 dari 2" in text
    assert "No. Agenda 0457/2026" in flat(pages_text(pdf, tmp_path)[1])  # footer names the letter
    # Steps appear in order.
    assert (
        text.index("Nama Pejabat 1") < text.index("Nama Pejabat 2") < text.index("Nama Pejabat 3")
    )


def test_without_steps_a_blank_sheet_is_printed(tmp_path: Path) -> None:
    pdf = render_disposition_sheet(KOP, SHEET_LETTER, [])
    assert page_count(pdf) == 1
    text = flat(pages_text(pdf, tmp_path)[0])
    assert "Dengan hormat harap:" in text and "Jabatan:" in text


def test_unknown_urgency_is_printed_as_text(tmp_path: Path) -> None:
    from dataclasses import replace

    letter = replace(SHEET_LETTER, urgensi="Kilat")
    text = flat(pages_text(render_disposition_sheet(KOP, letter, [step()]), tmp_path)[0])
    assert "Kilat" in text


def test_huge_inputs_flow_instead_of_failing(tmp_path: Path) -> None:
    """A pasted essay as the note and 40 recipients still render (over several pages)."""
    big = step(
        recipients=[f"Kepala Desa {i}" for i in range(40)],
        note="Catatan yang sangat panjang. " * 600,
        deadline=date(2027, 1, 1),
    )
    pdf = render_disposition_sheet(KOP, SHEET_LETTER, [big, step(2)])
    pages = page_count(pdf)
    assert 2 < pages < 15
    text = flat(" ".join(pages_text(pdf, tmp_path)))
    assert "Kepala Desa 39" in text and "Nama Pejabat 2" in text


def test_output_is_reproducible() -> None:
    one = render_disposition_sheet(KOP, SHEET_LETTER, [step()])
    two = render_disposition_sheet(KOP, SHEET_LETTER, [step()])
    assert one == two


def test_missing_values_from_nullable_columns_do_not_break_the_sheet(tmp_path: Path) -> None:
    from dataclasses import replace

    letter = replace(SHEET_LETTER, letter_date=None, number=None)  # type: ignore[arg-type]
    pdf = render_disposition_sheet(KOP, letter, [step(note=None)])  # type: ignore[arg-type]
    assert page_count(pdf) == 1
    assert "Tgl. Surat -" in flat(pages_text(pdf, tmp_path)[0])
