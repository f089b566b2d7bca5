"""The audit log is a hash chain: `flask audit verify` passes on an intact chain and names the first broken row."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, AuditHead
from sisumaker.models.audit import GENESIS_HASH
from sisumaker.services import audit


@pytest.fixture
def chained(app):
    """An app whose audit log holds five chained events."""
    with app.app_context():
        for i in range(1, 6):
            audit.record(None, "test.event", "thing", i, {"n": i, "catatan": "surat ke-%d" % i})
        db.session.commit()
    return app


def verify(app):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_events_are_chained(chained):
    with chained.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        head = db.session.get(AuditHead, 1)
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert events[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
        assert len({e.hash for e in events}) == 5
        assert (head.last_seq, head.last_hash) == (5, events[-1].hash)
        assert json.loads(events[2].detail) == {"catatan": "surat ke-3", "n": 3}
        report = audit.verify_chain()
        assert (report.ok, report.checked, report.broken_seq) == (True, 5, None)


def test_verify_walks_the_chain_in_batches(chained):
    with chained.app_context():
        assert audit.verify_chain(batch=2).checked == 5
        db.session.execute(text("UPDATE audit_event SET action = 'x' WHERE seq = 4"))
        report = audit.verify_chain(batch=2)
        assert (report.broken_seq, report.checked) == (4, 3)


def test_cli_verify_passes_on_an_intact_chain(chained):
    code, output = verify(chained)
    assert code == 0, output
    assert "Rantai audit utuh: 5 kejadian diperiksa." in output


def test_cli_verify_on_an_empty_log(app):
    code, output = verify(app)
    assert code == 0 and "Rantai audit utuh: 0 kejadian diperiksa." in output


@pytest.mark.parametrize("seq", [1, 3, 5])
def test_an_edited_detail_is_reported_at_its_seq(chained, seq):
    with chained.app_context():
        db.session.execute(text("UPDATE audit_event SET detail = :d WHERE seq = :s"),
                           {"d": json.dumps({"n": 999}), "s": seq})
        db.session.commit()
    code, output = verify(chained)
    assert code == 1
    assert f"Rantai audit RUSAK pada kejadian #{seq}: isi baris telah diubah ({seq - 1} kejadian sebelumnya utuh)." \
        in output


@pytest.mark.parametrize(("column", "value"), [("object_type", "user"), ("object_id", "99"), ("action", "auth.login"),
                                             ("prev_hash", "f" * 64)])
def test_other_edited_columns_are_detected(chained, column, value):
    with chained.app_context():
        db.session.execute(text(f"UPDATE audit_event SET {column} = :v WHERE seq = 2"), {"v": value})
        db.session.commit()
    code, output = verify(chained)
    assert code == 1 and "kejadian #2:" in output


def test_rehashing_an_edited_row_breaks_the_next_link(chained):
    """Recomputing the edited row's own hash does not help: the next row still points at the old hash."""
    with chained.app_context():
        ev = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
        forged_detail = json.dumps({"n": 2, "catatan": "dipalsukan"})
        forged = audit._digest(ev.prev_hash, ev.seq, ev.at, ev.actor_id, ev.action, ev.object_type, ev.object_id,
                               forged_detail)
        db.session.execute(text("UPDATE audit_event SET detail = :d, hash = :h WHERE seq = 2"),
                           {"d": forged_detail, "h": forged})
        db.session.commit()
    code, output = verify(chained)
    assert code == 1
    assert "kejadian #3: tautan ke baris sebelumnya tidak cocok" in output


def test_a_deleted_middle_row_is_detected(chained):
    with chained.app_context():
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 3"))
        db.session.commit()
    code, output = verify(chained)
    assert code == 1
    assert "kejadian #3: urutan terputus (ada baris yang dihapus)" in output


def test_a_deleted_last_row_is_detected(chained):
    with chained.app_context():
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 5"))
        db.session.commit()
    code, output = verify(chained)
    assert code == 1
    assert "kejadian #5: baris terakhir hilang" in output


def test_renumbered_rows_after_a_deletion_are_detected(chained):
    """Deleting a row and shifting the later seqs down leaves a wrong link at the shifted row."""
    with chained.app_context():
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
        for seq in (3, 4, 5):
            db.session.execute(text("UPDATE audit_event SET seq = :n WHERE seq = :o"), {"n": seq - 1, "o": seq})
        db.session.execute(text("UPDATE audit_head SET last_seq = 4"))
        db.session.commit()
    code, output = verify(chained)
    assert code == 1 and "kejadian #2" in output


def test_appends_continue_the_chain_after_reopening(chained):
    with chained.app_context():
        audit.record(None, "test.event", "thing", 6)
        db.session.commit()
        db.session.remove()
        assert audit.verify_chain().checked == 6
