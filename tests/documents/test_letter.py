"""Outgoing letters: the six kinds, flowing bodies, the stamp box, footer and signature."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from reportlab.lib.units import mm

from sisumaker.documents import (
    FOOTER_TEMPLATE,
    KINDS,
    STAMP_H,
    STAMP_W,
    EventSlot,
    LetterDoc,
    Paragraph,
    RenderedLetter,
    Run,
    Table,
    capacity_lines,
    format_nip,
    render_letter,
)
from sisumaker.documents.letter_parts import diktum_ordinal, terbilang

from .support import VERIFY_URL, flat, letter, page_count, page_size, page_words, pages_text

#: Per kind, strings the rendered letter must contain (besides kop, number, date and footer).
EXPECTED = {
    "surat_dinas": ["Nomor", "Sifat", "Lampiran", "Hal", "Yth.", "Serang, 22 November 2026"],
    "nota_dinas": ["NOTA DINAS", "Yth.", "Dari", "Tembusan", "Tanggal", "22 November 2026", "Hal"],
    "surat_edaran": [
        "SURAT EDARAN BUPATI SERANG",
        "NOMOR 800/123/Diskominfo/2026",
        "TENTANG",
        "PENERAPAN TANDA TANGAN ELEKTRONIK",
        "Ditetapkan di Serang",
        "pada tanggal 22 November 2026",
    ],
    "surat_keputusan": [
        "KEPUTUSAN BUPATI SERANG",
        "NOMOR 800/123/Diskominfo/2026 TAHUN 2026",
        "DENGAN RAHMAT TUHAN YANG MAHA ESA",
        "BUPATI SERANG,",
        "Menimbang",
        "a. bahwa perlu ditetapkan tim;",
        "b. bahwa berdasarkan",
        "Mengingat",
        "1. Undang-Undang Nomor 23 Tahun 2014;",
        "MEMUTUSKAN:",
        "Menetapkan",
        "KESATU",
        "KEDUA",
        "KETIGA",
        "Ditetapkan di Serang",
    ],
    "surat_undangan": [
        "hari/tanggal",
        "Kamis, 26 November 2026",
        "waktu",
        "09.00 WIB s.d. selesai",
        "tempat",
        "Aula Setda",
        "acara",
    ],
    "surat_tugas": [
        "SURAT TUGAS",
        "Dasar",
        "MENUGASKAN:",
        "Kepada",
        "Ahmad Fauzi",
        "19870512 201001 1 002",
        "Untuk",
        "mengikuti bimbingan teknis;",
        "Serang, 22 November 2026",
    ],
}


def check_stamp(result: RenderedLetter, doc: LetterDoc, tmp_path: Path) -> None:
    """The box is 70x30 mm, inside the page, empty, with the signer's name just below it."""
    x1, y1, x2, y2 = result.stamp_box
    assert x2 - x1 == pytest.approx(STAMP_W, abs=0.05) == pytest.approx(70 * mm, abs=0.05)
    assert y2 - y1 == pytest.approx(STAMP_H, abs=0.05) == pytest.approx(30 * mm, abs=0.05)
    assert 0 <= result.stamp_page < result.page_count == page_count(result.pdf)
    width, height = page_size(result.pdf, result.stamp_page)
    assert 0 < x1 < x2 <= width and 20 * mm < y1 < y2 < height
    words = page_words(result.pdf, result.stamp_page, tmp_path)
    for w in words:  # nothing printed inside the reserved box
        overlaps = w.x1 < x2 and w.x2 > x1 and w.y1 < y2 and w.y2 > y1
        assert not overlaps, f"{w.text!r} inside the stamp box"
    first_name_word = doc.signer_name.split()[0]
    below = [w for w in words if w.text == first_name_word and w.y2 <= y1]
    assert below and min(y1 - w.y2 for w in below) < 12 * mm
    title_word = doc.signer_title.split()[-1].upper()
    above = [w for w in words if w.text.rstrip(",").upper() == title_word and w.y1 >= y2]
    assert above, "the signer's title is printed above the box"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_renders_with_its_layout(kind: str, tmp_path: Path) -> None:
    doc = letter(kind)
    result = render_letter(doc)
    assert result.pdf.startswith(b"%PDF-")
    assert result.page_count == page_count(result.pdf) <= 2
    pages = pages_text(result.pdf, tmp_path)
    text = flat(" ".join(pages))
    for needle in ("PEMERINTAH KABUPATEN SERANG", "DINAS KOMUNIKASI", *EXPECTED[kind]):
        assert needle in text, needle
    assert doc.number in text
    assert "Drs. Budi Santoso, M.Si." in text
    assert "NIP. 19700101 199503 1 001" in text
    if kind != "nota_dinas":
        assert "Tembusan:" in text and "Sekretaris Daerah" in text
    footer = FOOTER_TEMPLATE.format(url=VERIFY_URL)
    for i, page in enumerate(pages, start=1):
        assert footer in flat(page), f"footer missing on page {i}"
        assert f"Halaman {i} dari {len(pages)}" in flat(page)
    check_stamp(result, doc, tmp_path)


def test_long_body_flows_over_pages_and_the_signature_lands_on_the_last(tmp_path: Path) -> None:
    filler = "Kalimat panjang tentang penyelenggaraan tata naskah dinas elektronik. " * 12
    body = [Paragraph([Run(f"Paragraf {i}. {filler}")]) for i in range(20)]
    body.append(Paragraph([Run("Demikian untuk menjadi perhatian.")]))
    doc = letter("surat_dinas", body_blocks=body)
    result = render_letter(doc)
    assert result.page_count >= 4
    assert result.stamp_page == result.page_count - 1
    pages = pages_text(result.pdf, tmp_path)
    last = flat(pages[result.stamp_page])
    # The closing paragraph is not orphaned from the signature.
    assert "Demikian untuk menjadi perhatian." in last
    assert "Drs. Budi Santoso" in last
    assert "Surat Dinas Nomor 800/123/Diskominfo/2026" in flat(pages[1])  # continuation header
    for i in range(20):
        assert f"Paragraf {i}." in flat(" ".join(pages))
    check_stamp(result, doc, tmp_path)


@pytest.mark.parametrize("kind", ["surat_keputusan", "surat_tugas", "nota_dinas"])
def test_long_sections_of_each_kind_flow(kind: str, tmp_path: Path) -> None:
    from .support import SK

    many = [f"Peraturan nomor {i} tentang hal yang diatur dengan rinci;" for i in range(40)]
    changes: dict[str, object] = {}
    if kind == "surat_keputusan":
        changes["sk_sections"] = replace(SK, mengingat=many)
    elif kind == "surat_tugas":
        changes["body_blocks"] = [Paragraph([Run(m)]) for m in many]
    else:
        changes["tembusan"] = many[:15]
    doc = letter(kind, **changes)
    result = render_letter(doc)
    assert result.page_count >= 2
    text = flat(" ".join(pages_text(result.pdf, tmp_path)))
    assert "Peraturan nomor 39" in text or kind == "nota_dinas"
    check_stamp(result, doc, tmp_path)


def test_many_addressees_go_to_an_attached_list(tmp_path: Path) -> None:
    names = [f"Camat Kecamatan {i}" for i in range(29)]
    doc = letter("surat_edaran", addressees=names)
    result = render_letter(doc)
    pages = pages_text(result.pdf, tmp_path)
    assert "(Daftar penerima terlampir)" in flat(pages[0])
    last = flat(pages[-1])
    assert "DAFTAR PENERIMA" in last and "29. Camat Kecamatan 28" in last
    assert result.stamp_page < result.page_count - 1  # signature before the attachment


def test_capacity_lines() -> None:
    assert capacity_lines("", "Kepala Dinas") == ["Kepala Dinas,"]
    assert capacity_lines("Plt.", "Kepala Dinas") == ["Plt. Kepala Dinas,"]
    assert capacity_lines("a.n. Bupati Serang\nSekretaris Daerah", "Sekretaris Daerah") == [
        "a.n. Bupati Serang",
        "Sekretaris Daerah,",
    ]
    assert capacity_lines("a.n. Bupati Serang", "Sekretaris Daerah") == [
        "a.n. Bupati Serang",
        "Sekretaris Daerah,",
    ]


def test_acting_and_on_behalf_signatures_are_printed(tmp_path: Path) -> None:
    doc = letter(
        "surat_dinas",
        signer_title="Sekretaris Daerah",
        signer_capacity_prefix="a.n. Bupati Serang\nSekretaris Daerah",
    )
    text = flat(pages_text(render_letter(doc).pdf, tmp_path)[0])
    assert "a.n. Bupati Serang Sekretaris Daerah," in text
    assert text.count("Sekretaris Daerah,") == 1
    plt = letter("nota_dinas", signer_capacity_prefix="Plt.", signer_nip=None)
    text = flat(pages_text(render_letter(plt).pdf, tmp_path)[0])
    assert "Plt. Kepala Dinas Komunikasi, Informatika, Sandi dan Statistik," in text
    assert "NIP." not in text


def test_body_text_is_escaped_not_interpreted(tmp_path: Path) -> None:
    body = [
        Paragraph([Run("<b>bukan tebal</b> & <font size=40>x</font>")]),
        Table([["<i>a</i>", "b & c"]]),
    ]
    doc = letter("surat_dinas", body_blocks=body)
    text = flat(" ".join(pages_text(render_letter(doc).pdf, tmp_path)))
    assert "<b>bukan tebal</b> & <font size=40>x</font>" in text
    assert "<i>a</i>" in text and "b&c" in text.replace(" ", "")  # pdftotext eats short gaps


def test_event_slot_places_the_event_block(tmp_path: Path) -> None:
    body = [
        Paragraph([Run("Pembuka.")]),
        Paragraph([Run("Tengah.")]),
        EventSlot(),
        Paragraph([Run("Penutup.")]),
    ]
    doc = letter("surat_undangan", body_blocks=body)
    text = flat(" ".join(pages_text(render_letter(doc).pdf, tmp_path)))
    assert text.index("Tengah.") < text.index("hari/tanggal") < text.index("Penutup.")
    without_slot = letter("surat_undangan", body_blocks=[body[0], body[1]])
    text = flat(" ".join(pages_text(render_letter(without_slot).pdf, tmp_path)))
    assert text.index("Pembuka.") < text.index("hari/tanggal") < text.index("Tengah.")


def test_sk_number_already_in_full_form_is_kept(tmp_path: Path) -> None:
    doc = letter("surat_keputusan", number="100.3.3.2/Kep.45-Huk/2026 TAHUN 2026")
    text = flat(" ".join(pages_text(render_letter(doc).pdf, tmp_path)))
    assert "NOMOR 100.3.3.2/KEP.45-HUK/2026 TAHUN 2026" in text
    assert "TAHUN 2026 TAHUN" not in text


def test_rendering_is_reproducible() -> None:
    doc = letter("surat_keputusan")
    assert render_letter(doc) == render_letter(doc)


def test_invalid_letters_are_refused() -> None:
    with pytest.raises(ValueError):
        letter("telaahan_staf")
    with pytest.raises(ValueError):
        letter("surat_keputusan", sk_sections=None)


def test_numbers_and_ordinals() -> None:
    assert format_nip("197001011995031001") == "19700101 199503 1 001"
    assert format_nip("1970 0101 1995 0310 01") == "19700101 199503 1 001"
    assert format_nip("-") == "-"
    assert [diktum_ordinal(n) for n in (1, 2, 4, 10, 11, 12, 20, 21)] == [
        "KESATU",
        "KEDUA",
        "KEEMPAT",
        "KESEPULUH",
        "KESEBELAS",
        "KEDUA BELAS",
        "KEDUA PULUH",
        "KEDUA PULUH SATU",
    ]
    assert terbilang(99) == "sembilan puluh sembilan"
