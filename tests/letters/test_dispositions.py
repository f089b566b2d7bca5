"""Disposition rules (services.dispositions): who may dispose to whom, input checks, the read tick, statuses and
reports, recall, disposing further down, the tracking tree with overdue marks, and acting (Plh) officials."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import AuditEvent, InboxItem, Notification, Position
from sisumaker.services.calendar import add_working_days
from sisumaker.services.dispositions import (DispositionInput, dispose_letter, open_item, recall_disposition,
                                             report_progress, tracking_trees)
from sisumaker.services.errors import Conflict, NotFound, ValidationError
from sisumaker.services.org import assign_acting
from tests.letters.support import counts, dispose, pos, register, root_item, user, viewer

TODAY = date.today()


@pytest.fixture
def letter(ctx):
    """A Biasa letter registered by the Setda, addressed to the Bupati; returns the Bupati's item."""
    entry = register("tu.setda")
    return root_item(entry.letter_id, "bupati")


def _refused(username, item_id, data, field, today=None):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        dispose_letter(viewer(username), item_id, data, today=today)
    assert field in caught.value.errors, caught.value.errors
    assert counts() == before
    db.session.rollback()
    return caught.value.errors[field]


def _to(*usernames, instructions=("Untuk ditindaklanjuti",), **kw) -> DispositionInput:
    return DispositionInput(tuple(pos(u) for u in usernames), tuple(instructions), **kw)


# ------------------------------------------------------------------------------------------ recipients


@pytest.mark.parametrize("to", ["kadis.dinkes", "kadis.dishub", "kadis.dlh", "camat.pulo-ampel", "sekda",
                                "kadis.inspektorat", "kabid1.dinkes"])
def test_the_bupati_reaches_any_opd_head_camat_and_below(letter, to):
    children = dispose("bupati", letter.id, (to,))
    assert [(c.position_id, c.kind, c.parent_id, c.status) for c in children] == \
        [(pos(to), "disposisi", letter.id, "diterima")]


def test_a_head_disposes_only_down_his_own_subtree(letter):
    dispose("bupati", letter.id, ("kadis.dinkes",))
    kadis_item = root_item(letter.letter_id, "kadis.dinkes")
    message = _refused("kadis.dinkes", kadis_item.id, _to("kadis.dishub"), "recipients")
    assert "bawahan" in message
    for outside in ("kadis.dinkes", "bupati", "sekda", "tu.setda"):  # itself, superiors, another branch
        _refused("kadis.dinkes", kadis_item.id, _to(outside), "recipients")
    # a valid recipient mixed with an invalid one: all refused
    _refused("kadis.dinkes", kadis_item.id, _to("kabid1.dinkes", "kadis.dishub"), "recipients")
    assert [c.position_id for c in dispose("kadis.dinkes", kadis_item.id, ("kabid1.dinkes",))] == \
        [pos("kabid1.dinkes")]


def test_unknown_recipient_and_empty_recipients_are_refused(letter):
    assert "bawahan" in _refused("bupati", letter.id, DispositionInput((987654,), ("Pelajari",)), "recipients")
    assert "paling sedikit" in _refused("bupati", letter.id, DispositionInput((), ("Pelajari",)), "recipients")


def test_instructions_are_required_and_checked(letter):
    assert "instruksi" in _refused("bupati", letter.id, _to("kadis.dinkes", instructions=()), "instructions")
    assert "tidak dikenal" in _refused("bupati", letter.id, _to("kadis.dinkes", instructions=("Bakar",)),
                                       "instructions").lower()
    children = dispose("bupati", letter.id, ("kadis.dinkes",), instructions=(),
                       other_instruction="Laporkan dalam rapat pimpinan")
    assert json.loads(children[0].instructions) == ["Lainnya: Laporkan dalam rapat pimpinan"]


def test_deadline_may_not_be_in_the_past(letter):
    message = _refused("bupati", letter.id, _to("kadis.dinkes", deadline=TODAY - timedelta(days=1)), "deadline")
    assert "sebelum hari ini" in message
    assert dispose("bupati", letter.id, ("kadis.dinkes",), deadline=TODAY)[0].deadline == TODAY


def test_no_duplicate_recipient_from_the_same_item(letter):
    dispose("bupati", letter.id, ("kadis.dinkes",))
    message = _refused("bupati", letter.id, _to("kadis.dishub", "kadis.dinkes"), "recipients")
    assert "sudah menerima" in message
    # the same recipient twice in one request becomes one disposition
    assert len(dispose("bupati", letter.id, ("kadis.dlh", "kadis.dlh"))) == 1


def test_only_a_holder_of_the_item_may_dispose_it(letter):
    for outsider in ("sekda", "kadis.dinkes", "tu.setda", "admin"):
        with pytest.raises(NotFound):
            dispose_letter(viewer(outsider), letter.id, _to("kabid1.dinkes"))


def test_dispose_writes_notification_audit_and_moves_the_item_to_diproses(letter):
    children = dispose("bupati", letter.id, ("kadis.dinkes", "kadis.dishub"), note="Segera dikoordinasikan",
                       deadline=TODAY + timedelta(days=5))
    db.session.expire_all()
    assert db.session.get(InboxItem, letter.id).status == "diproses"
    assert len({c.batch for c in children}) == 1 and children[0].note == "Segera dikoordinasikan"
    for child in children:
        notes = db.session.scalars(select(Notification).where(Notification.item_id == child.id)).all()
        assert [n.position_id for n in notes] == [child.position_id]
        assert "Untuk ditindaklanjuti" in notes[0].text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.dispose")).one()
    assert json.loads(event.detail)["to"] == [pos("kadis.dinkes"), pos("kadis.dishub")]


# ------------------------------------------------------------------------------------ reading, statuses


def test_opening_ticks_read_once_with_time_and_reader(letter):
    child = dispose("bupati", letter.id, ("kadis.dinkes",))[0]
    opened = open_item(viewer("kadis.dinkes"), child.id)
    db.session.commit()
    first_read = opened.read_at
    assert (opened.status, opened.read_by_id) == ("dibaca", user("kadis.dinkes").id) and first_read is not None
    open_item(viewer("kadis.dinkes"), child.id)
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(InboxItem, child.id)
    assert again.read_at == first_read and again.status == "dibaca"
    reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "item.read",
                                                        AuditEvent.object_id == str(child.id))).all()
    assert len(reads) == 1
    # opening clears the bell entry of that item
    assert db.session.scalars(select(Notification.read_at).where(Notification.item_id == child.id)).one()


def test_the_sender_viewing_the_tree_does_not_tick(letter):
    child = dispose("bupati", letter.id, ("kadis.dinkes",))[0]
    bupati = viewer("bupati")
    open_item(bupati, letter.id)
    trees = tracking_trees(bupati, letter.letter_id)
    db.session.commit()
    assert [n.item.status for n in trees[0].children] == ["diterima"]
    with pytest.raises(NotFound):  # the sender cannot open the recipient's item as his own
        open_item(bupati, child.id)
    db.session.rollback()
    db.session.expire_all()
    assert (db.session.get(InboxItem, child.id).status, db.session.get(InboxItem, child.id).read_at) == \
        ("diterima", None)


def test_statuses_run_diterima_dibaca_diproses_selesai(letter):
    child = dispose("bupati", letter.id, ("kadis.dinkes",))[0]
    kadis = viewer("kadis.dinkes")
    seen = [child.status]
    seen.append(open_item(kadis, child.id).status)
    seen.append(report_progress(kadis, child.id, done=False, report="").status)
    with pytest.raises(ValidationError) as caught:  # a disposition is done only with a report
        report_progress(kadis, child.id, done=True, report="   ")
    assert "laporan" in caught.value.errors["report"].lower()
    seen.append(report_progress(kadis, child.id, done=True, report="Sudah ditindaklanjuti rapat.").status)
    db.session.commit()
    assert seen == ["diterima", "dibaca", "diproses", "selesai"]
    done = db.session.get(InboxItem, child.id)
    assert done.done_at is not None and done.report == "Sudah ditindaklanjuti rapat."
    with pytest.raises(Conflict):
        report_progress(kadis, child.id, done=True, report="lagi")
    with pytest.raises(Conflict):
        dispose_letter(kadis, child.id, _to("kabid1.dinkes"))


def test_an_addressed_letter_may_be_closed_without_a_report(letter):
    assert report_progress(viewer("bupati"), letter.id, done=True, report="").status == "selesai"


def test_report_with_attachment_notifies_the_sender(letter, stored_pdf):
    child = dispose("bupati", letter.id, ("kadis.dinkes",))[0]
    attachment = stored_pdf("Laporan pelaksanaan")
    done = report_progress(viewer("kadis.dinkes"), child.id, done=True, report="Rapat telah dilaksanakan.",
                           attachment=attachment)
    db.session.commit()
    assert done.report_file_id == attachment.id
    notes = db.session.scalars(select(Notification).where(Notification.position_id == pos("bupati"),
                                                          Notification.text.like("Laporan%"))).all()
    assert len(notes) == 1 and notes[0].item_id == letter.id and "Rapat telah dilaksanakan" in notes[0].text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "item.done")).one()
    assert json.loads(event.detail)["attachment"] == attachment.id


# ---------------------------------------------------------------------------------------------- recall


def test_recall_while_unread_then_conflict_after_read(letter):
    unread, read = dispose("bupati", letter.id, ("kadis.dinkes", "kadis.dishub"))
    open_item(viewer("kadis.dishub"), read.id)
    db.session.commit()
    recalled = recall_disposition(viewer("bupati"), unread.id)
    db.session.commit()
    assert (recalled.status, recalled.recalled_at is not None) == ("ditarik", True)
    bell = db.session.scalars(select(Notification).where(Notification.item_id == unread.id)).one()
    assert bell.read_at is not None  # the recipient's bell stops counting what was taken back
    with pytest.raises(Conflict):
        recall_disposition(viewer("bupati"), unread.id)
    with pytest.raises(Conflict) as caught:
        recall_disposition(viewer("bupati"), read.id)
    assert "sudah dibaca" in caught.value.message
    with pytest.raises(NotFound):  # the recipient no longer has it
        open_item(viewer("kadis.dinkes"), unread.id)
    with pytest.raises(NotFound):  # only the sender recalls
        recall_disposition(viewer("kadis.dishub"), read.id)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.recall")).one()
    # after a recall the same recipient may be chosen again
    assert dispose("bupati", letter.id, ("kadis.dinkes",))[0].status == "diterima"


# ------------------------------------------------------------------------------------ tree and Plh


def test_recipient_disposes_further_and_tree_shows_every_step_with_overdue_marks(letter):
    soon = TODAY + timedelta(days=2)
    dinkes, dishub = dispose("bupati", letter.id, ("kadis.dinkes", "kadis.dishub"), deadline=soon)
    open_item(viewer("kadis.dinkes"), dinkes.id)
    kabid = dispose("kadis.dinkes", dinkes.id, ("kabid1.dinkes",), deadline=soon)[0]
    kasi = dispose("kabid1.dinkes", kabid.id, ("kasi11.dinkes",))[0]
    report_progress(viewer("kasi11.dinkes"), kasi.id, done=True, report="Data sudah dikirim.")
    db.session.commit()

    # a deadline on a day off is due on the next working day (services.calendar): overdue the day after that
    later = add_working_days(soon, 0) + timedelta(days=1)
    (root,) = tracking_trees(viewer("bupati"), letter.letter_id, today=later)
    assert root.item.id == letter.id
    assert [(n.item.position_id, n.item.status, n.overdue) for n in root.children] == [
        (pos("kadis.dinkes"), "diproses", True), (pos("kadis.dishub"), "diterima", True)]
    (kabid_node,) = root.children[0].children
    assert (kabid_node.item.id, kabid_node.item.status, kabid_node.overdue) == (kabid.id, "diproses", True)
    (kasi_node,) = kabid_node.children
    assert (kasi_node.item.status, kasi_node.overdue, kasi_node.item.report) == \
        ("selesai", False, "Data sudah dikirim.")
    assert root.children[0].item.read_by_id == user("kadis.dinkes").id

    (today_root,) = tracking_trees(viewer("bupati"), letter.letter_id, today=TODAY)
    assert not any(n.overdue for n in today_root.children)
    # a recipient sees the tree from his own step down, not the sibling branch
    (own,) = tracking_trees(viewer("kadis.dinkes"), letter.letter_id, today=later)
    assert own.item.id == dinkes.id and [c.item.id for c in own.children] == [kabid.id]
    assert tracking_trees(viewer("kadis.dlh"), letter.letter_id) == []


@pytest.fixture
def plh(ctx):
    """kabid2.dinkes is appointed Plh Kepala Dinas Kesehatan from tomorrow for three days."""
    start = TODAY + timedelta(days=1)
    begin_write()
    assign_acting(None, user=user("kabid2.dinkes"), position=db.session.get(Position, pos("kadis.dinkes")),
                  kind="plh", starts_on=start, ends_on=start + timedelta(days=2), decree_number="800/12/DINKES/2026")
    db.session.commit()
    return start


def test_a_plh_sees_and_disposes_the_acting_positions_item_only_within_the_range(letter, plh):
    child = dispose("bupati", letter.id, ("kadis.dinkes",))[0]
    before, inside, after = plh - timedelta(days=1), plh + timedelta(days=1), plh + timedelta(days=3)
    for outside in (before, after):
        acting = viewer("kabid2.dinkes", on=outside)
        assert not acting.acts_for(pos("kadis.dinkes"))
        with pytest.raises(NotFound):
            open_item(acting, child.id)
        with pytest.raises(NotFound):
            dispose_letter(acting, child.id, _to("kabid1.dinkes"), today=outside)
    db.session.rollback()

    acting = viewer("kabid2.dinkes", on=inside)
    opened = open_item(acting, child.id)
    assert (opened.status, opened.read_by_id) == ("dibaca", user("kabid2.dinkes").id)
    (kabid,) = dispose_letter(acting, child.id, _to("kabid1.dinkes"), today=inside)
    db.session.commit()
    assert (kabid.from_position_id, kabid.from_user_id) == (pos("kadis.dinkes"), user("kabid2.dinkes").id)
    # within the acting position's subtree only: kadis.dishub is outside it
    with pytest.raises(ValidationError):
        dispose_letter(acting, child.id, _to("kadis.dishub"), today=inside)
    (tree,) = tracking_trees(acting, letter.letter_id)
    assert tree.item.id == child.id
