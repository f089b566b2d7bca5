"""Redis killed and restarted while the real worker signs two batches (the second waiting behind the first), with
nobody running `flask signing reconcile` by hand: the worker keeps running (or is restarted as systemd's
Restart=always would) and reconciles the queue with the database by itself.

What Redis loses decides the outcome, and the test holds the product to the right one for each configuration:
- appendonly (appendfsync always): nothing is lost; every document ends signed.
- no persistence (snapshots off, no AOF: the worst case; Debian's default RDB snapshots lose the same writes on a
  crash between two snapshots): the queued job and the sealed passphrase hand-off are gone.
  The passphrase is never kept anywhere else (by design), so work that had not started fails with the clear
  message "… silakan tanda tangani ulang", returns to the signer's queue untouched (no signature, original file),
  and the signer's second passphrase entry signs it. Never half-signed, never stuck in the queue."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import SignatureRequest
from sisumaker.signing import signature_count
from tests.tte.support import latest_batch_id, request_states, wait_for
from tests.tte.test_signing_worker import EXPIRED, part_way, queue_batch

RECONCILE = "2"  # SIGNING_RECONCILE_SECONDS for the worker under test (60 by default)


def supervise(start, worker, batches: list[int], timeout: float = 180) -> tuple[object, int]:
    """Until no batch has queued/signing work: restart the worker whenever it exited (systemd's Restart=always).
    Returns the worker running at the end and how many restarts it took."""
    restarts, deadline = 0, time.monotonic() + timeout
    while any(request_states(b)["queued"] + request_states(b)["signing"] for b in batches):
        assert time.monotonic() < deadline, {b: request_states(b) for b in batches}
        if worker.proc.poll() is not None:
            worker, restarts = start(), restarts + 1
        time.sleep(0.2)
    return worker, restarts


def documents_of(batch_id: int) -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(SignatureRequest.document_id).where(SignatureRequest.batch_id == batch_id)))


@pytest.mark.parametrize("appendonly", [False, True], ids=["no-persistence", "appendonly"])
def test_redis_restarted_mid_batch_every_document_ends_signed_once(make_tte, redis_server, rq_worker, figures,
                                                                  appendonly):
    redis = redis_server(appendonly=appendonly)
    tte = make_tte(REDIS_URL=redis.url)

    def start():
        return rq_worker(tte.web, tte.instance_path, redis.url, SISUMAKER_SIGNING_RECONCILE_SECONDS=RECONCILE)

    worker = start()
    first = queue_batch(tte, 24, "sekda")
    second = queue_batch(tte, 6, "bupati")
    documents = documents_of(first) + documents_of(second)  # a re-signed request moves to a new batch
    at_restart = wait_for(lambda: part_way(first, 2, 20), timeout=180, interval=0.02,
                          what="the worker part-way through the first batch")
    redis.restart()  # SIGKILL and start again on the same socket
    lost_job = not redis.client().exists(f"rq:job:sign-batch-{second}")
    assert lost_job is not appendonly
    worker, restarts = supervise(start, worker, [first, second])

    failed = {b: request_states(b)["failed"] for b in (first, second)}
    if appendonly:
        assert failed == {first: 0, second: 0}
    else:
        assert failed[second] == 6, "the second batch's passphrase was lost with Redis: it must fail clearly"
        page = tte.client("bupati").get(f"/tte/proses/{second}").get_data(as_text=True)
        assert "silakan tanda tangani ulang" in page
    resigned = []
    for signer, batch_id in (("sekda", first), ("bupati", second)):
        db.session.rollback()
        for req in db.session.scalars(select(SignatureRequest).where(SignatureRequest.batch_id == batch_id,
                                                                     SignatureRequest.status == "failed")):
            assert req.error == EXPIRED
            assert signature_count(tte.current_pdf(req.document_id)) == 0
            assert req.document.current_file_id == req.document.source_file_id  # untouched, not half-signed
        if failed[batch_id]:
            waiting = tte.waiting(signer)
            assert len(waiting) == failed[batch_id], "a failed request did not return to the signer's queue"
            assert tte.post_sign(signer, waiting).status_code == 303  # the passphrase typed again
            resigned.append(latest_batch_id())
    supervise(start, worker, resigned)

    for doc_id in documents:
        pdf = tte.current_pdf(doc_id)
        assert signature_count(pdf) == 1 and tte.validate(pdf).ok, f"document {doc_id}"
        assert tte.document(doc_id).status == "ditandatangani"
    figures(database=tte.db_url.split(":")[0], redis="appendonly" if appendonly else "no persistence",
            documents=len(documents), signed_when_redis_died=at_restart["signed"], job_lost=lost_job,
            failed_with_resign_message=sum(failed.values()), resigned=sum(failed.values()),
            worker_restarts=restarts, signed_once_valid=len(documents))
