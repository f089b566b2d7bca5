"""Shared building blocks for the document renderers.

Fonts, paragraph styles, safe text escaping, a canvas that knows the total page
count ("Halaman n dari m") and small check-box flowables.

The documents use the PDF base-14 fonts (Helvetica family, metric-compatible
with Arial, the typeface of Permendagri's tata naskah dinas). They are not
embedded, which keeps files small and output identical on every server; text
is therefore limited to the Windows-1252 repertoire, see :func:`pdf_text`.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate
from reportlab.platypus import Paragraph as RLParagraph

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_ITALIC = "Helvetica-Oblique"

#: A footer callback: ``(canvas, page_number (1-based), page_count) -> None``.
FooterFn = Callable[[Canvas, int, int], None]

_REPLACEMENTS = {
    "\u2713": "v",  # check mark
    "\u2714": "v",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u00a0": " ",
}


@lru_cache(maxsize=4096)
def pdf_text(value: str) -> str:
    """Make ``value`` safe for the non-embedded base-14 fonts.

    Characters outside Windows-1252 would print as black boxes; they are
    replaced by an ASCII approximation (accents stripped) or ``?``. Control
    characters other than newline are dropped.
    """
    if not value:  # also tolerates None from a nullable column
        return ""
    value = unicodedata.normalize("NFC", str(value))
    out: list[str] = []
    for ch in value:
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
            continue
        if ch == "\n" or ch == "\t":
            out.append(" " if ch == "\t" else ch)
            continue
        if unicodedata.category(ch) == "Cc":
            continue
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def markup(value: str) -> str:
    """Escape plain text for a reportlab Paragraph; newlines become line breaks."""
    return escape(pdf_text(value)).replace("\n", "<br/>")


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    """Return the paragraph styles shared by all documents (cached)."""
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=11.5, leading=15, alignment=TA_JUSTIFY, spaceAfter=6
    )
    return {
        "body": body,
        "body_left": ParagraphStyle("body_left", parent=body, alignment=TA_LEFT),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER, spaceAfter=0),
        "center_bold": ParagraphStyle(
            "center_bold", parent=body, fontName=FONT_BOLD, alignment=TA_CENTER, spaceAfter=0
        ),
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=13, leading=17, alignment=TA_CENTER
        ),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=10, leading=12.5),
        "cell_bold": ParagraphStyle("cell_bold", fontName=FONT_BOLD, fontSize=10, leading=12.5),
        "small": ParagraphStyle("small", fontName=FONT, fontSize=9, leading=11),
        "small_bold": ParagraphStyle("small_bold", fontName=FONT_BOLD, fontSize=9, leading=11),
        "tiny": ParagraphStyle("tiny", fontName=FONT, fontSize=7.5, leading=9),
        "tiny_bold": ParagraphStyle(
            "tiny_bold", fontName=FONT_BOLD, fontSize=7.5, leading=9, alignment=TA_CENTER
        ),
    }


def para(text: str, style: str | ParagraphStyle = "body") -> RLParagraph:
    """A reportlab Paragraph from *plain* text (escaped here)."""
    st = styles()[style] if isinstance(style, str) else style
    return RLParagraph(markup(text), st)


def make_doc(
    buf: io.BytesIO,
    pagesize: tuple[float, float],
    margins: tuple[float, float, float, float],
    **meta: Any,
) -> BaseDocTemplate:
    """A doc template with one zero-padding frame inside ``margins`` (left, right, top, bottom).

    Zero padding means a flowable given ``doc.width`` fills the frame exactly.
    ``meta`` goes to the template (title, author, subject, ...); output is
    reproducible (``invariant``) so equal inputs give byte-equal PDFs.
    """
    left, right, top, bottom = margins
    doc = BaseDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        creator="Sisumaker",
        invariant=True,
        **{k: pdf_text(v) if isinstance(v, str) else v for k, v in meta.items()},
    )
    frame = Frame(
        left,
        bottom,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], pagesize=pagesize)])
    return doc


def page_footer_canvas(footer: FooterFn) -> Callable[..., Canvas]:
    """Return a ``canvasmaker`` whose pages get ``footer(canvas, n, total)``.

    Pages are buffered until ``save()`` so that the total page count is known
    when each footer is drawn; flowables themselves are drawn only once.
    """

    class _FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                footer(self, self._pageNumber, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return _FooterCanvas


def note_and_page_footer(note: str, page_width: float, margin: float, y: float) -> FooterFn:
    """A footer with a small note at the left and "Halaman n dari m" at the right of every page."""
    text = pdf_text(note)

    def footer(canv: Canvas, page: int, total: int) -> None:
        canv.saveState()
        canv.setFont(FONT, 7.5)
        canv.drawString(margin, y, text)
        canv.drawRightString(page_width - margin, y, f"Halaman {page} dari {total}")
        canv.restoreState()

    return footer


def draw_tick_box(canv: Canvas, x: float, y: float, size: float, checked: bool) -> None:
    """Draw a square check box with its lower-left corner at (x, y), ticked or empty."""
    canv.saveState()
    canv.setLineWidth(0.7)
    canv.rect(x, y, size, size, stroke=1, fill=0)
    if checked:
        canv.setLineWidth(max(1.0, size / 7))
        canv.setLineCap(1)
        canv.setLineJoin(1)
        path = canv.beginPath()
        path.moveTo(x + size * 0.18, y + size * 0.52)
        path.lineTo(x + size * 0.42, y + size * 0.2)
        path.lineTo(x + size * 0.86, y + size * 0.88)
        canv.drawPath(path, stroke=1, fill=0)
    canv.restoreState()


class CheckItem(Flowable):
    """A check box followed by a wrapped label, for vertical check lists."""

    def __init__(self, label: str, checked: bool, style: str = "cell", box: float = 8.5) -> None:
        super().__init__()
        self.label = label
        self.checked = checked
        self.box = box
        self._para = para(label, style)
        self._gap = 5.0
        self._ph = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        """Wrap the label into the width left of the box."""
        _, self._ph = self._para.wrap(availWidth - self.box - self._gap, availHeight)
        self.width = availWidth
        self.height = max(self._ph, self.box + 2)
        return self.width, self.height

    def draw(self) -> None:
        """Draw the box aligned with the first text line, then the label."""
        leading = self._para.style.leading
        top = self.height
        box_y = top - leading + (leading - self.box) / 2 - 1
        draw_tick_box(self.canv, 0, box_y, self.box, self.checked)
        self._para.drawOn(self.canv, self.box + self._gap, top - self._ph)


class CheckRow(Flowable):
    """Check boxes laid out on one line: ``[ ] Biasa  [v] Terbatas  ...``."""

    def __init__(
        self, items: Sequence[tuple[str, bool]], font_size: float = 10, box: float = 8.5
    ) -> None:
        super().__init__()
        self.items = [(pdf_text(label), checked) for label, checked in items]
        self.font_size = font_size
        self.box = box

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        """One line high; as wide as offered."""
        self.width = availWidth
        self.height = max(self.box, self.font_size) + 3
        return self.width, self.height

    def draw(self) -> None:
        """Draw each box and its label from left to right."""
        x = 0.0
        gap = 4.0
        spacing = 14.0
        baseline = self.height - self.font_size
        for label, checked in self.items:
            draw_tick_box(self.canv, x, baseline - 1.2, self.box, checked)
            x += self.box + gap
            self.canv.setFont(FONT_BOLD if checked else FONT, self.font_size)
            self.canv.drawString(x, baseline, label)
            x += stringWidth(label, FONT_BOLD if checked else FONT, self.font_size) + spacing


#: Sifat keamanan codes and their printed labels.
SIFAT: dict[str, str] = {"B": "Biasa", "T": "Terbatas", "R": "Rahasia", "SR": "Sangat Rahasia"}


def sifat_label(value: str) -> str:
    """``"SR"`` -> ``"Sangat Rahasia"``; a full label is returned as spelled in :data:`SIFAT`.

    Raises ``ValueError`` for anything else.
    """
    key = value.strip().upper()
    if key in SIFAT:
        return SIFAT[key]
    for label in SIFAT.values():
        if label.upper() == key:
            return label
    raise ValueError(f"sifat tidak dikenal: {value!r}")


def freeze_lists(obj: object, *names: str) -> None:
    """In a frozen dataclass's ``__post_init__``: turn the named list fields into tuples."""
    for name in names:
        object.__setattr__(obj, name, tuple(getattr(obj, name)))


def point_box(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, float, float]:
    """Round a box given in points to 0.01 pt, as a plain tuple."""
    return (round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2))


__all__ = [
    "FONT",
    "FONT_BOLD",
    "FONT_ITALIC",
    "CheckItem",
    "CheckRow",
    "FooterFn",
    "note_and_page_footer",
    "draw_tick_box",
    "markup",
    "mm",
    "point_box",
    "SIFAT",
    "freeze_lists",
    "make_doc",
    "sifat_label",
    "page_footer_canvas",
    "para",
    "pdf_text",
    "styles",
]
