"""Package boundaries, shared helpers and the kop (letterhead)."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from sisumaker.documents import (
    Kop,
    SheetLetter,
    kepala_daerah,
    pdf_text,
    pemerintah_line,
    render_disposition_sheet,
    sifat_label,
)
from sisumaker.documents.kop import KopFlowable, kop_height

from .support import SHEET_LETTER, flat, page_count, pages_text, step

PACKAGE = Path(__file__).resolve().parents[2] / "sisumaker" / "documents"
ALLOWED_TOP_LEVEL = {"reportlab", "pypdf", "PIL"}


def test_package_imports_only_stdlib_and_pdf_libraries() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: inside the package
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED_TOP_LEVEL or top in sys.stdlib_module_names, (
                    f"{path.name} imports {name}"
                )


def test_package_loads_without_flask_or_the_app(tmp_path: Path) -> None:
    """Import the package under a bare parent package: no Flask, SQLAlchemy or app code."""
    code = f"""
import sys, types
parent = types.ModuleType("sisumaker")
parent.__path__ = [{str(PACKAGE.parent)!r}]
sys.modules["sisumaker"] = parent
import sisumaker.documents as d
kop = d.Kop("Serang", "Kecamatan Ciruas", "Jalan Raya")
assert d.render_agenda_book(kop, "Kecamatan Ciruas", "2026", []).startswith(b"%PDF")
bad = [m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "werkzeug")]
bad += [m for m in sys.modules if m.startswith(("sisumaker.models", "sisumaker.services",
        "sisumaker.extensions"))]
assert not bad, bad
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_pdf_text_keeps_indonesian_text_and_replaces_what_base_fonts_cannot_print() -> None:
    assert pdf_text("Perihal: “Rapat” – Café, 5 ½ jam") == "Perihal: “Rapat” – Café, 5 ½ jam"
    assert pdf_text("Ślązak ✓ 中文\x07") == "Slazak v ??"
    assert pdf_text("baris\nbaru\ttab") == "baris\nbaru tab"


def test_regency_names() -> None:
    assert pemerintah_line("Kabupaten Serang") == "PEMERINTAH KABUPATEN SERANG"
    assert pemerintah_line("Serang") == "PEMERINTAH KABUPATEN SERANG"
    assert pemerintah_line("Kota Cilegon") == "PEMERINTAH KOTA CILEGON"
    assert kepala_daerah("Kabupaten Serang") == "Bupati Serang"
    assert kepala_daerah("kab. Serang") == "Bupati Serang"
    assert kepala_daerah("Kota Cilegon") == "Wali Kota Cilegon"


def test_sifat_labels() -> None:
    assert [sifat_label(c) for c in ("B", "t", "R", "SR")] == [
        "Biasa",
        "Terbatas",
        "Rahasia",
        "Sangat Rahasia",
    ]
    assert sifat_label("sangat rahasia") == "Sangat Rahasia"
    with pytest.raises(ValueError):
        sifat_label("X")


def test_kop_grows_for_long_unit_names_and_addresses() -> None:
    short = Kop("Serang", "Dinas Sosial", "Jalan Veteran 1")
    long = Kop(
        "Serang",
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga "
        "Berencana",
        "Jalan Raya Serang-Jakarta Kilometer 8, Kompleks Pusat Pemerintahan, Ciruas, Serang, "
        "Banten 42182 " * 2,
        "Telepon (0254) 200000",
    )
    assert kop_height(long, 450) > kop_height(short, 450)
    flow = KopFlowable(long)
    width, height = flow.wrap(450, 800)
    assert width == 450 and height > kop_height(long, 450)


def test_kop_prints_all_its_lines_and_accepts_an_emblem_image(tmp_path: Path) -> None:
    img = Image.new("RGB", (60, 72), "gold")
    png = io.BytesIO()
    img.save(png, format="PNG")
    kop = Kop(
        "Kota Cilegon", "Dinas Sosial", "Jalan Sudirman 2", "Telepon (0254) 1", png.getvalue()
    )
    pdf = render_disposition_sheet(kop, SHEET_LETTER, [step()])
    text = flat(pages_text(pdf, tmp_path)[0])
    for line in ("PEMERINTAH KOTA CILEGON", "DINAS SOSIAL", "Jalan Sudirman 2", "Telepon (0254) 1"):
        assert line in text
    assert "LOGO" not in text  # the placeholder is replaced by the image
    assert page_count(pdf) == 1


def test_dataclasses_are_frozen_and_copy_their_lists() -> None:
    recipients = ["A"]
    s = step(recipients=recipients)
    recipients.append("B")
    assert s.recipients == ("A",)
    hash(s)  # hashable: lists became tuples
    with pytest.raises(AttributeError):
        s.note = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        SheetLetter(
            "a", "b", SHEET_LETTER.letter_date, SHEET_LETTER.received_date, "1", "Z", "", ""
        )


def test_kop_heading_replaces_the_government_line(tmp_path: Path) -> None:
    kop = Kop("Kabupaten Serang", "", "Jalan Veteran Nomor 1, Serang", heading="Bupati Serang")
    text = flat(pages_text(render_disposition_sheet(kop, SHEET_LETTER, [step()]), tmp_path)[0])
    assert text.startswith("BUPATI SERANG") or "BUPATI SERANG Jalan Veteran" in text
    assert "PEMERINTAH KABUPATEN" not in text
