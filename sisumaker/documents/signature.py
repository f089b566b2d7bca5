"""The signature block of a letter, with the empty box reserved for the QR stamp.

The flowable records, when drawn, the page and the absolute PDF coordinates of
the reserved box, so the signing step can place the visible signature exactly
there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable
from reportlab.platypus import Paragraph as RLParagraph

from .common import FONT_BOLD, markup, point_box

__all__ = [
    "SIG_COLUMN_W",
    "STAMP_H",
    "STAMP_W",
    "SignatureBlock",
    "capacity_lines",
    "format_nip",
]

#: Size of the box reserved for the visible signature (QR stamp).
STAMP_W = 70 * mm
STAMP_H = 30 * mm
#: Width of the right-hand column holding the signature block.
SIG_COLUMN_W = 82 * mm
_GAP = 2 * mm


def format_nip(nip: str) -> str:
    """Group an 18-digit NIP as printed: ``"19700101 199503 1 001"``; other input as given."""
    digits = re.sub(r"\D", "", nip)
    if len(digits) == 18:
        return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"
    return nip.strip()


def capacity_lines(prefix: str, title: str) -> list[str]:
    r"""The lines above the stamp: capacity prefix and title, the last ending in a comma.

    - ``("", "Kepala Dinas")`` -> ``["Kepala Dinas,"]``
    - ``("Plt.", "Kepala Dinas")`` -> ``["Plt. Kepala Dinas,"]``
    - ``("a.n. Bupati Serang\\nSekretaris Daerah", "Sekretaris Daerah")``
      -> ``["a.n. Bupati Serang", "Sekretaris Daerah,"]`` (title not repeated)
    """
    title = " ".join(title.split()).rstrip(",")
    lines = [" ".join(line.split()) for line in prefix.splitlines() if line.strip()]
    if not lines:
        return [f"{title},"]
    if len(lines) == 1 and " " not in lines[0] and lines[0].endswith("."):
        return [f"{lines[0]} {title},"]
    last = lines[-1].rstrip(",")
    if title and last.casefold().endswith(title.casefold()):
        return [*lines[:-1], f"{last},"]
    return [*lines, f"{title},"]


class SignatureBlock(Flowable):
    """Right-aligned signature column: lines above, the reserved stamp box, name, lines below.

    After the document is built, :attr:`stamp_page` (0-based) and
    :attr:`stamp_box` (``x1, y1, x2, y2`` in points) tell where the box landed.
    """

    def __init__(
        self,
        above: Sequence[str],
        name: str,
        below: Sequence[str],
        style: ParagraphStyle,
        column_w: float = SIG_COLUMN_W,
    ) -> None:
        super().__init__()
        self.column_w = column_w
        left = ParagraphStyle("sig", parent=style, alignment=0, spaceAfter=0, spaceBefore=0)
        name_style = ParagraphStyle("sig_name", parent=left, fontName=FONT_BOLD)
        self._above = [RLParagraph(markup(line), left) for line in above]
        self._name = RLParagraph(markup(name), name_style)
        self._below = [RLParagraph(markup(line), left) for line in below]
        self._heights: list[float] = []
        self.stamp_page: int | None = None
        self.stamp_box: tuple[float, float, float, float] | None = None

    def _parts(self) -> list[RLParagraph]:
        return [*self._above, self._name, *self._below]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        """Stack the parts in a column of :data:`SIG_COLUMN_W` at the right edge."""
        self.width = availWidth
        col = min(self.column_w, availWidth)
        self._heights = [p.wrap(col, availHeight)[1] for p in self._parts()]
        self.height = sum(self._heights) + STAMP_H + 2 * _GAP
        return self.width, self.height

    def draw(self) -> None:
        """Draw the text, leave the box empty, and record where the box is."""
        x = self.width - min(self.column_w, self.width)
        y = self.height
        n_above = len(self._above)
        for i, (part, h) in enumerate(zip(self._parts(), self._heights)):
            if i == n_above:  # the reserved box comes before the name
                y -= _GAP + STAMP_H
                x1, y1 = self.canv.absolutePosition(x, y)
                x2, y2 = self.canv.absolutePosition(x + STAMP_W, y + STAMP_H)
                self.stamp_box = point_box(x1, y1, x2, y2)
                self.stamp_page = self.canv.getPageNumber() - 1
                y -= _GAP
            y -= h
            part.drawOn(self.canv, x, y)
