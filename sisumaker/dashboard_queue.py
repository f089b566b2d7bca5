"""The dashboard snapshots' queue glue: ask the worker for a period (in-process without Redis), keep the looked-at
periods fresh on the worker's schedule, and give the page its snapshot. The rules live in
services.dashboard_snapshot; this module only commits and enqueues."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from sisumaker import jobs
from sisumaker.extensions import db
from sisumaker.queue import enqueue
from sisumaker.services import dashboard_snapshot as snapshots
from sisumaker.services.dashboard import Period, Scope

log = logging.getLogger(__name__)
KEEP_FRESH = timedelta(days=1)  # periods viewed within this are recomputed on the schedule


def max_age(app: Flask) -> timedelta:
    return timedelta(minutes=float(app.config["DASHBOARD_REFRESH_MINUTES"]))


def _ask_all(periods: list[Period]) -> list[Period]:
    """Mark each period requested unless one is pending, commit, then queue their computations (without Redis
    they run here and now); returns the periods asked for."""
    asked = [p for p in periods if snapshots.request(p)]
    db.session.commit()
    for p in asked:
        enqueue(jobs.refresh_dashboard, p.start.isoformat(), p.end.isoformat())
    return asked


def ask(period: Period) -> bool:
    """Queue the computation of `period` unless one is pending; without Redis it runs here and now."""
    return bool(_ask_all([period]))


def schedule_due(app: Flask) -> list[Period]:
    """The worker's schedule (run between jobs): queue every period `snapshots.due` names."""
    asked = _ask_all(snapshots.due(max_age(app), KEEP_FRESH))
    if asked:
        log.info("dashboard: queued %s", ", ".join(f"{p.start}..{p.end}" for p in asked))
    return asked


def current(app: Flask, period: Period, scope: Scope) -> snapshots.SnapshotView:
    """The page's snapshot of `period` within `scope`: asked for when it has no figures for the scope (never
    computed, or an OPD added since) or is older than the refresh interval — unless a computation is pending or
    the last one failed (the page then offers "Perbarui data") — and noted as viewed."""
    snap = snapshots.get(period)
    board = snapshots.board(snap, scope, period)
    if ((board is None or snapshots.stale(snap, max_age(app))) and not snapshots.pending(snap)
            and not (snap and snap.error)):
        ask(period)
        db.session.expire_all()
        snap = snapshots.get(period)
    snapshots.note_view(snap)
    db.session.commit()  # loaded objects expire: the board is read again after it (no lazy load per OPD)
    return snapshots.SnapshotView(snap, snapshots.board(snap, scope, period))
