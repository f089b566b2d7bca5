"""The adoption dashboard on a big register: how long its computation, its snapshot and its page take.

    .venv/bin/python bench/dashboard.py                      # 100,000 letters (built once, reused)
    .venv/bin/python bench/dashboard.py --letters 1000000 --repeat 3
    SISUMAKER_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/dashboard.py

The database is the one `bench/register_pages.py` builds (same builder, same cache: letters over four years,
register entries, inbox items with disposition trees, deadlines and read times). For each case the script times,
--repeat times after one warm-up, min / median / max in milliseconds with the SQL statements of one run (they must
not grow with the data: no N+1):

- computation: `services.dashboard.dashboard`, the live figures of every OPD the viewer may see;
- snapshot: `services.dashboard_snapshot.compute_snapshot`, what the worker does for a period (every OPD and the
  regency total), once per period;
- page: the whole `/dasbor` view (snapshot read + template) inside a request context, with the snapshot in place —
  what a visitor waits for.

It then checks that each snapshot equals the live computation figure by figure, prints the load average, and
removes the snapshots it stored.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import register_pages as builder  # noqa: E402  (the register bench's database builder, reused)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--letters", type=int, default=100_000, help="letters in the database (100000)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per case (5)")
    ap.add_argument("--database-url", default=os.environ.get("SISUMAKER_BENCH_POSTGRES_URL"),
                    help="a PostgreSQL server URL (the bench uses its own schema); default SQLite under bench/out")
    ap.add_argument("--out", type=Path, default=builder.OUT)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--batch", type=int, default=5000)
    args = ap.parse_args(argv)
    args.app_root = builder.ROOT
    return args


def timed(fn, repeat: int) -> tuple[list[float], int]:
    """(milliseconds of each run after a warm-up, SQL statements of one run)."""
    from sqlalchemy import event

    from sisumaker.extensions import db

    fn()
    statements = [0]

    def count(*_):
        statements[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return runs, statements[0]


def main(argv=None) -> int:
    args = parse_args(argv)
    url, instance, meta = builder.ensure_database(args)
    missing = builder.missing_model_indexes(url, instance, create=True)
    if missing:  # a cached database built before an index was added: measure the code as written
        print(f"created indexes the database lacked (each needs its migration): {', '.join(missing)}")
    app = builder.make_app(url, instance)
    from flask_login import login_user
    from sqlalchemy import delete, func, select, tuple_

    from sisumaker.blueprints.dashboard.routes import index
    from sisumaker.extensions import db
    from sisumaker.models import DashboardSnapshot, InboxItem, Letter, User
    from sisumaker.services import dashboard_snapshot as snapshots
    from sisumaker.services.access import viewer_for
    from sisumaker.services.dashboard import Period, dashboard

    today = date.today()
    cases = [  # (label, username, period)
        ("Bupati, whole regency, this year", "bupati", Period(date(today.year, 1, 1), today)),
        ("Bupati, whole regency, last 30 days", "bupati", Period(today - timedelta(days=30), today)),
        ("Bupati, whole regency, four years", "bupati", Period(date(today.year - 3, 1, 1), today)),
        ("Kadis Dinkes, own OPD, this year", "kadis.dinkes", Period(date(today.year, 1, 1), today)),
        ("Camat Pulo Ampel, own kecamatan, this year", "camat.pulo-ampel", Period(date(today.year, 1, 1), today)),
    ]
    with app.app_context():
        letters = db.session.scalar(select(func.count(Letter.id)))
        items = db.session.scalar(select(func.count(InboxItem.id)))
        print(f"Database: {url.split('@')[-1]} · {letters:,} letters, {items:,} inbox items · "
              f"{db.engine.dialect.name} · load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'case':46} {'what':12} {'min':>8} {'median':>8} {'max':>8} {'SQL':>4}")
        stored = set()
        for label, username, period in cases:
            user = db.session.scalar(select(User).where(User.username == username))
            viewer = viewer_for(user)
            runs, sql = timed(lambda: dashboard(viewer, period), args.repeat)
            print(f"{label:46} {'computation':12} {min(runs):8.1f} {statistics.median(runs):8.1f} "
                  f"{max(runs):8.1f} {sql:4d}")
            if period not in stored:
                def snapshot():
                    snapshots.compute_snapshot(period)
                    db.session.commit()
                runs, sql = timed(snapshot, args.repeat)
                stored.add(period)
                print(f"{'':46} {'snapshot':12} {min(runs):8.1f} {statistics.median(runs):8.1f} "
                      f"{max(runs):8.1f} {sql:4d}")
            query = f"/dasbor?dari={period.start.isoformat()}&sampai={period.end.isoformat()}"

            def page():
                with app.test_request_context(query):
                    login_user(user)
                    html = index()
                    assert "Dasbor Adopsi" in html and "Data per" in html
            runs, sql = timed(page, args.repeat)
            print(f"{'':46} {'page':12} {min(runs):8.1f} {statistics.median(runs):8.1f} {max(runs):8.1f} {sql:4d}")
            live, snap = dashboard(viewer, period), snapshots.get(period)
            kept = snapshots.board(snap, live.scope, period)
            assert [vars(f) for f in kept.rows] == [vars(f) for f in live.rows] and vars(kept.total) == vars(live.total), \
                f"{label}: the snapshot differs from the live computation"
            db.session.remove()
        print(f"every snapshot equals the live computation; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        db.session.execute(delete(DashboardSnapshot).where(
            tuple_(DashboardSnapshot.period_start, DashboardSnapshot.period_end).in_([(p.start, p.end) for p in stored])))
        db.session.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
