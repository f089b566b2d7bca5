"""Outgoing letters (naskah dinas), rendered completely before the first signature.

Kop, header block of the kind, body, signature block with an empty box for the
QR stamp, tembusan, and on every page a footer saying the document is signed
electronically and where to verify it. :func:`render_letter` returns the PDF
with the page and coordinates of the stamp box.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer
from reportlab.platypus import Paragraph as RLParagraph

from .blocks import blocks_to_flowables, letter_styles
from .common import (
    FONT,
    FONT_BOLD,
    FooterFn,
    make_doc,
    markup,
    page_footer_canvas,
    pdf_text,
)
from .dates import tanggal_id
from .kop import KopFlowable
from .letter_model import KINDS, LetterDoc, RenderedLetter
from .letter_parts import (
    ADDRESSEE_LIST_MAX,
    event_block,
    issuer_of,
    nota_dinas_head,
    numbered,
    sk_head,
    sk_number,
    surat_dinas_head,
    surat_edaran_head,
    surat_tugas_head,
)
from .signature import SignatureBlock, capacity_lines, format_nip

__all__ = ["FOOTER_TEMPLATE", "render_letter"]

#: The electronic-signature notice printed at the foot of every page.
FOOTER_TEMPLATE = (
    "Dokumen ini ditandatangani secara elektronik menggunakan sertifikat elektronik. "
    "Keaslian dapat diperiksa di {url}."
)

#: Up to this many tembusan lines are kept on the signature's page.
TEMBUSAN_WITH_SIGNATURE = 6

_LEFT = 25 * mm
_RIGHT = 20 * mm
_TOP = 15 * mm
_BOTTOM = 24 * mm
_WIDTH = A4[0] - _LEFT - _RIGHT
Styles = dict[str, ParagraphStyle]


def _footer_for(doc: LetterDoc) -> FooterFn:
    """Footer: the e-signature notice (wrapped) on the left, the page number on the right."""
    text = pdf_text(FOOTER_TEMPLATE.format(url=doc.verification_url))
    size = 7.5
    lines = simpleSplit(text, FONT, size, _WIDTH - 28 * mm)
    if doc.kind == "surat_keputusan":
        number = pdf_text(f"Keputusan {issuer_of(doc)} {sk_number(doc).title()}")
    else:
        number = pdf_text(f"{KINDS[doc.kind]} Nomor {doc.number}")

    def footer(canv: Canvas, page: int, total: int) -> None:
        canv.saveState()
        canv.setLineWidth(0.4)
        top = 8 * mm + len(lines) * size * 1.25 + 2
        canv.line(_LEFT, top + 2, A4[0] - _RIGHT, top + 2)
        y = top - size
        canv.setFont(FONT, size)
        for line in lines:
            canv.drawString(_LEFT, y, line)
            y -= size * 1.25
        canv.setFont(FONT_BOLD, size)
        canv.drawRightString(A4[0] - _RIGHT, top - size, f"Halaman {page} dari {total}")
        if page > 1:  # identify loose continuation pages
            canv.setFont(FONT, size)
            canv.drawString(_LEFT, A4[1] - 9 * mm, number)
        canv.restoreState()

    return footer


def _signature(doc: LetterDoc, st: Styles) -> SignatureBlock:
    """The signature column for the letter's kind."""
    formal = doc.kind in ("surat_keputusan", "surat_edaran")
    above: list[str] = []
    if formal:
        above += [f"Ditetapkan di {doc.place}", f"pada tanggal {tanggal_id(doc.date)}", ""]
    elif doc.kind == "surat_tugas":
        above += [f"{doc.place}, {tanggal_id(doc.date)}", ""]
    lines = capacity_lines(doc.signer_capacity_prefix, doc.signer_title)
    above += [line.upper() for line in lines] if formal else lines
    below: list[str] = []
    if doc.signer_rank:
        below.append(doc.signer_rank)
    if doc.signer_nip:
        below.append(f"NIP. {format_nip(doc.signer_nip)}")
    return SignatureBlock([a or " " for a in above], doc.signer_name, below, st["left"])


def _head(doc: LetterDoc, st: Styles) -> list[Flowable]:
    """The kind-specific part between the kop and the body."""
    if doc.kind in ("surat_dinas", "surat_undangan"):
        return surat_dinas_head(doc, st, _WIDTH)
    if doc.kind == "nota_dinas":
        return nota_dinas_head(doc, st, _WIDTH)
    if doc.kind == "surat_edaran":
        return surat_edaran_head(doc, st, _WIDTH)
    if doc.kind == "surat_tugas":
        return surat_tugas_head(doc, st, _WIDTH)
    assert doc.sk_sections is not None  # checked by LetterDoc
    return sk_head(doc, doc.sk_sections, st, _WIDTH)


def _tembusan(items: Sequence[str], st: Styles) -> list[Flowable]:
    """The "Tembusan:" heading and the numbered copies (one size smaller than the body)."""
    small = ParagraphStyle("tmb", parent=st["left"], fontSize=st["left"].fontSize - 1)
    small.leading = small.fontSize * 1.3
    heading = RLParagraph(markup("Tembusan:"), small)
    heading.keepWithNext = True
    return [Spacer(1, 5 * mm), heading, *numbered(list(items), {"left": small})]


def _recipient_list(doc: LetterDoc, st: Styles) -> list[Flowable]:
    """Attached list of addressees when there are too many for the Yth. block."""
    center = ParagraphStyle("att_c", parent=st["left"], alignment=1)
    bold = ParagraphStyle("att_b", parent=center, fontName=FONT_BOLD)
    number = sk_number(doc) if doc.kind == "surat_keputusan" else f"Nomor {doc.number}"
    return [
        PageBreak(),
        RLParagraph("LAMPIRAN", bold),
        RLParagraph(markup(f"{KINDS[doc.kind]} {number}"), center),
        RLParagraph(markup(f"Tanggal {tanggal_id(doc.date)}"), center),
        Spacer(1, 6 * mm),
        RLParagraph("DAFTAR PENERIMA", bold),
        Spacer(1, 4 * mm),
        *numbered(list(doc.addressees), st),
    ]


def _story(doc: LetterDoc, st: Styles, sig: SignatureBlock, group_tembusan: bool) -> list[Flowable]:
    story: list[Flowable] = [KopFlowable(doc.kop, space_after=5 * mm), *_head(doc, st)]
    event = event_block(doc.event, st, _WIDTH) if doc.event else []
    body = blocks_to_flowables(doc.body_blocks, _WIDTH, st, event=event)
    if not body and doc.kind != "surat_keputusan" and not doc.tugas:
        body = [Spacer(1, 1)]
    # The last paragraph travels with the signature block, never alone above it.
    tail = body[-1:] if body else []
    story.extend(body[:-1] if body else [])
    tembusan = _tembusan(doc.tembusan, st) if doc.tembusan and doc.kind != "nota_dinas" else []
    story.append(CondPageBreak(25 * mm))
    if group_tembusan:
        # A short tembusan stays on the signature page.
        story.append(KeepTogether([*tail, Spacer(1, 5 * mm), sig, *tembusan]))
    else:
        story.append(KeepTogether([*tail, Spacer(1, 5 * mm), sig]))
        story.extend(tembusan)
    if (
        len([a for a in doc.addressees if a.strip()]) > ADDRESSEE_LIST_MAX
        and doc.kind != "surat_tugas"
    ):
        story.extend(_recipient_list(doc, st))
    return story


def _build(doc: LetterDoc, group_tembusan: bool) -> RenderedLetter:
    """One rendering; ``group_tembusan`` keeps the tembusan on the signature's page."""
    st = letter_styles()
    sig = _signature(doc, st)
    buf = io.BytesIO()
    title = f"{KINDS[doc.kind]} {doc.number}"
    if doc.kind == "surat_keputusan":
        title = f"Keputusan {issuer_of(doc)} {sk_number(doc).title()}"
    template = make_doc(
        buf,
        A4,
        (_LEFT, _RIGHT, _TOP, _BOTTOM),
        title=title,
        author=doc.kop.unit_name,
        subject=doc.perihal,
    )
    story = _story(doc, st, sig, group_tembusan)
    template.build(story, canvasmaker=page_footer_canvas(_footer_for(doc)))
    if sig.stamp_box is None or sig.stamp_page is None:  # pragma: no cover - reportlab contract
        raise RuntimeError("blok tanda tangan tidak tergambar")
    return RenderedLetter(
        pdf=buf.getvalue(),
        stamp_page=sig.stamp_page,
        stamp_box=sig.stamp_box,
        page_count=template.page,
    )


def render_letter(doc: LetterDoc) -> RenderedLetter:
    """Render ``doc`` to PDF and report where the stamp box is.

    A short tembusan is kept on the signature's page, unless that would push
    the signature to a later page than needed (then the tembusan follows on
    the next page). The output is byte-for-byte reproducible for equal input.
    Nothing may be added to the pages afterwards except the signature in
    ``stamp_box``.
    """
    has_tembusan = bool(doc.tembusan) and doc.kind != "nota_dinas"
    if not has_tembusan or len(doc.tembusan) > TEMBUSAN_WITH_SIGNATURE:
        return _build(doc, group_tembusan=False)
    grouped = _build(doc, group_tembusan=True)
    if grouped.stamp_page == 0:
        return grouped
    apart = _build(doc, group_tembusan=False)
    return apart if apart.stamp_page < grouped.stamp_page else grouped
