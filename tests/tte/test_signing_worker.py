"""Batch signing through a real Redis and the real worker (`flask --app sisumaker worker` as a subprocess): a
whole batch, a job run twice (one after the other, and by two workers at once), a worker killed with SIGKILL
mid-batch, Redis itself restarted mid-batch, and no passphrase in clear anywhere (Redis keys and values, logs,
the database)."""
from __future__ import annotations

import logging
import re
import subprocess

import pytest
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, SignatureRequest, SignBatch
from sisumaker.signing import signature_count
from tests.helpers import text
from tests.tte.conftest import PASSPHRASE
from tests.tte.support import (REPO, WorkerProcess, database_dump, find_secret, flask_command, latest_batch_id,
                               redis_dump, request_states, wait_for, worker_env)

pytestmark = pytest.mark.redis
EXPIRED = "Frasa sandi sudah kedaluwarsa sebelum diproses; silakan tanda tangani ulang."


@pytest.fixture
def world(make_tte, own_redis, tmp_path):
    """(tte, start_worker): the app on its own Redis; `start_worker(burst=False)` runs a worker subprocess whose
    output is appended to tmp_path/worker.log. Workers still running at the end are stopped."""
    tte = make_tte(REDIS_URL=own_redis.url)
    tte.log = tmp_path / "worker.log"
    workers = []

    def start_worker(burst: bool = False) -> WorkerProcess:
        worker = WorkerProcess(worker_env(tte, own_redis.url, tte.web.config["RQ_QUEUE"]), tte.log, burst=burst)
        workers.append(worker)
        return worker

    yield tte, start_worker
    for worker in workers:
        worker.stop()


def run_burst(start_worker) -> None:
    worker = start_worker(burst=True)
    code = worker.wait(300)
    assert code == 0, worker.log.read_text()[-4000:]


def queue_batch(tte, n: int, signer: str = "sekda") -> int:
    tte.submit(n, signer=signer, title=f"Surat untuk {signer}")
    response = tte.post_sign(signer)
    assert response.status_code == 303, text(response)
    return latest_batch_id()


def part_way(batch_id: int, low: int, high: int) -> dict | None:
    """The batch's counts when `low` <= signed < `high`, else None."""
    states = request_states(batch_id)
    return states if low <= states["signed"] < high else None


def settled(batch_id: int, quiet: float = 5.0, timeout: float = 180) -> dict:
    """Wait until the batch has no queued/signing work left, or its counts stop changing for `quiet` seconds."""
    import time

    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        states = request_states(batch_id)
        if states["queued"] + states["signing"] == 0:
            return states
        if states != last:
            last, since = states, time.monotonic()
        elif time.monotonic() - since > quiet:
            return states
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} still changing after {timeout} s")


def signed_events(request_ids) -> dict[int, int]:
    db.session.rollback()
    rows = db.session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "signing.signed", AuditEvent.object_type == "signature_request"))
    counts = dict.fromkeys(request_ids, 0)
    for rid in rows:
        if int(rid) in counts:
            counts[int(rid)] += 1
    return counts


def assert_each_signed_once(tte, batch_id: int) -> list[SignatureRequest]:
    """Every request of the batch signed, its document final with exactly one valid signature, one audit event."""
    db.session.rollback()
    requests = list(db.session.scalars(select(SignatureRequest).where(SignatureRequest.batch_id == batch_id)))
    assert requests and all(r.status == "signed" for r in requests), {r.id: (r.status, r.error) for r in requests}
    for req in requests:
        pdf = tte.current_pdf(req.document_id)
        assert signature_count(pdf) == 1, f"document {req.document_id}"
        assert tte.validate(pdf).ok, f"document {req.document_id}"
        assert tte.document(req.document_id).status == "ditandatangani"
    assert set(signed_events([r.id for r in requests]).values()) == {1}
    return requests


def test_a_batch_of_twenty_signs_completely_in_the_worker(world):
    tte, start_worker = world
    batch_id = queue_batch(tte, 20)
    sekda = tte.client("sekda")
    waiting = text(sekda.get(f"/tte/proses/{batch_id}"))
    assert "0</span> dari 20</strong>" in waiting and waiting.count("Antre") == 20  # queued, not signed inline
    run_burst(start_worker)
    assert request_states(batch_id)["signed"] == 20
    assert_each_signed_once(tte, batch_id)
    fragment = text(sekda.get(f"/tte/proses/{batch_id}", headers={"HX-Request": "true"}))
    assert "20</span> dari 20</strong>" in fragment and "Selesai dalam" in fragment and "hx-trigger" not in fragment
    db.session.rollback()
    assert db.session.get(SignBatch, batch_id).finished_at is not None
    with tte.web.app_context():
        from sisumaker.queue import redis_connection

        assert redis_connection().keys("sisumaker:handoff:*") == []  # the sealed passphrase is gone


def test_a_job_run_twice_signs_once(world):
    from rq.job import Job

    from sisumaker import jobs
    from sisumaker.queue import redis_connection
    from sisumaker.signing_queue import enqueue_batch

    tte, start_worker = world
    batch_id = queue_batch(tte, 5)
    enqueue_batch(tte.web, batch_id)  # the same job a second time, before any worker ran it
    with tte.web.app_context():
        connection = redis_connection()
    assert connection.lrange(f"rq:queue:{tte.web.config['RQ_QUEUE']}", 0, -1).count(f"sign-batch-{batch_id}".encode()) == 2
    run_burst(start_worker)
    requests = assert_each_signed_once(tte, batch_id)
    attempts = {r.id: r.attempts for r in requests}
    assert set(attempts.values()) == {1}
    files = {r.id: r.signed_file_id for r in requests}

    enqueue_batch(tte.web, batch_id)  # and once more after it finished
    run_burst(start_worker)
    assert len(Job.fetch(f"sign-batch-{batch_id}", connection=connection).results()) >= 2
    jobs.sign_batch(batch_id)  # and in-process, directly
    jobs.sign_batch(batch_id)
    requests = assert_each_signed_once(tte, batch_id)
    assert {r.id: r.attempts for r in requests} == attempts
    assert {r.id: r.signed_file_id for r in requests} == files


def test_the_same_job_run_by_two_workers_at_once_signs_each_document_once(world):
    """Two runs of one batch at the same time (an orphaned work horse and its re-enqueued job, or a duplicate
    enqueue): whichever commits a request first wins; the other discards its signature."""
    from sisumaker.signing_queue import enqueue_batch

    tte, start_worker = world
    batch_id = queue_batch(tte, 12)
    enqueue_batch(tte.web, batch_id)
    workers = [start_worker(burst=True), start_worker(burst=True)]
    assert [w.wait(300) for w in workers] == [0, 0], tte.log.read_text()[-4000:]
    assert tte.log.read_text().count(f"sisumaker.jobs.sign_batch({batch_id}) (sign-batch-{batch_id})") == 2
    requests = assert_each_signed_once(tte, batch_id)
    for req in requests:  # the file the request names is the document's current file
        assert tte.document(req.document_id).current_file_id == req.signed_file_id


def test_a_worker_killed_mid_batch_is_finished_by_the_next_one(world):
    tte, start_worker = world
    worker = start_worker()
    batch_id = queue_batch(tte, 40)
    states = wait_for(lambda: part_way(batch_id, 3, 30), timeout=180, interval=0.02,
                      what="the worker to be part-way through the batch")
    killed = worker.kill_hard()
    assert len(killed) >= 2, "the work horse was not among the killed processes"
    after = request_states(batch_id)
    assert after["signed"] < 40, f"the batch finished before the kill ({states} → {after})"
    assert after["queued"] + after["signing"] > 0

    run_burst(start_worker)  # a new worker reconciles at start: the batch is re-enqueued and finished
    assert request_states(batch_id)["signed"] == 40, tte.log.read_text()[-4000:]
    requests = assert_each_signed_once(tte, batch_id)
    assert max(r.attempts for r in requests) <= 2
    assert "reconcile: re-enqueued batches" in tte.log.read_text()


def test_redis_restarted_mid_batch_leaves_everything_signed_or_clearly_failed(world, own_redis):
    """The sealed passphrase lived only in Redis: work that had not started when Redis lost it fails with the
    expiry message and returns to the signer's queue; nothing is half-signed, nothing is lost."""
    tte, start_worker = world
    worker = start_worker()
    first = queue_batch(tte, 30, "sekda")
    second = queue_batch(tte, 5, "bupati")  # waits behind the first: the single worker is busy
    wait_for(lambda: part_way(first, 2, 25), timeout=180, interval=0.02,
             what="the worker to be part-way through the first batch")
    own_redis.restart()  # everything in it is gone: both jobs and both sealed passphrases
    assert not own_redis.client().exists(f"rq:job:sign-batch-{second}")
    settled(first)
    worker.stop()

    reconciled = _reconcile(tte, own_redis)
    assert second in reconciled, reconciled
    run_burst(start_worker)

    for batch_id, signer in ((first, "sekda"), (second, "bupati")):
        states = request_states(batch_id)
        total = 30 if batch_id == first else 5
        assert states["signed"] + states["failed"] == total and states["queued"] + states["signing"] == 0, states
        db.session.rollback()
        for req in db.session.scalars(select(SignatureRequest).where(SignatureRequest.batch_id == batch_id)):
            pdf = tte.current_pdf(req.document_id)
            if req.status == "signed":
                assert signature_count(pdf) == 1 and tte.validate(pdf).ok
            else:
                assert req.error == EXPIRED
                assert signature_count(pdf) == 0 and req.document.status == "menunggu"
                assert req.document.current_file_id == req.document.source_file_id
        failed = {r.id for r in db.session.scalars(select(SignatureRequest).where(
            SignatureRequest.batch_id == batch_id, SignatureRequest.status == "failed"))}
        assert failed <= set(tte.waiting(signer)), "a failed request did not return to the signer's queue"
    assert request_states(second)["failed"] == 5
    assert request_states(first)["signed"] >= 2


def _reconcile(tte, own_redis) -> list[int]:
    """`flask signing reconcile` as a separate process; returns the batch ids it re-enqueued."""
    env = worker_env(tte, own_redis.url, tte.web.config["RQ_QUEUE"])
    done = subprocess.run(flask_command("signing", "reconcile"), env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"Batch diantrekan ulang: \[([\d, ]*)\]", done.stdout)
    return [int(x) for x in found.group(1).split(",")] if found else []


def test_no_passphrase_in_redis_logs_or_the_database(world, own_redis, caplog):
    caplog.set_level(logging.DEBUG)
    tte, start_worker = world
    batch_id = queue_batch(tte, 10)
    queued = redis_dump(own_redis.client())  # job, queue and the sealed hand-off are all there now
    assert any("sisumaker:handoff:" in where for where, _ in queued)
    assert any(f"sign-batch-{batch_id}" in where for where, _ in queued)
    run_burst(start_worker)
    assert request_states(batch_id)["signed"] == 10
    after = redis_dump(own_redis.client())
    log = tte.log.read_bytes()
    assert b"sign-batch-" in log  # the worker did log the job
    dump = database_dump(tte.db_url)
    assert any(table == "sign_batch" for table, _ in dump)

    assert find_secret(PASSPHRASE, queued) == []
    assert find_secret(PASSPHRASE, after) == []
    assert find_secret(PASSPHRASE, [("worker log", log), ("web log", caplog.text.encode())]) == []
    assert find_secret(PASSPHRASE, dump) == []


def test_the_secret_scan_finds_a_planted_passphrase(own_redis, tmp_path):
    """Control for the test above: each kind of place the scan reads does reveal a planted passphrase."""
    import sqlite3
    import zlib

    client = own_redis.client()
    client.hset("rq:job:plant", mapping={"data": zlib.compress(b"args=('" + PASSPHRASE.encode() + b"',)")})
    client.rpush("plant:list", b"x" + PASSPHRASE.encode("utf-16-le"))
    assert {where.split(" (")[0] for where in find_secret(PASSPHRASE, redis_dump(client))} >= {"rq:job:plant",
                                                                                              "plant:list"}
    path = tmp_path / "plant.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (v BLOB)")
        conn.execute("INSERT INTO t VALUES (?)", (PASSPHRASE.encode("utf-16-be"),))
    assert "t" in find_secret(PASSPHRASE, database_dump(f"sqlite:///{path}"))
    assert find_secret(PASSPHRASE, [("log", b"... " + PASSPHRASE.encode() + b" ...")]) == ["log"]
    assert find_secret(PASSPHRASE + "-lain", [("log", PASSPHRASE.encode())]) == []
