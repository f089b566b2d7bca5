"""Putting signing batches on the queue, and the reconciler that keeps the queue in step with the database."""
from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from flask import Flask
from redis.exceptions import RedisError
from rq import Retry, Worker
from rq.job import Job, JobStatus
from sqlalchemy import func, select, update

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import SignatureRequest, SignBatch
from sisumaker.models.org import as_utc, utcnow
from sisumaker.queue import get_queue
from sisumaker.services.signatures import job_id_for, stale_batches
from sisumaker.signing.errors import SigningLibError

log = logging.getLogger(__name__)
LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def enqueue_batch(app: Flask, batch_id: int) -> None:
    """After the batch is committed: one job per batch, named after it (so it is never queued twice)."""
    from sisumaker import jobs

    queue = get_queue(app)
    if queue is None:
        try:
            jobs.sign_batch(batch_id)  # no Redis: sign in-process, now
        except SigningLibError as exc:
            if not exc.transient:
                raise
            db.session.rollback()  # BSrE unreachable: the requests stay queued; the progress page tries again
            log.warning("batch %s: %s", batch_id, exc.detail or exc.message)
        return
    queue.enqueue(jobs.sign_batch, batch_id, job_id=job_id_for(batch_id), retry=_retry_for(app, batch_id),
                  job_timeout=3600, result_ttl=86400, failure_ttl=7 * 86400)


def _retry_for(app: Flask, batch_id: int) -> Retry:
    """Regency signing fails transiently only on infrastructure hiccups: three quick retries. BSrE work waits out
    an outage of the national service with back-off (BSRE_RETRY_INTERVALS, about 13 minutes in all, inside the
    passphrase hand-off's 15-minute life); after that the reconciler still finds the queued requests."""
    batch = db.session.get(SignBatch, batch_id)
    if batch is not None and batch.backend == "bsre":
        intervals = [int(i) for i in app.config.get("BSRE_RETRY_INTERVALS") or [5, 15, 30, 60, 120, 240, 300]]
        return Retry(max=len(intervals), interval=intervals)
    return Retry(max=3, interval=[2, 10, 30])


def _job_alive(app: Flask, batch_id: int) -> bool:
    queue = get_queue(app)
    try:
        queue.started_job_registry.cleanup()  # abandoned jobs of dead workers leave the started registry
        job = Job.fetch(job_id_for(batch_id), connection=queue.connection)
    except Exception:  # NoSuchJobError: Redis lost it
        return False
    status = job.get_status(refresh=True)
    if status == JobStatus.STARTED and _worker_gone(job, queue.connection):
        # RQ would call it abandoned only when its heartbeat expires (~90 s); drop the stale execution now so
        # that its later expiry does not requeue the job a second time
        queue.started_job_registry.remove_executions(job)
        return False
    return status in LIVE


def _worker_gone(job: Job, connection) -> bool:
    """A started job's worker is gone when its registration has expired, or when it ran on this host and its
    process no longer exists (kill -9, OOM, a crash). A live registration on another host is trusted until its
    heartbeat expires."""
    if not job.worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=connection)
    if worker is None:
        return True
    if worker.hostname != socket.gethostname() or not worker.pid:
        return False
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def reconcile_batch(app: Flask, batch_id: int) -> bool:
    """Re-enqueue one batch when it has queued/signing work and no live job; True when it did. Without Redis, work
    a transient failure put back in the queue is tried again in-process (`_retry_in_process`), and a batch whose
    in-process run was cut off is run again (`_rerun_orphaned_inline`)."""
    if get_queue(app) is None:
        return _retry_in_process(app, batch_id) or _rerun_orphaned_inline(app, batch_id)
    if batch_id not in stale_batches():
        return False
    try:
        if _job_alive(app, batch_id):
            return False
    except RedisError:
        return False
    _requeue(app, batch_id)
    return True


def _retry_in_process(app: Flask, batch_id: int) -> bool:
    """Rule: without Redis, requests a transient failure (a BSrE outage) put back in the queue — queued, with the
    time of their last attempt — are tried again, at most every SIGNING_INPROCESS_RETRY_SECONDS. Requests never
    started are left to the run that took the passphrase (or to `_rerun_orphaned_inline`)."""
    wait = timedelta(seconds=float(app.config.get("SIGNING_INPROCESS_RETRY_SECONDS", 15)))
    last = db.session.scalar(select(func.max(SignatureRequest.started_at)).where(
        SignatureRequest.batch_id == batch_id, SignatureRequest.status == "queued"))
    if last is None or utcnow() - as_utc(last) < wait:
        return False
    enqueue_batch(app, batch_id)
    return True


def _rerun_orphaned_inline(app: Flask, batch_id: int) -> bool:
    """Rule: without Redis a batch runs inside the web request that took the passphrase, whose sealed hand-off
    lives in that process's memory only. Work still queued or signing after SIGNING_INLINE_STALE_SECONDS (longer
    than a request may run: gunicorn's timeout) lost its runner — the process was killed or restarted — and is
    run again now: a request whose passphrase went with the process fails with the re-sign message and returns
    to the signer's queue; a letter is delivered in the transaction that signs it, so none is half-sent."""
    from sisumaker import jobs

    stale_after = timedelta(seconds=int(app.config["SIGNING_INLINE_STALE_SECONDS"]))
    if batch_id not in stale_batches(stale_after):
        return False
    log.warning("reconcile: batch %s was cut off in-process; running it again", batch_id)
    jobs.sign_batch(batch_id)
    return True


def _requeue(app: Flask, batch_id: int) -> None:
    begin_write()
    db.session.execute(update(SignatureRequest).where(
        SignatureRequest.batch_id == batch_id, SignatureRequest.status == "signing").values(status="queued"))
    db.session.commit()
    enqueue_batch(app, batch_id)


def reconcile(app: Flask) -> list[int]:
    """Rule: work the database says is queued or signing must have a live job; otherwise it is re-enqueued.
    A request left half-way in `signing` goes back to `queued` (its partial work was never committed)."""
    if get_queue(app) is None:
        return []
    requeued = []
    for batch_id in stale_batches():
        try:
            if _job_alive(app, batch_id):
                continue
        except RedisError:
            log.warning("reconcile: Redis unavailable")
            return requeued
        _requeue(app, batch_id)
        requeued.append(batch_id)
    if requeued:
        log.info("reconcile: re-enqueued batches %s", requeued)
    return requeued
