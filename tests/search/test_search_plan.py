"""The search planner (issue 6 at 1,000,000 letters): both strategies — rank first, visible first — must give the
same hits in the same order with the same count, and the visible set built from the viewer's own rows must be
exactly the visibility rule's. Runs on SQLite and, when configured, PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import Letter, SearchDocument
from sisumaker.services import search as s
from sisumaker.services import search_plan
from sisumaker.services.access import visible_letter_clause, visible_letter_ids
from sisumaker.services.dispositions import recall_disposition
from sisumaker.services.search_plan import visible_document_clause, visible_document_ids, with_sources
from tests.letters.support import dispose, register, root_item, viewer

USERS = ("bupati", "wabup", "sekda", "asisten1", "kadis.dinkes", "kabid1.dinkes", "sekretaris.dinkes", "tu.setda",
         "tu.dinkes", "kabag.umum", "staf.umum", "camat.anyar", "tu.kec.anyar")
TODAY = date.today()


@pytest.fixture()
def register_mix(ctx):
    """Letters of the Setda, the Dinkes and a kecamatan, Rahasia ones, disposition trees, a recalled disposition
    and a draft: every way of seeing (or not seeing) a document, all matching the word "kenari"."""
    from tests.outgoing.support import content, routing, save

    old = TODAY - timedelta(days=60)
    for i in range(6):
        register(perihal=f"Kenari kenari {'kenari ' * (i % 3)}{i}", summary="Rapat kenari kenari koordinasi")
    secret = register(perihal="Pemeriksaan kenari rahasia", sifat="R")
    setda = register(perihal="Laporan kenari lama", letter_date=old, received_on=old + timedelta(days=1),
                     jenis="surat_edaran", classification_code="500")
    dispose("bupati", root_item(secret.letter_id, "bupati").id, ("sekda",), note="Telaah kenari ini")
    dispose("bupati", root_item(setda.letter_id, "bupati").id, ("sekda", "kadis.dinkes"), note="Kenari segera")
    recalled = dispose("bupati", root_item(register(perihal="Kenari ditarik").letter_id, "bupati").id,
                       ("kadis.dinkes",), note="Kenari ditarik kembali")
    begin_write()
    recall_disposition(viewer("bupati"), recalled[0].id)
    db.session.commit()
    for i in range(4):
        register("tu.dinkes", perihal=f"Kenari kesehatan {i}", to=("kadis.dinkes",), sifat="R" if i == 3 else "B")
    entry = register("tu.dinkes", perihal="Kenari bidang satu", to=("kadis.dinkes",))
    dispose("kadis.dinkes", root_item(entry.letter_id, "kadis.dinkes").id, ("kabid1.dinkes",), note="Kenari cek")
    register("tu.kec.anyar", perihal="Kenari kecamatan", to=("camat.anyar",))
    save(c=content(perihal="Edaran kenari hemat", body="Kenari di ruang rapat."),
         r=routing(reviewers=("kabag.umum",), signer="sekda"))


def test_the_visible_set_listed_from_ones_rows_is_exactly_the_rule(register_mix):
    for username in USERS:
        v = viewer(username)
        by_rule = set(db.session.scalars(select(Letter.id).where(visible_letter_clause(v))))
        assert set(db.session.scalars(visible_letter_ids(v))) == by_rule, username
        doc = SearchDocument
        every = with_sources(select(doc.id).select_from(doc), v, [])
        assert set(db.session.scalars(visible_document_ids(v))) == set(db.session.scalars(every)), username
        assert set(db.session.scalars(select(doc.id).where(doc.id.in_(visible_document_ids(v))))) \
            == set(db.session.scalars(with_sources(select(doc.id).select_from(doc), v, [visible_document_clause(v)])))


def both(username: str, text: str, **filters) -> tuple[s.SearchResult, s.SearchResult]:
    db.session.rollback()
    q = s.SearchQuery(text=text, **filters)
    return s.search(viewer(username), q, strategy="visible"), s.search(viewer(username), q, strategy="rank")


def shown(result: s.SearchResult) -> list[tuple]:
    return [(h.kind, h.letter_id, h.draft_id) for h in result.hits]


QUERIES = [("kenari", {}), ("kenari rapat", {}), ("kena", {}), ("kenari", {"sifat": "R"}),
           ("kenari", {"jenis": "surat_edaran"}), ("kenari", {"date_from": TODAY - timedelta(days=10)}),
           ("kenari", {"status": "review"}), ("kenari", {"direction": "masuk"}), ("kenari", {"klasifikasi": "500"}),
           ("kenari", {"page": 2}), ("zzzz", {})]


def test_both_strategies_give_the_same_hits_order_and_count(register_mix):
    for username in USERS:
        for text, filters in QUERIES:
            visible, ranked = both(username, text, **filters)
            label = (username, text, filters)
            assert shown(visible) == shown(ranked), label
            assert (visible.total, visible.capped, visible.has_more, visible.at_least) \
                == (ranked.total, ranked.capped, ranked.has_more, ranked.at_least), label
    # his five Dinkes letters (the Rahasia one is addressed to him), the note he sent, the Setda letter and the note
    # the Bupati disposed to him; not the disposition the Bupati recalled
    assert both("kadis.dinkes", "kenari")[0].total == 8
    assert {h.kind for h in both("sekda", "kenari")[0].hits} >= {"surat", "disposisi", "konsep"}


def test_few_visible_letters_among_many_matches_same_order_as_the_windows(register_mix, monkeypatch):
    """A kepala dinas and a common word: the best-ranked matches are the Setda's; the windows (rank first) must
    widen to find his, visible first finds them at once — the same page, and an exact count instead of "at least"."""
    monkeypatch.setattr(search_plan, "WINDOWS", (2, 4))
    monkeypatch.setattr(s, "PAGE_SIZE", 2)
    visible, ranked = both("kadis.dinkes", "kenari")
    assert shown(visible) == shown(ranked) and len(visible.hits) == 2
    assert not visible.at_least and visible.total == 8
    his = set(db.session.scalars(visible_letter_ids(viewer("kadis.dinkes"))))
    best = both("bupati", "kenari")[1]  # the Bupati sees the Setda's letters: the best-ranked ones are not his
    assert best.hits and not {h.letter_id for h in best.hits} & his
    for page in (2, 3):
        v, r = both("kadis.dinkes", "kenari", page=page)
        assert shown(v) == shown(r), page


def test_the_planner_picks_visible_first_for_few_rows_and_many_matches(register_mix, monkeypatch):
    kenari = ("kenari",)
    assert search_plan.choose(viewer("kadis.dinkes"), kenari) == "rank"  # a few matches: one ranking pass
    monkeypatch.setattr(search_plan, "MANY_MATCHES", 5)
    assert search_plan.choose(viewer("kadis.dinkes"), kenari) == "visible"
    assert search_plan.choose(viewer("kadis.dinkes"), ("kesehatan",)) == "rank"
    assert search_plan.visible_rows_up_to(viewer("bupati"), 3) == 3  # counted up to the cap
    assert search_plan.visible_rows_up_to(viewer("camat.anyar"), 100) == 1
    monkeypatch.setattr(search_plan, "SMALL_VISIBLE", 3)
    assert search_plan.choose(viewer("bupati"), kenari) == "rank"
    assert search_plan.choose(viewer("camat.anyar"), kenari) == "visible"
    db.session.rollback()
    result = s.search(viewer("bupati"), s.SearchQuery(text="kenari"))
    assert shown(result) == shown(both("bupati", "kenari")[0])


def test_a_window_cut_through_equal_ranks_still_shows_the_newest_first(ctx, monkeypatch):
    """Letters with the same text rank equal: the window must hold all of them, or the newest could fall out of
    it while older ones of the same rank are shown (then the page would not be in the order the rule says)."""
    days = [40, 30, 25, 12, 7, 3, 1]  # the newest registered last
    for d in days:
        register(perihal="Pengadaan kecapi kantor", letter_date=TODAY - timedelta(days=d + 1),
                 received_on=TODAY - timedelta(days=d))
    monkeypatch.setattr(search_plan, "WINDOWS", (2, 4))
    monkeypatch.setattr(s, "PAGE_SIZE", 2)
    for page in (1, 2, 3):
        visible, ranked = both("tu.setda", "kecapi", page=page)
        assert shown(visible) == shown(ranked), page
        assert [h.doc_date for h in ranked.hits] == sorted((h.doc_date for h in ranked.hits), reverse=True)
    newest = [TODAY - timedelta(days=d + 1) for d in sorted(days)[:2]]
    assert [h.doc_date for h in both("tu.setda", "kecapi")[1].hits] == newest
