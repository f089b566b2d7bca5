"""Flask-free PDF rendering of official documents (naskah dinas).

Plain frozen dataclasses in, PDF bytes out. This package imports only the
standard library and reportlab: nothing of Flask, the models or the services.

- :func:`render_letter` — an outgoing letter of one of :data:`KINDS`, with the
  page and box (in PDF points) reserved for the visible signature.
- :func:`render_disposition_sheet` — the Lembar Disposisi of an incoming letter.
- :func:`render_agenda_book` / :func:`agenda_csv` — the Buku Agenda Surat Masuk.
- :mod:`.dates` — Indonesian dates (``tanggal_id``, ``hari_tanggal_id``,
  ``bulan_romawi``, ``waktu_wib``).
"""

from .agenda_book import AGENDA_COLUMNS, AgendaRow, agenda_csv, render_agenda_book
from .blocks import Block, EventSlot, NumberedList, Paragraph, Run, Table
from .common import SIFAT, pdf_text, sifat_label
from .dates import bulan_romawi, hari_tanggal_id, tanggal_id, tanggal_singkat, waktu_wib
from .disposition_sheet import (
    INSTRUKSI_BAKU,
    URGENSI,
    DispositionStep,
    SheetLetter,
    instruction_marks,
    render_disposition_sheet,
)
from .kop import Kop, kepala_daerah, pemerintah_line
from .letter import FOOTER_TEMPLATE, render_letter
from .letter_model import (
    KINDS,
    Assignee,
    EventDetails,
    LetterDoc,
    RenderedLetter,
    SkSections,
    TugasSections,
)
from .signature import STAMP_H, STAMP_W, capacity_lines, format_nip

__all__ = [
    "AGENDA_COLUMNS",
    "FOOTER_TEMPLATE",
    "INSTRUKSI_BAKU",
    "KINDS",
    "SIFAT",
    "STAMP_H",
    "STAMP_W",
    "URGENSI",
    "AgendaRow",
    "Assignee",
    "Block",
    "DispositionStep",
    "EventDetails",
    "EventSlot",
    "Kop",
    "LetterDoc",
    "NumberedList",
    "Paragraph",
    "RenderedLetter",
    "Run",
    "SheetLetter",
    "SkSections",
    "Table",
    "TugasSections",
    "agenda_csv",
    "bulan_romawi",
    "capacity_lines",
    "format_nip",
    "hari_tanggal_id",
    "instruction_marks",
    "kepala_daerah",
    "pdf_text",
    "pemerintah_line",
    "render_agenda_book",
    "render_disposition_sheet",
    "render_letter",
    "sifat_label",
    "tanggal_id",
    "tanggal_singkat",
    "waktu_wib",
]
