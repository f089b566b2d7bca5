"""Buku Agenda Surat Masuk: the incoming-mail register of a unit for a period.

A4 landscape; kop and title on the first page, then one long table whose header
row repeats on every page, and "Halaman n dari m" in the footer. Built to print
thousands of rows: cells are plain pre-wrapped strings (no per-cell Paragraph)
in a :class:`~reportlab.platypus.LongTable`. The same columns export as CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, LongTable, Spacer, TableStyle

from .common import (
    FONT,
    FONT_BOLD,
    FooterFn,
    freeze_lists,
    make_doc,
    note_and_page_footer,
    page_footer_canvas,
    para,
    pdf_text,
    sifat_label,
)
from .dates import tanggal_singkat
from .kop import Kop, KopFlowable

__all__ = ["AGENDA_COLUMNS", "AgendaRow", "agenda_csv", "render_agenda_book", "wrap_text"]

#: Column headers, shared by the PDF and the CSV export.
AGENDA_COLUMNS: tuple[str, ...] = (
    "No. Agenda",
    "Tgl. Diterima",
    "Asal Surat",
    "No. Surat",
    "Tgl. Surat",
    "Perihal",
    "Sifat",
    "Diteruskan kepada",
    "Keterangan",
)

_PAGE = landscape(A4)
_MARGIN = 12 * mm
_WIDTH = _PAGE[0] - 2 * _MARGIN
# Column widths in mm; the last column takes what is left.
_COLS_MM = (19, 19, 40, 36, 19, 60, 17, 38)
_COL_W = [c * mm for c in _COLS_MM] + [_WIDTH - sum(_COLS_MM) * mm]
_SIZE = 8.0
#: A cell longer than this many lines is cut with "..." (a row must fit on a page).
MAX_CELL_LINES = 14
_PAD = 3.0


@dataclass(frozen=True)
class AgendaRow:
    """One register entry as printed in the agenda book.

    ``sifat`` is a code (B/T/R/SR) or label; ``forwarded_to`` the positions the
    letter was disposed to. The caller masks the perihal of R/SR letters if the
    reader may not see it.
    """

    agenda_number: str
    received_date: date
    sender: str
    letter_number: str
    letter_date: date | None
    perihal: str
    sifat: str
    forwarded_to: Sequence[str] = ()
    keterangan: str = ""

    def __post_init__(self) -> None:
        freeze_lists(self, "forwarded_to")

    def values(self) -> list[str]:
        """The row's cells as text, in :data:`AGENDA_COLUMNS` order (dates dd-mm-yyyy)."""
        return [
            self.agenda_number,
            tanggal_singkat(self.received_date),
            self.sender,
            self.letter_number,
            tanggal_singkat(self.letter_date) if self.letter_date else "",
            self.perihal,
            _sifat(self.sifat),
            "; ".join(self.forwarded_to),
            self.keterangan,
        ]


def _sifat(value: str) -> str:
    try:
        return sifat_label(value)
    except ValueError:
        return value


def wrap_text(
    text: str,
    width: float,
    font: str = FONT,
    size: float = _SIZE,
    max_lines: int = MAX_CELL_LINES,
) -> str:
    """Greedy word wrap of ``text`` to ``width`` points; returns lines joined by newlines.

    Words longer than a line (URLs, long numbers) are cut so nothing overflows
    its cell; beyond ``max_lines`` the text is cut with an ellipsis so one row
    never outgrows a page. Much cheaper than a Paragraph per cell.
    """
    lines: list[str] = []
    for raw in pdf_text(text).split("\n"):
        line = ""
        for word in raw.split():
            candidate = f"{line} {word}" if line else word
            if stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while stringWidth(word, font, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and stringWidth(last + " ...", font, size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + " ..."
    return "\n".join(lines).strip("\n")


def _table(rows: Sequence[AgendaRow]) -> LongTable:
    """The register table; header row repeated on every page."""
    inner = [w - 2 * _PAD for w in _COL_W]
    header = [wrap_text(h, w, FONT_BOLD) for h, w in zip(AGENDA_COLUMNS, inner)]
    data: list[list[str]] = [header]
    for row in rows:
        data.append([wrap_text(v, w) for v, w in zip(row.values(), inner)])
    cmds: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, _SIZE, _SIZE + 1.5),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, _SIZE, _SIZE + 1.5),
        ("BACKGROUND", (0, 0), (-1, 0), Color(0.86, 0.86, 0.86)),
        ("GRID", (0, 0), (-1, -1), 0.4, "black"),
        ("BOX", (0, 0), (-1, -1), 0.8, "black"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if not rows:
        data.append(["Tidak ada surat masuk pada periode ini."] + [""] * (len(_COL_W) - 1))
        cmds.append(("SPAN", (0, 1), (-1, 1)))
        cmds.append(("ALIGN", (0, 1), (-1, 1), "CENTER"))
    else:
        cmds.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, Color(0.96, 0.96, 0.96)]))
    table = LongTable(data, colWidths=_COL_W, repeatRows=1)
    table.setStyle(TableStyle(cmds))
    return table


def _footer_for(unit_name: str, period_label: str) -> FooterFn:
    """Footer naming the register and the page."""
    return note_and_page_footer(f"Buku Agenda Surat Masuk \u2014 {unit_name} \u2014 {period_label}",
                                _PAGE[0], _MARGIN, 7 * mm)


def render_agenda_book(
    kop: Kop, unit_name: str, period_label: str, rows: Sequence[AgendaRow]
) -> bytes:
    """Render the agenda book of ``unit_name`` for ``period_label`` (e.g. "November 2026").

    ``rows`` should already be in agenda-number order.
    """
    buf = io.BytesIO()
    doc = make_doc(
        buf,
        _PAGE,
        (_MARGIN, _MARGIN, 10 * mm, 13 * mm),
        title=f"Buku Agenda Surat Masuk {unit_name} {period_label}",
        author=unit_name,
    )
    story: list[Flowable] = [
        KopFlowable(kop, space_after=3 * mm),
        para("BUKU AGENDA SURAT MASUK", "title"),
        para(unit_name, "center_bold"),
        para(f"Periode: {period_label}", "center"),
        Spacer(1, 2 * mm),
        para(f"Jumlah surat: {len(rows)}", "small"),
        Spacer(1, 1.5 * mm),
        _table(rows),
    ]
    doc.build(story, canvasmaker=page_footer_canvas(_footer_for(unit_name, period_label)))
    return buf.getvalue()


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): prefix ``'`` to a leading = + - @."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def agenda_csv(rows: Iterable[AgendaRow], *, bom: bool = False) -> str:
    """The register as CSV text (comma-separated, header in Indonesian).

    Dates are ISO (``2026-11-22``) so spreadsheets of any locale read them as
    dates. Pass ``bom=True`` to prefix a UTF-8 byte-order mark, which makes
    Excel open the file as UTF-8. Encode the result with ``"utf-8"``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(AGENDA_COLUMNS)
    for row in rows:
        cells = [
            row.agenda_number,
            row.received_date.isoformat(),
            row.sender,
            row.letter_number,
            row.letter_date.isoformat() if row.letter_date else "",
            row.perihal,
            _sifat(row.sifat),
            "; ".join(row.forwarded_to),
            row.keterangan,
        ]
        writer.writerow([_csv_safe(c) for c in cells])
    text = out.getvalue()
    return "\ufeff" + text if bom else text
