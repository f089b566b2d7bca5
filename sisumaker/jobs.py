"""RQ entry points: they take ids (never secrets), call services, commit — a face like routes and the CLI.

Job errors are not swallowed: an exception fails the job in RQ and is logged with its traceback.
"""
from __future__ import annotations

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.services import audit


def verify_audit_chain() -> dict:
    """Check the whole audit chain in the worker and record the outcome as an audit event."""
    report = audit.verify_chain()
    begin_write()
    audit.record(None, "audit.verify", "audit", None,
                 {"checked": report.checked, "ok": report.ok, "broken_seq": report.broken_seq})
    db.session.commit()
    return {"checked": report.checked, "ok": report.ok, "broken_seq": report.broken_seq, "reason": report.reason}


def email_notifications() -> int:
    """Send the pending bell entries by e-mail (only enqueued when MAIL_SERVER is configured)."""
    from flask import current_app

    from sisumaker.services.mail import SmtpSettings, send_pending

    cfg = current_app.config
    settings = SmtpSettings(host=cfg["MAIL_SERVER"], port=int(cfg["MAIL_PORT"]), use_tls=bool(cfg["MAIL_USE_TLS"]),
                            username=cfg.get("MAIL_USERNAME"), password=cfg.get("MAIL_PASSWORD"),
                            sender=cfg["MAIL_FROM"], base_url=cfg["PUBLIC_BASE_URL"])
    return send_pending(settings)


def sign_batch(batch_id: int) -> dict:
    """Sign one batch. The passphrase is opened from its sealed, short-lived hand-off; the job carries the id."""
    from flask import current_app

    from sisumaker import handoff
    from sisumaker.models import SignBatch
    from sisumaker.pki_runtime import bsre_client, pki_context
    from sisumaker.services.files import FileStore
    from sisumaker.services.signatures import run_batch
    from sisumaker.storage import file_store_for

    app = current_app._get_current_object()
    batch = db.session.get(SignBatch, batch_id)
    if batch is None:
        return {}
    passphrase = handoff.unseal(app, batch.ref)
    store: FileStore = file_store_for(app)
    counts = run_batch(pki_context(app), store, batch_id, passphrase, bsre_client(app))
    if counts["queued"] + counts["signing"] == 0:
        handoff.discard(app, batch.ref)
    return counts


def reconcile_signing() -> list[int]:
    """Re-enqueue batches that the database says are queued or signing but that no live job is working on
    (Redis restarted, a worker killed). Returns the batch ids re-enqueued."""
    from flask import current_app

    from sisumaker.signing_queue import reconcile

    return reconcile(current_app._get_current_object())


def refresh_dashboard(start: str, end: str) -> dict:
    """Compute and store the dashboard snapshot of one period (ISO dates). A failure is recorded on the snapshot,
    so the page stops waiting and says so, and then fails the job as usual."""
    from datetime import date

    from sisumaker.services import dashboard_snapshot as snapshots
    from sisumaker.services.dashboard import Period

    period = Period(date.fromisoformat(start), date.fromisoformat(end))
    try:
        snap = snapshots.compute_snapshot(period)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        snapshots.record_failure(period, f"{type(exc).__name__}: {exc}")
        db.session.commit()
        raise
    return {"period": [start, end], "seconds": snap.seconds}
