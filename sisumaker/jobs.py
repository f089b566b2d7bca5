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
