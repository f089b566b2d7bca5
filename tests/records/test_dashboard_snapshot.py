"""Dashboard snapshots: the figures the worker stores equal the live computation; the page serves them, says when
they were computed, waits (polling, or a meta refresh with JS off) while they are computed, and refreshes on request
for whoever may see the dashboard; the schedule names the periods that are due."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from sisumaker.extensions import db
from sisumaker.models import DashboardSnapshot
from sisumaker.models.org import as_utc
from sisumaker.services import dashboard_snapshot as snapshots
from sisumaker.services.dashboard import Period, dashboard, view_scope
from tests.helpers import csrf_token, text
from tests.letters.support import viewer
from tests.records.conftest import MARCH, unit_id

PERIOD = Period(*MARCH)
TODAY = date(2026, 3, 10)
H = 3600
QUERY = "dari=2026-03-01&sampai=2026-03-31"


def _figures(board):
    def one(f):
        return {**vars(f), "opd": f.opd.id if f.opd else None}
    return [one(f) for f in board.rows], one(board.total)


@pytest.mark.parametrize("username, opd", [("bupati", None), ("bupati", "DISHUB"), ("kadis.dinkes", None),
                                           ("camat.pulo-ampel", None), ("admin", "DINKES")])
def test_a_snapshot_equals_the_live_computation(adoption, username, opd):
    snap = snapshots.compute_snapshot(PERIOD, today=TODAY)
    db.session.commit()
    v = viewer(username)
    opd_id = unit_id(opd) if opd else None
    live = dashboard(v, PERIOD, opd_id, today=TODAY)
    stored = snapshots.board(snap, view_scope(v, opd_id), PERIOD)
    assert _figures(stored) == _figures(live)
    assert stored.today == TODAY and snap.computed_for == TODAY and snap.seconds is not None


def test_the_snapshot_keeps_the_hand_counted_figures(adoption):
    snapshots.compute_snapshot(PERIOD, today=TODAY)
    db.session.commit()
    board = snapshots.board(snapshots.get(PERIOD), view_scope(viewer("sekda")), PERIOD)
    dinkes = next(f for f in board.rows if f.opd.code == "DINKES")
    assert (dinkes.letters, dinkes.electronic, dinkes.dispositions, dinkes.overdue) == (4, 1, 2, 1)
    assert dinkes.read_median == pytest.approx(4 * H, abs=1) and board.total.dispose_median == pytest.approx(5 * H, abs=1)
    assert len(board.rows) == 60 and board.total.letters == 5


def test_the_page_serves_the_snapshot_and_says_when(adoption, client_for):
    html = text(client_for("bupati").get(f"/dasbor?{QUERY}"))  # no Redis: computed in-process on first view
    assert "Data per " in html and " WIB" in html and "Perbarui data" in html and 'class="chart-bar"' in html
    snap = snapshots.get(PERIOD)
    first = snap.computed_at
    assert first is not None and snap.viewed_at is not None
    text(client_for("kadis.dinkes").get(f"/dasbor?{QUERY}"))  # the same snapshot serves the OPD's page
    db.session.rollback()  # end this session's read (the web requests wrote since)
    assert snapshots.get(PERIOD).computed_at == first
    db.session.rollback()
    # older than the refresh interval and no worker to refresh it: the next view computes it again
    hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    db.session.execute(update(DashboardSnapshot).values(computed_at=hour_ago, requested_at=hour_ago))
    db.session.commit()
    client_for("kadis.dinkes").get(f"/dasbor?{QUERY}")
    db.session.rollback()
    assert as_utc(snapshots.get(PERIOD).computed_at) > datetime.now(timezone.utc) - timedelta(minutes=5)


def test_a_refresh_on_request_within_the_access_rules(adoption, client_for):
    kadis = client_for("kadis.dinkes")

    def ask(client, **extra):
        token = csrf_token(client, f"/dasbor?{QUERY}")
        return client.post("/dasbor/perbarui", data={"csrf_token": token, "dari": "2026-03-01",
                                                     "sampai": "2026-03-31", **extra})
    asked = ask(kadis)
    assert asked.status_code == 303 and asked.headers["Location"].startswith("/dasbor?dari=2026-03-01")
    db.session.rollback()
    snap = snapshots.get(PERIOD)
    assert snap.computed_at >= snap.requested_at  # computed in-process, at once
    db.session.rollback()
    assert ask(kadis, opd=unit_id("DISHUB")).status_code == 403
    kabid = client_for("kabid1.dinkes")  # no dashboard for him: his token from the inbox's logout form
    assert kabid.post("/dasbor/perbarui", data={"csrf_token": csrf_token(kabid, "/"), "dari": "2026-03-01",
                                                "sampai": "2026-03-31"}).status_code == 403
    assert ask(kadis, sampai="2026-02-01").status_code == 422


def test_a_period_being_computed_polls_and_then_shows_the_figures(adoption, client_for):
    db.session.add(DashboardSnapshot(period_start=PERIOD.start, period_end=PERIOD.end,
                                     requested_at=datetime.now(timezone.utc)))  # queued for a worker
    db.session.commit()
    bupati = client_for("bupati")
    html = text(bupati.get(f"/dasbor?{QUERY}"))
    assert "sedang dihitung" in html and 'hx-trigger="every 2s"' in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html and "Muat ulang" in html
    assert "Perbarui data" not in html and "chart-bar" not in html
    fragment = text(bupati.get(f"/dasbor?{QUERY}", headers={"HX-Request": "true"}))
    assert "<html" not in fragment and 'id="dasbor-data"' in fragment
    db.session.rollback()
    snapshots.compute_snapshot(PERIOD)  # what the worker does
    db.session.commit()
    fragment = text(bupati.get(f"/dasbor?{QUERY}", headers={"HX-Request": "true"}))
    assert "hx-trigger" not in fragment and "Data per " in fragment and "chart-bar" in fragment
    assert "/dasbor/daftar/lewat-tenggat?" in fragment  # every number still links to its list


def test_the_schedule_names_the_periods_due(adoption):
    now = datetime.now(timezone.utc)
    today = date(2026, 3, 31)
    default = snapshots.default_period(today)
    assert snapshots.due(timedelta(minutes=15), timedelta(days=1), today=today, now=now) == [default]
    assert snapshots.request(default, now) and not snapshots.request(default, now)  # pending: not asked twice
    snapshots.compute_snapshot(default, today=today, now=now)
    snapshots.request(PERIOD, now)  # viewed just now, never computed, but already queued
    db.session.commit()
    assert snapshots.due(timedelta(minutes=15), timedelta(days=1), today=today, now=now) == []
    later = now + timedelta(minutes=20)
    snapshots.compute_snapshot(PERIOD, today=today, now=now)
    db.session.commit()
    assert snapshots.due(timedelta(minutes=15), timedelta(days=1), today=today, now=later) == [default, PERIOD]
    db.session.execute(update(DashboardSnapshot).values(viewed_at=now - timedelta(days=40),
                                                        requested_at=now - timedelta(days=40)))
    db.session.commit()
    assert snapshots.due(timedelta(minutes=15), timedelta(days=1), today=today, now=later) == [default]
    assert db.session.scalars(select(DashboardSnapshot)).all() == []  # forgotten after 30 days unseen


@pytest.mark.redis
def test_the_worker_computes_a_queued_period(adoption, demo_db_url, make_app, redis_url, instance_path):
    """With Redis the first view only queues the period; the real worker (`flask worker --burst`) computes it, and
    its maintenance round queues the default period as well."""
    from tests.helpers import RELAXED_LIMITS, login
    from tests.test_worker import run_burst_worker

    web = make_app(demo_db_url, schema=False, REDIS_URL=redis_url, RQ_QUEUE="sisumaker-test-" + secrets.token_hex(4),
                   **RELAXED_LIMITS)
    client = web.test_client()
    assert login(client, "bupati").status_code in (302, 303)
    html = text(client.get(f"/dasbor?{QUERY}"))
    assert "sedang dihitung" in html and "chart-bar" not in html
    run_burst_worker(web, instance_path)
    html = text(client.get(f"/dasbor?{QUERY}"))
    assert "Data per " in html and "chart-bar" in html and "sedang" not in html
    db.session.rollback()
    assert snapshots.get(snapshots.default_period(date.today())).computed_at is not None
