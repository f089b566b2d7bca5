"""Layout pieces of outgoing letters: header blocks per kind and labelled tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, Spacer, TableStyle
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

from .common import FONT_BOLD, markup, sifat_label
from .dates import hari_tanggal_id, tanggal_id
from .kop import kepala_daerah
from .letter_model import Assignee, EventDetails, LetterDoc, SkSections, TugasSections
from .signature import SIG_COLUMN_W, format_nip

__all__ = [
    "ADDRESSEE_LIST_MAX",
    "addressee_block",
    "diktum_ordinal",
    "event_block",
    "issuer_of",
    "kv_table",
    "nota_dinas_head",
    "numbered",
    "sk_head",
    "sk_number",
    "surat_dinas_head",
    "surat_edaran_head",
    "surat_tugas_head",
    "terbilang",
]

#: More addressees than this go to an attached list ("Daftar terlampir").
ADDRESSEE_LIST_MAX = 8

Styles = dict[str, ParagraphStyle]
_SATUAN = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


def terbilang(n: int) -> str:
    """Indonesian number words for 1..99 (``21 -> "dua puluh satu"``)."""
    if not 1 <= n <= 99:
        raise ValueError("terbilang hanya untuk 1..99")
    if n < 10:
        return _SATUAN[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return f"{_SATUAN[n - 10]} belas"
    tens, ones = divmod(n, 10)
    word = f"{_SATUAN[tens]} puluh"
    return f"{word} {_SATUAN[ones]}" if ones else word


def diktum_ordinal(n: int) -> str:
    """``1 -> "KESATU"``, ``2 -> "KEDUA"``, ``12 -> "KEDUA BELAS"``."""
    return ("KE" + terbilang(n)).upper()


def issuer_of(doc: LetterDoc) -> str:
    """The issuing authority of an SE/SK: ``doc.issuer`` or the head of the region."""
    return " ".join((doc.issuer or kepala_daerah(doc.kop.regency)).split())


def sk_number(doc: LetterDoc) -> str:
    """``"NOMOR 123 TAHUN 2026"``; a number already containing "TAHUN" is kept."""
    number = " ".join(doc.number.split())
    if "TAHUN" in number.upper():
        return f"NOMOR {number.upper()}"
    return f"NOMOR {number} TAHUN {doc.date.year}"


def _p(text: str, style: ParagraphStyle) -> RLParagraph:
    return RLParagraph(markup(text), style)


def mark_width(count: int) -> float:
    """Width of the ``1.`` column for a list of ``count`` items ("10." needs more room)."""
    return 8.5 * mm if count >= 10 else 6 * mm


Value: TypeAlias = str | Flowable | Sequence[str | Flowable]


def kv_table(
    rows: Sequence[tuple[str, Value]],
    width: float,
    st: Styles,
    *,
    label_w: float = 25 * mm,
    colon: str = ":",
    space_after: float = 0,
    marks: str = "1",
    justify: bool = False,
) -> RLTable:
    """Rows of ``label : value`` that may split across pages, even inside a row.

    A value is a string (wrapped), a flowable, or a list of items; a list of
    more than one item gets one row per item, numbered ``1.`` (or lettered
    ``a.`` with ``marks="a"``) with a hanging indent, so even a very long
    Mengingat list flows. (No column spans: reportlab 5.1 splits a spanned
    cell at the width of its first column.)
    """
    colon_w = 4 * mm
    value_w = width - label_w - colon_w
    base = ParagraphStyle("kv", parent=st["left"], alignment=4 if justify else 0)
    data: list[list[object]] = []
    for label, value in rows:
        head = [_p(label, st["left"]), _p(colon, st["left"]) if colon else ""]
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        if len(items) <= 1:
            item = items[0] if items else "-"
            data.append([*head, _p(item, base) if isinstance(item, str) else item])
            continue
        mark_w = mark_width(len(items))
        hanging = ParagraphStyle(
            "kv_n",
            parent=base,
            leftIndent=mark_w,
            bulletIndent=0,
            bulletFontName=base.fontName,
            bulletFontSize=base.fontSize,
        )
        for i, item in enumerate(items):
            mark = (chr(ord("a") + i) if marks == "a" and i < 26 else str(i + 1)) + "."
            if isinstance(item, str):
                cell: object = RLParagraph(markup(item), hanging, bulletText=mark)
            else:
                cell = _marked(mark, item, mark_w, value_w, st)
            data.append([*(head if i == 0 else ["", ""]), cell])
    table = RLTable(
        data, colWidths=[label_w, colon_w, value_w], spaceAfter=space_after, splitInRow=1
    )
    table.hAlign = "LEFT"
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _marked(mark: str, item: Flowable, mark_w: float, width: float, st: Styles) -> RLTable:
    """A numbered flowable (e.g. one person of a Surat Tugas): ``mark`` left of ``item``."""
    table = RLTable([[_p(mark, st["left"]), item]], colWidths=[mark_w, width - mark_w])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def numbered(items: Sequence[str], st: Styles, marks: str = "1") -> list[Flowable]:
    """Items as hanging-indent paragraphs numbered ``1.`` or lettered ``a.``.

    A single item is printed without a number.
    """
    if len(items) == 1:
        return [_p(items[0], st["left"])]
    base = st["left"]
    style = ParagraphStyle(
        "num",
        parent=base,
        leftIndent=mark_width(len(items)),
        bulletIndent=0,
        bulletFontName=base.fontName,
        bulletFontSize=base.fontSize,
    )
    out: list[Flowable] = []
    for i, item in enumerate(items):
        mark = f"{chr(ord('a') + i) if marks == 'a' and i < 26 else i + 1}."
        out.append(RLParagraph(markup(item), style, bulletText=mark))
    return out


def _right_column(flowables: list[Flowable], width: float) -> RLTable:
    """Put flowables in the signature column (right), so dates align with the signature."""
    table = RLTable([["", flowables]], colWidths=[width - SIG_COLUMN_W, SIG_COLUMN_W])
    table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    return table


def addressee_block(doc: LetterDoc, st: Styles, width: float) -> list[Flowable]:
    """``Yth. <addressee(s)>`` then ``di`` and the place; long lists are attached."""
    names = [a for a in doc.addressees if a.strip()]
    indent = 0.0
    value: Value
    if len(names) > ADDRESSEE_LIST_MAX:
        value = "(Daftar penerima terlampir)"
    else:
        value = names or "-"
        indent = 6 * mm if len(names) > 1 else 0.0
    rows: list[tuple[str, Value]] = [("Yth.", value)]
    if doc.addressee_place.strip():
        rows.append(("", _p("di", ParagraphStyle("di", parent=st["left"], leftIndent=indent))))
        place = ParagraphStyle("di_place", parent=st["left"], leftIndent=indent + 8 * mm)
        rows.append(("", _p(doc.addressee_place, place)))
    return [kv_table(rows, min(width, 110 * mm), st, label_w=11 * mm, colon="")]


def surat_dinas_head(doc: LetterDoc, st: Styles, width: float) -> list[Flowable]:
    """Place and date right; Nomor/Sifat/Lampiran/Hal left; then the addressee block."""
    return [
        _right_column([_p(f"{doc.place}, {tanggal_id(doc.date)}", st["left"])], width),
        Spacer(1, 4 * mm),
        kv_table(
            [
                ("Nomor", doc.number),
                ("Sifat", sifat_label(doc.sifat)),
                ("Lampiran", doc.lampiran or "-"),
                ("Hal", doc.perihal),
            ],
            width * 0.68,
            st,
            label_w=22 * mm,
        ),
        Spacer(1, 5 * mm),
        *addressee_block(doc, st, width),
        Spacer(1, 5 * mm),
    ]


def nota_dinas_head(doc: LetterDoc, st: Styles, width: float) -> list[Flowable]:
    """Title NOTA DINAS and the Yth./Dari/Tembusan/Tanggal/Nomor/Sifat/Lampiran/Hal table."""
    title = ParagraphStyle("nd_title", parent=st["left"], fontName=FONT_BOLD, alignment=1)
    yth: Value = list(doc.addressees) or "-"
    tembusan: Value = list(doc.tembusan) or "-"
    return [
        _p("NOTA DINAS", title),
        Spacer(1, 6 * mm),
        kv_table(
            [
                ("Yth.", yth),
                ("Dari", doc.signer_title),
                ("Tembusan", tembusan),
                ("Tanggal", tanggal_id(doc.date)),
                ("Nomor", doc.number),
                ("Sifat", sifat_label(doc.sifat)),
                ("Lampiran", doc.lampiran or "-"),
                ("Hal", doc.perihal),
            ],
            width,
            st,
        ),
        Spacer(1, 2 * mm),
        HRFlowable(width="100%", thickness=0.8, color="black", spaceBefore=0, spaceAfter=5 * mm),
    ]


def _centered(lines: Sequence[str], st: Styles, bold: bool = True) -> list[Flowable]:
    style = ParagraphStyle(
        "ctr", parent=st["left"], alignment=1, fontName=FONT_BOLD if bold else st["left"].fontName
    )
    return [_p(line, style) for line in lines]


def surat_edaran_head(doc: LetterDoc, st: Styles, width: float) -> list[Flowable]:
    """Addressees, then centred SURAT EDARAN <ISSUER> / NOMOR / TENTANG / PERIHAL."""
    return [
        *addressee_block(doc, st, width),
        Spacer(1, 8 * mm),
        *_centered([f"SURAT EDARAN {issuer_of(doc).upper()}", f"NOMOR {doc.number}"], st),
        Spacer(1, 3 * mm),
        *_centered(["TENTANG", doc.perihal.upper()], st),
        Spacer(1, 7 * mm),
    ]


def sk_head(doc: LetterDoc, sk: SkSections, st: Styles, width: float) -> list[Flowable]:
    """KEPUTUSAN ... / NOMOR n TAHUN y / TENTANG / ..., Menimbang, Mengingat, MEMUTUSKAN, diktum."""
    issuer = issuer_of(doc).upper()
    head: list[Flowable] = [
        *_centered([f"KEPUTUSAN {issuer}", sk_number(doc)], st),
        Spacer(1, 4 * mm),
        *_centered(["TENTANG", doc.perihal.upper()], st),
        Spacer(1, 6 * mm),
        *_centered(["DENGAN RAHMAT TUHAN YANG MAHA ESA"], st),
        Spacer(1, 4 * mm),
        *_centered([f"{issuer},"], st),
        Spacer(1, 5 * mm),
        kv_table(
            [("Menimbang", list(sk.menimbang))],
            width,
            st,
            label_w=28 * mm,
            space_after=3 * mm,
            marks="a",
            justify=True,
        ),
        kv_table(
            [("Mengingat", list(sk.mengingat))],
            width,
            st,
            label_w=28 * mm,
            space_after=5 * mm,
            justify=True,
        ),
        *_centered(["MEMUTUSKAN:"], st),
        Spacer(1, 4 * mm),
        kv_table(
            [("Menetapkan", f"KEPUTUSAN {issuer} TENTANG {doc.perihal.upper()}.")],
            width,
            st,
            label_w=28 * mm,
            space_after=3 * mm,
        ),
    ]
    for i, diktum in enumerate(sk.diktum, start=1):
        head.append(
            kv_table(
                [(diktum_ordinal(i), diktum)],
                width,
                st,
                label_w=28 * mm,
                space_after=2 * mm,
                justify=True,
            )
        )
    return head


def _assignee(person: Assignee, st: Styles, width: float) -> RLTable:
    rows: list[tuple[str, Value]] = [("Nama", person.name)]
    if person.nip:
        rows.append(("NIP", format_nip(person.nip)))
    if person.pangkat:
        rows.append(("Pangkat/Gol.", person.pangkat))
    rows.append(("Jabatan", person.jabatan))
    return kv_table(rows, width, st, label_w=30 * mm, space_after=2 * mm)


def surat_tugas_head(doc: LetterDoc, st: Styles, width: float) -> list[Flowable]:
    """SURAT TUGAS / NOMOR, Dasar, MENUGASKAN:, Kepada (people), Untuk (tasks)."""
    tugas = doc.tugas or TugasSections(kepada=(), untuk=())
    inner_w = width - 25 * mm - 4 * mm - mark_width(len(tugas.kepada))
    out: list[Flowable] = [
        *_centered(["SURAT TUGAS", f"NOMOR {doc.number}"], st),
        Spacer(1, 7 * mm),
    ]
    if tugas.dasar:
        out.append(
            kv_table([("Dasar", list(tugas.dasar))], width, st, space_after=5 * mm, justify=True)
        )
    out += [*_centered(["MENUGASKAN:"], st), Spacer(1, 5 * mm)]
    kepada: Value
    if tugas.kepada:
        if len(tugas.kepada) == 1:
            kepada = _assignee(tugas.kepada[0], st, inner_w + mark_width(1))
        else:
            kepada = [_assignee(person, st, inner_w) for person in tugas.kepada]
    else:
        kepada = list(doc.addressees) or "-"
    out.append(kv_table([("Kepada", kepada)], width, st, space_after=4 * mm))
    if tugas.untuk:
        out.append(
            kv_table([("Untuk", list(tugas.untuk))], width, st, space_after=5 * mm, justify=True)
        )
    return out


def event_block(event: EventDetails, st: Styles, width: float) -> list[Flowable]:
    """hari/tanggal, waktu, tempat, acara, indented under the body text."""
    day = hari_tanggal_id(event.day)
    if event.end_day and event.end_day != event.day:
        day = f"{day} s.d. {hari_tanggal_id(event.end_day)}"
    table = kv_table(
        [
            ("hari/tanggal", day),
            ("waktu", event.time),
            ("tempat", event.place),
            ("acara", event.agenda),
        ],
        width - 10 * mm,
        st,
        label_w=30 * mm,
    )
    holder = RLTable(
        [["", table]], colWidths=[10 * mm, width - 10 * mm], spaceBefore=1 * mm, spaceAfter=4 * mm
    )
    holder.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    return [holder]
