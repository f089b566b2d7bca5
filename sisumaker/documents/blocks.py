"""The body of a letter: a tiny, already-sanitised block structure and its layout.

The application turns the drafter's input into these blocks (it never hands
HTML to the renderer); here they become reportlab flowables. All text is
escaped, so a run containing ``<b>`` prints those characters literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, TableStyle
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

from .common import FONT, FONT_BOLD, freeze_lists, pdf_text

__all__ = [
    "Block",
    "EventSlot",
    "NumberedList",
    "Paragraph",
    "Run",
    "Table",
    "blocks_to_flowables",
    "letter_styles",
    "runs_markup",
]


@dataclass(frozen=True)
class Run:
    """A piece of text with optional bold/italic."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A justified body paragraph made of runs."""

    runs: Sequence[Run]

    def __post_init__(self) -> None:
        freeze_lists(self, "runs")


@dataclass(frozen=True)
class NumberedList:
    """A numbered list ``1. 2. 3.``; each item is a list of runs."""

    items: Sequence[Sequence[Run]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(tuple(item) for item in self.items))


@dataclass(frozen=True)
class Table:
    """A simple grid of plain-text cells; with ``header`` the first row is bold and repeats."""

    rows: Sequence[Sequence[str]]
    header: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(tuple(row) for row in self.rows))


@dataclass(frozen=True)
class EventSlot:
    """Marks where a Surat Undangan's event details (hari/tanggal, waktu, ...) go.

    Without it, they follow the first body block.
    """


Block: TypeAlias = Paragraph | NumberedList | Table | EventSlot


def letter_styles(size: float = 12) -> dict[str, ParagraphStyle]:
    """Paragraph styles of the letter body at a given font size."""
    leading = size * 1.35
    body = ParagraphStyle(
        "l_body", fontName=FONT, fontSize=size, leading=leading, alignment=4, spaceAfter=size * 0.5
    )
    return {
        "body": body,
        "left": ParagraphStyle("l_left", parent=body, alignment=0, spaceAfter=0),
        "list": ParagraphStyle(
            "l_list",
            parent=body,
            leftIndent=7 * mm,
            bulletIndent=0,
            bulletFontName=FONT,
            bulletFontSize=size,
            spaceAfter=size * 0.25,
        ),
        "cell": ParagraphStyle(
            "l_cell", fontName=FONT, fontSize=size - 1.5, leading=(size - 1.5) * 1.25
        ),
        "cell_head": ParagraphStyle(
            "l_cell_head", fontName=FONT_BOLD, fontSize=size - 1.5, leading=(size - 1.5) * 1.25
        ),
    }


def runs_markup(runs: Sequence[Run]) -> str:
    """Reportlab mini-markup for runs: text escaped, bold/italic as ``<b>``/``<i>``."""
    parts: list[str] = []
    for run in runs:
        text = escape(pdf_text(run.text)).replace("\n", "<br/>")
        if run.bold:
            text = f"<b>{text}</b>"
        if run.italic:
            text = f"<i>{text}</i>"
        parts.append(text)
    return "".join(parts)


def _col_widths(rows: Sequence[Sequence[str]], width: float) -> list[float]:
    """Column widths proportional to the square root of each column's longest text."""
    ncols = max(len(r) for r in rows)
    weights = []
    for c in range(ncols):
        longest = max((len(r[c]) if c < len(r) else 0) for r in rows)
        weights.append(max(longest, 3) ** 0.5)
    total = sum(weights)
    widths = [width * w / total for w in weights]
    floor = min(15 * mm, width / ncols)
    short = [i for i, w in enumerate(widths) if w < floor]
    if short:
        extra = sum(floor - widths[i] for i in short)
        rest = [i for i in range(ncols) if i not in short]
        rest_total = sum(widths[i] for i in rest) or 1
        widths = [
            floor if i in short else widths[i] - extra * widths[i] / rest_total
            for i in range(ncols)
        ]
    return widths


def _table(block: Table, width: float, st: dict[str, ParagraphStyle]) -> RLTable | None:
    rows = [list(r) for r in block.rows if r]
    if not rows:
        return None
    ncols = max(len(r) for r in rows)
    data = []
    for i, row in enumerate(rows):
        style = st["cell_head"] if block.header and i == 0 else st["cell"]
        cells = [RLParagraph(escape(pdf_text(c)).replace("\n", "<br/>"), style) for c in row]
        cells += [""] * (ncols - len(row))
        data.append(cells)
    cmds: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, "black"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if block.header:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), Color(0.88, 0.88, 0.88)))
    table = RLTable(
        data,
        colWidths=_col_widths(rows, width),
        repeatRows=1 if block.header else 0,
        splitInRow=1,
        spaceBefore=2,
        spaceAfter=8,
    )
    table.setStyle(TableStyle(cmds))
    return table


def blocks_to_flowables(
    blocks: Sequence[Block],
    width: float,
    st: dict[str, ParagraphStyle] | None = None,
    event: Sequence[Flowable] = (),
) -> list[Flowable]:
    """Lay out body blocks as flowables, one per paragraph, list item or table.

    ``event`` flowables replace an :class:`EventSlot` (or follow the first block
    when there is no slot).
    """
    st = st or letter_styles()
    out: list[Flowable] = []
    placed = False
    for index, block in enumerate(blocks):
        if isinstance(block, EventSlot):
            out.extend(event)
            placed = True
        elif isinstance(block, Paragraph):
            out.append(RLParagraph(runs_markup(block.runs), st["body"]))
        elif isinstance(block, NumberedList):
            for n, item in enumerate(block.items, start=1):
                out.append(RLParagraph(runs_markup(item), st["list"], bulletText=f"{n}."))
            if block.items:
                out[-1].style = ParagraphStyle("l_list_end", parent=st["list"], spaceAfter=8)
        elif isinstance(block, Table):
            table = _table(block, width, st)
            if table is not None:
                out.append(table)
        else:
            raise TypeError(f"blok isi surat tidak dikenal: {type(block).__name__}")
        if (
            index == 0
            and event
            and not placed
            and not any(isinstance(b, EventSlot) for b in blocks)
        ):
            out.extend(event)
            placed = True
    if event and not placed:
        out.extend(event)
    return out
