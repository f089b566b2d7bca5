"""Lembar Disposisi: the printable disposition sheet of an incoming letter.

A4 portrait. The letter's particulars in a bordered grid, then one block per
disposition step (the Bupati's, then e.g. the kepala dinas' further down), each
with "Diteruskan kepada Sdr.:", "Dengan hormat harap:", "Catatan:" and the
disposer's position, date and name. One step fits on one page; further steps
continue on the next page when needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)

from .common import (
    FONT,
    CheckItem,
    CheckRow,
    FooterFn,
    freeze_lists,
    make_doc,
    note_and_page_footer,
    page_footer_canvas,
    para,
    sifat_label,
    styles,
)
from .dates import tanggal_id, waktu_wib
from .kop import Kop, KopFlowable

__all__ = [
    "INSTRUKSI_BAKU",
    "URGENSI",
    "DispositionStep",
    "SheetLetter",
    "instruction_marks",
    "render_disposition_sheet",
]

#: The standard disposition instructions, in the customary order.
INSTRUKSI_BAKU: tuple[str, ...] = (
    "Untuk diketahui",
    "Untuk ditindaklanjuti",
    "Tanggapan dan saran",
    "Proses lebih lanjut",
    "Koordinasikan",
    "Pelajari",
    "Hadiri/wakili",
    "Mohon pendapat",
    "Siapkan jawaban",
    "Arsipkan",
    "Lainnya",
)

#: Urgency levels, printed as a check-box row.
URGENSI: tuple[str, ...] = ("Biasa", "Segera", "Sangat Segera")

_MARGIN = 15 * mm
_WIDTH = A4[0] - 2 * _MARGIN


@dataclass(frozen=True)
class SheetLetter:
    """The incoming letter as registered by the receiving unit.

    ``sifat`` is one of ``"B"``, ``"T"``, ``"R"``, ``"SR"``; ``urgensi`` one of
    :data:`URGENSI` (anything else is printed as text).
    """

    sender: str
    number: str
    letter_date: date | None
    received_date: date
    agenda_number: str
    sifat: str
    urgensi: str
    perihal: str

    def __post_init__(self) -> None:
        sifat_label(self.sifat)  # validate early


@dataclass(frozen=True)
class DispositionStep:
    """One disposition: who disposed, when (aware datetime), to which positions, how.

    ``instructions`` are labels from :data:`INSTRUKSI_BAKU` (case-insensitive);
    any other text is printed as "Lainnya: <text>".
    """

    from_title: str
    from_name: str
    at: datetime
    recipients: Sequence[str]
    instructions: Sequence[str]
    note: str = ""
    deadline: date | None = None

    def __post_init__(self) -> None:
        freeze_lists(self, "recipients", "instructions")
        if self.note is None:  # tolerate an empty database column
            object.__setattr__(self, "note", "")


def _norm(text: str) -> str:
    return "".join(text.lower().replace(" / ", "/").split())


def instruction_marks(instructions: Sequence[str]) -> list[tuple[str, bool]]:
    """Map chosen instructions onto the standard list: ``[(label, ticked), ...]``.

    Free-text instructions tick "Lainnya" and are appended to its label.
    """
    known = {_norm(label): label for label in INSTRUKSI_BAKU}
    chosen: set[str] = set()
    other: list[str] = []
    for item in instructions:
        item = " ".join(item.split())
        if not item:
            continue
        label = known.get(_norm(item))
        if label:
            chosen.add(label)
        elif _norm(item).startswith("lainnya:"):
            chosen.add("Lainnya")
            other.append(item.split(":", 1)[1].strip())
        else:
            chosen.add("Lainnya")
            other.append(item)
    marks = []
    for label in INSTRUKSI_BAKU:
        text = label
        if label == "Lainnya" and other:
            text = f"Lainnya: {'; '.join(other)}"
        marks.append((text, label in chosen))
    return marks


def _grid(data: list[list[object]], widths: list[float], inner: bool = True) -> Table:
    """A bordered table with the sheet's cell paddings (no inner lines if not ``inner``)."""
    cmds: list[tuple[object, ...]] = [
        ("BOX", (0, 0), (-1, -1), 1.0, "black"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), FONT, 10),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    if inner:
        cmds.append(("INNERGRID", (0, 0), (-1, -1), 0.5, "black"))
    table = Table(data, colWidths=widths, splitInRow=1)
    table.setStyle(TableStyle(cmds))
    return table


def _letter_table(letter: SheetLetter) -> list[Flowable]:
    """The letter's particulars: sender, numbers, dates, sifat, urgensi, perihal."""
    lbl = 27 * mm
    val = _WIDTH / 2 - lbl
    sifat = sifat_label(letter.sifat)
    sifat_row = CheckRow(
        [(s, s == sifat) for s in ("Biasa", "Terbatas", "Rahasia", "Sangat Rahasia")]
    )
    urg = " ".join(letter.urgensi.split()).lower()
    urg_cell: Flowable
    if urg in {u.lower() for u in URGENSI}:
        urg_cell = CheckRow([(u, u.lower() == urg) for u in URGENSI])
    else:
        urg_cell = para(letter.urgensi, "cell")
    # Three stacked grids instead of column spans: reportlab 5.1 splits a
    # spanned cell at the width of its first column.
    return [
        _grid(
            [[para("Surat dari", "cell"), para(letter.sender, "cell_bold")]], [lbl, _WIDTH - lbl]
        ),
        _grid(
            [
                [
                    para("No. Surat", "cell"),
                    para(letter.number, "cell"),
                    para("Diterima Tgl.", "cell"),
                    para(tanggal_id(letter.received_date), "cell"),
                ],
                [
                    para("Tgl. Surat", "cell"),
                    para(tanggal_id(letter.letter_date) if letter.letter_date else "-", "cell"),
                    para("No. Agenda", "cell"),
                    para(letter.agenda_number, "cell_bold"),
                ],
            ],
            [lbl, val, lbl, val],
        ),
        _grid(
            [
                [para("Sifat", "cell"), sifat_row],
                [para("Urgensi", "cell"), urg_cell],
                [para("Perihal", "cell"), para(letter.perihal, "cell")],
            ],
            [lbl, _WIDTH - lbl],
        ),
    ]


def _signature(step: DispositionStep) -> list[Flowable]:
    """The disposer's block: position, date and time, name, e-signature note."""
    st = styles()
    if not step.from_title:  # blank sheet for handwriting
        dots = "." * 40
        return [
            para(f"Jabatan: {dots}", "cell"),
            para(f"Tanggal: {dots}", "cell"),
            Spacer(1, 10 * mm),
            para(f"Nama/Paraf: {dots[:-4]}", "cell"),
        ]
    at = step.at
    when = f"{tanggal_id(at)}, pukul {waktu_wib(at)[11:]}" if at.tzinfo else tanggal_id(at)
    return [
        para(step.from_title, st["cell_bold"]),
        para(f"Tanggal: {when}", "cell"),
        Spacer(1, 3 * mm),
        para(step.from_name, "cell_bold"),
        para("(ditandatangani secara elektronik)", "small"),
    ]


def _step_block(step: DispositionStep, index: int, total: int) -> list[Flowable]:
    """One disposition step as a bordered block (kept on one page)."""
    half = _WIDTH / 2
    items: list[Flowable] = []
    if total > 1:
        caption = "Disposisi" if index == 0 else "Disposisi lanjutan"
        items.append(
            para(f"{caption} ({index + 1} dari {total}) \u2014 dari {step.from_title}", "cell_bold")
        )
        items.append(Spacer(1, 1.5 * mm))
    blank = not step.from_title
    recipients: list[Flowable] = [CheckItem(r, True) for r in step.recipients] or [
        Spacer(1, 1) if blank else para("-", "cell")
    ]
    instructions: list[Flowable] = [
        CheckItem(t, c) for t, c in instruction_marks(step.instructions)
    ]
    note: list[Flowable] = [para("Catatan:", "cell_bold")]
    note.append(Spacer(1, 12 * mm) if blank else para(step.note or "-", "cell"))
    if step.deadline is not None:
        note.append(Spacer(1, 2 * mm))
        note.append(para(f"Batas waktu: {tanggal_id(step.deadline)}", "cell_bold"))
    note.append(Spacer(1, 4 * mm))
    lists = _grid(
        [
            [
                para("Diteruskan kepada Sdr.:", "cell_bold"),
                para("Dengan hormat harap:", "cell_bold"),
            ],
            [recipients, instructions],
        ],
        [half, half],
    )
    signature = _grid([["", _signature(step)]], [half, half], inner=False)
    signature.setStyle(TableStyle([("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    items += [lists, _grid([[note]], [_WIDTH]), signature]
    return [KeepTogether(items), Spacer(1, 5 * mm)]


def _footer_for(agenda_number: str) -> FooterFn:
    """Small footer naming the agenda number (pages may be separated) and the page."""
    return note_and_page_footer(
        f"Lembar disposisi No. Agenda {agenda_number}, dibuat secara elektronik oleh Sisumaker.",
        A4[0], _MARGIN, 9 * mm)


def render_disposition_sheet(
    kop: Kop, letter: SheetLetter, steps: Sequence[DispositionStep]
) -> bytes:
    """Render the Lembar Disposisi of ``letter`` with its disposition ``steps`` to PDF bytes.

    With no step, an empty sheet (nothing ticked) is printed for handwriting.
    """
    buf = io.BytesIO()
    doc = make_doc(
        buf,
        A4,
        (_MARGIN, _MARGIN, 12 * mm, 16 * mm),
        title=f"Lembar Disposisi {letter.agenda_number}",
        author=kop.unit_name,
        subject=letter.perihal,
    )
    story: list[Flowable] = [
        KopFlowable(kop, space_after=4 * mm),
        para("LEMBAR DISPOSISI", "title"),
        Spacer(1, 1 * mm),
        *_letter_table(letter),
        Spacer(1, 4 * mm),
    ]
    if not steps:
        blank = DispositionStep("", "", datetime(2000, 1, 1), [], [], "")
        block = _step_block(blank, 0, 1)
        story.extend(block)
    for i, step in enumerate(steps):
        story.extend(_step_block(step, i, len(steps)))
    doc.build(story, canvasmaker=page_footer_canvas(_footer_for(letter.agenda_number)))
    return buf.getvalue()
