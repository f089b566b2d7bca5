"""The letterhead (kop surat): emblem, government line, unit name, address, double rule."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.colors import Color, black
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from .common import FONT, FONT_BOLD, pdf_text

__all__ = ["Kop", "KopFlowable", "draw_kop", "kepala_daerah", "kop_height", "pemerintah_line"]

EMBLEM_W = 21 * mm
EMBLEM_H = 25 * mm
_GAP = 4 * mm
_RULE_BLOCK = 7.0  # space used by the double rule under the text


@dataclass(frozen=True)
class Kop:
    """Letterhead data.

    ``regency`` is the region's name, e.g. ``"Kabupaten Serang"``, ``"Kota Cilegon"``
    or just ``"Serang"`` (taken as a kabupaten). ``unit_name`` is the issuing unit
    (printed in capitals; may be empty for a bare "PEMERINTAH ..." kop).
    ``emblem`` optionally holds PNG/JPEG bytes of the regency's emblem; without
    it a drawn shield outline marked "LOGO" reserves the place. ``heading``
    replaces the first line "PEMERINTAH KABUPATEN ..." — e.g. ``"BUPATI SERANG"``
    with an empty ``unit_name`` for the kop of the regent's own letters.
    """

    regency: str
    unit_name: str
    address: str
    contact: str | None = None
    emblem: bytes | None = None
    heading: str | None = None


def _split_regency(regency: str) -> tuple[str, str]:
    """Return ``("Kabupaten"|"Kota", name)`` from a free-form regency name."""
    text = " ".join(regency.split())
    low = text.lower()
    for prefix, kind in (("kabupaten ", "Kabupaten"), ("kab. ", "Kabupaten"), ("kota ", "Kota")):
        if low.startswith(prefix):
            return kind, text[len(prefix) :].strip()
    return "Kabupaten", text


def pemerintah_line(regency: str) -> str:
    """``"Serang"`` or ``"Kabupaten Serang"`` -> ``"PEMERINTAH KABUPATEN SERANG"``."""
    kind, name = _split_regency(regency)
    return f"PEMERINTAH {kind} {name}".upper()


def kepala_daerah(regency: str) -> str:
    """The head of the region's title: ``"Bupati Serang"`` or ``"Wali Kota Cilegon"``."""
    kind, name = _split_regency(regency)
    return f"{'Bupati' if kind == 'Kabupaten' else 'Wali Kota'} {name}"


def _fit_size(text: str, font: str, size: float, min_size: float, width: float) -> float:
    """Largest font size <= ``size`` (down to ``min_size``) at which ``text`` fits."""
    w = stringWidth(text, font, size)
    if w <= width:
        return size
    return max(min_size, size * width / w)


def _kop_lines(kop: Kop, text_w: float) -> list[tuple[str, str, float, float]]:
    """Lay out the kop text: ``(text, font, size, leading)`` per printed line."""
    lines: list[tuple[str, str, float, float]] = []
    gov = pdf_text(" ".join(kop.heading.split())).upper() if kop.heading else ""
    gov = gov or pemerintah_line(kop.regency)
    unit = pdf_text(" ".join(kop.unit_name.split())).upper()
    size = _fit_size(gov, FONT_BOLD, 14 if unit else 18, 9, text_w)
    lines.append((gov, FONT_BOLD, size, size * 1.25))
    if unit:
        size = _fit_size(unit, FONT_BOLD, 17, 12.5, text_w)
        if stringWidth(unit, FONT_BOLD, size) <= text_w:
            lines.append((unit, FONT_BOLD, size, size * 1.2))
        else:
            for part in simpleSplit(unit, FONT_BOLD, 13, text_w):
                lines.append((part, FONT_BOLD, 13, 15.5))
    for text, fsize in ((kop.address, 9.5), (kop.contact or "", 9)):
        text = pdf_text(" ".join(text.split()))
        if text:
            for part in simpleSplit(text, FONT, fsize, text_w):
                lines.append((part, FONT, fsize, fsize * 1.3))
    return lines


def kop_height(kop: Kop, width: float) -> float:
    """Height in points that :func:`draw_kop` uses for a given width."""
    text_w = width - EMBLEM_W - 2 * _GAP
    text_h = sum(line[3] for line in _kop_lines(kop, text_w))
    return max(text_h, EMBLEM_H) + _RULE_BLOCK


def _draw_emblem_placeholder(canv: Canvas, x: float, y: float, w: float, h: float) -> None:
    """A shield outline with "LOGO", reserving the emblem's place."""
    canv.saveState()
    canv.setStrokeColor(Color(0.35, 0.35, 0.35))
    canv.setLineWidth(0.9)
    p = canv.beginPath()
    p.moveTo(x + 0.1 * w, y + h)
    p.lineTo(x + 0.9 * w, y + h)
    p.lineTo(x + 0.9 * w, y + 0.45 * h)
    p.curveTo(x + 0.9 * w, y + 0.18 * h, x + 0.65 * w, y + 0.08 * h, x + 0.5 * w, y)
    p.curveTo(x + 0.35 * w, y + 0.08 * h, x + 0.1 * w, y + 0.18 * h, x + 0.1 * w, y + 0.45 * h)
    p.close()
    canv.drawPath(p, stroke=1, fill=0)
    canv.setLineWidth(0.5)
    p = canv.beginPath()
    p.moveTo(x + 0.17 * w, y + h - 0.07 * h)
    p.lineTo(x + 0.83 * w, y + h - 0.07 * h)
    p.lineTo(x + 0.83 * w, y + 0.46 * h)
    p.curveTo(x + 0.83 * w, y + 0.24 * h, x + 0.62 * w, y + 0.15 * h, x + 0.5 * w, y + 0.085 * h)
    p.curveTo(x + 0.38 * w, y + 0.15 * h, x + 0.17 * w, y + 0.24 * h, x + 0.17 * w, y + 0.46 * h)
    p.close()
    canv.drawPath(p, stroke=1, fill=0)
    canv.setFillColor(Color(0.35, 0.35, 0.35))
    canv.setFont(FONT_BOLD, 8)
    canv.drawCentredString(x + w / 2, y + 0.52 * h, "LOGO")
    canv.restoreState()


def draw_kop(canv: Canvas, kop: Kop, x: float, top: float, width: float) -> float:
    """Draw the kop with its top edge at ``top``, spanning ``width`` from ``x``.

    Returns the height used (the double rule is its bottom).
    """
    text_w = width - EMBLEM_W - 2 * _GAP
    lines = _kop_lines(kop, text_w)
    text_h = sum(line[3] for line in lines)
    block_h = max(text_h, EMBLEM_H)
    # Emblem, vertically centred on the text block.
    ey = top - block_h + (block_h - EMBLEM_H) / 2
    if kop.emblem:
        img = ImageReader(io.BytesIO(kop.emblem))
        canv.drawImage(
            img, x, ey, EMBLEM_W, EMBLEM_H, preserveAspectRatio=True, anchor="c", mask="auto"
        )
    else:
        _draw_emblem_placeholder(canv, x, ey, EMBLEM_W, EMBLEM_H)
    # Text, centred in the space right of the emblem.
    cx = x + EMBLEM_W + _GAP + text_w / 2
    y = top - (block_h - text_h) / 2
    canv.saveState()
    canv.setFillColor(black)
    for text, font, size, leading in lines:
        y -= leading
        canv.setFont(font, size)
        canv.drawCentredString(cx, y + (leading - size) * 0.55, text)
    # Double rule: thick over thin.
    rule_y = top - block_h - 3
    canv.setLineWidth(2.2)
    canv.line(x, rule_y, x + width, rule_y)
    canv.setLineWidth(0.6)
    canv.line(x, rule_y - 2.8, x + width, rule_y - 2.8)
    canv.restoreState()
    return block_h + _RULE_BLOCK


class KopFlowable(Flowable):
    """The kop as a platypus flowable (first item of a story)."""

    def __init__(self, kop: Kop, space_after: float = 6 * mm) -> None:
        super().__init__()
        self.kop = kop
        self.space_after = space_after
        self._kop_h = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        """Full frame width; height from :func:`kop_height` plus spacing."""
        self.width = availWidth
        self._kop_h = kop_height(self.kop, availWidth)
        self.height = self._kop_h + self.space_after
        return self.width, self.height

    def draw(self) -> None:
        """Draw the kop at the top of the flowable's box."""
        draw_kop(self.canv, self.kop, 0, self.height, self.width)
