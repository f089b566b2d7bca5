"""Input and output dataclasses of :func:`sisumaker.documents.letter.render_letter`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .blocks import Block
from .common import freeze_lists
from .kop import Kop

__all__ = [
    "KINDS",
    "Assignee",
    "EventDetails",
    "LetterDoc",
    "RenderedLetter",
    "SkSections",
    "TugasSections",
]

#: Document kinds the renderer lays out, with their printed names.
KINDS: dict[str, str] = {
    "nota_dinas": "Nota Dinas",
    "surat_dinas": "Surat Dinas",
    "surat_edaran": "Surat Edaran",
    "surat_keputusan": "Keputusan",
    "surat_undangan": "Surat Undangan",
    "surat_tugas": "Surat Tugas",
}


@dataclass(frozen=True)
class SkSections:
    """The parts of a Keputusan: considerations (a., b., ...), legal bases (1., 2., ...), diktum.

    Each diktum is printed after its ordinal (KESATU, KEDUA, ...).
    """

    menimbang: Sequence[str]
    mengingat: Sequence[str]
    diktum: Sequence[str]

    def __post_init__(self) -> None:
        freeze_lists(self, "menimbang", "mengingat", "diktum")


@dataclass(frozen=True)
class EventDetails:
    """The event of a Surat Undangan: printed as hari/tanggal, waktu, tempat, acara."""

    day: date
    time: str
    place: str
    agenda: str
    end_day: date | None = None


@dataclass(frozen=True)
class Assignee:
    """A person named in a Surat Tugas."""

    name: str
    jabatan: str
    nip: str | None = None
    pangkat: str | None = None


@dataclass(frozen=True)
class TugasSections:
    """Surat Tugas parts: legal basis (Dasar), the people assigned (Kepada), the task (Untuk)."""

    kepada: Sequence[Assignee]
    untuk: Sequence[str]
    dasar: Sequence[str] = ()

    def __post_init__(self) -> None:
        freeze_lists(self, "kepada", "untuk", "dasar")


@dataclass(frozen=True)
class LetterDoc:
    r"""An outgoing letter, complete with number and date, ready to render before signing.

    ``kind`` is a key of :data:`KINDS`. ``sifat`` is a code (B/T/R/SR) or label.
    ``signer_capacity_prefix`` is either a one-word prefix printed before the
    title on the same line (``"Plt."``, ``"Plh."``) or lines printed above it
    (``"a.n. Bupati Serang\\nSekretaris Daerah"``); a last line equal to
    ``signer_title`` is not repeated. ``issuer`` (Surat Edaran / Keputusan)
    defaults to the head of the region (``"Bupati Serang"``). The optional
    ``event`` (Surat Undangan) and ``tugas`` (Surat Tugas) sections fall back
    to a plain letter / to "Kepada: addressees, Untuk: body" when absent.
    ``addressee_place`` is the "di ..." line under the addressees (empty: none).
    """

    kind: str
    kop: Kop
    number: str
    date: date
    place: str
    sifat: str
    lampiran: str
    perihal: str
    addressees: Sequence[str]
    body_blocks: Sequence[Block]
    signer_title: str
    signer_name: str
    signer_nip: str | None
    signer_capacity_prefix: str
    tembusan: Sequence[str]
    verification_url: str
    sk_sections: SkSections | None = None
    event: EventDetails | None = None
    tugas: TugasSections | None = None
    issuer: str | None = None
    signer_rank: str | None = None
    addressee_place: str = "Tempat"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"jenis naskah tidak dikenal: {self.kind!r}")
        if self.kind == "surat_keputusan" and self.sk_sections is None:
            raise ValueError("surat keputusan membutuhkan sk_sections")
        freeze_lists(self, "addressees", "body_blocks", "tembusan")


@dataclass(frozen=True)
class RenderedLetter:
    """A rendered letter and where its visible signature goes.

    ``stamp_box`` is ``(x1, y1, x2, y2)`` in PDF points on page ``stamp_page``
    (0-based), origin at the bottom-left of the page — what pyHanko's
    ``SigFieldSpec(box=..., on_page=...)`` expects.
    """

    pdf: bytes
    stamp_page: int
    stamp_box: tuple[float, float, float, float]
    page_count: int
