"""The review chain (issue 5): paraf in order, return with a required note, every version kept, resubmission
restarting the chain, the reviewer's view of what changed since the version they last saw, where the draft
waits and since when, and who may see or edit a draft."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import Draft, Notification
from sisumaker.services import outgoing
from sisumaker.services.errors import Conflict, NotFound, ValidationError
from sisumaker.services.outgoing_signing import drafts_to_sign
from tests.outgoing.support import act, content, naive, pos, routing, save, viewer

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
CHAIN = ("kabag.umum", "asisten3")  # Kepala Bagian Umum, then Asisten Administrasi Umum; the Sekda signs


@pytest.fixture
def clock(monkeypatch):
    """The chain's clock: each call is one hour after the previous; `clock.last` is the latest time given."""
    class Clock:
        last = T0

        def __call__(self):
            self.last += timedelta(hours=1)
            return self.last

    tick = Clock()
    monkeypatch.setattr(outgoing, "utcnow", tick)
    return tick


def _draft(draft_id: int) -> Draft:
    db.session.rollback()  # end the session's read snapshot; objects reload
    return db.session.get(Draft, draft_id)


def _where(draft_id: int) -> tuple[int | None, datetime]:
    draft = _draft(draft_id)
    return outgoing.waiting_position_id(draft), naive(draft.waiting_since)


def test_paraf_in_order_then_the_signer_is_next(ctx, clock):
    draft_id = save(r=routing(reviewers=CHAIN))
    assert _draft(draft_id).status == "review"
    assert _where(draft_id) == (pos("kabag.umum"), naive(clock.last))

    for outsider in ("asisten3", "sekda", "staf.umum", "kadis.dinkes"):  # not their turn, or not in the chain
        with pytest.raises(NotFound):
            act(outsider, outgoing.approve, draft_id)
    db.session.rollback()

    act("kabag.umum", outgoing.approve, draft_id, "Sudah sesuai.")
    draft = _draft(draft_id)
    assert [(s.status, s.acted_by.username if s.acted_by else None) for s in draft.steps] == [
        ("disetujui", "kabag.umum"), ("menunggu", None)]
    assert draft.steps[0].note == "Sudah sesuai." and draft.steps[0].seen_version == 1
    assert _where(draft_id) == (pos("asisten3"), naive(clock.last))
    assert draft_id not in [d.id for d in drafts_to_sign(viewer("sekda"))]

    act("asisten3", outgoing.approve, draft_id)
    assert _draft(draft_id).status == "siap"
    assert _where(draft_id) == (pos("sekda"), naive(clock.last))
    assert draft_id in [d.id for d in drafts_to_sign(viewer("sekda"))]
    assert draft_id not in [d.id for d in drafts_to_sign(viewer("kabag.umum"))]
    with pytest.raises(NotFound):  # the chain is done: nobody can paraf again
        act("asisten3", outgoing.approve, draft_id)
    db.session.rollback()
    bell = db.session.scalars(select(Notification.text).where(Notification.position_id == pos("sekda"))).all()
    assert any("menunggu TTE" in t and "Penggunaan Aplikasi Sisumaker" in t for t in bell)


def test_a_draft_without_reviewers_goes_straight_to_the_signer(ctx):
    draft_id = save(r=routing(reviewers=()))
    assert _draft(draft_id).status == "siap"
    assert _where(draft_id)[0] == pos("sekda")


@pytest.mark.parametrize("note", ["", "   ", "ok"])
def test_returning_requires_a_note(ctx, note):
    draft_id = save(r=routing(reviewers=CHAIN))
    with pytest.raises(ValidationError) as caught:
        act("kabag.umum", outgoing.return_draft, draft_id, note)
    assert caught.value.errors == {"note": "Tuliskan catatan koreksi untuk konseptor."}
    db.session.rollback()
    draft = _draft(draft_id)
    assert draft.status == "review" and draft.steps[0].status == "menunggu"


def test_a_returned_draft_waits_at_the_drafter_with_the_note(ctx, clock):
    draft_id = save(r=routing(reviewers=CHAIN))
    act("kabag.umum", outgoing.return_draft, draft_id, "Tambahkan batas waktu pelaksanaan.")
    draft = _draft(draft_id)
    assert draft.status == "dikembalikan"
    assert draft.steps[0].status == "dikembalikan" and draft.steps[0].note == "Tambahkan batas waktu pelaksanaan."
    assert _where(draft_id) == (pos("staf.umum"), naive(clock.last))
    bell = db.session.scalars(select(Notification.text).where(Notification.position_id == pos("staf.umum"))).all()
    assert any("dikembalikan" in t and "Tambahkan batas waktu" in t for t in bell)
    with pytest.raises(NotFound):  # returned: no reviewer acts until the drafter resends it
        act("asisten3", outgoing.approve, draft_id)


def test_resubmission_keeps_versions_restarts_the_chain_and_shows_changes(ctx, clock):
    draft_id = save(r=routing(reviewers=CHAIN))
    act("kabag.umum", outgoing.approve, draft_id)
    act("asisten3", outgoing.return_draft, draft_id, "Cantumkan batas waktu.")

    fixed = content(perihal="Penggunaan Aplikasi Sisumaker di Seluruh Perangkat Daerah",
                    body="Dalam rangka **SPBE**, diminta kepada Saudara untuk:\n\n1. menggunakan Sisumaker\n"
                         "2. melapor\n\nPaling lambat 31 Desember 2026.")
    assert save(c=fixed, r=routing(reviewers=CHAIN), draft_id=draft_id, send=False) == draft_id
    draft = _draft(draft_id)
    assert draft.version == 2 and draft.status == "dikembalikan"
    assert [v.version for v in draft.versions] == [1, 2]
    assert outgoing.content_of(draft, 1).perihal == "Penggunaan Aplikasi Sisumaker"
    assert "Paling lambat" not in outgoing.content_of(draft, 1).body
    assert "Paling lambat" in outgoing.content_of(draft).body

    act("staf.umum", outgoing.submit, draft_id)
    draft = _draft(draft_id)
    assert [s.status for s in draft.steps] == ["menunggu", "menunggu"], "the chain starts again from the first"
    assert _where(draft_id) == (pos("kabag.umum"), naive(clock.last))
    with pytest.raises(NotFound):
        act("asisten3", outgoing.approve, draft_id)
    db.session.rollback()

    seen = {s.position_id: s.seen_version for s in _draft(draft_id).steps}
    assert seen == {pos("kabag.umum"): 1, pos("asisten3"): 1}
    diff = outgoing.changes_since(_draft(draft_id), seen[pos("kabag.umum")])
    assert "+Paling lambat 31 Desember 2026." in diff
    assert "-Perihal: Penggunaan Aplikasi Sisumaker" in diff
    assert "+Perihal: Penggunaan Aplikasi Sisumaker di Seluruh Perangkat Daerah" in diff
    assert not any("menggunakan" in line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))

    act("kabag.umum", outgoing.approve, draft_id)
    draft = _draft(draft_id)
    assert draft.steps[0].seen_version == 2
    assert outgoing.changes_since(draft, draft.steps[0].seen_version) == []  # nothing new for the Kabag
    assert "+Paling lambat 31 Desember 2026." in outgoing.changes_since(draft, draft.steps[1].seen_version)
    act("asisten3", outgoing.approve, draft_id)
    assert _draft(draft_id).status == "siap"


def test_a_reviewer_who_never_saw_it_gets_no_diff(ctx):
    draft_id = save(r=routing(reviewers=CHAIN))
    assert outgoing.changes_since(_draft(draft_id), 0) == []


def test_only_the_drafter_edits_and_only_while_it_is_with_them(ctx):
    draft_id = save(r=routing(reviewers=CHAIN))
    with pytest.raises(Conflict):  # in review
        save(c=content(perihal="Diubah saat diperiksa"), draft_id=draft_id, send=False)
    db.session.rollback()
    act("kabag.umum", outgoing.return_draft, draft_id, "Perbaiki perihal.")
    with pytest.raises(NotFound):  # the reviewer may not rewrite the drafter's letter
        save("kabag.umum", c=content(perihal="Diubah pemeriksa"), r=routing(reviewers=("asisten3",)),
             draft_id=draft_id, send=False)
    db.session.rollback()
    assert _draft(draft_id).perihal == "Penggunaan Aplikasi Sisumaker" and _draft(draft_id).version == 1


def test_who_sees_a_draft(ctx):
    draft_id = save(r=routing(reviewers=CHAIN))
    for insider in ("staf.umum", "kabag.umum", "asisten3", "sekda"):
        assert draft_id in [d.id for d in outgoing.visible_drafts(viewer(insider))], insider
        assert outgoing.get_visible_draft(viewer(insider), draft_id).id == draft_id
    for outsider in ("kadis.dinkes", "kabag.hukum", "tu.setda"):
        assert draft_id not in [d.id for d in outgoing.visible_drafts(viewer(outsider))], outsider
        with pytest.raises(NotFound):
            outgoing.get_visible_draft(viewer(outsider), draft_id)


@pytest.mark.parametrize("kwargs, key", [
    (dict(reviewers=("kabag.umum", "sekda")), "reviewers"),  # the signer is not also a reviewer
    (dict(reviewers=("kabag.umum", "kabag.umum")), "reviewers"),
    (dict(capacity="an"), "capacity"),  # a.n. without the represented position
    (dict(signer="kabag.umum", reviewers=(), capacity="an", on_behalf="kadis.dinkes"), "capacity"),  # not below
    (dict(groups=("semua-planet",)), "recipients"),
])
def test_routing_refusals(ctx, kwargs, key):
    with pytest.raises(ValidationError) as caught:
        save(r=routing(**kwargs))
    assert key in caught.value.errors
    db.session.rollback()
    assert db.session.scalar(select(Draft.id)) is None


def test_a_draft_needs_a_recipient(ctx):
    r = outgoing.Routing(reviewer_ids=(pos("kabag.umum"),), signer_id=pos("sekda"))
    with pytest.raises(ValidationError) as caught:
        save(r=r)
    assert caught.value.errors["recipients"].startswith("Pilih paling sedikit satu penerima")
