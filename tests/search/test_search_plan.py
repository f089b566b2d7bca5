"""The search plan (issue 6 at 1,000,000 letters): the readers kept inside the full-text index must open exactly
the documents the visibility rule opens, after every kind of write; the order read off the index must be the
documented one (perihal with every word, some, none; newest first), page by page, with the exact count; and a
reader list that lagged behind must never show a document. Runs on SQLite and, when configured, PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import Draft, Letter, ReviewStep, SearchDocument
from sisumaker.services import search as s
from sisumaker.services import search_plan
from sisumaker.services.dispositions import recall_disposition
from sisumaker.services.letters import cancel_entry
from sisumaker.services.search_index import document_id, rebuild_search_index
from tests.letters.support import dispose, pos, register, root_item, viewer
from tests.search.support import assert_readers_follow_the_rule, expected_order, visible_by_rule

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
    register(perihal="Undangan rapat", summary="Membahas kenari dan rapat anggaran")
    save(c=content(perihal="Edaran kenari hemat", body="Kenari di ruang rapat."),
         r=routing(reviewers=("kabag.umum",), signer="sekda"))


def test_the_readers_in_the_index_open_exactly_what_the_rule_opens(register_mix):
    assert_readers_follow_the_rule(USERS)
    # the kadis: his five Dinkes letters (the Rahasia one is addressed to him), the note he sent, the Setda letter
    # and the note the Bupati disposed to him; not the disposition the Bupati recalled
    assert s.search(viewer("kadis.dinkes"), s.SearchQuery(text="kenari")).total == 8


def test_every_write_that_changes_who_may_see_keeps_the_readers_in_step(register_mix):
    entry = register(perihal="Kenari berpindah tangan")
    children = dispose("bupati", root_item(entry.letter_id, "bupati").id, ("sekda", "kadis.dinkes"))
    assert_readers_follow_the_rule(USERS)
    begin_write()
    recall_disposition(viewer("bupati"), children[1].id)  # the kadis loses the letter and the note
    db.session.commit()
    assert_readers_follow_the_rule(USERS)
    begin_write()
    cancel_entry(viewer("tu.setda"), entry.id, "Tercatat dua kali")  # a cancelled line still opens it to the clerk
    db.session.commit()
    assert_readers_follow_the_rule(USERS)
    begin_write()  # any ORM writer: Biasa to Rahasia takes the letter away from the registering clerks
    db.session.get(Letter, entry.letter_id).sifat = "R"
    db.session.commit()
    assert entry.letter_id not in {h.letter_id for h in s.search(viewer("tu.setda"), s.SearchQuery(text="berpindah")).hits}
    assert_readers_follow_the_rule(USERS)
    draft = db.session.scalar(select(Draft).where(Draft.perihal == "Edaran kenari hemat"))
    begin_write()  # a reviewer added to the chain, the signer changed, a step removed
    db.session.add(ReviewStep(draft_id=draft.id, step=9, position_id=pos("asisten1")))
    db.session.get(Draft, draft.id).signer_position_id = pos("wabup")
    db.session.commit()
    assert_readers_follow_the_rule(USERS)
    begin_write()
    for step in db.session.scalars(select(ReviewStep).where(ReviewStep.draft_id == draft.id,
                                                            ReviewStep.position_id == pos("asisten1"))):
        db.session.delete(step)
    db.session.commit()
    assert_readers_follow_the_rule(USERS)
    before = {d.id: d.readers for d in db.session.scalars(select(SearchDocument))}
    begin_write()
    rebuild_search_index(db.session.connection())  # the bulk path gives the same ids and readers
    db.session.commit()
    after = {d.id: d.readers for d in db.session.scalars(select(SearchDocument))}
    assert {k: set(v.split()) for k, v in after.items()} == {k: set(v.split()) for k, v in before.items()}


QUERIES = [("kenari", {}), ("kenari rapat", {}), ("rapat kenari koordinasi", {}), ("kena", {}),
           ("kenari", {"sifat": "R"}), ("kenari", {"jenis": "surat_edaran"}),
           ("kenari", {"date_from": TODAY - timedelta(days=10)}), ("kenari", {"date_to": TODAY - timedelta(days=30)}),
           ("kenari", {"status": "review"}), ("kenari", {"direction": "masuk"}), ("kenari", {"klasifikasi": "500"}),
           ("zzzz", {})]


@pytest.mark.parametrize("page_size, plan", [(3, "by tier"), (20, "by tier"), (3, "one pass"), (20, "one pass")])
def test_hits_come_in_the_documented_order_with_the_exact_count(register_mix, monkeypatch, page_size, plan):
    """Both plans (PostgreSQL picks one by the planner's estimate; SQLite always walks the tiers)."""
    monkeypatch.setattr(s, "PAGE_SIZE", page_size)
    monkeypatch.setattr(search_plan, "ONE_PASS_MAX", 10**9 if plan == "one pass" else -1)
    for username in USERS:
        for text, filters in QUERIES:
            q = s.SearchQuery(text=text, **filters)
            db.session.rollback()
            want = [_shown_as(i) for i in expected_order(username, q)]
            shown, page = [], 1
            while True:
                result = s.search(viewer(username), s.SearchQuery(text=text, page=page, **filters))
                assert result.total == len(want) and not result.capped, (username, text, filters)
                shown += [(h.kind, h.letter_id, h.draft_id) for h in result.hits]
                if not result.has_more:
                    break
                page += 1
            assert shown == want, (username, text, filters, page)


def _shown_as(doc_id: int) -> tuple:
    d = db.session.get(SearchDocument, doc_id)
    if d.kind == "konsep":
        return ("konsep", db.session.get(Draft, d.draft_id).letter_id, d.draft_id)
    return (d.kind, d.letter_id, None)


def test_perihal_first_then_newest(ctx):
    register(perihal="Laporan lain", summary="berisi pupuk bersubsidi", letter_date=TODAY - timedelta(days=1))
    register(perihal="Pupuk organik lama", letter_date=TODAY - timedelta(days=30))
    register(perihal="Penyaluran pupuk bersubsidi", letter_date=TODAY - timedelta(days=20))
    register(perihal="Pupuk terbaru", summary="Bersubsidi", letter_date=TODAY - timedelta(days=2))
    titles = [h.title.striptags() for h in s.search(viewer("tu.setda"), s.SearchQuery(text="pupuk bersubsidi")).hits]
    assert titles == ["Penyaluran pupuk bersubsidi", "Pupuk terbaru", "Laporan lain"]
    titles = [h.title.striptags() for h in s.search(viewer("tu.setda"), s.SearchQuery(text="pupuk")).hits]
    assert titles == ["Pupuk terbaru", "Penyaluran pupuk bersubsidi", "Pupuk organik lama", "Laporan lain"]


def test_document_ids_follow_the_date_and_stay_when_indexed_again(ctx):
    late = register(perihal="Surat kecapi yang tercatat terlambat", letter_date=TODAY - timedelta(days=9))
    early = register(perihal="Surat kecapi terbaru", letter_date=TODAY - timedelta(days=1))
    doc = SearchDocument
    late_id = db.session.scalar(select(doc.id).where(doc.letter_id == late.letter_id, doc.kind == "surat"))
    assert late_id == document_id("surat", late.letter_id, TODAY - timedelta(days=9))
    assert [h.letter_id for h in s.search(viewer("tu.setda"), s.SearchQuery(text="kecapi")).hits] \
        == [early.letter_id, late.letter_id]
    begin_write()
    db.session.get(Letter, late.letter_id).perihal = "Surat kecapi yang tercatat terlambat (diperbaiki)"
    db.session.commit()
    assert db.session.scalar(select(doc.id).where(doc.letter_id == late.letter_id, doc.kind == "surat")) == late_id
    assert s.search(viewer("tu.setda"), s.SearchQuery(text="diperbaiki")).total == 1


@pytest.mark.parametrize("one_pass_max", [-1, 10**9])
def test_a_reader_list_that_lags_never_shows_a_document(register_mix, monkeypatch, one_pass_max):
    """Readers wrongly granting the camat every "kenari" document: the rule, checked on every hit, still hides
    the others; batches thinned by it are followed by the next ones until his own are found."""
    monkeypatch.setattr(search_plan, "ONE_PASS_MAX", one_pass_max)
    camat = f"p{pos('camat.anyar')}"
    secret = db.session.scalar(select(Letter.id).where(Letter.perihal == "Pemeriksaan kenari rahasia"))
    register(perihal="Kenari terbaru satu")  # the Setda's, newer than his: the first batches are not his
    register(perihal="Kenari terbaru dua")
    his = visible_by_rule("camat.anyar") & _kenari()
    assert len(his) == 1
    begin_write()
    db.session.execute(update(SearchDocument).where(SearchDocument.id.in_(_kenari()))
                       .values(readers=SearchDocument.readers + " " + camat))
    db.session.commit()
    result = s.search(viewer("camat.anyar"), s.SearchQuery(text="kenari"))
    assert secret not in {h.letter_id for h in result.hits} and result.total == 1
    monkeypatch.setattr(s, "COUNT_CAP", 1)  # two documents a batch: the newest are not his
    monkeypatch.setattr(s, "PAGE_SIZE", 1)
    result = s.search(viewer("camat.anyar"), s.SearchQuery(text="kenari"))
    assert [h.title.striptags() for h in result.hits] == ["Kenari kecamatan"] and not result.capped


def _kenari() -> set[int]:
    return set(db.session.scalars(select(SearchDocument.id).where(
        (SearchDocument.title + " " + SearchDocument.body).ilike("%kenari%"))))
