"""Letter numbers under concurrent signing, on SQLite and (when configured) PostgreSQL: many threads and many
processes number letters of one sequence at once; the committed numbers must be exactly 1..N, without gap or
duplicate, also when some transactions fail after taking their number. The SK's legal sequence is shared by
signers of different units."""
from __future__ import annotations

import multiprocessing
import re
import threading
import time
from datetime import date

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import NumberCounter
from sisumaker.services.numbering import assign_number
from tests.outgoing.number_worker import Planned, number_many
from tests.outgoing.support import unit

THREADS = 40
UNITS = ("SETDA", "DINKES", "KEC-PULO-AMPEL", "BAPENDA")


def _seq(value: str) -> int:
    """The sequence part of a number: "800/17/SETDA/2026" -> 17, "17 TAHUN 2026" -> 17."""
    m = re.fullmatch(r"800/(\d+)/SETDA/\d{4}", value) or re.fullmatch(r"(\d+) TAHUN \d{4}", value)
    assert m, f"unexpected number {value!r}"
    return int(m.group(1))


def _run_threads(app, jenis: str, unit_codes: tuple[str, ...], fail: set[int]):
    """One number per thread (each its own app context, session and connection), all released by a barrier."""
    ids = [unit(c).id for c in unit_codes]
    db.session.commit()
    barrier, lock = threading.Barrier(THREADS), threading.Lock()
    committed, rolled_back, errors = [], [], []

    def work(index: int) -> None:
        from sisumaker.models import Unit

        with app.app_context():
            try:
                signing_unit = db.session.get(Unit, ids[index % len(ids)])
                db.session.commit()
                barrier.wait(timeout=60)
                begin_write()
                value = assign_number(jenis, signing_unit, "800", date.today())
                if index in fail:
                    raise Planned(value)
                db.session.commit()
                with lock:
                    committed.append(value)
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

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a numbering thread hung"
    return committed, rolled_back, errors


def _counter(scope_prefix: str) -> int:
    db.session.rollback()  # end the snapshot read before the threads ran (SQLite WAL keeps it)
    rows = db.session.scalars(db.select(NumberCounter).where(NumberCounter.scope.like(scope_prefix + "%"),
                                                             NumberCounter.year == date.today().year)).all()
    assert len(rows) == 1, [r.scope for r in rows]
    return rows[0].last_number


def test_forty_threads_get_numbers_one_to_forty(ctx):
    started = time.monotonic()
    committed, _, errors = _run_threads(ctx, "surat_dinas", ("SETDA",), fail=set())
    assert errors == []
    assert sorted(_seq(v) for v in committed) == list(range(1, THREADS + 1))
    assert _counter("p1:u") == THREADS
    print(f"{THREADS} concurrent numbers in {time.monotonic() - started:.2f}s")


def test_failed_transactions_give_their_numbers_back(ctx):
    fail = set(range(0, THREADS, 4))  # 10 of the 40 fail after their number was taken
    committed, rolled_back, errors = _run_threads(ctx, "surat_dinas", ("SETDA",), fail)
    assert errors == [] and len(rolled_back) == len(fail)
    ok = THREADS - len(fail)
    assert sorted(_seq(v) for v in committed) == list(range(1, ok + 1)), "gaps or duplicates"
    assert _counter("p1:u") == ok


def test_signers_of_different_units_share_the_legal_sequence(ctx):
    fail = {3, 17, 29}
    committed, _, errors = _run_threads(ctx, "surat_keputusan", UNITS, fail)
    assert errors == []
    assert sorted(_seq(v) for v in committed) == list(range(1, THREADS - len(fail) + 1))
    assert _counter("legal") == THREADS - len(fail)


def test_several_processes_get_gap_free_numbers(ctx, demo_db_url):
    """Five spawned processes, ten numbers each; in two of them every fourth transaction fails after taking its
    number. Then the same for the SK's legal sequence signed from four units."""
    processes, per_process, every = 5, 10, 4
    plan = [every if i % 2 else 0 for i in range(processes)]
    spawn = multiprocessing.get_context("spawn")
    for jenis, units, scope in (("surat_dinas", ["SETDA"], "p1:u"), ("surat_keputusan", list(UNITS), "legal")):
        db.session.remove()
        barrier, out = spawn.Barrier(processes), spawn.Queue()
        workers = [spawn.Process(target=number_many, args=(demo_db_url, ctx.instance_path, jenis, units,
                                                           per_process, plan[i], f"P{i}", barrier, out))
                   for i in range(processes)]
        for w in workers:
            w.start()
        results = [out.get(timeout=180) for _ in workers]
        for w in workers:
            w.join(30)
            assert w.exitcode == 0, f"worker exited with {w.exitcode}"
        assert [e for r in results for e in r[3]] == []
        failed = sum(r[2] for r in results)
        assert failed == sum(per_process // e for e in plan if e) > 0
        total = processes * per_process - failed
        assert sorted(_seq(v) for r in results for v in r[1]) == list(range(1, total + 1)), jenis
        assert _counter(scope) == total
        print(f"{jenis}: {processes} processes x {per_process}: {max(r[4] for r in results):.2f}s")
