"""Berita acara of a retention action (JRA): moving records to the inactive archive, destroying them
(pemusnahan), handing permanent records to the regional archive (penyerahan arsip statis), or re-appraising them.

A4 portrait; kop, title and nomor, "Pada hari ini, <hari>, tanggal ..." opening with both officials, the list of
records (classification, description, period, count, retention, note) as an attached daftar arsip, and the
archivist's and the head's signature blocks. Plain dataclasses in, PDF bytes out; Flask-free.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, LongTable, Spacer, Table, TableStyle

from .common import FONT_BOLD, make_doc, note_and_page_footer, page_footer_canvas, para
from .dates import hari_tanggal_id, tanggal_id
from .kop import Kop, KopFlowable
from .signature import format_nip

__all__ = ["ACTIONS", "ArchiveOfficial", "RetentionGroup", "BeritaAcara", "render_berita_acara"]

# action -> (title, what was done, the list's name)
ACTIONS: dict[str, tuple[str, str, str]] = {
    "pindah": ("BERITA ACARA PEMINDAHAN ARSIP INAKTIF", "memindahkan arsip inaktif milik {unit} ke unit kearsipan",
               "Daftar Arsip Inaktif yang Dipindahkan"),
    "musnah": ("BERITA ACARA PEMUSNAHAN ARSIP", "memusnahkan arsip milik {unit} yang telah habis masa retensinya",
               "Daftar Arsip Usul Musnah"),
    "permanen": ("BERITA ACARA PENYERAHAN ARSIP STATIS", "menyerahkan arsip statis milik {unit} kepada lembaga kearsipan daerah",
                 "Daftar Arsip Statis yang Diserahkan"),
    "dinilai kembali": ("BERITA ACARA PENILAIAN KEMBALI ARSIP",
                        "menilai kembali arsip milik {unit} yang telah habis masa retensinya",
                        "Daftar Arsip yang Dinilai Kembali"),
}
_MARGIN = 20 * mm
_GRID = Color(0.25, 0.25, 0.25)


@dataclass(frozen=True)
class ArchiveOfficial:
    """One side of the berita acara: name, NIP (may be empty), position title."""

    name: str
    nip: str
    title: str


@dataclass(frozen=True)
class RetentionGroup:
    """One line of the list: the records of one classification code."""

    code: str
    description: str
    first_year: int
    last_year: int
    count: int
    retention: str  # e.g. "2 th aktif, 3 th inaktif"
    note: str = ""

    @property
    def period(self) -> str:
        return str(self.first_year) if self.first_year == self.last_year else f"{self.first_year}\u2013{self.last_year}"


@dataclass(frozen=True)
class BeritaAcara:
    kop: Kop
    action: str
    number: str
    on: date
    place: str
    unit_name: str
    archivist: ArchiveOfficial
    head: ArchiveOfficial
    groups: Sequence[RetentionGroup]

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)


def _officials(ba: BeritaAcara) -> Table:
    rows = []
    for n, (who, side) in enumerate(((ba.archivist, "PIHAK PERTAMA"), (ba.head, "PIHAK KEDUA")), start=1):
        rows += [[para(f"{n}.", "body_left"), para("Nama", "body_left"), para(f": {who.name}", "body_left")],
                 ["", para("NIP", "body_left"), para(f": {format_nip(who.nip) if who.nip else '-'}", "body_left")],
                 ["", para("Jabatan", "body_left"), para(f": {who.title}", "body_left")],
                 ["", para(f"selanjutnya disebut {side}.", "body_left"), ""]]
    table = Table(rows, colWidths=[8 * mm, 25 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("SPAN", (1, 3), (2, 3)),
                               ("SPAN", (1, 7), (2, 7)), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _list(ba: BeritaAcara, width: float) -> LongTable:
    head = ["No.", "Kode Klasifikasi", "Jenis/Uraian Arsip", "Kurun Waktu", "Jumlah", "Retensi", "Keterangan"]
    rows: list[list[object]] = [[para(h, "small_bold") for h in head]]
    for n, g in enumerate(ba.groups, start=1):
        rows.append([para(str(n), "small"), para(g.code, "small"), para(g.description, "small"),
                     para(g.period, "small"), para(f"{g.count} berkas", "small"), para(g.retention, "small"),
                     para(g.note, "small")])
    rows.append(["", "", para("Jumlah", "small_bold"), "", para(f"{ba.total} berkas", "small_bold"), "", ""])
    fixed = [10 * mm, 24 * mm, None, 23 * mm, 20 * mm, 26 * mm, 22 * mm]
    fixed[2] = width - sum(w for w in fixed if w)
    table = LongTable(rows, colWidths=fixed, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, _GRID), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), Color(0.92, 0.92, 0.92)),
                               ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD)]))
    return table


def _signatures(ba: BeritaAcara) -> Flowable:
    def column(label: str, who: ArchiveOfficial) -> list[Flowable]:
        return [para(label, "center"), para(who.title, "center"), Spacer(1, 22 * mm),
                para(who.name, "center_bold"), para(f"NIP {format_nip(who.nip)}" if who.nip else "", "center")]

    table = Table([[column("PIHAK PERTAMA,", ba.archivist), column("PIHAK KEDUA,", ba.head)]])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 6 * mm), para(f"{ba.place}, {tanggal_id(ba.on)}", "center"), table])


def render_berita_acara(ba: BeritaAcara) -> bytes:
    """The berita acara with its list of records; raises ValueError for an unknown action."""
    if ba.action not in ACTIONS:
        raise ValueError(f"unknown retention action {ba.action!r}")
    title, deed, list_name = ACTIONS[ba.action]
    buf = io.BytesIO()
    doc = make_doc(buf, A4, (_MARGIN, _MARGIN, 15 * mm, 18 * mm), title=title.title(), author=ba.unit_name)
    story: list[Flowable] = [
        KopFlowable(ba.kop, space_after=4 * mm),
        para(title, "title"),
        para(f"Nomor: {ba.number}", "center"),
        Spacer(1, 6 * mm),
        para(f"Pada hari ini, {hari_tanggal_id(ba.on)}, bertempat di {ba.place}, kami yang bertanda tangan di "
             "bawah ini:"),
        _officials(ba),
        Spacer(1, 3 * mm),
        para(f"berdasarkan Jadwal Retensi Arsip, PIHAK PERTAMA dan PIHAK KEDUA telah sepakat untuk "
             f"{deed.format(unit=ba.unit_name)} sebanyak {ba.total} berkas, sebagaimana tercantum dalam {list_name} berikut, "
             "yang merupakan bagian tidak terpisahkan dari berita acara ini."),
        para(list_name, "center_bold"),
        Spacer(1, 2 * mm),
        _list(ba, A4[0] - 2 * _MARGIN),
        Spacer(1, 3 * mm),
        para("Demikian berita acara ini dibuat dengan sebenarnya dalam rangkap secukupnya untuk dipergunakan "
             "sebagaimana mestinya."),
        _signatures(ba),
    ]
    footer = note_and_page_footer(f"{title.title()} \u2014 {ba.unit_name}", A4[0], _MARGIN, 9 * mm)
    doc.build(story, canvasmaker=page_footer_canvas(footer))
    return buf.getvalue()
