"""Mixed load on Sisumaker as deployed, at increasing concurrency, next to the floor in the same run.

    .venv/bin/python bench/load.py                                   # 1, 4, 8, 16, 32 clients, 20 s a step
    .venv/bin/python bench/load.py --steps 1,4,8 --duration 8        # a small run
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

What one run does:
1. a database with the demo regency (migrations + `flask seed-demo` with the bench password: PKI, signing
   certificates, sample letters), built once under bench/out/load/ and copied for every run (SQLite), or seeded
   into the bench's own schema `sisu_bench_load` (PostgreSQL, rebuilt every run);
2. a private redis-server, the RQ worker (`flask --app sisumaker worker`) and gunicorn with the deployed
   settings (`-c deploy/gunicorn.conf.py`: gthread, 2 processes x 4 threads, access log on); the floor
   (`../shared/bench/floor_app.py`) under the very same gunicorn settings;
3. the Sekda signs the demo documents through the real form and the worker (PAdES), so the public has QR
   tokens to verify;
4. for each step: N clients, each a loop of weighted actions by the people of four command chains (Setda,
   Dinkes, Diskominfosatik, Kecamatan Pulo Ampel): the clerk opens the register form and registers a letter
   with a small PDF scan (multipart POST with CSRF), the head reads the inbox, opens a letter and disposes a
   newly arrived one down the chain, the public opens /v/<token> and /v/<token>.json; then the same N clients
   on the floor's /register for as long. Every request uses a fresh connection, on both sides.
5. prints per step and action: requests/s, p50/p95/p99 and errors (unexpected status or socket error), the
   step's total against the floor's (ratio), and checks afterwards that agenda numbers stayed gap-free and that
   every accepted registration is in the register. Exit 1 on any error, 2 on a setup failure.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

from harness import (BENCH_PASSWORD, FLOOR_DIR, OUT, ROOT, Server, app_env, csrf_token, ensure_floor, log, login,
                     request, session_cookie, start_redis)
from load_workload import ACTIONS, Chain, Client, Stats, floor_load, summarise

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
FLASK = [str(ROOT / ".venv" / "bin" / "python"), "-m", "flask", "--app", "sisumaker"]
SIGNING_PASSPHRASE = "Bench-TTE-2026!"
CHAINS = [  # (clerk, head who receives, position the head disposes to)
    ("tu.setda", "bupati", "sekda"),
    ("tu.dinkes", "kadis.dinkes", "kabid1.dinkes"),
    ("tu.diskominfosatik", "kadis.diskominfosatik", "kabid1.diskominfosatik"),
    ("tu.kec.pulo-ampel", "camat.pulo-ampel", "sekcam.pulo-ampel"),
]


def scan_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    import io

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 780, "KEMENTERIAN DALAM NEGERI - Undangan Rapat Koordinasi")
    c.drawString(72, 760, "Perihal: Penyusunan RKPD 2027")
    c.showPage()
    c.save()
    return buf.getvalue()


# -------------------------------------------------------------------------------------------- set-up

def flask(env: dict, *args: str) -> str:
    out = subprocess.run([*FLASK, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def seed_env(url: str, instance: Path) -> dict:
    return {**app_env(url, instance), "SISUMAKER_DEMO_PASSWORD": BENCH_PASSWORD,
            "SISUMAKER_DEMO_SIGNING_PASSPHRASE": SIGNING_PASSPHRASE}


def prepare_database(args) -> tuple[str, Path]:
    """A fresh copy of the seeded demo regency for this run; returns (database URL, instance folder)."""
    work = args.out / "load"
    run = work / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    if args.database_url:
        from register_pages import postgres_reset_schema, postgres_schema_url

        postgres_reset_schema(args.database_url, "sisu_bench_load")
        url = postgres_schema_url(args.database_url, "sisu_bench_load")
        env = seed_env(url, run / "instance")
        log("Seeding the demo regency into PostgreSQL schema sisu_bench_load ...")
        flask(env, "db", "upgrade")
        flask(env, "seed-demo")
        analyze(url)
        return url, run / "instance"
    template = work / "template"
    key = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    stamp = template / "key.json"
    if not stamp.exists() or json.loads(stamp.read_text()) != key:
        shutil.rmtree(template, ignore_errors=True)
        template.mkdir(parents=True)
        env = seed_env(f"sqlite:///{template / 'sisumaker.sqlite'}", template / "instance")
        log("Seeding the demo regency (once; reused while the migrations are unchanged) ...")
        flask(env, "db", "upgrade")
        flask(env, "seed-demo")
        stamp.write_text(json.dumps(key))
    import sqlite3

    src, dst = sqlite3.connect(template / "sisumaker.sqlite"), sqlite3.connect(run / "sisumaker.sqlite")
    src.backup(dst)
    src.close(), dst.close()
    shutil.copytree(template / "instance", run / "instance")
    return f"sqlite:///{run / 'sisumaker.sqlite'}", run / "instance"


def analyze(url: str) -> None:
    """Statistics for the freshly seeded tables, as autovacuum gives a server that has run for a minute; without
    them the planner picks nested seq scans (the register form took 200 ms instead of 20 ms)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            conn.execute(text(f'ANALYZE "{name}"'))
        conn.commit()
    engine.dispose()


def lookup(url: str) -> tuple[dict[str, int], int, list[str]]:
    """Position ids of the chains' people, the highest inbox item id before the load, the signed documents'
    public tokens (what their QR codes carry)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        pos = dict(conn.execute(text("SELECT username, position_id FROM user_account")).all())
        top = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM inbox_item")).scalar()
        tokens = list(conn.execute(text("SELECT token FROM sign_document WHERE status = 'ditandatangani'")).scalars())
    engine.dispose()
    return pos, top, tokens


def sign_demo_documents(port: int) -> int:
    """The Sekda signs everything waiting through the form and the worker signs; returns how many."""
    cookie = login(port, "sekda")
    status, _, sc, html = request(port, "GET", "/tte/", cookie)
    cookie = session_cookie(sc, cookie)
    ids = re.findall(r'name="request_ids"[^>]*value="(\d+)"', html) or re.findall(
        r'value="(\d+)"[^>]*name="request_ids"', html)
    if status != 200 or not ids:
        raise RuntimeError(f"nothing waits for the Sekda's signature (HTTP {status})")
    body = urllib.parse.urlencode([("csrf_token", csrf_token(html)), ("passphrase", SIGNING_PASSPHRASE),
                                   *[("request_ids", i) for i in ids]])
    status, location, sc, _ = request(port, "POST", "/tte/tandatangani", cookie, body)
    cookie = session_cookie(sc, cookie)
    if status != 303 or not location:
        raise RuntimeError(f"signing POST answered {status}")
    path = urllib.parse.urlsplit(location).path
    for _ in range(600):
        status, _, sc, html = request(port, "GET", path, cookie)
        cookie = session_cookie(sc, cookie)
        if "Selesai" in html:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError("the worker did not finish signing within 120 s")
    return len(ids)


def check_register(url: str, floor_item: int) -> dict:
    """After the load: agenda numbers per unit and year are 1..N without gap or repeat."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT unit_id, year, COUNT(*), COUNT(DISTINCT agenda_number), MIN(agenda_number), "
                                 "MAX(agenda_number) FROM register_entry GROUP BY unit_id, year")).all()
        items = conn.execute(text("SELECT COUNT(*) FROM inbox_item WHERE id > :f"), {"f": floor_item}).scalar()
        entries = conn.execute(text("SELECT COUNT(*) FROM register_entry")).scalar()
    engine.dispose()
    gaps = [r for r in rows if not (r[2] == r[3] == r[5] and r[4] == 1)]
    return {"units": len(rows), "entries": entries, "gaps": [list(r) for r in gaps], "new_items": items}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", default="1,4,8,16,32", help="concurrent clients per step (1,4,8,16,32)")
    ap.add_argument("--duration", type=float, default=20, help="seconds per step, and as long on the floor (20)")
    ap.add_argument("--floor-rows", type=int, default=100_000)
    ap.add_argument("--database-url", default=os.environ.get("SISUMAKER_BENCH_POSTGRES_URL"),
                    help="PostgreSQL instead of SQLite; the bench uses only its own schema sisu_bench_load")
    ap.add_argument("--out", type=Path, default=OUT)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s.strip()]
    servers: list[Server] = []
    redis_proc = None
    try:
        url, instance = prepare_database(args)
        floor_db = ensure_floor(args.floor_rows, args.out)
        work = args.out / "load" / "run"
        redis_proc, redis_url = start_redis(work)
        env = {**app_env(url, instance), "REDIS_URL": redis_url, "SISUMAKER_REDIS_URL": redis_url,
               "SISUMAKER_PROXY_FIX": "1",  # as deployed behind nginx: X-Forwarded-For names the client
               "SISUMAKER_CONTROL_SOCKET": str(work / "gunicorn-app.ctl")}
        worker = Server("worker", [], env, ROOT, work / "worker.log", None, command=[*FLASK, "worker"])
        servers.append(worker)
        common = ["-c", str(GUNICORN_CONF)]
        app = Server("sisumaker", [*common, "wsgi:app"], env, ROOT, work / "gunicorn-app.log", "/healthz")
        servers.append(app)
        env_floor = {**{k: v for k, v in env.items() if not k.startswith("SISUMAKER_")},
                     "FLOOR_ROWS": str(args.floor_rows), "FLOOR_DB": str(floor_db),
                     "SISUMAKER_CONTROL_SOCKET": str(work / "gunicorn-floor.ctl")}
        floor = Server("floor", [*common, "floor_app:app"], env_floor, FLOOR_DIR, work / "gunicorn-floor.log",
                       "/hello")
        servers.append(floor)
        app.wait_ready(120)  # /healthz is 200 only with the database, Redis and a worker heartbeat
        floor.wait_ready()
        signed = sign_demo_documents(app.port)
        positions, floor_item, tokens = lookup(url)
        if len(tokens) < signed:
            raise RuntimeError(f"{signed} documents sent for signing, {len(tokens)} signed")
        chains = []
        for clerk, head, target in CHAINS:
            cookies = {clerk: login(app.port, clerk), head: login(app.port, head)}
            chains.append(Chain(clerk, head, positions[head], positions[target], cookies))
    except Exception as exc:
        log(f"setup failed: {exc}")
        for s in reversed(servers):
            s.stop()
        if redis_proc:
            redis_proc.terminate()
        return 2

    scan = scan_pdf()
    entries_before = check_register(url, floor_item)["entries"]
    log(f"\nServers: gunicorn -c deploy/gunicorn.conf.py (gthread) · product :{app.port} + RQ worker + redis · "
        f"floor :{floor.port}; {len(tokens)} signed documents; {os.cpu_count()} CPUs shared by clients and servers.")
    results, registered = [], 0
    try:
        for n in steps:
            stats = Stats()
            clients = [Client(k, app.port, chains[k % len(chains)], tokens, scan, stats, floor_item) for k in range(n)]
            stop_at = time.perf_counter() + args.duration
            t0 = time.perf_counter()
            threads = [threading.Thread(target=c.run, args=(stop_at,)) for c in clients]
            [th.start() for th in threads]
            [th.join() for th in threads]
            secs = time.perf_counter() - t0
            registered += sum(c.registered for c in clients)
            per_action = summarise(stats, secs)
            total = sum(a["requests"] for a in per_action.values()) / secs
            floor_r = floor_load(floor.port, n, args.duration)
            results.append({"clients": n, "seconds": secs, "rps": total, "actions": per_action, "floor": floor_r,
                            "ratio": total / floor_r["rps"] if floor_r["rps"] else float("nan")})
            log(f"  {n:>3} clients: {total:7.1f} req/s, floor {floor_r['rps']:7.1f} req/s, ratio "
                f"{results[-1]['ratio']:.2f}, errors {sum(a['errors'] for a in per_action.values())}")
    finally:
        for s in reversed(servers):
            s.stop()
        redis_proc.terminate()
        redis_proc.wait(10)
    check = check_register(url, floor_item)
    check["lost"] = entries_before + registered - check["entries"]  # accepted (302) but not in the register
    report(results, check, registered)
    out = args.out / f"load-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"steps": results, "check": check, "registered": registered,
                               "database": url.split("@")[-1], "duration": args.duration}, indent=1))
    log(f"Full results: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    errors = sum(a["errors"] for r in results for a in r["actions"].values()) + sum(r["floor"]["errors"]
                                                                                  for r in results)
    return 1 if errors or check["gaps"] or check["lost"] else 0


def report(results: list[dict], check: dict, registered: int) -> None:
    head = f"{'clients':>7} {'action':<36} {'req':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'err':>4}"
    log("\n" + head + "\n" + "-" * len(head))
    for r in results:
        for name in [*ACTIONS, "floor"]:
            a = r["floor"] if name == "floor" else r["actions"].get(name)
            if not a:
                continue
            label = "floor /register (same clients)" if name == "floor" else name
            log(f"{r['clients']:>7} {label:<36} {a['requests']:>6} {a['rps']:>7.1f} {a['p50']:>7.1f} {a['p95']:>7.1f} "
                f"{a['p99']:>7.1f} {a['errors']:>4}" + (f"  {a['why']}" if a["errors"] else ""))
        all_lat = [x for a in r["actions"].values() for x in [a]]
        log(f"{r['clients']:>7} {'= all product requests':<36} {sum(a['requests'] for a in all_lat):>6} "
            f"{r['rps']:>7.1f} {'':>7} {'':>7} {'':>7} {sum(a['errors'] for a in all_lat):>4}   "
            f"ratio to floor {r['ratio']:.2f}")
        log("-" * len(head))
    log(f"Registered during the run: {registered} letters, {check['lost']} of them missing from the register; "
        f"register check: {check['entries']} entries in {check['units']} unit-years, {len(check['gaps'])} with a "
        f"gap or a repeated number; "
        f"{check['new_items']} new inbox items (addressees + dispositions).")


if __name__ == "__main__":
    sys.exit(main())
