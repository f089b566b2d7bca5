"""Agenda numbers under concurrent clerks, on SQLite and (when configured) PostgreSQL: many threads and many
processes register into one unit at once; the numbers must be exactly 1..N, without gap or duplicate, also when
some transactions fail after taking their number."""
from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import AgendaCounter, Letter, RegisterEntry, User
from sisumaker.services.access import viewer_for
from sisumaker.services.letters import IncomingLetter, register_incoming
from tests.letters.agenda_worker import Planned, register_many
from tests.letters.support import pos, user

CLERKS = 50


def _setda_clerks(n: int) -> list[str]:
    """tu.setda plus n-1 more clerks (agendaris) on the same Setda mail-room position."""
    base = user("tu.setda")
    names = ["tu.setda"]
    for i in range(2, n + 1):
        name = f"tu{i}.setda"
        db.session.add(User(username=name, full_name=f"Petugas Agenda {i}", role="agendaris",
                            position_id=base.position_id, password_hash="x", is_enabled=True, session_version=1))
        names.append(name)
    db.session.commit()
    return names


def _committed_numbers(unit_id: int, year: int) -> list[int]:
    return db.session.scalars(select(RegisterEntry.agenda_number)
                              .where(RegisterEntry.unit_id == unit_id, RegisterEntry.year == year)
                              .order_by(RegisterEntry.agenda_number)).all()


def _run_threads(app, clerks: list[str], to_position_id: int, fail: set[int]):
    """One registration per clerk, each thread in its own app context (its own session and connection), all
    released together by a barrier. Returns (numbers committed, numbers rolled back, unexpected errors)."""
    barrier = threading.Barrier(len(clerks))
    lock = threading.Lock()
    committed, rolled_back, errors = [], [], []

    def work(index: int, clerk: str) -> None:
        with app.app_context():
            try:
                viewer = viewer_for(db.session.scalar(select(User).where(User.username == clerk)))
                db.session.commit()
                barrier.wait(timeout=60)
                begin_write()
                entry = register_incoming(viewer, IncomingLetter(
                    sender=f"Pengirim {index}", number=f"T/{index}", letter_date=date.today() - timedelta(days=1),
                    received_on=date.today(), jenis="surat_dinas", perihal=f"Surat serentak {index}",
                    to_position_ids=(to_position_id,)), None)
                number = entry.agenda_number
                if index in fail:
                    raise Planned(number)
                db.session.commit()
                with lock:
                    committed.append(number)
            except Planned as planned:
                db.session.rollback()
                with lock:
                    rolled_back.append(planned.args[0])
            except Exception as exc:
                db.session.rollback()
                with lock:
                    errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clerks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a registering thread hung"
    return committed, rolled_back, errors


def test_fifty_threads_get_numbers_one_to_fifty(ctx):
    clerks = _setda_clerks(CLERKS)
    unit_id = viewer_for(user("tu.setda")).clerk_unit_id
    started = time.monotonic()
    committed, rolled_back, errors = _run_threads(ctx, clerks, pos("bupati"), fail=set())
    elapsed = time.monotonic() - started
    assert errors == []
    assert sorted(committed) == list(range(1, CLERKS + 1)), f"gaps or duplicates: {sorted(committed)}"
    db.session.rollback()  # end the snapshot read before the threads ran (SQLite WAL keeps it)
    assert _committed_numbers(unit_id, date.today().year) == list(range(1, CLERKS + 1))
    assert db.session.get(AgendaCounter, (unit_id, date.today().year)).last_number == CLERKS
    assert db.session.scalar(select(func.count(Letter.id)).where(Letter.perihal.like("Surat serentak %"))) == CLERKS
    print(f"{CLERKS} concurrent registrations in {elapsed:.2f}s")


def test_threads_whose_transaction_fails_after_taking_a_number_leave_no_gap(ctx):
    clerks = _setda_clerks(CLERKS)
    unit_id = viewer_for(user("tu.setda")).clerk_unit_id
    fail = set(range(0, CLERKS, 5))  # 10 of the 50 fail after their number was taken
    committed, rolled_back, errors = _run_threads(ctx, clerks, pos("bupati"), fail)
    assert errors == []
    assert len(rolled_back) == len(fail)
    ok = CLERKS - len(fail)
    assert sorted(committed) == list(range(1, ok + 1)), f"gaps or duplicates: {sorted(committed)}"
    db.session.rollback()  # end the snapshot read before the threads ran (SQLite WAL keeps it)
    assert _committed_numbers(unit_id, date.today().year) == list(range(1, ok + 1))
    assert db.session.get(AgendaCounter, (unit_id, date.today().year)).last_number == ok
    assert db.session.scalar(select(func.count(Letter.id)).where(Letter.perihal.like("Surat serentak %"))) == ok


def test_several_processes_get_gap_free_numbers(ctx, demo_db_url):
    """Five spawned processes, ten registrations each; in two of them every fourth transaction fails after
    taking its number. The committed numbers must still be exactly 1..N."""
    processes, per_process, fail_every = 5, 10, 4
    plan = [fail_every if i % 2 else 0 for i in range(processes)]
    clerks = _setda_clerks(processes)
    unit_id = viewer_for(user("tu.setda")).clerk_unit_id
    bupati = pos("bupati")
    db.session.remove()
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(processes), spawn.Queue()
    workers = [spawn.Process(target=register_many,
                             args=(demo_db_url, ctx.instance_path, clerk, bupati, per_process, plan[i],
                                   f"P{i}", barrier, out))
               for i, clerk in enumerate(clerks)]
    started = time.monotonic()
    for w in workers:
        w.start()
    results = [out.get(timeout=180) for _ in workers]
    for w in workers:
        w.join(30)
        assert w.exitcode == 0, f"worker exited with {w.exitcode}"
    elapsed = time.monotonic() - started

    errors = [e for _, _, _, errs, _ in results for e in errs]
    assert errors == []
    committed = sorted(n for _, numbers, _, _, _ in results for n in numbers)
    failed = sum(f for _, _, f, _, _ in results)
    assert failed == sum(per_process // every for every in plan if every) > 0
    total = processes * per_process - failed
    assert committed == list(range(1, total + 1)), f"gaps or duplicates: {committed}"
    assert _committed_numbers(unit_id, date.today().year) == list(range(1, total + 1))
    assert db.session.get(AgendaCounter, (unit_id, date.today().year)).last_number == total
    busy = max(r[4] for r in results)
    print(f"{processes} processes x {per_process} registrations: {busy:.2f}s after the barrier, {elapsed:.2f}s "
          "with start-up")
