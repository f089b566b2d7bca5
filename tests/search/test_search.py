"""Search (issue 6 part 1): ranking, highlighting, every filter, confidentiality of hits and counts, drafts and
disposition notes, and the page with and without htmx. Runs on SQLite and, when configured, PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from markupsafe import Markup

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.services import search as s
from sisumaker.services.letters import cancel_entry
from tests.letters.support import dispose, register, root_item, viewer

TODAY = date.today()


def find(username: str, text: str = "", **filters) -> s.SearchResult:
    db.session.rollback()
    return s.search(viewer(username), s.SearchQuery(text=text, **filters))


def titles(result: s.SearchResult) -> list[str]:
    return [Markup(h.title).striptags() for h in result.hits]


def test_a_better_match_ranks_first(ctx):
    register(perihal="Rapat evaluasi program daerah", summary="Termasuk laporan penyaluran pupuk.")
    register(perihal="Penyaluran pupuk bersubsidi kepada kelompok tani pupuk organik")
    register(perihal="Pengadaan alat tulis kantor")
    result = find("tu.setda", "pupuk")
    assert titles(result)[:2] == ["Penyaluran pupuk bersubsidi kepada kelompok tani pupuk organik",
                                  "Rapat evaluasi program daerah"]
    assert result.total == 2
    assert titles(find("tu.setda", "pupuk bersubsidi")) == [titles(result)[0]]  # every word must match
    assert titles(find("tu.setda", "pup"))[:2] == titles(result)[:2]  # word prefixes match as the user types


def test_matched_words_are_marked_after_escaping(ctx):
    register(perihal='<script>alert("x")</script> Jembatan & gorong-gorong', sender="Dinas <b>PUPR</b>")
    hit = find("tu.setda", "jembatan gorong").hits[0]
    assert "<script>" not in hit.title and "&lt;script&gt;" in hit.title
    assert "<mark>Jembatan</mark>" in hit.title and "<mark>gorong</mark>-<mark>gorong</mark>" in hit.title
    assert "&amp;" in hit.title
    assert str(s.highlight("a & b amp", ("amp",))) == "a &amp; b <mark>amp</mark>"  # never inside an entity
    assert str(s.highlight("<i>", ())) == "&lt;i&gt;"


def test_every_filter(ctx):
    old = TODAY - timedelta(days=40)
    register(perihal="Kelapa sawit dinas", jenis="surat_dinas", sifat="B", classification_code="500")
    register(perihal="Kelapa sawit undangan", jenis="surat_undangan", event_date=TODAY, sifat="T",
             classification_code="100")
    register(perihal="Kelapa sawit lama", letter_date=old, received_on=old + timedelta(days=1))
    cancelled = register(perihal="Kelapa sawit ganda")
    register("tu.dinkes", perihal="Kelapa sawit kesehatan", to=("kadis.dinkes",))
    begin_write()
    cancel_entry(viewer("tu.setda"), cancelled.id, "Tercatat dua kali")
    db.session.commit()

    def got(**f):
        return sorted(t.removeprefix("Kelapa sawit ") for t in titles(find("tu.setda", "kelapa sawit", **f)))

    assert got() == ["dinas", "ganda", "lama", "undangan"]  # the Dinkes letter is another unit's
    assert got(jenis="surat_undangan") == ["undangan"]
    assert got(sifat="T") == ["undangan"]
    assert got(klasifikasi="500") == ["dinas"]
    assert got(date_from=old - timedelta(days=1), date_to=old + timedelta(days=2)) == ["lama"]
    assert got(date_from=TODAY - timedelta(days=10)) == ["dinas", "ganda", "undangan"]
    assert got(status="dibatalkan") == ["ganda"]
    assert "ganda" not in got(status="aktif")
    assert got(direction="keluar") == [] and len(got(direction="masuk")) == 4
    setda = cancelled.unit_id
    assert len(got(unit_id=setda)) == 4
    dinkes_unit = register("tu.dinkes", perihal="Kelapa sawit dua", to=("kadis.dinkes",)).unit_id
    assert got(unit_id=dinkes_unit) == []  # visible to tu.setda: none
    assert sorted(titles(find("tu.dinkes", "kelapa", unit_id=dinkes_unit))) == ["Kelapa sawit dua",
                                                                               "Kelapa sawit kesehatan"]


def test_filters_alone_list_without_words_and_bad_input_is_refused(ctx):
    register(perihal="Tanpa kata kunci", jenis="pengumuman")
    assert "Tanpa kata kunci" in titles(find("tu.setda", jenis="pengumuman"))
    assert find("tu.setda").hits == []  # nothing asked, nothing listed
    with pytest.raises(s.ValidationError) as exc:
        find("tu.setda", "x", date_from=TODAY, date_to=TODAY - timedelta(days=1))
    assert "sampai" in exc.value.errors
    with pytest.raises(s.ValidationError):
        find("tu.setda", "x", klasifikasi="800'; drop")


def test_a_rahasia_letter_is_found_only_by_those_it_reaches_not_even_as_a_count(ctx):
    entry = register(perihal="Pemeriksaan zamrud internal", sifat="R", summary="Zamrud rahasia")
    register(perihal="Lelang zamrud terbuka")
    for who in ("tu.setda", "kadis.dinkes", "sekda", "asisten1"):
        result = find(who, "zamrud")
        assert "Pemeriksaan zamrud internal" not in titles(result), who
        assert result.total == (1 if who == "tu.setda" else 0), who
        assert find(who, "zamrud", sifat="R").total == 0, who
    assert sorted(titles(find("bupati", "zamrud"))) == ["Lelang zamrud terbuka", "Pemeriksaan zamrud internal"]
    assert titles(find("bupati", "zamrud", sifat="R")) == ["Pemeriksaan zamrud internal"]
    dispose("bupati", root_item(entry.letter_id, "bupati").id, ("sekda",), note="Mohon telaah zamrud ini")
    found = find("sekda", "zamrud")
    assert {h.kind for h in found.hits} == {"surat", "disposisi"} and found.total == 2
    assert find("asisten1", "zamrud").total == 0


def test_disposition_notes_are_found_by_their_sender_and_recipient_only(ctx):
    entry = register(perihal="Permohonan data penduduk")
    dispose("bupati", root_item(entry.letter_id, "bupati").id, ("sekda",), note="Koordinasikan dengan kapuk")
    for who, n in (("bupati", 1), ("sekda", 1), ("tu.setda", 0), ("kadis.dinkes", 0)):
        result = find(who, "kapuk")
        assert result.total == n, who
    hit = find("sekda", "kapuk").hits[0]
    assert hit.kind == "disposisi" and "<mark>kapuk</mark>" in hit.snippet


def test_drafts_are_found_by_those_the_outgoing_module_shows_them_to(ctx):
    from tests.outgoing.support import content, routing, save

    draft_id = save(c=content(perihal="Edaran hemat energi", body="Matikan lampu ruang rapat pukul 16.00."),
                    r=routing(reviewers=("kabag.umum",), signer="sekda"))
    for who in ("staf.umum", "kabag.umum", "sekda"):
        result = find(who, "lampu")
        assert [(h.kind, h.draft_id) for h in result.hits] == [("konsep", draft_id)], who
    assert find("staf.umum", "lampu", direction="keluar").total == 1
    assert find("staf.umum", "lampu", status="review").total == 1
    assert find("staf.umum", "lampu", status="konsep").total == 0
    for who in ("kadis.dinkes", "tu.setda", "bupati"):
        assert find(who, "lampu").total == 0, who


def test_paging(ctx):
    for i in range(s.PAGE_SIZE + 3):
        register(perihal=f"Laporan bulanan kecapi {i}")
    first, second = find("tu.setda", "kecapi"), find("tu.setda", "kecapi", page=2)
    assert first.total == s.PAGE_SIZE + 3 and first.has_more and len(first.hits) == s.PAGE_SIZE
    assert len(second.hits) == 3 and not second.has_more
    assert not {h.letter_id for h in first.hits} & {h.letter_id for h in second.hits}


# ------------------------------------------------------------------------------------------------ the page


def test_the_page_works_without_javascript_and_as_an_htmx_fragment(ctx, client_for):
    register(perihal="Peresmian pasar rakyat")
    client = client_for("tu.setda")
    page = client.get("/cari?q=pasar+rakyat&jenis=surat_dinas")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<form class="card search-form" method="get"' in html
    assert "<mark>pasar</mark> <mark>rakyat</mark>" in html and 'href="/cari"' in html  # the nav link
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/cari?q=pasar", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="hasil"') and "<form" not in fragment
    assert "<mark>pasar</mark>" in fragment
    bad = client.get("/cari?q=pasar&dari=2026-02-30")
    assert bad.status_code == 422 and "Tanggal tidak valid" in bad.get_data(as_text=True)
    other = client_for("kadis.dinkes").get("/cari?q=pasar").get_data(as_text=True)
    assert "Peresmian" not in other and "Tidak ada hasil" in other


def test_pages_follow_the_order_and_the_count_is_exact(ctx, monkeypatch):
    """Pages cut the one order (perihal first, newest first) without gaps or repeats; the count is exact."""
    for i in range(6):
        register(perihal=f"Rekap kenari nomor {i}", letter_date=TODAY - timedelta(days=10 - i))
    register(perihal="Rekap bulanan", summary="kenari", letter_date=TODAY)
    register("tu.dinkes", perihal="Kenari dinkes", to=("kadis.dinkes",))
    monkeypatch.setattr(s, "PAGE_SIZE", 2)
    pages = [find("tu.setda", "kenari", page=p) for p in (1, 2, 3, 4)]
    assert [t for page in pages for t in titles(page)] == [f"Rekap kenari nomor {i}" for i in range(5, -1, -1)] \
        + ["Rekap bulanan"]
    assert [p.has_more for p in pages] == [True, True, True, False] and {p.total for p in pages} == {7}


def test_parts_of_a_letter_number_are_words_on_both_databases(ctx):
    register(perihal="Sosialisasi aplikasi", number="800/1234/BKPSDM_Kab/2026", sender="Badan Kepegawaian")
    for text in ("bkpsdm", "1234", "800/1234", "kab", "bkpsdm kab 2026"):
        assert titles(find("tu.setda", text)) == ["Sosialisasi aplikasi"], text


def test_an_agenda_number_finds_the_line_of_ones_own_register_first(ctx):
    entry = register(perihal="Surat yang dicari lewat agenda")
    other = register("tu.dinkes", perihal="Agenda unit lain", to=("kadis.dinkes",))
    label = entry.agenda_label
    assert titles(find("tu.setda", label))[0] == "Surat yang dicari lewat agenda"
    assert titles(find("tu.setda", f"agenda {label}"))[0] == "Surat yang dicari lewat agenda"
    assert "Agenda unit lain" not in titles(find("tu.setda", other.agenda_label))
    assert titles(find("tu.dinkes", other.agenda_label))[0] == "Agenda unit lain"
    assert titles(find("bupati", label))[0] == "Surat yang dicari lewat agenda"  # the Setda keeps his register


def test_the_page_says_how_results_are_ordered(ctx, client_for):
    register(perihal="Sosialisasi pasar murah")
    client = client_for("tu.setda")
    assert "Urutan:" not in client.get("/cari?q=pasar+murah").get_data(as_text=True)  # one hit: nothing to order
    register(perihal="Laporan bulanan", summary="Termasuk pasar murah")
    html = client.get("/cari?q=pasar+murah").get_data(as_text=True)
    assert "2 hasil" in html and "Urutan: perihal yang memuat kata kunci dahulu, lalu yang terbaru." in html
    assert html.index("Sosialisasi") < html.index("Laporan bulanan")
