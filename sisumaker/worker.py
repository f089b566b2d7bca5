"""The RQ worker: the app is created once per process; each job runs in an app context.

The database engine is disposed before every fork, so a work horse never shares a pooled connection with its
parent (CKAN's lesson).
"""
from __future__ import annotations

import logging

from flask import Flask
from rq import Worker
from rq.exceptions import StopRequested

from sisumaker.extensions import db


class AppWorker(Worker):
    """A forking RQ worker bound to one Flask app. Between jobs it also reconciles the signing queue with the
    database every `maintenance_interval` seconds (SIGNING_RECONCILE_SECONDS), so that work Redis lost while the
    worker stayed up (Redis crashed and came back empty) is re-enqueued without waiting for a restart. In the same
    round it queues the dashboard snapshots that are due (dashboard_queue.schedule_due)."""

    flask_app: Flask

    @property
    def dequeue_timeout(self) -> int:
        # an idle worker wakes this often, so its maintenance (and the reconciler) is never starved by BLPOP
        return max(1, min(super().dequeue_timeout, int(self.maintenance_interval)))

    def run_maintenance_tasks(self):
        """Rule: a failing round is logged and tried again next round; a stop (SIGTERM arriving while a round
        runs: RQ raises StopRequested from its signal handler) is never taken for a failure."""
        super().run_maintenance_tasks()
        from sisumaker.dashboard_queue import schedule_due
        from sisumaker.signing_queue import reconcile

        with self.flask_app.app_context():
            for name, task in (("reconcile", reconcile), ("dashboard schedule", schedule_due)):
                try:
                    task(self.flask_app)
                except StopRequested:
                    raise
                except Exception:  # a database hiccup must not stop the worker; the next round tries again
                    self.log.exception("%s failed; retrying in %s s", name, self.maintenance_interval)
                finally:
                    db.session.remove()

    def fork_work_horse(self, job, queue):
        with self.flask_app.app_context():
            db.engine.dispose()
        return super().fork_work_horse(job, queue)

    def perform_job(self, job, queue, execution=None):
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue, execution)
            finally:
                db.session.remove()


def run_worker(app: Flask, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Start a worker; first re-enqueue signing work the database has but Redis lost (the reconciler)."""
    from sisumaker.pki_runtime import pki_context, pki_exists
    from sisumaker.queue import get_queue
    from sisumaker.signing_queue import reconcile

    queue = get_queue(app)
    if queue is None:
        raise RuntimeError("REDIS_URL belum diatur; worker tidak dapat berjalan tanpa Redis.")
    app.logger.setLevel(logging.INFO)  # with its handler: the reconciler's and the jobs' own INFO lines are kept
    with app.app_context():
        reconcile(app)
        if pki_exists(app):
            pki_context(app)  # keys decrypted once, here: every forked work horse inherits them
        db.session.remove()
        db.engine.dispose()
    worker = AppWorker([queue], connection=queue.connection,
                       maintenance_interval=int(app.config["SIGNING_RECONCILE_SECONDS"]))
    worker.flask_app = app
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")
