"""Sample documents and PDF inspection helpers for the sisumaker.documents tests.

Text comes from Debian's ``pdftotext`` (poppler), i.e. what a person or a
search index gets out of the PDF; structure from pypdf.
"""

from __future__ import annotations

import html
import io
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from sisumaker.documents import (
    Assignee,
    DispositionStep,
    EventDetails,
    EventSlot,
    Kop,
    LetterDoc,
    NumberedList,
    Paragraph,
    Run,
    SheetLetter,
    SkSections,
    Table,
    TugasSections,
)

WIB = ZoneInfo("Asia/Jakarta")
VERIFY_URL = "https://sisumaker.serangkab.go.id/v/Q7xk2LmP9s"

KOP = Kop(
    regency="Kabupaten Serang",
    unit_name="Dinas Komunikasi, Informatika, Sandi dan Statistik",
    address="Jalan Veteran Nomor 1, Serang, Banten 42111",
    contact="Telepon (0254) 200000, Pos-el diskominfo@serangkab.go.id",
)

SHEET_LETTER = SheetLetter(
    sender="Kementerian Dalam Negeri Republik Indonesia",
    number="400.12.3/1234/Dukcapil",
    letter_date=date(2026, 11, 18),
    received_date=date(2026, 11, 22),
    agenda_number="0457/2026",
    sifat="R",
    urgensi="Segera",
    perihal="Undangan Rapat Koordinasi Nasional Pemanfaatan Data Kependudukan",
)


def step(n: int = 1, **changes: object) -> DispositionStep:
    """A disposition step; ``n`` varies the names so steps are distinguishable."""
    base = DispositionStep(
        from_title=f"Pejabat Tingkat {n}",
        from_name=f"Nama Pejabat {n}",
        at=datetime(2026, 11, 23, 10, 15, tzinfo=WIB),
        recipients=[f"Penerima {n}A", f"Penerima {n}B"],
        instructions=["Untuk ditindaklanjuti", "Koordinasikan"],
        note=f"Catatan langkah {n}: mohon segera dikoordinasikan.",
        deadline=date(2026, 12, 1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def runs(text: str) -> list[Run]:
    """One plain run."""
    return [Run(text)]


BODY = [
    Paragraph([Run("Dengan hormat, "), Run("bersama ini", bold=True), Run(" disampaikan bahwa:")]),
    NumberedList([runs("butir pertama;"), runs("butir kedua;"), [Run("butir", italic=True)]]),
    Table([["No.", "Uraian"], ["1", "Pengadaan perangkat"]], header=True),
    Paragraph(runs("Demikian disampaikan, atas perhatiannya diucapkan terima kasih.")),
]

SK = SkSections(
    menimbang=["bahwa perlu ditetapkan tim;", "bahwa berdasarkan pertimbangan huruf a;"],
    mengingat=["Undang-Undang Nomor 23 Tahun 2014;", "Peraturan Presiden Nomor 95 Tahun 2018;"],
    diktum=["Membentuk tim.", "Tim bertugas mengoordinasikan.", "Keputusan ini berlaku."],
)


def letter(kind: str = "surat_dinas", **changes: object) -> LetterDoc:
    """A complete letter of ``kind`` with the kind-specific sections filled in."""
    extra: dict[str, object] = {}
    if kind == "surat_keputusan":
        extra["sk_sections"] = SK
    if kind == "surat_undangan":
        extra["event"] = EventDetails(
            date(2026, 11, 26), "09.00 WIB s.d. selesai", "Aula Setda", "Rapat koordinasi"
        )
        extra["body_blocks"] = [Paragraph(runs("Kami mengundang Saudara pada:")), EventSlot()]
    if kind == "surat_tugas":
        extra["tugas"] = TugasSections(
            kepada=[Assignee("Ahmad Fauzi", "Pranata Komputer", "198705122010011002", "Penata")],
            untuk=["mengikuti bimbingan teknis;", "melaporkan hasilnya."],
            dasar=["Peraturan Bupati Serang Nomor 10 Tahun 2025;"],
        )
    fields: dict[str, object] = dict(
        kind=kind,
        kop=KOP,
        number="800/123/Diskominfo/2026",
        date=date(2026, 11, 22),
        place="Serang",
        sifat="B",
        lampiran="1 (satu) berkas",
        perihal="Penerapan Tanda Tangan Elektronik",
        addressees=["Kepala Dinas Kesehatan", "Kepala Dinas Pendidikan"],
        body_blocks=BODY,
        signer_title="Kepala Dinas Komunikasi, Informatika, Sandi dan Statistik",
        signer_name="Drs. Budi Santoso, M.Si.",
        signer_nip="197001011995031001",
        signer_capacity_prefix="",
        tembusan=["Bupati Serang (sebagai laporan)", "Sekretaris Daerah"],
        verification_url=VERIFY_URL,
    )
    fields.update(extra)
    fields.update(changes)
    return LetterDoc(**fields)  # type: ignore[arg-type]


def page_count(pdf: bytes) -> int:
    """Number of pages according to pypdf (which also proves the PDF parses)."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def page_size(pdf: bytes, index: int = 0) -> tuple[float, float]:
    """Width and height in points of a page."""
    box = PdfReader(io.BytesIO(pdf)).pages[index].mediabox
    return float(box.width), float(box.height)


def pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    """Text of each page as pdftotext extracts it (reading order, not layout)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def flat(text: str) -> str:
    """Collapse whitespace, so labels broken over lines still match."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Word:
    """A word on a page in PDF coordinates (origin bottom-left)."""

    text: str
    x1: float
    y1: float
    x2: float
    y2: float


def page_words(pdf: bytes, index: int, tmp_path: Path) -> list[Word]:
    """Words with their boxes on page ``index`` (0-based), from ``pdftotext -bbox``."""
    path = tmp_path / "bbox.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(index + 1), "-l", str(index + 1), str(path), "-"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    height = page_size(pdf, index)[1]
    words = []
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    for m in re.finditer(pattern, out):
        x1, ymin, x2, ymax = (float(v) for v in m.groups()[:4])
        words.append(Word(html.unescape(m.group(5)), x1, height - ymax, x2, height - ymin))
    return words
