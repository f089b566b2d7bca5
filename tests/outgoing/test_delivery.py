"""Sending a signed letter (issue 5): each internal recipient unit gets a register entry with ITS OWN next agenda
number plus an inbox item and a bell entry for the addressed position; broadcast groups expand at send time
(closed units left out) into one delivery per unit, all in one transaction; the sender's read matrix and the
reminder to those who have not read it."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select, update

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import (
    AgendaCounter,
    Draft,
    InboxItem,
    Notification,
    RecipientGroup,
    RecipientGroupMember,
    RegisterEntry,
    Unit,
)
from sisumaker.services import delivery
from sisumaker.services.dispositions import DispositionInput, dispose_letter, open_item
from sisumaker.services.errors import NotFound
from sisumaker.services.letters import IncomingLetter, register_incoming
from sisumaker.services.outgoing import Routing
from tests.outgoing.support import (
    approve_all,
    broadcast,
    content,
    counts,
    pos,
    routing,
    save,
    send,
    unit,
    viewer,
)

YEAR = date.today().year


def _kinds(*kinds: str) -> int:
    return db.session.scalar(select(func.count(Unit.id)).where(Unit.kind.in_(kinds), Unit.closed_on.is_(None)))


def _register_paper_letter(clerk: str, to: str) -> int:
    """A clerk registers one incoming paper letter (the unit's agenda number 1); returns the number."""
    begin_write()
    entry = register_incoming(viewer(clerk), IncomingLetter(
        sender="Kepala Desa Mekarjaya", number="140/27/2026", letter_date=date.today(), received_on=date.today(),
        jenis="surat_dinas", perihal="Permohonan dukungan posyandu", to_position_ids=(pos(to),)), None)
    db.session.commit()
    return entry.agenda_number


def _entries(letter_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Unit.code, RegisterEntry.agenda_number).join(Unit).where(
        RegisterEntry.letter_id == letter_id)).all()
    return dict(rows)


def test_each_unit_gets_its_own_next_agenda_number(ctx, pki):
    assert _register_paper_letter("tu.kec.pulo-ampel", "camat.pulo-ampel") == 1
    draft_id, letter = broadcast(pki, groups=("semua-opd", "semua-kecamatan"))
    draft = db.session.get(Draft, draft_id)
    assert (draft.status, draft.letter_id) == ("terkirim", letter.id)
    assert (letter.direction, letter.number, letter.letter_date) == ("keluar", draft.number, draft.number_date)
    assert letter.sender == "Sekretariat Daerah" and letter.perihal == "Penggunaan Aplikasi Sisumaker"

    entries = _entries(letter.id)
    assert len(entries) == 59 == _kinds("badan", "dinas", "lembaga", "kecamatan")
    assert entries["KEC-PULO-AMPEL"] == 2  # after the paper letter registered there first
    assert {n for code, n in entries.items() if code != "KEC-PULO-AMPEL"} == {1}
    assert db.session.get(AgendaCounter, (unit("KEC-PULO-AMPEL").id, YEAR)).last_number == 2
    assert db.session.get(AgendaCounter, (unit("DINKES").id, YEAR)).last_number == 1
    assert {e.origin for e in letter.entries} == {"internal"}
    assert {e.received_on for e in letter.entries} == {draft.number_date}

    items = db.session.scalars(select(InboxItem).where(InboxItem.letter_id == letter.id)).all()
    heads = delivery.unit_heads([unit(c).id for c in entries])
    assert sorted(i.position_id for i in items) == sorted(heads.values())
    assert pos("kadis.dinkes") in heads.values() and pos("camat.pulo-ampel") in heads.values()
    assert {(i.kind, i.status, i.from_position_id) for i in items} == {("surat", "diterima", pos("sekda"))}
    bells = db.session.scalars(select(Notification).where(Notification.item_id.in_([i.id for i in items]))).all()
    assert sorted(n.position_id for n in bells) == sorted(heads.values())
    assert all(n.text.startswith(f"Surat Edaran {letter.number}: Penggunaan Aplikasi Sisumaker") for n in bells)


def test_direct_recipients_and_tembusan(ctx, pki):
    to = ("kadis.dinkes", "sekretaris.dinkes", "kabid1.dinkes", "camat.pulo-ampel")
    draft_id = save(r=routing(to=to, cc=("kadis.bapenda",)))
    approve_all(draft_id)
    letter = send(pki, draft_id)
    assert _entries(letter.id) == {"DINKES": 1, "KEC-PULO-AMPEL": 1, "BAPENDA": 1}  # one entry per unit
    items = {i.position_id: i.kind for i in db.session.scalars(select(InboxItem).where(
        InboxItem.letter_id == letter.id))}
    assert items == {**{pos(u): "surat" for u in to}, pos("kadis.bapenda"): "tembusan"}


def test_a_rahasia_letter_reaches_inboxes_marked_confidential(ctx, pki):
    """The bulk insert copies the letter's sifat onto each item: the inbox's Rahasia tab counts from it."""
    draft_id = save(c=content(jenis="surat_dinas", sifat="R"), r=routing(to=("kadis.dinkes", "camat.pulo-ampel")))
    approve_all(draft_id)
    letter = send(pki, draft_id)
    flags = set(db.session.scalars(select(InboxItem.confidential).where(InboxItem.letter_id == letter.id)))
    assert letter.sifat == "R" and flags == {True}


def test_a_group_and_a_direct_addressee_make_one_delivery(ctx, pki):
    draft_id = save(r=routing(groups=("semua-kecamatan",), to=("camat.pulo-ampel",)))
    approve_all(draft_id)
    letter = send(pki, draft_id)
    assert len(_entries(letter.id)) == 29
    assert db.session.scalar(select(func.count(InboxItem.id)).where(
        InboxItem.letter_id == letter.id, InboxItem.position_id == pos("camat.pulo-ampel"))) == 1


def test_external_addressees_only_get_no_register_entry(ctx, pki):
    draft_id = save(c=content(external=("Kepala Kantor Wilayah BPN Provinsi Banten",)),
                    r=Routing(reviewer_ids=(pos("kabag.umum"),), signer_id=pos("sekda")))
    approve_all(draft_id)
    letter = send(pki, draft_id)
    assert _entries(letter.id) == {}
    assert db.session.get(Draft, draft_id).status == "terkirim"


def test_group_expansion(ctx):
    opd, kec = delivery.group_units(["semua-opd"]), delivery.group_units(["semua-kecamatan"])
    desa, every = delivery.group_units(["semua-desa"]), delivery.group_units(["semua"])
    assert len(opd) == 30 and len(kec) == 29
    assert len(desa) == _kinds("desa", "kelurahan") and 300 <= len(desa) <= 340
    assert set(every) == set(opd) | set(kec) | set(desa) and len(every) == len(opd) + len(kec) + len(desa)
    assert unit("DINKES").id in opd and unit("KEC-PULO-AMPEL").id in kec and unit("SETDA").id not in every
    assert len(delivery.unit_heads(every)) == len(every), "every unit of a group has a head to receive it"
    assert delivery.group_units(["semua-opd", "semua-kecamatan"]) == sorted(opd + kec)

    group = RecipientGroup(name="Puskesmas dan kecamatan pesisir")
    group.members = [RecipientGroupMember(unit_id=unit(c).id) for c in ("DINKES", "KEC-PULO-AMPEL", "KEC-ANYAR")]
    db.session.add(group)
    db.session.flush()
    key = f"grup-{group.id}"
    assert delivery.group_units([key]) == sorted(unit(c).id for c in ("DINKES", "KEC-PULO-AMPEL", "KEC-ANYAR"))
    assert len(delivery.group_units([key, "semua-kecamatan"])) == 30

    db.session.execute(update(Unit).where(Unit.code.in_(("KEC-ANYAR", "BAPENDA"))).values(closed_on=date.today()))
    assert len(delivery.group_units(["semua-kecamatan"])) == 28
    assert len(delivery.group_units(["semua-opd"])) == 29
    assert delivery.group_units([key]) == sorted(unit(c).id for c in ("DINKES", "KEC-PULO-AMPEL"))
    assert delivery.group_units(["grup-999999", "semua-planet"]) == []
    db.session.rollback()


def test_a_custom_group_broadcast_leaves_closed_units_out(ctx, pki):
    group = RecipientGroup(name="Kecamatan pesisir")
    group.members = [RecipientGroupMember(unit_id=unit(c).id) for c in ("KEC-PULO-AMPEL", "KEC-ANYAR", "KEC-TANARA")]
    db.session.add(group)
    db.session.commit()
    draft_id = save(r=routing(groups=(f"grup-{group.id}",)))
    approve_all(draft_id)
    db.session.execute(update(Unit).where(Unit.code == "KEC-TANARA").values(closed_on=date.today()))
    db.session.commit()  # closed after drafting: the group is expanded when the letter is sent
    letter = send(pki, draft_id)
    assert _entries(letter.id) == {"KEC-PULO-AMPEL": 1, "KEC-ANYAR": 1}


def test_a_failing_broadcast_delivers_nothing_and_takes_no_number(ctx, pki, monkeypatch):
    """The final signature and the whole fan-out are one transaction: a failure after part of the deliveries
    were written (register entries and inbox items are in, the bell entries fail) leaves no entry, no item, no
    agenda number taken; the worker's retry delivers."""
    from sisumaker.services.signatures import run_batch, start_batch
    from sisumaker.storage import file_store_for
    from tests.outgoing.conftest import PASSPHRASE
    from tests.outgoing.support import prepare

    assert _register_paper_letter("tu.kec.pulo-ampel", "camat.pulo-ampel") == 1
    draft_id = save(r=routing(groups=("semua-opd", "semua-kecamatan")))
    approve_all(draft_id)
    draft = prepare(pki, draft_id)
    begin_write()
    batch = start_batch(viewer("sekda"), pki, [draft.sign_document.requests[0].id], PASSPHRASE)
    db.session.commit()
    before = counts()

    written = []

    def fail_midway(_conn, _cursor, statement, _params, _context, _many):
        if statement.startswith("INSERT INTO"):
            written.append(statement.split()[2])
        if statement.startswith("INSERT INTO notification") and "register_entry" in written:
            raise RuntimeError("disk penuh")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", fail_midway)
    try:
        with pytest.raises(RuntimeError, match="disk penuh"):
            run_batch(pki, file_store_for(), batch.id, PASSPHRASE)
    finally:
        event.remove(engine, "before_cursor_execute", fail_midway)
    db.session.rollback()
    assert {"letter", "register_entry", "inbox_item"} <= set(written), written  # part of it was written
    assert counts() == before
    draft = db.session.get(Draft, draft_id)
    assert (draft.status, draft.letter_id) == ("ditandatangani", None)
    assert draft.sign_document.requests[0].status == "signing"  # the worker's retry picks it up
    assert db.session.get(AgendaCounter, (unit("KEC-PULO-AMPEL").id, YEAR)).last_number == 1
    assert db.session.get(AgendaCounter, (unit("DINKES").id, YEAR)) is None

    run_batch(pki, file_store_for(), batch.id, PASSPHRASE)  # the retry
    db.session.rollback()
    draft = db.session.get(Draft, draft_id)
    assert draft.status == "terkirim" and draft.sign_document.requests[0].status == "signed"
    entries = _entries(draft.letter_id)
    assert len(entries) == 59 and entries["KEC-PULO-AMPEL"] == 2 and entries["DINKES"] == 1


def test_bulk_bell_entries_still_wake_the_mail_hook(ctx, pki):
    """The fan-out writes bell entries with Core inserts; the e-mail hook (which looks at new ORM objects) must
    still learn that the commit created some."""
    from sisumaker.mail_hook import NEW_NOTIFICATIONS
    from tests.outgoing.support import prepare

    draft_id = save(r=routing(groups=("semua-kecamatan",)))
    approve_all(draft_id)
    draft = prepare(pki, draft_id)
    begin_write()
    assert not db.session.info.get(NEW_NOTIFICATIONS)
    delivery.deliver_signed(draft.sign_document)
    assert db.session.info.get(NEW_NOTIFICATIONS) is True
    db.session.rollback()
    assert NEW_NOTIFICATIONS not in db.session.info


def test_delivering_twice_is_harmless(ctx, pki):
    draft_id, letter = broadcast(pki, groups=("semua-kecamatan",))
    before = counts()
    begin_write()
    assert delivery.deliver_signed(db.session.get(Draft, draft_id).sign_document) is None
    db.session.commit()
    assert counts() == before and len(_entries(letter.id)) == 29


def test_read_matrix_and_reminder(ctx, pki):
    draft_id, letter = broadcast(pki)
    draft = db.session.get(Draft, draft_id)
    assert len(delivery.read_matrix(viewer("staf.umum"), draft)) == 59

    item = db.session.scalar(select(InboxItem).where(InboxItem.letter_id == letter.id,
                                                     InboxItem.position_id == pos("kadis.dinkes")))
    begin_write()
    open_item(viewer("kadis.dinkes"), item.id)
    db.session.commit()
    begin_write()
    open_item(viewer("camat.pulo-ampel"), db.session.scalar(select(InboxItem.id).where(
        InboxItem.letter_id == letter.id, InboxItem.position_id == pos("camat.pulo-ampel"))))
    dispose_letter(viewer("camat.pulo-ampel"), db.session.scalar(select(InboxItem.id).where(
        InboxItem.letter_id == letter.id, InboxItem.position_id == pos("camat.pulo-ampel"))),
        DispositionInput((pos("sekcam.pulo-ampel"),), ("Untuk ditindaklanjuti",)))
    db.session.commit()

    rows = {r.unit_name: r for r in delivery.read_matrix(viewer("staf.umum"), db.session.get(Draft, draft_id))}
    assert len(rows) == 59, "a disposition adds no row: one per receiving unit"
    assert rows["Dinas Kesehatan"].state == "dibaca" and rows["Dinas Kesehatan"].agenda == f"1/{YEAR}"
    assert rows["Kecamatan Pulo Ampel"].state == "ditindaklanjuti"
    assert sum(1 for r in rows.values() if r.read_at) == 2
    assert {r.state for name, r in rows.items() if name not in ("Dinas Kesehatan", "Kecamatan Pulo Ampel")} == {
        "belum dibaca"}

    before = db.session.scalar(select(func.max(Notification.id)))
    begin_write()
    assert delivery.remind_unread(viewer("staf.umum"), db.session.get(Draft, draft_id)) == 57
    db.session.commit()
    reminders = db.session.scalars(select(Notification).where(Notification.id > before)).all()
    targets = [n.position_id for n in reminders]
    assert len(targets) == len(set(targets)) == 57, "one reminder per unread unit"
    assert pos("kadis.dinkes") not in targets and pos("camat.pulo-ampel") not in targets
    assert all(n.text == "Pengingat: mohon dibaca — Penggunaan Aplikasi Sisumaker" for n in reminders)


def test_nothing_to_match_before_sending(ctx):
    draft_id = save(r=routing(groups=("semua-opd",)))
    assert delivery.read_matrix(viewer("staf.umum"), db.session.get(Draft, draft_id)) == []
    with pytest.raises(NotFound, match="belum dikirim"):
        delivery.remind_unread(viewer("staf.umum"), db.session.get(Draft, draft_id))


def test_a_broadcast_is_found_by_every_office_it_reached(ctx, pki):
    """The delivery writes its register lines and inbox items past the ORM: the letter's readers in the search
    index still follow (every head of an OPD and camat finds it; their clerks, by the register lines)."""
    from sisumaker.services.search import SearchQuery, search
    from tests.search.support import assert_readers_follow_the_rule

    _draft_id, letter = broadcast(pki, perihal="Edaran penghematan listrik kantor")
    for username in ("kadis.dinkes", "tu.dinkes", "camat.anyar", "tu.kec.anyar", "sekda"):
        hits = search(viewer(username), SearchQuery(text="penghematan listrik")).hits
        assert [h.letter_id for h in hits if h.kind == "surat"] == [letter.id], username
    assert_readers_follow_the_rule(("kadis.dinkes", "tu.dinkes", "camat.anyar", "tu.kec.anyar", "sekda", "bupati",
                                    "staf.umum", "kabag.umum"))
