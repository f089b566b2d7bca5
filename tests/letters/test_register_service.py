"""Registering incoming letters (services.letters): the happy path, every validation rule (with nothing written),
who may register, cancelling entries, and agenda numbers per unit and per year that are never reused."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import (AgendaCounter, AuditEvent, InboxItem, Letter, Notification, Position,
                              RegisterEntry, Unit)
from sisumaker.services.access import register_unit_of
from sisumaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sisumaker.services.letters import cancel_entry, register_incoming
from tests.letters.support import counts, incoming, pos, register, user, viewer

TODAY = date.today()


def test_register_happy_path_writes_entry_letter_addressees_items_notifications_and_audit(ctx, stored_pdf):
    scan = stored_pdf("Surat dari Kanwil")
    db.session.commit()
    before = counts()
    entry = register("tu.kec.pulo-ampel", scan=scan, to=("bupati", "camat.pulo-ampel"), cc=("sekda",),
                     sifat="T", urgensi="segera", attachments=2)
    db.session.expire_all()

    kecamatan = db.session.scalar(select(Unit).where(Unit.code == "KEC-PULO-AMPEL"))
    assert (entry.unit_id, entry.year, entry.agenda_number) == (kecamatan.id, TODAY.year, 1)
    assert entry.agenda_label == f"1/{TODAY.year}"
    assert entry.status == "aktif" and entry.origin == "loket" and entry.received_on == TODAY
    assert entry.registered_by_id == user("tu.kec.pulo-ampel").id

    letter = db.session.get(Letter, entry.letter_id)
    assert (letter.direction, letter.sender, letter.sifat, letter.urgensi, letter.attachments) == \
        ("masuk", "Kantor Wilayah Kementerian Hukum Banten", "T", "segera", 2)
    assert letter.scan_file_id == scan.id and letter.classification_code == "100"
    assert {(a.position_id, a.kind) for a in letter.addressees} == \
        {(pos("bupati"), "to"), (pos("camat.pulo-ampel"), "to"), (pos("sekda"), "cc")}

    items = db.session.scalars(select(InboxItem).where(InboxItem.letter_id == letter.id)).all()
    assert {(i.position_id, i.kind, i.status, i.parent_id) for i in items} == {
        (pos("bupati"), "surat", "diterima", None), (pos("camat.pulo-ampel"), "surat", "diterima", None),
        (pos("sekda"), "tembusan", "diterima", None)}
    notes = db.session.scalars(select(Notification).where(Notification.item_id.in_([i.id for i in items]))).all()
    assert sorted(n.position_id for n in notes) == sorted(i.position_id for i in items)
    assert all(n.read_at is None for n in notes)

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.register")).one()
    assert event.actor_id == user("tu.kec.pulo-ampel").id and event.object_id == str(entry.id)
    assert json.loads(event.detail)["agenda"] == f"1/{TODAY.year}"

    after = counts()
    assert {k: after[k] - before[k] for k in after} == {
        "letter": 1, "letter_addressee": 3, "register_entry": 1, "agenda_counter": 1, "inbox_item": 3,
        "notification": 3, "audit_event": 1, "stored_file": 0}


def test_second_registration_in_the_same_unit_takes_the_next_number(ctx):
    first = register("tu.setda")
    second = register("tu.setda", perihal="Permohonan data kependudukan")
    assert (first.agenda_number, second.agenda_number) == (1, 2)
    assert db.session.get(AgendaCounter, (first.unit_id, TODAY.year)).last_number == 2


def _closed_position() -> int:
    p = db.session.get(Position, pos("kadis.dlh"))
    p.closed_on = TODAY - timedelta(days=1)
    db.session.commit()
    return p.id


BAD_INPUT = [
    ("sender", dict(sender="   "), "wajib"),
    ("number", dict(number=""), "wajib"),
    ("letter_date", dict(letter_date=None), "wajib"),
    ("received_on", dict(received_on=None), "wajib"),
    ("jenis", dict(jenis="surat_cinta"), "jenis naskah"),
    ("perihal", dict(perihal=""), "wajib"),
    ("perihal", dict(perihal="x" * 501), "paling banyak"),
    ("sifat", dict(sifat="X"), "sifat"),
    ("urgensi", dict(urgensi="kilat"), "urgensi"),
    ("attachments", dict(attachments=1000), "lampiran"),
    ("letter_date", dict(letter_date=TODAY + timedelta(days=1), received_on=TODAY), "masa depan"),
    ("received_on", dict(received_on=TODAY + timedelta(days=1)), "masa depan"),
    ("received_on", dict(letter_date=TODAY - timedelta(days=2), received_on=TODAY - timedelta(days=5)),
     "sebelum tanggal surat"),
    ("classification_code", dict(classification_code="999.9.9"), "tidak dikenal"),
    ("event_date", dict(jenis="surat_undangan", event_date=None), "tanggal acara"),
    ("to_position_ids", dict(to=()), "paling sedikit satu"),
    ("cc_position_ids", dict(to=("bupati",), cc=("bupati",)), "tujuan dan tembusan"),
    ("to_position_ids", dict(to_position_ids=(987654,)), "tidak dikenal"),
    ("cc_position_ids", dict(cc_position_ids=(987654,)), "tidak dikenal"),
    ("to_position_ids", "closed", "sudah ditutup"),
]


@pytest.mark.parametrize("field,changes,message", BAD_INPUT,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_INPUT)])
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(ctx, field, changes, message):
    if changes == "closed":
        changes = dict(to_position_ids=(_closed_position(),))
    data = incoming(**changes)
    before = counts()
    begin_write()
    with pytest.raises(ValidationError) as caught:
        register_incoming(viewer("tu.setda"), data, None)
    assert field in caught.value.errors, caught.value.errors
    assert message in caught.value.errors[field].lower()
    assert counts() == before  # counted in the same session: nothing added, not even flushed
    db.session.rollback()
    assert counts() == before


def test_every_field_error_is_reported_at_once(ctx):
    data = incoming(sender="", number="", perihal="", to=())
    with pytest.raises(ValidationError) as caught:
        register_incoming(viewer("tu.setda"), data, None)
    assert {"sender", "number", "perihal", "to_position_ids"} <= set(caught.value.errors)


def test_an_invitation_with_its_date_is_accepted(ctx):
    entry = register("tu.setda", jenis="surat_undangan", event_date=TODAY + timedelta(days=7),
                     event_place="Pendopo Kabupaten")
    letter = db.session.get(Letter, entry.letter_id)
    assert (letter.event_date, letter.event_place) == (TODAY + timedelta(days=7), "Pendopo Kabupaten")


@pytest.mark.parametrize("username", ["bupati", "kadis.dinkes", "admin", "kabid1.dinkes"])
def test_only_a_clerk_may_register(ctx, username):
    before = counts()
    with pytest.raises(PermissionDenied) as caught:
        register_incoming(viewer(username), incoming(), None)
    assert "agendaris" in caught.value.message
    assert counts() == before


def test_the_entry_goes_into_the_clerks_own_register_unit(ctx):
    kec = register("tu.kec.pulo-ampel")
    dinkes = register("tu.dinkes", to=("kadis.dinkes",))
    assert kec.unit_id == register_unit_of(user("tu.kec.pulo-ampel").position).id
    assert dinkes.unit_id == db.session.scalar(select(Unit.id).where(Unit.code == "DINKES"))


# ------------------------------------------------------------------------------------------ cancelling


def test_cancel_keeps_the_number_and_records_reason_and_clerk(ctx):
    entry = register("tu.setda")
    cancelled = cancel_entry(viewer("tu.setda"), entry.id, "  Salah input, surat ganda  ")
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(RegisterEntry, entry.id)
    assert (again.status, again.agenda_number, again.cancel_reason) == ("dibatalkan", 1, "Salah input, surat ganda")
    assert again.cancelled_by_id == user("tu.setda").id and again.cancelled_at is not None
    assert cancelled.id == entry.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.cancel")).one()
    assert event.object_id == str(entry.id) and "Salah input" in event.detail


@pytest.mark.parametrize("reason", ["", "   ", "typo"])
def test_cancel_requires_a_reason(ctx, reason):
    entry = register("tu.setda")
    with pytest.raises(ValidationError) as caught:
        cancel_entry(viewer("tu.setda"), entry.id, reason)
    assert "alasan" in caught.value.errors["reason"].lower()
    db.session.rollback()
    assert db.session.get(RegisterEntry, entry.id).status == "aktif"


@pytest.mark.parametrize("username", ["tu.dinkes", "tu.kec.pulo-ampel", "bupati", "admin", "sekda"])
def test_only_a_clerk_of_the_entrys_unit_may_cancel(ctx, username):
    entry = register("tu.setda")
    with pytest.raises(NotFound):
        cancel_entry(viewer(username), entry.id, "Bukan wewenang saya")
    db.session.rollback()
    assert db.session.get(RegisterEntry, entry.id).status == "aktif"


def test_cancelling_twice_is_a_conflict(ctx):
    entry = register("tu.setda")
    cancel_entry(viewer("tu.setda"), entry.id, "Surat ganda")
    db.session.commit()
    with pytest.raises(Conflict):
        cancel_entry(viewer("tu.setda"), entry.id, "Surat ganda lagi")


def test_a_cancelled_number_is_never_reused(ctx):
    numbers = [register("tu.setda").agenda_number for _ in range(3)]
    last = db.session.scalar(select(RegisterEntry).where(RegisterEntry.agenda_number == 3))
    cancel_entry(viewer("tu.setda"), last.id, "Surat ganda")
    db.session.commit()
    following = register("tu.setda")
    assert numbers == [1, 2, 3] and following.agenda_number == 4
    taken = db.session.scalars(select(RegisterEntry.agenda_number).where(RegisterEntry.unit_id == last.unit_id)
                               .order_by(RegisterEntry.agenda_number)).all()
    assert taken == [1, 2, 3, 4]


# ----------------------------------------------------------------------------------- per unit, per year


def test_numbers_are_per_unit(ctx):
    setda = [register("tu.setda").agenda_number for _ in range(3)]
    dinkes = register("tu.dinkes", to=("kadis.dinkes",))
    kec = register("tu.kec.pulo-ampel")
    assert setda == [1, 2, 3] and dinkes.agenda_number == 1 and kec.agenda_number == 1


def test_numbers_are_per_year_of_receipt(ctx):
    this_year = [register("tu.setda").agenda_number for _ in range(2)]
    last_year_day = date(TODAY.year - 1, 12, 30)
    old = register("tu.setda", letter_date=last_year_day - timedelta(days=2), received_on=last_year_day)
    assert this_year == [1, 2]
    assert (old.year, old.agenda_number, old.agenda_label) == (TODAY.year - 1, 1, f"1/{TODAY.year - 1}")
    following = register("tu.setda")
    assert (following.year, following.agenda_number) == (TODAY.year, 3)


def test_a_rolled_back_registration_returns_its_number(ctx):
    register("tu.setda")
    before = counts()
    begin_write()
    taken = register_incoming(viewer("tu.setda"), incoming(perihal="Akan dibatalkan transaksinya"), None)
    assert taken.agenda_number == 2
    db.session.rollback()
    assert counts() == before
    assert db.session.scalar(select(Letter).where(Letter.perihal == "Akan dibatalkan transaksinya")) is None
    assert register("tu.setda").agenda_number == 2
