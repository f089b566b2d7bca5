"""After a commit that created bell entries, queue the e-mail job (when SMTP is configured).

Services stay pure: they only write Notification rows. This session hook is the one place that turns a
committed notification into queued work, for routes, CLI commands and jobs alike.
"""
from __future__ import annotations

import threading

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from sisumaker.models import Notification

_FLAG = NEW_NOTIFICATIONS = "sisumaker_new_notifications"  # session.info key; bulk (Core) inserts set it too


@event.listens_for(Session, "after_flush")
def _collect(session, _ctx):
    if any(isinstance(obj, Notification) for obj in session.new):
        session.info[_FLAG] = True


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_FLAG, None)


@event.listens_for(Session, "after_commit")
def _enqueue(session):
    if not session.info.pop(_FLAG, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    if not app.config.get("MAIL_SERVER"):
        return
    from sisumaker import jobs
    from sisumaker.queue import get_queue

    queue = get_queue(app)
    if queue is not None:
        queue.enqueue(jobs.email_notifications)  # idempotent: it sends only what is still pending
        return

    def run_inline():  # no Redis: send from a short-lived thread with its own session
        with app.app_context():
            jobs.email_notifications()

    threading.Thread(target=run_inline, name="sisumaker-mail", daemon=True).start()
