"""Inbox and register pages on a big register, as a ratio to the floor (`../shared/bench/floor_app.py`).

    .venv/bin/python bench/register_pages.py                      # 100,000 letters, 16 connections, 10 s a page
    .venv/bin/python bench/register_pages.py --letters 20000 --duration 5 --connections 8
    SISUMAKER_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/register_pages.py

What it does, in one run:
1. builds (or reuses, under bench/out/) a database: the schema by the migrations, the demo regency by the seed
   service, then N incoming letters spread over the registering units (Setda, OPD, kecamatan) and four years,
   written with bulk Core inserts but shaped as the services shape them: one register entry per letter with
   gap-free agenda numbers per unit and year and matching agenda counters, addressees with their inbox items,
   disposition trees down the command chain with valid statuses and times, bell notifications, a few cancelled
   entries and recalled dispositions, ~3 % Rahasia / Sangat Rahasia; then checks all of that (SQL invariants,
   a rolled-back `register_incoming` that must take max+1, the inbox counts service against plain SQL);
2. starts gunicorn twice with identical settings (sync workers, -w 2, no access log): the product (`wsgi:app`)
   and the floor (`floor_app:app` with FLOOR_ROWS rows);
3. logs in through the real form (CSRF + session cookie) as each page's user, checks the page is 200 with a
   full list, then drives it with the same load generator (wrk when installed, else a Python client) at a fixed
   concurrency: a warm-up, then --rounds paired slices (floor /register, then the page, or the other way round)
   that add up to --duration seconds each; a page's ratio is the median of its rounds' page/floor ratios, so
   other load on the machine, which comes and goes, weighs on both sides of each pair alike;
4. prints requests/s, p50/p95/p99 latency, response size, errors and the ratio per page; exits 1 if any request
   failed (non-200, socket error or timeout), 2 on a setup failure. A ratio below the goal is reported only.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from harness import (BENCH_PASSWORD as PASSWORD, FLOOR_DIR, OUT, ROOT, Server, app_env, ensure_floor, free_port,
                     log, login, request as _request, session_cookie as _session_cookie)

APP_ROOT = ROOT  # the checkout whose sisumaker/ is built, checked and served (--app-root)
BUILD_VERSION = 4  # bump when the generated data changes shape: cached databases are rebuilt
UTC = timezone.utc
WIB = timezone(timedelta(hours=7))
GOAL = 0.5


# ------------------------------------------------------------------------------------------------ environment

def make_app(db_url: str, instance: Path):
    env = app_env(db_url, instance)
    for k in list(os.environ):
        if k.startswith("SISUMAKER_") or k == "REDIS_URL":
            del os.environ[k]
    os.environ.update({k: v for k, v in env.items() if k.startswith("SISUMAKER_") or k == "TZ"})
    time.tzset()
    sys.path.insert(0, str(APP_ROOT))
    from sisumaker import create_app

    return create_app()


# ---------------------------------------------------------------------------------------------- data builder

SENDERS = [
    "Kementerian Dalam Negeri", "Kementerian Keuangan", "Kementerian PANRB", "Kementerian Kesehatan",
    "Kementerian Pendidikan Dasar dan Menengah", "Kementerian Desa dan PDT", "Kementerian Sosial",
    "Gubernur Banten", "Sekretariat Daerah Provinsi Banten", "Badan Kepegawaian Negara", "BPK RI Perwakilan Banten",
    "BPKP Perwakilan Provinsi Banten", "DPRD Kabupaten", "Kepolisian Resor", "Komando Distrik Militer 0602",
    "Kejaksaan Negeri", "Pengadilan Negeri", "Kantor Kementerian Agama Kabupaten", "Badan Pusat Statistik Kabupaten",
    "KPU Kabupaten", "Bawaslu Kabupaten", "PT PLN (Persero) UP3", "Perumda Air Minum", "Bank BJB Cabang",
    "Universitas Sultan Ageng Tirtayasa", "LSM Peduli Lingkungan", "Yayasan Pendidikan Al-Khairiyah",
    "Karang Taruna Kabupaten", "PKK Kabupaten", "Majelis Ulama Indonesia Kabupaten", "Ombudsman RI Perwakilan Banten",
]
ABBR = ["Kemendagri", "Kemenkeu", "PANRB", "Kemenkes", "Dikdasmen", "Kemendes", "Kemensos", "Gub", "Setda.Prov",
        "BKN", "BPK", "BPKP", "DPRD", "Polres", "Kodim", "Kejari", "PN", "Kemenag", "BPS", "KPU", "Bawaslu", "PLN",
        "PDAM", "BJB", "Untirta", "LSM", "Yys", "KT", "PKK", "MUI", "ORI"]
TOPICS = [
    "Undangan Rapat Koordinasi {x}", "Permohonan Data {x}", "Laporan Pelaksanaan {x}", "Pemberitahuan Jadwal {x}",
    "Permohonan Audiensi terkait {x}", "Penyampaian Hasil Evaluasi {x}", "Surat Edaran tentang {x}",
    "Permohonan Bantuan {x}", "Monitoring dan Evaluasi {x}", "Sosialisasi {x}", "Penyampaian Rekomendasi {x}",
    "Usulan Kegiatan {x}", "Konfirmasi Kehadiran {x}", "Permohonan Narasumber {x}", "Klarifikasi {x}",
]
SUBJECTS = [
    "Penanganan Stunting", "Penyusunan RKPD 2027", "Pengelolaan Keuangan Desa", "Pelayanan Adminduk",
    "Penanggulangan Banjir", "Pembangunan Jalan Kabupaten", "Penerimaan CPNS dan PPPK", "Program Makan Bergizi",
    "Pengawasan Dana BOS", "Inflasi Daerah", "Zona Integritas", "Pemilihan Kepala Desa", "Perizinan Berusaha",
    "Pengendalian Kebakaran Hutan", "Rehabilitasi Sekolah Dasar", "Penataan Pedagang Kaki Lima",
    "Pencegahan Penyakit Demam Berdarah", "Sensus Pertanian", "Transformasi Digital Pemerintahan", "Tindak Lanjut LHP",
    "Hari Jadi Kabupaten", "Penanganan Sampah", "Distribusi Pupuk Bersubsidi", "Jaminan Kesehatan Nasional",
]
JENIS_W = [("surat_dinas", 45), ("surat_undangan", 25), ("nota_dinas", 8), ("surat_edaran", 6),
           ("surat_pengantar", 6), ("surat_keterangan", 3), ("surat_tugas", 2), ("pengumuman", 2),
           ("surat_keputusan", 1), ("telaahan_staf", 1), ("berita_acara", 1)]
PLACES = ["Aula Setda", "Pendopo Kabupaten", "Ruang Rapat Bappeda", "Hotel Le Dian", "Gedung DPRD", "Kantor Camat"]
REPORTS = ["Sudah ditindaklanjuti, hasil terlampir.", "Telah dihadiri dan dilaporkan kepada pimpinan.",
           "Data sudah disampaikan kepada pengirim.", "Sudah dikoordinasikan dengan bidang terkait.",
           "Jawaban sudah dikirim.", "Sudah diarsipkan."]
NOTES = ["", "", "Segera.", "Koordinasikan dengan OPD terkait.", "Laporkan hasilnya.", "Hadiri dan laporkan.",
         "Siapkan bahan."]


def _weighted(rnd: random.Random, pairs):
    items, weights = zip(*pairs)
    return rnd.choices(items, weights=weights, k=1)[0]


class Org:
    """The seeded organisation as plain dicts: who holds which position, registering units, subordinates."""

    def __init__(self, conn):
        from sqlalchemy import text

        self.pos = {r.id: r for r in conn.execute(text(
            "SELECT p.id, p.parent_id, p.unit_id, p.title, p.is_unit_head, u.kind AS unit_kind, u.code AS unit_code "
            "FROM position p JOIN unit u ON u.id = p.unit_id"))}
        self.users = {r.username: r for r in conn.execute(text(
            "SELECT id, username, position_id, role FROM user_account"))}
        self.holder = {u.position_id: u.id for u in self.users.values() if u.position_id}
        self.subs: dict[int, list[int]] = defaultdict(list)
        for p in self.pos.values():
            if p.parent_id:
                self.subs[p.parent_id].append(p.id)
        self.units = {r.code: r.id for r in conn.execute(text("SELECT id, code FROM unit"))}
        self.classifications = [r[0] for r in conn.execute(text("SELECT code FROM classification"))]

    def pid(self, username: str) -> int:
        return self.users[username].position_id


def build_plan(org: Org, register_unit_of_clerk: dict[str, int], rnd: random.Random):
    """Per registering unit: its clerk, its weight, and which positions its letters are addressed to."""
    plan = []  # (unit_id, clerk_user_id, weight, [(to_pid, w)], [cc candidates])
    setda_clerk = org.users["tu.setda"]
    bupati, wabup, sekda = org.pid("bupati"), org.pid("wabup"), org.pid("sekda")
    asisten = [org.pid(u) for u in sorted(org.users) if re.fullmatch(r"asisten\d", u)]
    plan.append((register_unit_of_clerk["tu.setda"], setda_clerk.id, 28.0,
                 [(bupati, 55), (sekda, 22), (wabup, 8)] + [(a, 15 / len(asisten)) for a in asisten],
                 [wabup, sekda] + asisten))
    opd = sorted(u for u in org.users if u.startswith("tu.") and not u.startswith("tu.kec.") and u != "tu.setda")
    for clerk in opd:
        code = clerk.split(".", 1)[1]
        kabid = [org.pid(f"kabid{d}.{code}") for d in (1, 2, 3) if f"kabid{d}.{code}" in org.users]
        to = [(org.pid(f"kadis.{code}"), 85), (org.pid(f"sekretaris.{code}"), 10)] + [(k, 5 / len(kabid)) for k in kabid]
        plan.append((register_unit_of_clerk[clerk], org.users[clerk].id, 47.0 / len(opd) * rnd.uniform(0.4, 1.8), to,
                     [org.pid(f"sekretaris.{code}")] + kabid))
    kec = sorted(u for u in org.users if u.startswith("tu.kec."))
    for clerk in kec:
        slug = clerk.removeprefix("tu.kec.")
        to = [(org.pid(f"camat.{slug}"), 90), (org.pid(f"sekcam.{slug}"), 10)]
        kasi = [org.pid(u) for u in org.users if u.startswith("kasi") and u.endswith(f".kec.{slug}")]
        plan.append((register_unit_of_clerk[clerk], org.users[clerk].id, 25.0 / len(kec) * rnd.uniform(0.5, 1.5), to,
                     [org.pid(f"sekcam.{slug}")] + kasi))
    # The Bupati disposes to the heads he commands: OPD heads, camat, Sekda, Wakil, asisten.
    heads = [(org.pid(u), 60 / max(1, sum(1 for x in org.users if x.startswith("kadis.")))) for u in org.users
             if u.startswith("kadis.")]
    heads += [(org.pid(u), 15 / max(1, sum(1 for x in org.users if x.startswith("camat.")))) for u in org.users
              if u.startswith("camat.")]
    heads += [(sekda, 15), (wabup, 4)] + [(a, 2) for a in asisten]
    return plan, bupati, heads


class Builder:
    """Generates letters in received order; rows are buffered per table and written in batches."""

    def __init__(self, conn, org: Org, plan, bupati: int, bupati_targets, n: int, seed: int, batch: int):
        from sisumaker.models import (CONFIDENTIAL, InboxItem, INSTRUCTIONS, Letter, LetterAddressee, Notification,
                                      RegisterEntry)

        self.conn, self.org, self.n, self.batch = conn, org, n, batch
        self.rnd = random.Random(seed)
        self.plan, self.bupati, self.bupati_targets = plan, bupati, bupati_targets
        self.instructions = INSTRUCTIONS
        self.tables = [Letter.__table__, LetterAddressee.__table__, RegisterEntry.__table__, InboxItem.__table__,
                       Notification.__table__]
        self.rows: dict[str, list[dict]] = {t.name: [] for t in self.tables}
        self.next_id = {t.name: self._max_id(t) + 1 for t in self.tables}
        self.counters: dict[tuple[int, int], int] = defaultdict(int)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.today = datetime.now(WIB).date()
        self.stats: dict[str, int] = defaultdict(int)
        self.confidential_sifat = CONFIDENTIAL
        self.confidential: set[int] = set()  # ids of Rahasia letters: their items carry the flag

    def _max_id(self, table) -> int:
        from sqlalchemy import func, select

        return self.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()

    def _id(self, table: str) -> int:
        i = self.next_id[table]
        self.next_id[table] = i + 1
        return i

    def _clamp(self, t: datetime) -> datetime:
        return min(t, self.now - timedelta(minutes=1))

    # -- one letter ------------------------------------------------------------------------------------------
    def run(self, years: int = 4) -> dict[str, int]:
        rnd = self.rnd
        start = date(self.today.year - years + 1, 1, 1)
        span = (self.today - start).days + 1
        # received dates: working days, growing a little year on year; sorted so agenda numbers follow receipt
        days = []
        while len(days) < self.n:
            d = start + timedelta(days=min(span - 1, int(span * rnd.random() ** 0.85)))
            if d.weekday() < 5 or rnd.random() < 0.03:
                days.append(d)
        days.sort()
        weights = [p[2] for p in self.plan]
        t0 = time.time()
        for k, received_on in enumerate(days, start=1):
            self.letter(received_on, self.plan[rnd.choices(range(len(self.plan)), weights=weights, k=1)[0]])
            if k % self.batch == 0:
                self.flush()
                rate = k / max(1e-9, time.time() - t0)
                log(f"  {k:>9,} letters written ({rate:,.0f}/s)")
        self.flush()
        from sisumaker.models import AgendaCounter
        from sqlalchemy import select

        existing = {(r.unit_id, r.year): r.last_number for r in self.conn.execute(select(AgendaCounter.__table__))}
        new = [dict(unit_id=u, year=y, last_number=n) for (u, y), n in self.counters.items() if (u, y) not in existing]
        if new:
            self.conn.execute(AgendaCounter.__table__.insert(), new)
        self.conn.commit()
        return dict(self.stats)

    def letter(self, received_on: date, unit_plan) -> None:
        rnd = self.rnd
        unit_id, clerk_id, _w, to_w, cc_cands = unit_plan
        i = rnd.randrange(len(SENDERS))
        jenis = _weighted(rnd, JENIS_W)
        sifat = _weighted(rnd, [("B", 870), ("T", 100), ("R", 24), ("SR", 6)])
        urgensi = _weighted(rnd, [("biasa", 80), ("segera", 15), ("sangat_segera", 5)])
        letter_date = received_on - timedelta(days=min(rnd.randrange(0, 8), (received_on - date(2000, 1, 1)).days))
        registered_at = self._clamp(datetime.combine(received_on, datetime.min.time(), WIB).astimezone(UTC)
                                    + timedelta(hours=7.5 + rnd.random() * 8.5))
        lid = self._id("letter")
        topic = rnd.choice(TOPICS).format(x=rnd.choice(SUBJECTS))
        event = jenis == "surat_undangan"
        self.rows["letter"].append(dict(
            id=lid, direction="masuk", jenis=jenis, sender=SENDERS[i],
            number=f"{rnd.choice(self.org.classifications)}/{rnd.randrange(1, 4000)}/{ABBR[i]}/{letter_date.year}",
            letter_date=letter_date, perihal=topic,
            summary=f"{SENDERS[i]} menyampaikan {topic.lower()} untuk ditindaklanjuti sesuai kewenangan.",
            sifat=sifat, urgensi=urgensi, classification_code=rnd.choice(self.org.classifications),
            attachments=rnd.choice((0, 0, 0, 1, 1, 2, 3)),
            event_date=received_on + timedelta(days=rnd.randrange(2, 15)) if event else None,
            event_time=datetime.strptime(rnd.choice(("08:00", "09:00", "10:00", "13:30")), "%H:%M").time()
            if event else None,
            event_place=rnd.choice(PLACES) if event else None, scan_file_id=None, created_by_id=clerk_id,
            created_at=registered_at))
        # addressees: one "to" (sometimes two), a tembusan now and then; never the same position twice
        to = [_weighted(rnd, to_w)]
        if rnd.random() < 0.06:
            other = _weighted(rnd, to_w)
            if other not in to:
                to.append(other)
        cc = []
        if rnd.random() < 0.12:
            c = rnd.choice(cc_cands)
            if c not in to:
                cc.append(c)
        for kind, pids in (("to", to), ("cc", cc)):
            for p in pids:
                self.rows["letter_addressee"].append(dict(id=self._id("letter_addressee"), letter_id=lid,
                                                          position_id=p, kind=kind))
        # the register entry: the next number of this unit's year (the same rule as take_agenda_number)
        key = (unit_id, received_on.year)
        self.counters[key] += 1
        cancelled = rnd.random() < 0.002
        self.rows["register_entry"].append(dict(
            id=self._id("register_entry"), letter_id=lid, unit_id=unit_id, year=received_on.year,
            agenda_number=self.counters[key], received_on=received_on, registered_by_id=clerk_id,
            registered_at=registered_at, origin="loket", status="dibatalkan" if cancelled else "aktif",
            cancel_reason="Tercatat ganda dengan agenda sebelumnya." if cancelled else None,
            cancelled_at=self._clamp(registered_at + timedelta(hours=2)) if cancelled else None,
            cancelled_by_id=clerk_id if cancelled else None))
        self.stats["letters"] += 1
        self.stats[f"sifat_{sifat}"] += 1
        if sifat in self.confidential_sifat:
            self.confidential.add(lid)
        self.stats["cancelled_entries"] += cancelled
        short = f"{SENDERS[i]} (RAHASIA)" if sifat in ("R", "SR") else f"{topic[:120]} — {SENDERS[i]}"
        for kind, pids in (("surat", to), ("tembusan", cc)):
            for p in pids:
                self.item(lid, p, kind, None, None, clerk_id, registered_at, 0,
                          f"{'Surat masuk' if kind == 'surat' else 'Tembusan surat'}: {short}")

    # -- an inbox item and, recursively, its dispositions ----------------------------------------------------
    def item(self, lid: int, pid: int, kind: str, parent_id: int | None, from_pid: int | None, from_uid: int,
             received_at: datetime, depth: int, note_text: str, instructions: str = "[]", note: str = "",
             deadline: date | None = None, batch: str | None = None) -> None:
        rnd = self.rnd
        iid = self._id("inbox_item")
        age_days = (self.now - received_at).total_seconds() / 86400
        holder = self.org.holder.get(pid)
        subs = self.bupati_targets if pid == self.bupati else [(s, 1) for s in self.org.subs.get(pid, ())
                                                                 if s in self.org.holder]
        row = dict(id=iid, letter_id=lid, position_id=pid, kind=kind, confidential=lid in self.confidential,
                   parent_id=parent_id, batch=batch,
                   from_position_id=from_pid, from_user_id=from_uid, instructions=instructions, note=note,
                   deadline=deadline, received_at=received_at, status="diterima", read_at=None, read_by_id=None,
                   done_at=None, report="", report_file_id=None, recalled_at=None)
        self.rows["inbox_item"].append(row)
        p_unread = 0.55 * math.exp(-age_days / 2.5) + 0.01
        if kind == "disposisi" and rnd.random() < p_unread and age_days > 0.2 and rnd.random() < 0.04:
            row.update(status="ditarik", recalled_at=self._clamp(received_at + timedelta(hours=rnd.uniform(0.2, 4))))
            self.stats["recalled"] += 1
            self._notify(pid, iid, note_text, received_at, None)
            return
        if rnd.random() < p_unread:
            self._notify(pid, iid, note_text, received_at, None)
            self.stats["status_diterima"] += 1
            return
        read_at = self._clamp(received_at + timedelta(hours=rnd.expovariate(1 / 6)))
        row.update(status="dibaca", read_at=read_at, read_by_id=holder)
        self._notify(pid, iid, note_text, received_at, read_at)
        dispose_p = {0: 0.85, 1: 0.45, 2: 0.2}.get(depth, 0.0) if kind != "tembusan" else 0.0
        settled = min(1.0, age_days / 21)
        if subs and rnd.random() < dispose_p:
            acted = self._clamp(read_at + timedelta(hours=rnd.expovariate(1 / 10)))
            row["status"] = "diproses"
            fan = _weighted(rnd, [(1, 60), (2, 30), (3, 10)])
            chosen = []
            for _ in range(fan):
                s = _weighted(rnd, subs)
                if s not in chosen and s != pid:
                    chosen.append(s)
            instr = rnd.sample(self.instructions[:9], k=_weighted(rnd, [(1, 70), (2, 30)]))
            ins_json = json.dumps(instr, ensure_ascii=False)
            dl = acted.astimezone(WIB).date() + timedelta(days=rnd.randrange(3, 15)) if rnd.random() < 0.35 else None
            b = uuid.UUID(int=rnd.getrandbits(128)).hex
            nt = rnd.choice(NOTES)
            title = self.org.pos[pid].title
            for s in chosen:
                self.stats["dispositions"] += 1
                self.item(lid, s, "disposisi", iid, pid, holder, acted, depth + 1,
                          f"Disposisi dari {title}: {', '.join(instr)[:150]}", ins_json, nt, dl, b)
            if rnd.random() < 0.8 * settled:
                row.update(status="selesai", done_at=self._clamp(acted + timedelta(days=rnd.uniform(1, 10))),
                           report=rnd.choice(REPORTS))
        else:
            r = rnd.random()
            if r < 0.75 * settled and kind != "tembusan":
                done = self._clamp(read_at + timedelta(days=rnd.uniform(0.2, 7)))
                row.update(status="selesai", done_at=done, report=rnd.choice(REPORTS))
            elif r < 0.9 * settled + 0.1 and kind != "tembusan":
                row.update(status="diproses", report=rnd.choice(REPORTS) if rnd.random() < 0.3 else "")
        if kind == "disposisi" and row["report"] and from_pid is not None:
            label = "selesai" if row["status"] == "selesai" else "diproses"
            at = row["done_at"] or read_at
            seen = self._clamp(at + timedelta(days=1)) if (self.now - at).days > 3 else None
            self._notify(from_pid, parent_id, f"Laporan ({label}) dari {self.org.pos[pid].title}: {row['report']}",
                         at, seen)
        self.stats[f"status_{row['status']}"] += 1

    def _notify(self, pid: int, item_id: int | None, text: str, at: datetime, read_at: datetime | None) -> None:
        self.rows["notification"].append(dict(id=self._id("notification"), position_id=pid, item_id=item_id,
                                              text=text[:300], created_at=at, read_at=read_at, emailed_at=None))

    def flush(self) -> None:
        for t in self.tables:  # parents first: letters, addressees, entries, items (parent items first), notes
            rows = self.rows[t.name]
            if rows:
                self.conn.execute(t.insert(), rows)
                self.stats[f"rows_{t.name}"] += len(rows)
                rows.clear()
        self.conn.commit()


def build_database(db_url: str, instance: Path, n: int, seed: int, batch: int) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import text

    app = make_app(db_url, instance)
    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.services.access import register_unit_of
    from sisumaker.services.seed import seed_demo

    with app.app_context():
        t0 = time.time()
        upgrade(directory=str(APP_ROOT / "migrations"))
        seed_demo(None, password=PASSWORD, production=False)
        db.session.commit()
        log(f"  schema (migrations) and demo regency in {time.time() - t0:.1f} s")
        clerks = {u.username: register_unit_of(u.position).id
                  for u in db.session.query(User).filter(User.role == "agendaris")}
        db.session.remove()
        with db.engine.connect() as conn:
            org = Org(conn)
            plan, bupati, heads = build_plan(org, clerks, random.Random(seed))
            b = Builder(conn, org, plan, bupati, heads, n, seed, batch)
            t1 = time.time()
            stats = b.run()
            stats["seconds"] = round(time.time() - t1, 1)
            t2 = time.time()  # the search index, as the services' flush hook would have kept it
            from sisumaker.services.search_index import rebuild_search_index

            stats["search_documents"] = rebuild_search_index(conn)
            conn.commit()
            stats["search_index_seconds"] = round(time.time() - t2, 1)
            log(f"  search index: {stats['search_documents']:,} documents in {stats['search_index_seconds']} s")
            if conn.dialect.name == "postgresql":  # explicit ids were written: move the sequences past them
                for t in ("letter", "letter_addressee", "register_entry", "inbox_item", "notification"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                                      f"(SELECT COALESCE(MAX(id), 1) FROM {t}))"))
                conn.commit()
                # as autovacuum would have done by now on a live server: statistics, and the visibility map that
                # lets index-only scans skip the table (VACUUM cannot run inside a transaction)
                with conn.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
                    auto.execute(text("VACUUM (ANALYZE) letter, letter_addressee, register_entry, inbox_item, "
                                      "notification, search_document"))
                conn.execute(text("ANALYZE"))  # the other (small) tables
                conn.commit()
        log(f"  {n:,} letters in {stats['seconds']} s")
    return stats


def verify_database(db_url: str, instance: Path) -> dict:
    """The invariants the services keep, checked on the generated data; raises AssertionError when broken."""
    from sqlalchemy import func, select, text

    app = make_app(db_url, instance)
    from sisumaker.extensions import db
    from sisumaker.models import InboxItem, User
    from sisumaker.services import inbox, letters
    from sisumaker.services.access import viewer_for
    from sisumaker.services.org import in_command_subtree

    def one(sql: str):
        return db.session.execute(text(sql)).scalar()

    # A unary + keeps SQLite (no statistics) off an index that would turn a check quadratic; PostgreSQL ignores it.
    checks = {
        # agenda numbers: 1..N per unit and year, no gap, no duplicate, and the counter says N
        "agenda gaps/duplicates": """SELECT COUNT(*) FROM (SELECT unit_id, year FROM register_entry GROUP BY unit_id, year
             HAVING MIN(agenda_number) <> 1 OR MAX(agenda_number) <> COUNT(*)
                 OR COUNT(DISTINCT agenda_number) <> COUNT(*)) x""",
        "counter != max number": """SELECT COUNT(*) FROM agenda_counter c LEFT JOIN (SELECT unit_id, year,
             MAX(agenda_number) m FROM register_entry GROUP BY unit_id, year) e ON e.unit_id = c.unit_id
             AND e.year = c.year WHERE COALESCE(e.m, 0) <> c.last_number""",
        "entries without a counter": """SELECT COUNT(*) FROM (SELECT DISTINCT unit_id, year FROM register_entry) e
             WHERE NOT EXISTS (SELECT 1 FROM agenda_counter c WHERE c.unit_id = e.unit_id AND c.year = e.year)""",
        "letters with != 1 entry": """SELECT COUNT(*) FROM letter l WHERE (SELECT COUNT(*) FROM register_entry e
             WHERE e.letter_id = l.id) <> 1""",
        "letters without a 'to'": """SELECT COUNT(*) FROM letter l WHERE NOT EXISTS (SELECT 1 FROM letter_addressee a
             WHERE a.letter_id = l.id AND a.kind = 'to')""",
        "addressees without their item": """SELECT COUNT(*) FROM letter_addressee a WHERE NOT EXISTS (SELECT 1 FROM
             inbox_item i WHERE i.letter_id = a.letter_id AND +i.position_id = a.position_id
             AND COALESCE(i.parent_id, 0) = 0 AND i.kind = CASE a.kind WHEN 'to' THEN 'surat' ELSE 'tembusan' END)""",
        "root items without an addressee": """SELECT COUNT(*) FROM inbox_item i WHERE i.kind <> 'disposisi' AND NOT
             EXISTS (SELECT 1 FROM letter_addressee a WHERE a.letter_id = i.letter_id AND a.position_id = i.position_id)""",
        "dispositions not below their sender": """SELECT COUNT(*) FROM inbox_item c JOIN inbox_item p ON p.id = c.parent_id
             WHERE c.kind <> 'disposisi' OR c.letter_id <> p.letter_id OR c.from_position_id <> p.position_id
             OR p.status NOT IN ('diproses', 'selesai') OR c.received_at < p.received_at""",
        "disposisi without parent": "SELECT COUNT(*) FROM inbox_item WHERE kind = 'disposisi' AND parent_id IS NULL",
        "status/time mismatches": """SELECT COUNT(*) FROM inbox_item WHERE (status = 'diterima' AND read_at IS NOT NULL)
             OR (status IN ('dibaca', 'diproses', 'selesai') AND read_at IS NULL)
             OR (status = 'selesai' AND done_at IS NULL) OR (status <> 'selesai' AND done_at IS NOT NULL)
             OR (status = 'ditarik' AND (recalled_at IS NULL OR kind <> 'disposisi' OR read_at IS NOT NULL))
             OR (status = 'selesai' AND kind = 'disposisi' AND report = '')""",
        "items disagreeing with their letter's sifat": """SELECT COUNT(*) FROM inbox_item i JOIN letter l
             ON l.id = i.letter_id WHERE i.confidential <> (l.sifat IN ('R', 'SR'))""",
        "children of a recalled item": """SELECT COUNT(*) FROM inbox_item c JOIN inbox_item p ON p.id = c.parent_id
             WHERE p.status = 'ditarik'""",
        "items without a notification": """SELECT COUNT(*) FROM inbox_item i LEFT JOIN notification n
             ON n.item_id = i.id AND +n.position_id = i.position_id WHERE n.id IS NULL""",
    }
    result: dict = {}
    with app.app_context():
        for name, sql in checks.items():
            bad = one(sql)
            assert bad == 0, f"generated data breaks '{name}': {bad} rows"
        result["invariants"] = len(checks)
        # a sample of dispositions lies in the disposer's command subtree (the service rule)
        rows = db.session.execute(text("SELECT position_id, from_position_id FROM inbox_item "
                                       "WHERE kind = 'disposisi' ORDER BY id LIMIT 300")).all()
        assert all(in_command_subtree(p, f) and p != f for p, f in rows), "a disposition leaves the command subtree"
        # the service continues the numbering exactly where the bulk data stopped (rolled back afterwards)
        clerk = db.session.scalar(select(User).where(User.username == "tu.setda"))
        bupati = db.session.scalar(select(User).where(User.username == "bupati"))
        v = viewer_for(clerk)
        today = datetime.now(WIB).date()
        unit = v.clerk_unit_id
        before = one(f"SELECT COALESCE(MAX(agenda_number), 0) FROM register_entry WHERE unit_id = {unit} "
                     f"AND year = {today.year}")
        entry = letters.register_incoming(v, letters.IncomingLetter(
            sender="Uji Bench", number="1/BENCH", letter_date=today, received_on=today, jenis="surat_dinas",
            perihal="Uji nomor agenda", to_position_ids=(bupati.position_id,)), None, today)
        assert entry.agenda_number == before + 1, (entry.agenda_number, before)
        db.session.rollback()
        # the inbox counts service agrees with plain SQL for the Bupati
        vb = viewer_for(bupati)
        counts = inbox.inbox_counts(vb)
        plain = db.session.scalar(select(func.count(InboxItem.id)).where(
            InboxItem.position_id == bupati.position_id, InboxItem.status != "ditarik"))
        assert counts["semua"] == plain, (counts, plain)
        result["bupati_counts"] = counts
        result["tables"] = {t: one(f"SELECT COUNT(*) FROM {t}") for t in
                            ("letter", "letter_addressee", "register_entry", "inbox_item", "notification",
                             "agenda_counter")}
    return result


def missing_model_indexes(db_url: str, instance: Path, create: bool) -> list[str]:
    """Indexes the models declare that the database (built by the migrations) lacks. The bench creates them so
    that it measures the code as written, and says so loudly: each one still needs a migration."""
    from sqlalchemy import inspect

    app = make_app(db_url, instance)
    from sisumaker.extensions import db

    missing = []
    with app.app_context():
        inspector = inspect(db.engine)
        for table in db.metadata.sorted_tables:
            have = {ix["name"] for ix in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in have:
                    missing.append(f"{table.name}.{index.name}({', '.join(c.name for c in index.columns)})")
                    if create:
                        index.create(db.engine)
    return missing


def choose_users(db_url: str, instance: Path) -> dict:
    """The pages' users: the Bupati, the busiest kadis and camat, tu.setda and the busiest kecamatan clerk."""
    from sqlalchemy import text

    result = {"missing_indexes": missing_model_indexes(db_url, instance, create=True)}
    app = make_app(db_url, instance)
    from sisumaker.extensions import db

    with app.app_context():
        def top(prefix: str) -> tuple[str, int]:
            row = db.session.execute(text(
                "SELECT u.username, COUNT(i.id) FROM user_account u JOIN inbox_item i ON i.position_id = u.position_id "
                "WHERE u.username LIKE :p AND i.status <> 'ditarik' GROUP BY u.username ORDER BY 2 DESC LIMIT 1"),
                {"p": prefix + "%"}).one()
            return row[0], row[1]

        def entries(username: str) -> int:
            return db.session.execute(text(
                "SELECT COUNT(*) FROM register_entry e WHERE e.unit_id = (SELECT p.unit_id FROM user_account u "
                "JOIN position p ON p.id = u.position_id WHERE u.username = :u)"), {"u": username}).scalar()

        bupati_items = db.session.execute(text(
            "SELECT COUNT(*) FROM inbox_item i JOIN user_account u ON u.position_id = i.position_id "
            "WHERE u.username = 'bupati' AND i.status <> 'ditarik'")).scalar()
        bupati_unread = db.session.execute(text(
            "SELECT COUNT(*) FROM notification n JOIN user_account u ON u.position_id = n.position_id "
            "WHERE u.username = 'bupati' AND n.read_at IS NULL")).scalar()
        kadis, kadis_n = top("kadis.")
        camat, camat_n = top("camat.")
        kec = db.session.execute(text(
            "SELECT u.username, COUNT(*) FROM register_entry e JOIN position p ON p.unit_id = e.unit_id "
            "JOIN user_account u ON u.position_id = p.id WHERE u.username LIKE 'tu.kec.%' "
            "GROUP BY u.username ORDER BY 2 DESC LIMIT 1")).one()
        # tu.setda sits in Bagian Umum; its register unit is the Setda (register_unit_of)
        setda_n = db.session.execute(text(
            "SELECT COUNT(*) FROM register_entry e JOIN unit u ON u.id = e.unit_id WHERE u.kind = 'setda'")).scalar()
    return result | {
        "inbox_bupati": ("bupati", bupati_items),
        "inbox_kadis": (kadis, kadis_n),
        "inbox_camat": (camat, camat_n),
        "register_setda": ("tu.setda", setda_n),
        "register_kec": (kec[0], kec[1]),
        "bell": ("bupati", bupati_unread),
    }


# ------------------------------------------------------------------------------------------------ the servers

def gunicorn_args(workers: int) -> list[str]:
    """Identical for the product and the floor."""
    return ["-w", str(workers), "-k", "sync", "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"]


# --------------------------------------------------------------------------------------------- login (cookie)

def check_page(port: int, path: str, cookie: str) -> tuple[int, int, str]:
    """The page answers 200 with a list; returns (rows on the page, bytes, cookie). The first page after login
    pops the welcome flash and stamps the idle timer, so the session changes once; the load then runs with that
    cookie, and a second request proves the session no longer changes (no Set-Cookie on every response)."""
    for attempt in range(3):
        status, location, sc, html = _request(port, "GET", path, cookie)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status} {location or ''}")
        new = _session_cookie(sc, cookie)
        if new == cookie and attempt:
            break
        cookie = new
    else:
        log(f"  note: GET {path} sets a new session cookie on every response")
    return html.count('<li class="item'), len(html.encode()), cookie


def check_floor(port: int) -> tuple[int, int]:
    status, _, _, html = _request(port, "GET", "/register")
    if status != 200:
        raise RuntimeError(f"floor /register: HTTP {status}")
    return html.count("<tr><td>"), len(html.encode())


# ------------------------------------------------------------------------------------------- load generators

WRK_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non200") or 0) end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "non200": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def run_wrk(port: int, path: str, cookie: str | None, duration: float, connections: int, threads: int,
            script: Path) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s", "--timeout", "10s",
           "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    m = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if not m:
        raise RuntimeError(f"wrk gave no result: {out.stdout}\n{out.stderr}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    errors = r["connect"] + r["read"] + r["write"] + r["timeout"] + max(r["status"], r["non200"])
    return dict(rps=r["requests"] / secs, requests=r["requests"], p50=r["p50"] / 1000, p95=r["p95"] / 1000,
                p99=r["p99"] / 1000, max=r["max"] / 1000, bytes=r["bytes"] / max(1, r["requests"]), errors=errors,
                error_detail={k: r[k] for k in ("connect", "read", "write", "timeout", "status", "non200") if r[k]})


def run_python(port: int, path: str, cookie: str | None, duration: float, connections: int, **_) -> dict:
    """Fallback when wrk is missing: one thread per connection, each request on a fresh connection as with
    gunicorn's sync workers. Costs client CPU on the same machine; compare only ratios from one run."""
    headers = {"Cookie": cookie} if cookie else {}
    stop_at = time.perf_counter() + duration
    lat: list[list[float]] = [[] for _ in range(connections)]
    errs = [0] * connections
    size = [0] * connections

    def worker(k: int) -> None:
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request("GET", path, headers=headers)
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status != 200:
                    errs[k] += 1
                size[k] += len(body)
            except OSError:
                errs[k] += 1
            lat[k].append(time.perf_counter() - t)

    t0 = time.perf_counter()
    ths = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    secs = time.perf_counter() - t0
    all_lat = sorted(x for xs in lat for x in xs)
    n = len(all_lat)

    def pct(p: float) -> float:
        return all_lat[min(n - 1, int(p / 100 * n))] * 1000 if n else float("nan")

    return dict(rps=n / secs, requests=n, p50=pct(50), p95=pct(95), p99=pct(99), max=pct(100),
                bytes=sum(size) / max(1, n), errors=sum(errs), error_detail={"failed": sum(errs)} if sum(errs) else {})


# ------------------------------------------------------------------------------------------------------ main

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--letters", type=int, default=100_000, help="letters in the product's database (100000)")
    ap.add_argument("--floor-rows", type=int, default=100_000, help="rows in the floor's table (100000)")
    ap.add_argument("--duration", type=float, default=10, help="seconds of load per page, and as much again on "
                    "the floor beside it (10)")
    ap.add_argument("--rounds", type=int, default=5, help="paired floor/page slices the duration is cut into (5)")
    ap.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load before each page (3)")
    ap.add_argument("--connections", type=int, default=16, help="concurrent connections (16)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, for both servers (2)")
    ap.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                    help="load generator: wrk when installed (auto), else a Python one")
    ap.add_argument("--database-url", default=os.environ.get("SISUMAKER_BENCH_POSTGRES_URL"),
                    help="a PostgreSQL database to bench on instead of SQLite (or SISUMAKER_BENCH_POSTGRES_URL); "
                         "the bench works only in its own schema there, sisu_bench_register_pages_<letters>, "
                         "kept for the next run (--rebuild drops and rebuilds it)")
    ap.add_argument("--out", type=Path, default=OUT, help="work folder for databases and logs (bench/out)")
    ap.add_argument("--rebuild", action="store_true", help="build the database again even if a matching one exists")
    ap.add_argument("--build-only", action="store_true", help="build and check the database, then stop")
    ap.add_argument("--pages", default="all",
                    help="comma list of: inbox_bupati, inbox_kadis, inbox_camat, register_setda, register_kec, "
                         "bell (default: all)")
    ap.add_argument("--app-root", type=Path, default=ROOT,
                    help="build, check and serve the sisumaker/ of another checkout (e.g. a copy with a candidate "
                         "fix), with this checkout's .venv")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--batch", type=int, default=5000, help="letters per bulk-insert batch (5000)")
    ap.add_argument("--page-cache", choices=("on", "off"), default="on",
                    help="the product's cache of unchanged list pages (on, as deployed); off: every view is computed "
                         "and rendered, as right after a change")
    return ap.parse_args(argv)


INDEXES_ONLY = "# bench: indexes only"


def cache_migrations() -> list[str]:
    """The migrations a cached database must have been built with. One marked INDEXES_ONLY does not make a cached
    database stale: missing_model_indexes creates the indexes the models declare (and the run says so)."""
    return sorted(p.name for p in (APP_ROOT / "migrations" / "versions").glob("*.py")
                  if INDEXES_ONLY not in p.read_text())


def ensure_database(args) -> tuple[str, Path, dict]:
    args.out.mkdir(parents=True, exist_ok=True)
    instance = args.out / "instance"
    instance.mkdir(exist_ok=True)
    meta_key = {"version": BUILD_VERSION, "letters": args.letters, "seed": args.seed, "migrations": cache_migrations()}
    if args.database_url:
        schema = f"sisu_bench_register_pages_{args.letters}"
        url = postgres_schema_url(args.database_url, schema)
        meta_path = args.out / f"postgresql-{args.letters}.json"
    else:
        db_path = args.out / f"sisumaker-{args.letters}.sqlite"
        url = f"sqlite:///{db_path}"
        meta_path = db_path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    exists = postgres_schema_ready(args.database_url, schema, args.letters) if args.database_url else db_path.exists()
    if not args.rebuild and meta and meta.get("key") == meta_key and exists:
        log(f"Reusing the database built {meta['built_at']} ({url.split('@')[-1]}); --rebuild builds it again.")
        return url, instance, meta
    newer = _newer_migrations(meta["key"], meta_key) if meta and exists and not args.rebuild else None
    if newer:  # built before migrations were added: upgrade in place instead of rebuilding (20-35 min at 1M)
        log(f"Reusing the database built {meta['built_at']}, upgraded by the newer migrations {', '.join(newer)} "
            f"(its cache key is left as built, so checkouts without them reuse it too).")
        _child("upgrade", url, instance, args)
        return url, instance, meta
    log(f"Building a database with {args.letters:,} letters ({url.split('@')[-1]}) ...")
    meta_path.unlink(missing_ok=True)
    if args.database_url:
        postgres_reset_schema(args.database_url, schema)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    # each phase in a child process: a fresh app (create_app reads the environment once per process)
    stats = _child("build", url, instance, args)
    checks = _child("verify", url, instance, args)
    meta = {"key": meta_key, "built_at": datetime.now().isoformat(timespec="seconds"), "stats": stats,
            "checks": checks}
    meta_path.write_text(json.dumps(meta, indent=1, default=str))
    return url, instance, meta


def _newer_migrations(cached: dict, current: dict) -> list[str] | None:
    """The migrations added since the cached database was built, when that is its only difference; else None."""
    if {k: v for k, v in cached.items() if k != "migrations"} != {k: v for k, v in current.items() if k != "migrations"}:
        return None
    before, now = cached.get("migrations", []), current["migrations"]
    if now[:len(before)] != before or len(now) == len(before):
        return None
    return now[len(before):]


def upgrade_database(db_url: str, instance: Path) -> dict:
    """`flask db upgrade` on a cached database (data kept)."""
    from flask_migrate import upgrade

    app = make_app(db_url, instance)
    with app.app_context():
        upgrade(directory=str(APP_ROOT / "migrations"))
    return {}


def _pg_admin(url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(plain, autocommit=True)


def postgres_schema_url(url: str, schema: str) -> str:
    """The URL the app and the builder use: the bench's own schema first on the search path."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def postgres_schema_ready(url: str, schema: str, letters: int) -> bool:
    with _pg_admin(url) as conn:
        if not conn.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND "
                            "table_name = 'letter'", (schema,)).fetchone():
            return False
        return conn.execute(f'SELECT COUNT(*) FROM "{schema}".letter').fetchone()[0] == letters


def postgres_reset_schema(url: str, schema: str) -> None:
    """Drop and create the bench's own schema; nothing outside it is touched."""
    with _pg_admin(url) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')


def _child(phase: str, url: str, instance: Path, args) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as fh:
        cmd = [sys.executable, __file__, "--_phase", phase, "--_url", url, "--_instance", str(instance),
               "--_result", fh.name, "--letters", str(args.letters), "--seed", str(args.seed),
               "--batch", str(args.batch), "--_app-root", str(APP_ROOT)]
        rc = subprocess.run(cmd).returncode
        if rc != 0:
            raise RuntimeError(f"{phase} failed (exit {rc})")
        return json.loads(Path(fh.name).read_text() or "{}")


def child_main(argv) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--_phase"), ap.add_argument("--_url"), ap.add_argument("--_instance", type=Path)
    ap.add_argument("--_result"), ap.add_argument("--letters", type=int), ap.add_argument("--seed", type=int)
    ap.add_argument("--batch", type=int), ap.add_argument("--_app-root", type=Path)
    a = ap.parse_args(argv)
    global APP_ROOT
    APP_ROOT = a._app_root.resolve()
    if a._phase == "build":
        result = build_database(a._url, a._instance, a.letters, a.seed, a.batch)
    elif a._phase == "verify":
        result = verify_database(a._url, a._instance)
        log(f"  checks passed: {result['invariants']} SQL invariants, command subtrees, agenda number continues "
            f"at max+1 through register_incoming, inbox counts service = SQL")
    elif a._phase == "upgrade":
        result = upgrade_database(a._url, a._instance)
    elif a._phase == "users":
        result = choose_users(a._url, a._instance)
    else:
        raise SystemExit(f"unknown phase {a._phase}")
    Path(a._result).write_text(json.dumps(result, default=str))
    return 0


def main(argv=None) -> int:
    global APP_ROOT
    args = parse_args(argv)
    APP_ROOT = args.app_root.resolve()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        log("wrk is not installed (apt-get install wrk); use --client python")
        return 2
    run_load = run_wrk if client == "wrk" else run_python

    try:
        url, instance, meta = ensure_database(args)
        if args.build_only:
            log(json.dumps(meta["stats"], indent=1))
            return 0
        users = _child("users", url, instance, args)
        floor_db = ensure_floor(args.floor_rows, args.out)
    except Exception as exc:  # setup failure: say what and stop
        log(f"setup failed: {exc}")
        return 2

    pages = {  # key: (label, path, rows the page must list)
        "inbox_bupati": ("Kotak Masuk (Bupati)", "/", 50),
        "inbox_kadis": ("Kotak Masuk (Kadis)", "/", 50),
        "inbox_camat": ("Kotak Masuk (Camat)", "/", 50),
        "register_setda": ("Surat Masuk (Setda)", "/surat-masuk", 50),
        "register_kec": ("Surat Masuk (Kecamatan)", "/surat-masuk", 50),
        # not a goal: the cheapest logged-in request (session, user, positions, one count, a tiny template),
        # i.e. what the stack costs before a page does any work of its own
        "bell": ("bell (reference)", "/notifikasi/jumlah", 0),
    }
    chosen = list(pages) if args.pages == "all" else [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in pages]
    if unknown:
        log(f"unknown pages: {unknown}")
        return 2

    env_app = app_env(url, instance)
    if args.page_cache == "off":
        env_app["SISUMAKER_PAGE_CACHE_MAX_BYTES"] = "0"
    env_floor = {**{k: v for k, v in env_app.items() if not k.startswith("SISUMAKER_")},
                 "FLOOR_ROWS": str(args.floor_rows), "FLOOR_DB": str(floor_db)}
    common = gunicorn_args(args.workers)
    app_srv = Server("sisumaker", [*common, "wsgi:app"], env_app, APP_ROOT,
                     args.out / "gunicorn-app.log", "/healthz")
    floor_srv = Server("floor", [*common, "floor_app:app"], env_floor, FLOOR_DIR, args.out / "gunicorn-floor.log",
                       "/hello")
    results: list[dict] = []
    script = args.out / "wrk-report.lua"
    script.write_text(WRK_LUA)
    try:
        app_srv.wait_ready()
        floor_srv.wait_ready()
        floor_rows, floor_bytes = check_floor(floor_srv.port)
        rounds = max(1, args.rounds)
        slice_s = max(1, round(args.duration / rounds))
        log(f"\nServers: gunicorn {' '.join(common)} · product :{app_srv.port} (page cache {args.page_cache}) · "
            f"floor :{floor_srv.port}")
        log(f"Load: {client}, {args.connections} connections; per page {args.warmup:g} s warm-up, then {rounds} "
            f"rounds of {slice_s} s floor /register + {slice_s} s page; {os.cpu_count()} CPUs shared by the client "
            f"and both servers\n")

        def load(port, path, cookie, seconds):
            return run_load(port, path, cookie, seconds, args.connections, threads=args.threads, script=script)

        def summary(label, user, rows, path, runs):
            secs = sum(r["requests"] / r["rps"] for r in runs if r["rps"])
            return dict(label=label, user=user, rows=rows, path=path, rps=sum(r["requests"] for r in runs) / secs,
                        requests=sum(r["requests"] for r in runs), seconds=secs,
                        p50=statistics.median(r["p50"] for r in runs), p95=statistics.median(r["p95"] for r in runs),
                        p99=statistics.median(r["p99"] for r in runs), max=max(r["max"] for r in runs),
                        bytes=statistics.mean(r["bytes"] for r in runs), errors=sum(r["errors"] for r in runs),
                        error_detail=[r["error_detail"] for r in runs if r["errors"]],
                        slices=[round(r["rps"], 1) for r in runs])

        load(floor_srv.port, "/register", None, args.warmup)
        floor_slices: list[dict] = []
        for key in chosen:
            label, path, min_rows = pages[key]
            username, total = users[key]
            cookie = login(app_srv.port, username)  # a fresh session right before the run (idle stamp is new)
            rows, _, cookie = check_page(app_srv.port, path, cookie)
            if rows < min_rows:
                raise RuntimeError(f"{label} as {username} lists only {rows} rows; the bench needs full pages")
            load(app_srv.port, path, cookie, args.warmup)
            page_runs, floor_runs = [], []
            for i in range(rounds):  # paired slices, alternating which goes first to cancel a trend
                order = ("floor", "page") if i % 2 == 0 else ("page", "floor")
                for what in order:
                    if what == "floor":
                        floor_runs.append(load(floor_srv.port, "/register", None, slice_s))
                    else:
                        page_runs.append(load(app_srv.port, path, cookie, slice_s))
            ratios = [p["rps"] / f["rps"] for p, f in zip(page_runs, floor_runs) if f["rps"]]
            r = summary(label, username, f"{total}", path, page_runs)
            r.update(key=key, ratio=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                     floor_rps=statistics.mean(f["rps"] for f in floor_runs),
                     floor_errors=sum(f["errors"] for f in floor_runs))
            results.append(r)
            floor_slices += floor_runs
            log(f"  {label:<26} {r['rps']:8.1f} req/s (floor beside it {r['floor_rps']:.1f})  p50 {r['p50']:.1f} ms  "
                f"ratio {r['ratio']:.2f} [{r['ratio_min']:.2f}-{r['ratio_max']:.2f}]  errors {r['errors']}")
        floor = summary("floor /register", "-", floor_rows, "/register", floor_slices)
        load(floor_srv.port, "/hello", None, args.warmup)
        hello = summary("floor /hello (ceiling)", "-", 0, "/hello",
                        [load(floor_srv.port, "/hello", None, slice_s) for _ in range(rounds)])
    except Exception as exc:
        log(f"benchmark failed: {exc}")
        return 2
    finally:
        app_srv.stop()
        floor_srv.stop()

    spread = (max(floor["slices"]) - min(floor["slices"])) / floor["rps"]
    for r in (floor, hello):
        r.update(ratio=r["rps"] / floor["rps"], ratio_min=float("nan"), ratio_max=float("nan"))
    log(f"\nResults: ratio = median over the {rounds} rounds of (page req/s ÷ floor /register req/s measured beside "
        f"it), [min-max]. Goal >= {GOAL}.\n")
    head = (f"{'page':<24} {'user':<19} {'rows*':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
            f"{'KiB':>5} {'err':>4} {'floor/s':>7} {'ratio':>5} {'[min-max]':>11}")
    log(head)
    log("-" * len(head))
    for r in [*results, floor, hello]:
        rng = f"[{r['ratio_min']:.2f}-{r['ratio_max']:.2f}]" if "key" in r else ""
        fl = f"{r['floor_rps']:7.0f}" if "key" in r else f"{'':7}"
        log(f"{r['label']:<24} {r['user']:<19} {r['rows']:>6} {r['rps']:>7.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} "
            f"{r['p99']:>7.1f} {r['bytes'] / 1024:>5.1f} {r['errors'] + r.get('floor_errors', 0):>4} {fl} "
            f"{r['ratio']:>5.2f} {rng:>11}")
    log("-" * len(head))
    log("* rows: the user's inbox items (not recalled) / entries in the unit's register / unread notifications; "
        "floor: rows listed. Latencies: median of the rounds' percentiles.")
    log(f"Floor /register slices: mean {floor['rps']:.0f} req/s, spread {spread:.0%}"
        f"{' (a busy machine: trust the paired ratios, not absolute numbers)' if spread > 0.15 else ''}.")
    if users.get("missing_indexes"):
        log("WARNING: the models declare indexes the migrations do not create; the bench created them, "
            "production needs a migration: " + ", ".join(users["missing_indexes"]))
    app_results = [r for r in results if r["key"] != "bell"]
    worst = min(app_results, key=lambda r: r["ratio"]) if app_results else None
    if worst:
        verdict = "meets" if worst["ratio"] >= GOAL else "is below"
        log(f"Lowest ratio: {worst['ratio']:.2f} ({worst['label']}), which {verdict} the goal of {GOAL}.")
    results += [floor, hello]
    report = {"at": datetime.now().isoformat(timespec="seconds"), "client": client, "letters": args.letters,
              "connections": args.connections, "duration": args.duration, "workers": args.workers,
              "page_cache": args.page_cache, "database": url.split("@")[-1], "app_root": str(args.app_root),
              "floor_rps": floor["rps"],
              "missing_indexes": users.get("missing_indexes"), "results": results,
              "build": meta.get("stats"), "checks": meta.get("checks")}
    out_json = args.out / f"register_pages-{datetime.now():%Y%m%d-%H%M%S}.json"
    out_json.write_text(json.dumps(report, indent=1, default=str))
    log(f"Full results: {out_json.relative_to(ROOT) if out_json.is_relative_to(ROOT) else out_json}")
    failed = [r for r in results if r["errors"] or r.get("floor_errors")]
    if failed:
        for r in failed:
            log(f"ERRORS on {r['label']}: {r['errors']} {r['error_detail']}")
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_phase":
        sys.exit(child_main(sys.argv[1:]))
    sys.exit(main())
