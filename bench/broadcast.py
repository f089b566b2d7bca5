"""Broadcast fan-out of one signed surat edaran to every unit of the demo regency, and the read-matrix page.

    .venv/bin/python bench/broadcast.py                     # SQLite (a fresh file under bench/out/broadcast/)
    .venv/bin/python bench/broadcast.py --runs 9 --profile  # more runs; cProfile of one fan-out
    SISUMAKER_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/broadcast.py

PostgreSQL runs too when SISUMAKER_BENCH_POSTGRES_URL (or SISUMAKER_TEST_POSTGRES_URL) gives a database: the
bench works in its own schema there (created, then dropped).

For each database:
1. the schema by the migrations, the demo regency by the seed service, the regency PKI, the Sekda enrolled;
2. each run: staf.umum drafts a Surat Edaran to the group "semua" (every OPD, kecamatan, desa and kelurahan),
   the Kabag Umum gives paraf, the Sekda fixes number and date and the letter is rendered (prepare_drafts) —
   untimed; then the timed part: `deliver_signed` plus the COMMIT, i.e. what the final signature's transaction
   adds (one register entry with its own agenda number per unit, an inbox item and a bell entry per head);
   the first run also goes through the worker's real `run_batch` (PAdES signature + fan-out) for comparison;
3. a third of the heads open the letter, some dispose it; then the sender's read matrix is requested through
   the app (Flask test client: in-process WSGI, no network and no gunicorn) — /surat-keluar/<id>/matriks and
   the draft page that embeds it — after a warm-up.
Prints a table with median/max against the goals (fan-out <= 1 s, matrix page <= 200 ms); exits 1 on a miss.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "broadcast"
PASSWORD = "bench-sisumaker-2026"
PASSPHRASE = "Bench-Broadcast-2026!"
FANOUT_GOAL, PAGE_GOAL = 1.0, 0.200
sys.path.insert(0, str(ROOT))


def log(msg: str) -> None:
    print(msg, flush=True)


def make_app(db_url: str, instance: Path):
    os.environ["SISUMAKER_INSTANCE_PATH"] = str(instance)
    from sisumaker import create_app

    return create_app({
        "DATABASE_URL": db_url, "SECRET_KEY": "bench-" + "k" * 32, "ENV_NAME": "development",
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None, "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
    })


class Statements:
    """Counts SQL statements sent on an engine while active."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count, self.active = 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        if self.active:
            self.count += 1


def build(app) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select, update
    from werkzeug.security import generate_password_hash

    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.pki_runtime import create_pki, pki_context
    from sisumaker.services.certificates import enroll
    from sisumaker.services.seed import seed_demo

    with app.app_context():
        started = time.perf_counter()
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo(None, password=PASSWORD, production=False)
        # a cheap hash: the bench logs in several times and measures pages, not scrypt
        db.session.execute(update(User).values(password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1")))
        db.session.commit()
        create_pki(app, "Kabupaten Serang")
        sekda = db.session.scalar(select(User).where(User.username == "sekda"))
        enroll(sekda, pki_context(app), PASSPHRASE, PASSPHRASE)
        db.session.commit()
        log(f"  schema (migrations), demo regency, PKI and the Sekda's certificate in "
            f"{time.perf_counter() - started:.1f} s")


def draft_ready_to_deliver(app, n: int) -> int:
    """A Surat Edaran to "semua", paraf given, number fixed and rendered by the Sekda; returns the draft id."""
    from sqlalchemy import select

    from sisumaker.database import begin_write
    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.pki_runtime import pki_context
    from sisumaker.services import outgoing
    from sisumaker.services.access import viewer_for
    from sisumaker.services.outgoing_signing import prepare_drafts
    from sisumaker.storage import file_store_for

    def viewer(username: str):
        return viewer_for(db.session.scalar(select(User).where(User.username == username)))

    begin_write()
    content = outgoing.DraftContent(
        jenis="surat_edaran", perihal=f"Penggunaan Aplikasi Sisumaker (uji siaran {n})", classification_code="000",
        body="Dalam rangka percepatan **SPBE**, diminta kepada Saudara untuk:\n\n1. menggunakan Sisumaker\n"
             "2. menunjuk petugas agenda")
    routing = outgoing.Routing(reviewer_ids=(viewer("kabag.umum").user.position_id,),
                               signer_id=viewer("sekda").user.position_id, groups=("semua",))
    draft = outgoing.save_draft(viewer("staf.umum"), content, routing)
    outgoing.submit(viewer("staf.umum"), draft.id)
    outgoing.approve(viewer("kabag.umum"), draft.id)
    prepare_drafts(viewer("sekda"), pki_context(app), file_store_for(app), [draft.id], PASSPHRASE)
    db.session.commit()
    return draft.id


def timed_fanout(app, draft_id: int, statements: Statements, profile: bool) -> tuple[float, int, int]:
    """deliver_signed + COMMIT; returns (seconds, register entries, SQL statements)."""
    from sisumaker.database import begin_write
    from sisumaker.extensions import db
    from sisumaker.models import Draft
    from sisumaker.services.delivery import deliver_signed

    doc = db.session.get(Draft, draft_id).sign_document
    db.session.commit()
    profiler = cProfile.Profile() if profile else None
    statements.count, statements.active = 0, True
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    begin_write()
    letter = deliver_signed(doc)
    db.session.commit()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    statements.active = False
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        log(out.getvalue())
    return seconds, len(letter.entries), statements.count


def signed_through_worker(app, draft_id: int) -> float:
    """The real final signature: start_batch + run_batch (PAdES, time stamp, then the fan-out), in seconds."""
    from sqlalchemy import select

    from sisumaker.database import begin_write
    from sisumaker.extensions import db
    from sisumaker.models import Draft, User
    from sisumaker.pki_runtime import pki_context
    from sisumaker.services.access import viewer_for
    from sisumaker.services.signatures import run_batch, start_batch
    from sisumaker.storage import file_store_for

    ctx = pki_context(app)
    sekda = viewer_for(db.session.scalar(select(User).where(User.username == "sekda")))
    begin_write()
    batch = start_batch(sekda, ctx, [db.session.get(Draft, draft_id).sign_document.requests[0].id], PASSPHRASE)
    db.session.commit()
    started = time.perf_counter()
    counts = run_batch(ctx, file_store_for(app), batch.id, PASSPHRASE)
    seconds = time.perf_counter() - started
    assert counts["signed"] == 1, counts
    assert db.session.get(Draft, draft_id).status == "terkirim"
    return seconds


def read_some(draft_id: int) -> int:
    """A third of the heads open the letter; every fifth of those disposes it down. Returns the number read."""
    from sqlalchemy import select

    from sisumaker.database import begin_write
    from sisumaker.extensions import db
    from sisumaker.models import Draft, InboxItem, User
    from sisumaker.services.access import viewer_for
    from sisumaker.services.dispositions import DispositionInput, allowed_recipients, dispose_letter, open_item

    letter_id = db.session.get(Draft, draft_id).letter_id
    items = db.session.scalars(select(InboxItem).where(InboxItem.letter_id == letter_id)
                               .order_by(InboxItem.id)).all()[::3]
    begin_write()
    for n, item in enumerate(items):
        holder = db.session.scalar(select(User).where(User.position_id == item.position_id).limit(1))
        if holder is None:
            continue
        viewer = viewer_for(holder)
        open_item(viewer, item.id)
        below = allowed_recipients(item.position)
        if n % 5 == 0 and below:
            dispose_letter(viewer, item.id, DispositionInput((below[0].id,), ("Untuk ditindaklanjuti",)))
    db.session.commit()
    return len(items)


def page_times(app, draft_id: int, rounds: int) -> dict[str, list[float]]:
    client = app.test_client()
    page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/masuk", data={"csrf_token": token, "username": "staf.umum",
                                       "password": PASSWORD}).status_code in (302, 303)
    out: dict[str, list[float]] = {}
    for path in (f"/surat-keluar/{draft_id}/matriks", f"/surat-keluar/{draft_id}"):
        times = []
        for i in range(rounds + 3):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
            body = response.get_data(as_text=True)
            assert response.status_code == 200 and "Dibaca " in body, (path, response.status_code)
            if i >= 3:  # warm-up: templates compiled, caches filled
                times.append(elapsed)
        out[path] = times
    return out


def run_backend(label: str, db_url: str, instance: Path, runs: int, profile: bool, rounds: int) -> dict:
    from sisumaker.extensions import db

    log(f"\n[{label}] building ...")
    app = make_app(db_url, instance)
    build(app)
    result: dict = {"label": label}
    with app.app_context():
        statements = Statements(db.engine)
        fanouts, units, queries = [], 0, 0
        first = draft_ready_to_deliver(app, 0)
        result["worker"] = signed_through_worker(app, first)
        for n in range(1, runs + 1):
            draft_id = draft_ready_to_deliver(app, n)
            seconds, units, queries = timed_fanout(app, draft_id, statements, profile and n == runs)
            fanouts.append(seconds)
            log(f"  run {n}: {units} units, {queries} SQL statements, deliver+commit {seconds * 1000:.0f} ms")
        result.update(fanouts=fanouts, units=units, queries=queries)
        result["read"] = read_some(first)
        result["pages"] = page_times(app, first, rounds)
        db.session.remove()
        db.engine.dispose()
    return result


def postgres_schema(url: str) -> tuple[str, object]:
    """A private schema in the given database; returns (URL that sees only it, admin connection)."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    schema = f"sisu_bench_broadcast_{secrets.token_hex(3)}"
    admin = psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    return scoped, (admin, schema)


def table(results: list[dict], runs: int) -> str:
    head = (f"{'database':<11} {'units':>5} {'runs':>4}  {'fan-out median':>14} {'max':>7} {'SQL':>4}  "
            f"{'run_batch':>9}  {'matrix page med':>15} {'p95':>6}  {'draft page med':>14}  goals")
    lines = [head, "-" * len(head)]
    for r in results:
        med, top = statistics.median(r["fanouts"]), max(r["fanouts"])
        matrix, draft_page = list(r["pages"].values())
        m_med = statistics.median(matrix)
        m_p95 = sorted(matrix)[max(0, int(round(0.95 * len(matrix))) - 1)]
        ok = "ok" if top <= FANOUT_GOAL and m_med <= PAGE_GOAL else "MISSED"
        lines.append(f"{r['label']:<11} {r['units']:>5} {runs:>4}  {med * 1000:>11.0f} ms {top * 1000:>4.0f} ms "
                     f"{r['queries']:>4}  {r['worker']:>7.2f} s  {m_med * 1000:>12.1f} ms {m_p95 * 1000:>4.0f} ms  "
                     f"{statistics.median(draft_page) * 1000:>11.1f} ms  {ok}")
    lines.append(f"goals: fan-out (deliver_signed + COMMIT, max of the runs) <= {FANOUT_GOAL:.0f} s; read-matrix "
                 f"page median <= {PAGE_GOAL * 1000:.0f} ms (Flask test client, in-process; {results[0]['read']} "
                 "of the heads have read it, some disposed). run_batch = one real final signature incl. fan-out.")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed fan-outs per database (default 5)")
    parser.add_argument("--rounds", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the last fan-out")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("SISUMAKER_BENCH_POSTGRES_URL") or os.environ.get("SISUMAKER_TEST_POSTGRES_URL")
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=OUT))
    results = []
    try:
        results.append(run_backend("SQLite", f"sqlite:///{work / 'sisumaker.sqlite'}", work / "instance-sqlite",
                                   args.runs, args.profile, args.rounds))
        if pg_url and not args.sqlite_only:
            url, (admin, schema) = postgres_schema(pg_url)
            try:
                results.append(run_backend("PostgreSQL", url, work / "instance-pg", args.runs, args.profile,
                                           args.rounds))
            finally:
                admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                              f"AND query ILIKE '%{schema}%'")
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
                admin.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log("\n" + table(results, args.runs))
    missed = any(max(r["fanouts"]) > FANOUT_GOAL or statistics.median(list(r["pages"].values())[0]) > PAGE_GOAL
                 for r in results)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
