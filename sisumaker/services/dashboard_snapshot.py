"""Snapshots of the adoption dashboard: the regency's figures for one period, computed by the worker (on a schedule
and on request) and read by the page, so that the page costs a few small queries whatever the size of the register.

A snapshot holds what `dashboard.compute` gives for the whole regency — every OPD's row and the regency total — as
of its `computed_at`. A viewer sees the rows of their own scope only (`dashboard.view_scope`), and one OPD's page
is that OPD's row: the same numbers as its line in the regency table. A scope of several OPDs that is not the
regency (someone heading two OPDs) has no stored total (the median of two OPDs together is not derived from theirs)
and is computed live.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import DashboardSnapshot
from sisumaker.services.dashboard import Dashboard, Figures, Period, Scope, compute, opd_units

REGENCY = Scope(True, frozenset())
# A queued computation not finished after this long is taken as lost (worker or Redis gone) and may be asked again.
REQUEST_TIMEOUT = timedelta(minutes=10)
VIEW_NOTE_EVERY = timedelta(minutes=5)  # viewed_at is written at most this often per snapshot
FORGET_AFTER = timedelta(days=30)  # snapshots nobody looked at for this long are deleted by the scheduler
STORED = [f.name for f in fields(Figures) if f.name != "opd"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def _dump(rows: list[Figures], total: Figures) -> str:
    def one(f: Figures) -> dict:
        return {name: getattr(f, name) for name in STORED}
    return json.dumps({"rows": {str(f.opd.id): one(f) for f in rows}, "total": one(total)})


def _load(values: dict, opd) -> Figures:
    return Figures(opd, **{name: values[name] for name in STORED if name in values})


def get(period: Period) -> DashboardSnapshot | None:
    return db.session.scalar(select(DashboardSnapshot).where(DashboardSnapshot.period_start == period.start,
                                                             DashboardSnapshot.period_end == period.end))


def _get_or_create(period: Period) -> DashboardSnapshot:
    """The period's row, created if missing; two first views at once (PostgreSQL) both end with the one row."""
    begin_write()
    snap = get(period)
    if snap is not None:
        return snap
    try:
        with db.session.begin_nested():
            snap = DashboardSnapshot(period_start=period.start, period_end=period.end)
            db.session.add(snap)
    except IntegrityError:
        snap = get(period)
    return snap


def compute_snapshot(period: Period, today: date | None = None, now: datetime | None = None) -> DashboardSnapshot:
    """Rule: a snapshot is exactly the live computation for the whole regency over its period, as of `now` and
    `today`. The computation runs before the write lock is taken; the caller commits."""
    now, today = now or _utcnow(), today or date.today()
    t0 = time.perf_counter()
    rows, total = compute(REGENCY, period, today, now)
    figures, seconds = _dump(rows, total), time.perf_counter() - t0
    snap = _get_or_create(period)  # takes the write lock (on SQLite a new transaction: loaded objects expire)
    snap.figures, snap.computed_at, snap.computed_for = figures, now, today
    snap.seconds, snap.error = round(seconds, 3), None
    db.session.flush()
    return snap


def record_failure(period: Period, message: str) -> None:
    """A failed computation is shown on the page (which then stops waiting) until it is asked again."""
    snap = _get_or_create(period)
    snap.error = message[:500]
    db.session.flush()


def pending(snap: DashboardSnapshot | None, now: datetime | None = None) -> bool:
    """A computation was asked after the last one finished, not long enough ago to be taken as lost."""
    if snap is None or snap.requested_at is None or snap.error:
        return False
    asked, done = _aware(snap.requested_at), _aware(snap.computed_at)
    return (done is None or asked > done) and asked > (now or _utcnow()) - REQUEST_TIMEOUT


def stale(snap: DashboardSnapshot | None, max_age: timedelta, now: datetime | None = None) -> bool:
    """Never computed, or computed longer than `max_age` ago."""
    return snap is None or snap.computed_at is None or _aware(snap.computed_at) < (now or _utcnow()) - max_age


def request(period: Period, now: datetime | None = None) -> bool:
    """Note that `period` is to be computed; False when a computation is already pending (nothing to queue).
    The caller commits, then queues the job."""
    now = now or _utcnow()
    snap = _get_or_create(period)
    if pending(snap, now):
        return False
    snap.requested_at, snap.error = now, None
    snap.viewed_at = snap.viewed_at or now
    db.session.flush()
    return True


def note_view(snap: DashboardSnapshot, now: datetime | None = None) -> None:
    """Remember that someone looked (the scheduler keeps looked-at periods fresh); written at most every 5 min."""
    now = now or _utcnow()
    if snap.viewed_at is None or _aware(snap.viewed_at) < now - VIEW_NOTE_EVERY:
        begin_write()
        snap.viewed_at = now
        db.session.flush()


def default_period(today: date) -> Period:
    """The page's default period: this year up to today."""
    return Period(date(today.year, 1, 1), today)


def due(max_age: timedelta, keep_fresh: timedelta, today: date | None = None,
        now: datetime | None = None) -> list[Period]:
    """Rule (the schedule): the default period, and every period viewed within `keep_fresh`, is recomputed once
    its snapshot is older than `max_age`, unless a computation is already pending. Snapshots nobody looked at for
    30 days are deleted."""
    now, today = now or _utcnow(), today or date.today()
    db.session.execute(delete(DashboardSnapshot).where(
        or_(DashboardSnapshot.viewed_at < now - FORGET_AFTER, DashboardSnapshot.viewed_at.is_(None)),
        or_(DashboardSnapshot.requested_at.is_(None), DashboardSnapshot.requested_at < now - FORGET_AFTER)))
    viewed = db.session.scalars(select(DashboardSnapshot).where(DashboardSnapshot.viewed_at >= now - keep_fresh))
    found = {(s.period_start, s.period_end): s for s in viewed}
    default = default_period(today)
    found.setdefault((default.start, default.end), get(default))
    return [Period(*key) for key, snap in sorted(found.items(), key=lambda kv: kv[0])
            if stale(snap, max_age, now) and not pending(snap, now)]


@dataclass
class SnapshotView:
    """What the page shows: the board from the snapshot (None while the first computation is pending)."""

    snapshot: DashboardSnapshot | None
    board: Dashboard | None

    @property
    def computed_at(self) -> datetime | None:
        return _aware(self.snapshot.computed_at) if self.snapshot else None

    @property
    def refreshing(self) -> bool:
        return pending(self.snapshot)

    @property
    def error(self) -> str | None:
        return self.snapshot.error if self.snapshot else None


def representable(scope: Scope) -> bool:
    """Snapshots serve the regency and single OPDs; a scope of several OPDs is computed live."""
    return scope.regency or len(scope.opd_ids) == 1


def board(snap: DashboardSnapshot | None, scope: Scope, period: Period) -> Dashboard | None:
    """The snapshot's figures within `scope` (the regency: every row and the total; one OPD: its row), or None
    when it has none yet or does not know an OPD of the scope (a unit added since: it must be recomputed)."""
    if snap is None or snap.figures is None or not representable(scope):
        return None
    data = json.loads(snap.figures)
    opds = [u for u in opd_units() if scope.regency or u.id in scope.opd_ids]
    if any(str(u.id) not in data["rows"] for u in opds):
        return None
    rows = [_load(data["rows"][str(u.id)], u) for u in opds]
    total = _load(data["total"], None) if scope.regency else rows[0]
    return Dashboard(period, scope, rows, total, snap.computed_for)
