"""Fifty clerks register paper letters with a scan into one unit at the same time, through real HTTP against gunicorn
as deployed (2 processes x 4 threads) — once undisturbed, once while gunicorn workers are SIGKILLed at random
moments. Whatever the kills cut short: the agenda numbers are exactly 1..N (no gap, no duplicate), every committed
letter is whole (register entry, addressee, inbox item, bell entry, scan file, audit event), every letter whose
POST was answered 302 is there exactly once, and a cut-off POST left either a whole letter or nothing."""
from __future__ import annotations

import http.client
import random
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import (AgendaCounter, AuditEvent, InboxItem, Letter, LetterAddressee, Notification,
                              RegisterEntry, StoredFile, User)
from sisumaker.services.access import viewer_for
from sisumaker.services.files import FileStore
from tests.faults.support import HttpClient
from tests.helpers import DEMO_PASSWORD, RELAXED_LIMITS
from tests.letters.support import make_pdf, pos, user

CLERKS = 50
MAX_PER_CLERK = 12
PREFIX = "Uji gangguan"


def add_clerks(n: int) -> list[str]:
    """tu.setda and n-1 more agendaris on the Setda mail-room position, with the demo password."""
    base = user("tu.setda")
    names = ["tu.setda"]
    for i in range(2, n + 1):
        db.session.add(User(username=f"tu{i}.setda", full_name=f"Petugas Agenda {i}", role="agendaris",
                            position_id=base.position_id, password_hash=base.password_hash, is_enabled=True,
                            session_version=1))
        names.append(f"tu{i}.setda")
    db.session.commit()
    return names


def register_form(token: str, tag: str, to_position: int) -> tuple[dict, dict]:
    today = date.today()
    fields = {"csrf_token": token, "sender": f"Kantor Pengirim {tag}", "number": f"005/{tag}/2026",
              "letter_date": (today - timedelta(days=1)).isoformat(), "received_on": today.isoformat(),
              "jenis": "surat_dinas", "perihal": f"{PREFIX} {tag}", "sifat": "B", "urgensi": "biasa",
              "to_ids": str(to_position)}
    return fields, {"scan": (f"scan-{tag}.pdf", make_pdf(f"Surat {tag}"), "application/pdf")}


class Clerks:
    """Each clerk a thread with its own HTTP session: log in, open the form, wait for all, then POST at least
    `per_clerk` registrations (more while the kills go on, MAX_PER_CLERK at most). Outcome per tag: "ok" (302),
    "cut" (the connection died with its worker) or the status."""

    def __init__(self, base_url: str, names: list[str], per_clerk: int, to_position: int):
        self.base_url, self.names, self.per_clerk, self.to_position = base_url, names, per_clerk, to_position
        self.outcome: dict[str, str] = {}
        self.errors: list[str] = []
        self.barrier = threading.Barrier(len(names) + 1)
        self.storm_over = threading.Event()  # clerks go on past `per_clerk` until the kills are done
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._clerk, args=(i, n)) for i, n in enumerate(names)]

    def _clerk(self, index: int, name: str) -> None:
        client = HttpClient(self.base_url)
        try:
            client.login(name, DEMO_PASSWORD)
            token = client.csrf("/surat-masuk/baru")
        except Exception as exc:  # reported by the test
            self.errors.append(f"{name}: {exc!r}")
            self.barrier.abort()
            return
        self.barrier.wait(120)
        for i in range(MAX_PER_CLERK):
            if i >= self.per_clerk and self.storm_over.is_set():
                break
            tag = f"{index}-{i}"
            try:
                status = client.post("/surat-masuk/baru", *register_form(token, tag, self.to_position)).status
                result = "ok" if status == 302 else str(status)
            except (OSError, http.client.HTTPException):  # its worker was killed mid-request: reset, closed, or
                result = "cut"  # the answer's headers arrived and its body was cut short (IncompleteRead)
            with self.lock:
                self.outcome[tag] = result

    def run(self, during=None) -> float:
        for t in self.threads:
            t.start()
        self.barrier.wait(180)
        started = time.monotonic()
        if during is not None:
            during(self)
        self.storm_over.set()
        for t in self.threads:
            t.join(300)
        assert not any(t.is_alive() for t in self.threads), "a clerk hung"
        return time.monotonic() - started


def check_register(unit_id: int, files_dir) -> dict[str, int]:
    """Every invariant of the register after the storm; returns {perihal tag: count of letters}."""
    db.session.rollback()
    year = date.today().year
    numbers = db.session.scalars(select(RegisterEntry.agenda_number).where(
        RegisterEntry.unit_id == unit_id, RegisterEntry.year == year).order_by(RegisterEntry.agenda_number)).all()
    assert numbers == list(range(1, len(numbers) + 1)), f"gap or duplicate in the agenda numbers: {numbers}"
    counter = db.session.get(AgendaCounter, (unit_id, year))
    assert counter is not None and counter.last_number == len(numbers), "the counter ran ahead of the register"
    letters = db.session.scalars(select(Letter).where(Letter.perihal.like(f"{PREFIX} %"))).all()
    assert len(letters) == len(numbers)
    for letter in letters:
        entries = db.session.scalars(select(RegisterEntry).where(RegisterEntry.letter_id == letter.id)).all()
        assert len(entries) == 1 and entries[0].unit_id == unit_id, f"letter {letter.id}: {len(entries)} entries"
        assert db.session.scalar(select(func.count()).select_from(LetterAddressee)
                                 .where(LetterAddressee.letter_id == letter.id)) == 1
        items = db.session.scalars(select(InboxItem.id).where(InboxItem.letter_id == letter.id)).all()
        assert len(items) == 1, f"letter {letter.id}: {len(items)} inbox items"
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.item_id == items[0])) == 1
        scan = db.session.get(StoredFile, letter.scan_file_id)
        assert scan is not None and FileStore(files_dir).path_for(scan.sha256).exists(), f"letter {letter.id}"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "letter.register", AuditEvent.object_id == str(entries[0].id))) == 1
    tags: dict[str, int] = {}
    for letter in letters:
        tag = letter.perihal.removeprefix(f"{PREFIX} ")
        tags[tag] = tags.get(tag, 0) + 1
    return tags


@pytest.mark.parametrize("kills", [0, 4], ids=["undisturbed", "workers-killed"])
def test_fifty_clerks_over_http_get_gap_free_numbers(ctx, instance_path, web_server, figures, kills):
    names = add_clerks(CLERKS)
    unit_id = viewer_for(user("tu.setda")).clerk_unit_id
    to_position = pos("bupati")
    db.session.remove()
    server = web_server(ctx, instance_path, **{f"SISUMAKER_{k}": v for k, v in RELAXED_LIMITS.items()})
    per_clerk = 1 if kills == 0 else 3
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    killed_at: list[int] = []

    def kill_workers(clerks: Clerks) -> None:
        for _ in range(kills):
            time.sleep(rng.uniform(0.05, 0.6))
            server.kill_worker(rng.choice(server.serving() or server.workers()))
            killed_at.append(len(clerks.outcome))
            server.wait_workers()

    clerks = Clerks(server.url, names, per_clerk, to_position)
    seconds = clerks.run(kill_workers)
    assert clerks.errors == []
    tags = check_register(unit_id, instance_path / "files")
    outcome = clerks.outcome
    ok = [t for t, r in outcome.items() if r == "ok"]
    cut = [t for t, r in outcome.items() if r == "cut"]
    other = {t: r for t, r in outcome.items() if r not in ("ok", "cut")}
    assert other == {}, f"unexpected answers: {other}"
    assert all(tags.get(t) == 1 for t in ok), "a letter answered 302 is missing or doubled"
    assert all(tags.get(t, 0) <= 1 for t in cut)
    assert set(tags) <= set(outcome)
    committed = len(tags)
    figures(database=ctx.config["SQLALCHEMY_DATABASE_URI"].split(":")[0], clerks=CLERKS,
            attempted=len(outcome), answered_302=len(ok), cut_by_kill=len(cut),
            cut_but_committed=sum(tags.get(t, 0) for t in cut), committed=committed, numbers=f"1..{committed}",
            gunicorn_workers_killed=len(killed_at), kills_after_attempts=killed_at, seed=seed,
            seconds=round(seconds, 1))
    if kills == 0:
        assert committed == len(ok) == CLERKS and cut == []
    else:
        assert len(killed_at) >= 3 and cut, "the storm ended before the kills cut a request"
