"""Sanitising the letter body (issue 5): plain text with a tiny markup becomes document blocks; HTML and script
tags stay literal characters in the blocks, in the rendered PDF and on the page; control characters are dropped;
bold, italic, numbered lists and tables are parsed."""
from __future__ import annotations

from datetime import date

import pytest

from sisumaker.documents import NumberedList, Paragraph, Run, Table, render_letter
from sisumaker.extensions import db
from sisumaker.models import Draft
from sisumaker.services.bodytext import MAX_BODY, clean, lines, parse_body
from sisumaker.services.errors import ValidationError
from sisumaker.services.outgoing_signing import build_letter_doc
from tests.outgoing.support import content, pdf_text, routing, save, viewer

NASTY = ('<script>alert("x")</script> dan <b>tebal palsu</b> &amp; <img src=x onerror=alert(1)> '
         '<a href="javascript:alert(2)">klik</a>')


def test_html_and_script_tags_are_literal_text():
    blocks = parse_body(NASTY)
    assert blocks == [Paragraph([Run(NASTY)])]


def test_control_characters_are_dropped_and_line_ends_normalised():
    text = "Baris\x00 satu\x07\x1b[31m merah\x7f\r\nbaris dua\rbaris\ttiga\x0c"
    assert clean(text) == "Baris satu[31m merah\nbaris dua\nbaris\ttiga"
    [para] = parse_body(text)
    assert para == Paragraph([Run("Baris satu[31m merah baris dua baris\ttiga")])
    assert lines("  Kepala Dinas\x00 Kesehatan \r\n\r\n Camat\x1b Pulo Ampel ") == [
        "Kepala Dinas Kesehatan", "Camat Pulo Ampel"]


def test_bold_and_italic_runs():
    [para] = parse_body("Diminta **segera** melapor kepada _Sekretaris Daerah_ paling lambat **31 Desember**.")
    assert list(para.runs) == [Run("Diminta "), Run("segera", bold=True), Run(" melapor kepada "),
                               Run("Sekretaris Daerah", italic=True), Run(" paling lambat "),
                               Run("31 Desember", bold=True), Run(".")]


@pytest.mark.parametrize("text", [
    "nama_file_surat.pdf dan **tidak ditutup serta 2 * 3 = 6",
    "kirim ke sekretariat_dinas_kesehatan@serangkab.go.id",
    "kode _abc_def_ tetap",
])
def test_markup_inside_words_and_unclosed_markers_stay_text(text):
    [para] = parse_body(text)
    assert list(para.runs) == [Run(text)]


def test_paragraphs_numbered_lists_and_tables():
    body = ("Dengan hormat,\nbersama ini disampaikan:\n\n"
            "1. daftar hadir\n2) **notulen** rapat\n3. foto kegiatan\n\n"
            "| No | Unit | Jumlah |\n|----|------|--------|\n| 1 | Dinkes | 12 |\n| 2 | <Kecamatan> |\n\n"
            "| tanpa | kepala |\n| a | b |")
    blocks = parse_body(body)
    assert blocks[0] == Paragraph([Run("Dengan hormat, bersama ini disampaikan:")])
    assert blocks[1] == NumberedList([[Run("daftar hadir")], [Run("notulen", bold=True), Run(" rapat")],
                                      [Run("foto kegiatan")]])
    assert blocks[2] == Table([["No", "Unit", "Jumlah"], ["1", "Dinkes", "12"], ["2", "<Kecamatan>", ""]],
                              header=True)
    assert blocks[3] == Table([["tanpa", "kepala"], ["a", "b"]], header=False)
    assert len(blocks) == 4


def test_a_mixed_chunk_is_a_paragraph_not_a_list():
    [para] = parse_body("1. butir\nbukan butir")
    assert isinstance(para, Paragraph)


def test_a_body_over_the_limit_is_refused():
    parse_body("a" * MAX_BODY)
    with pytest.raises(ValidationError) as caught:
        parse_body("a" * (MAX_BODY + 1))
    assert caught.value.errors == {"body": "Isi surat paling banyak 20.000 karakter."}


def test_the_rendered_letter_prints_tags_literally(ctx):
    body = f"Perhatikan:\n\n{NASTY}\n\n1. <b>butir</b> satu\n\n| <td>sel</td> | x |"
    draft_id = save(c=content(body=body + "\x00\x1b", perihal="Uji <i>perihal</i>", tembusan=("<u>Bupati</u>",)),
                    r=routing(to=("kadis.dinkes",)))
    draft = db.session.get(Draft, draft_id)
    draft.number, draft.number_date = "000/1/SETDA/2026", date(2026, 11, 22)
    pdf = render_letter(build_letter_doc(draft, viewer("sekda"), "http://localhost/v/x", "Serang")).pdf
    db.session.rollback()
    text = pdf_text(pdf)
    for literal in ('<script>alert("x")</script>', "<b>tebal palsu</b>", "&amp;", "<img src=x onerror=alert(1)>",
                    "<b>butir</b> satu", "<td>sel</td>", "<U>BUPATI</U>"):
        assert literal in text or literal in text.upper(), (literal, text)
    assert "Uji <i>perihal</i>".upper() in text.upper()
    assert "\x1b" not in text and "\x00" not in text


def test_the_draft_page_escapes_the_body(ctx, client_for):
    draft_id = save(c=content(body=NASTY), r=routing(to=("kadis.dinkes",)))
    html = client_for("staf.umum").get(f"/surat-keluar/{draft_id}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>tebal palsu</b>" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;b&gt;tebal palsu&lt;/b&gt;" in html
